#ifndef HOTLINE_CRABBITMQ_SHIM_H
#define HOTLINE_CRABBITMQ_SHIM_H
// rabbitmq-c 0.11 (Debian 12) installs amqp.h and amqp_tcp_socket.h directly under /usr/include.
#include <amqp.h>
#include <amqp_framing.h>
#include <amqp_tcp_socket.h>

// amqp_login is variadic, which Swift cannot call: plain PLAIN-mechanism login.
static inline amqp_rpc_reply_t hotline_amqp_login_plain(amqp_connection_state_t state,
                                                        const char *vhost,
                                                        int channel_max,
                                                        int frame_max,
                                                        int heartbeat,
                                                        const char *user,
                                                        const char *password) {
    return amqp_login(state, vhost, channel_max, frame_max, heartbeat,
                      AMQP_SASL_METHOD_PLAIN, user, password);
}
#endif
