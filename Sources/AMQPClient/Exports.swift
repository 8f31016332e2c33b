// The recovering connection's backoff policy and stop flag are shared with the PostgreSQL client
// and the runtime; users of this client get them with it.
@_exported import BlockingIO
