#ifndef HOTLINE_CLIBPQ_SHIM_H
#define HOTLINE_CLIBPQ_SHIM_H
// Debian's libpq-dev installs libpq-fe.h under /usr/include/postgresql; pkg-config adds that path.
#include <libpq-fe.h>
#endif
