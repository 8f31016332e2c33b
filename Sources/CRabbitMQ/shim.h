#ifndef HOTLINE_CRABBITMQ_SHIM_H
#define HOTLINE_CRABBITMQ_SHIM_H
// rabbitmq-c 0.11 (Debian 12) installs amqp.h and amqp_tcp_socket.h directly under /usr/include.
#include <amqp.h>
#include <amqp_framing.h>
#include <amqp_tcp_socket.h>
#include <string.h>

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
// Login with a `connection_name` client property (shown in the broker's management UI), PLAIN
// mechanism. amqp_login_with_properties is variadic too.
static inline amqp_rpc_reply_t hotline_amqp_login_named(amqp_connection_state_t state,
                                                        const char *vhost,
                                                        int channel_max,
                                                        int frame_max,
                                                        int heartbeat,
                                                        const char *connection_name,
                                                        const char *user,
                                                        const char *password) {
    amqp_table_entry_t entries[1];
    entries[0].key = amqp_cstring_bytes("connection_name");
    entries[0].value.kind = AMQP_FIELD_KIND_UTF8;
    entries[0].value.value.bytes = amqp_cstring_bytes(connection_name);
    amqp_table_t properties;
    properties.num_entries = 1;
    properties.entries = entries;
    return amqp_login_with_properties(state, vhost, channel_max, frame_max, heartbeat, &properties,
                                      AMQP_SASL_METHOD_PLAIN, user, password);
}

// Replies to a broker-initiated channel.close (the channel is then closed on both sides).
static inline int hotline_amqp_send_channel_close_ok(amqp_connection_state_t state, amqp_channel_t channel) {
    amqp_channel_close_ok_t ok;
    memset(&ok, 0, sizeof(ok));
    return amqp_send_method(state, channel, AMQP_CHANNEL_CLOSE_OK_METHOD, &ok);
}

// Replies to a broker-initiated connection.close.
static inline int hotline_amqp_send_connection_close_ok(amqp_connection_state_t state) {
    amqp_connection_close_ok_t ok;
    memset(&ok, 0, sizeof(ok));
    return amqp_send_method(state, 0, AMQP_CONNECTION_CLOSE_OK_METHOD, &ok);
}

// Method ids (the header's macros carry casts, which Swift does not import).
static const amqp_method_number_t HOTLINE_AMQP_BASIC_DELIVER = AMQP_BASIC_DELIVER_METHOD;
static const amqp_method_number_t HOTLINE_AMQP_BASIC_RETURN = AMQP_BASIC_RETURN_METHOD;
static const amqp_method_number_t HOTLINE_AMQP_BASIC_ACK = AMQP_BASIC_ACK_METHOD;
static const amqp_method_number_t HOTLINE_AMQP_BASIC_NACK = AMQP_BASIC_NACK_METHOD;
static const amqp_method_number_t HOTLINE_AMQP_BASIC_CANCEL = AMQP_BASIC_CANCEL_METHOD;
static const amqp_method_number_t HOTLINE_AMQP_BASIC_GET_OK = AMQP_BASIC_GET_OK_METHOD;
static const amqp_method_number_t HOTLINE_AMQP_BASIC_GET_EMPTY = AMQP_BASIC_GET_EMPTY_METHOD;
static const amqp_method_number_t HOTLINE_AMQP_CHANNEL_CLOSE = AMQP_CHANNEL_CLOSE_METHOD;
static const amqp_method_number_t HOTLINE_AMQP_CONNECTION_CLOSE = AMQP_CONNECTION_CLOSE_METHOD;
#endif
