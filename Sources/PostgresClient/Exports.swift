// `DedicatedThread` (a connection's owning thread) and the reconnect backoff are shared with the
// AMQP client and the runtime; users of this client get them with it.
@_exported import BlockingIO
