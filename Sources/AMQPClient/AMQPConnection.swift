import CRabbitMQ
import Foundation

/// One AMQP 0-9-1 connection over rabbitmq-c, with channel 1 as its working channel.
///
/// Not `Sendable`: a connection is created, used and destroyed on one thread (its owner's), never on
/// Swift's cooperative pool. Every call blocks. Heartbeats are serviced only inside library calls, so
/// the owner calls `nextDelivery(timeout:)` with timeouts of a second or less.
///
/// All incoming frames go through one reader (`readIncoming`), whichever call is waiting: deliveries
/// that arrive while `publish` waits for confirms are kept for `nextDelivery`, and confirms or
/// returns that arrive while consuming are taken care of. (This is what rabbitmq-c's
/// `amqp_consume_message` reports as `AMQP_STATUS_UNEXPECTED_STATE`; reading frames directly with
/// `amqp_simple_wait_frame_noblock` handles every kind the same way.)
///
/// A channel closed by the broker (404 on a missing exchange, 406 on a bad ack) is answered with
/// close-ok and reopened at once, with confirms, prefetch and consumers restored; the operation
/// that saw it throws `AMQPError.Code.channelClosed` and the connection stays usable. Delivery tags
/// handed to the caller keep growing across a reopen; acks of tags from the closed channel are
/// dropped (the broker has already requeued those messages).
public final class AMQPConnection {
    public let url: AMQPURL
    public let connectionName: String
    /// The working channel.
    public let channel: UInt16 = 1

    private var state: amqp_connection_state_t?
    private let pool = CPool()

    private var confirmsEnabled = false
    private var prefetch: UInt16?
    private var consumers: [(queue: String, tag: String)] = []
    private var pending: [Delivery] = []
    private var pendingHead = 0
    /// The broker's delivery tag of the next publish on the channel (confirm mode counts from 1).
    private var nextPublishTag: UInt64 = 1
    /// Added to the broker's delivery tags so that tags stay unique across channel reopens.
    private var deliveryTagOffset: UInt64 = 0
    private var highestDeliveryTag: UInt64 = 0
    /// Counts channel reopens after a broker-initiated close.
    public private(set) var channelReopens = 0

    /// Opens the connection and channel 1. The URL's heartbeat (default 15 s) is negotiated.
    public init(url: String, connectionName: String = "hotline") throws {
        self.url = try AMQPURL(url)
        self.connectionName = connectionName
        state = try Self.open(self.url, name: connectionName)
    }

    deinit {
        if let state { amqp_destroy_connection(state) }
    }

    /// Whether the connection can still be used (false after close or a connection-level error).
    public var isOpen: Bool { state != nil }

    /// The heartbeat interval agreed with the broker, in seconds (0 = none).
    public var heartbeat: Int { state.map { Int(amqp_get_heartbeat($0)) } ?? 0 }

    /// Closes channel and connection cleanly (best effort) and frees the C connection.
    public func close() {
        guard let state else { return }
        _ = amqp_channel_close(state, channel, AMQP_REPLY_SUCCESS)
        _ = amqp_connection_close(state, AMQP_REPLY_SUCCESS)
        amqp_destroy_connection(state)
        self.state = nil
    }

    // MARK: - Opening

    private static func open(_ url: AMQPURL, name: String) throws -> amqp_connection_state_t {
        guard let state = amqp_new_connection() else { throw AMQPError(.protocolError(status: -1), operation: "connect") }
        var ok = false
        defer { if !ok { amqp_destroy_connection(state) } }
        guard let socket = amqp_tcp_socket_new(state) else { throw AMQPError(.protocolError(status: -1), operation: "connect") }
        var connectTimeout = timeval(tv_sec: url.connectTimeout, tv_usec: 0)
        let status = amqp_socket_open_noblock(socket, url.host, Int32(url.port), &connectTimeout)
        if status != AMQP_STATUS_OK.rawValue { throw AMQPError(AMQPError.code(forStatus: status), operation: "connect") }
        var handshakeTimeout = timeval(tv_sec: url.connectTimeout, tv_usec: 0)
        _ = amqp_set_handshake_timeout(state, &handshakeTimeout)
        // A bounded wait for RPC replies: the heartbeat catches a silent broker, this catches a broker
        // that answers heartbeats but never the method.
        var rpcTimeout = timeval(tv_sec: 30, tv_usec: 0)
        _ = amqp_set_rpc_timeout(state, &rpcTimeout)
        let login = hotline_amqp_login_named(state, url.vhost, 0, 131_072, Int32(url.heartbeat), name, url.user, url.password)
        try checkLogin(login)
        amqp_channel_open(state, 1)
        try checkLogin(amqp_get_rpc_reply(state), operation: "channel.open")
        ok = true
        return state
    }

    private static func checkLogin(_ reply: amqp_rpc_reply_t, operation: String = "login") throws {
        switch reply.reply_type {
        case AMQP_RESPONSE_NORMAL: return
        case AMQP_RESPONSE_LIBRARY_EXCEPTION:
            throw AMQPError(AMQPError.code(forStatus: reply.library_error), operation: operation)
        case AMQP_RESPONSE_SERVER_EXCEPTION:
            if reply.reply.id == HOTLINE_AMQP_CONNECTION_CLOSE, let decoded = reply.reply.decoded {
                let close = decoded.assumingMemoryBound(to: amqp_connection_close_t.self).pointee
                throw AMQPError(.connectionClosed(replyCode: Int(close.reply_code), replyText: close.reply_text.string),
                                operation: operation)
            }
            throw AMQPError(.protocolError(status: -1), operation: operation)
        default:
            throw AMQPError(.protocolError(status: -1), operation: operation)
        }
    }

    // MARK: - Errors

    private func live(_ operation: String) throws -> amqp_connection_state_t {
        guard let state else { throw AMQPError(.notConnected, operation: operation) }
        return state
    }

    /// The connection is unusable: free it now, so that nothing touches it again.
    private func broken(_ code: AMQPError.Code, _ operation: String) -> AMQPError {
        if let state { amqp_destroy_connection(state) }
        state = nil
        pending.removeAll()
        pendingHead = 0
        return AMQPError(code, operation: operation)
    }

    /// A failed library call: every status but a wait timeout leaves the connection unusable
    /// (rabbitmq-c's own advice after an RPC timeout too).
    private func failure(status: Int32, _ operation: String) -> AMQPError {
        let code = AMQPError.code(forStatus: status)
        if case .timeout = code { return broken(.socket(status: status), operation) }
        return broken(code, operation)
    }

    /// Checks the reply of a synchronous method (declare, bind, qos, consume, get ...).
    private func check(_ reply: amqp_rpc_reply_t, _ operation: String) throws {
        switch reply.reply_type {
        case AMQP_RESPONSE_NORMAL:
            return
        case AMQP_RESPONSE_LIBRARY_EXCEPTION:
            throw failure(status: reply.library_error, operation)
        case AMQP_RESPONSE_SERVER_EXCEPTION:
            if reply.reply.id == HOTLINE_AMQP_CHANNEL_CLOSE, let decoded = reply.reply.decoded {
                let close = decoded.assumingMemoryBound(to: amqp_channel_close_t.self).pointee
                throw try channelClosedByBroker(code: Int(close.reply_code), text: close.reply_text.string, operation)
            }
            if reply.reply.id == HOTLINE_AMQP_CONNECTION_CLOSE, let decoded = reply.reply.decoded {
                let close = decoded.assumingMemoryBound(to: amqp_connection_close_t.self).pointee
                if let state { _ = hotline_amqp_send_connection_close_ok(state) }
                throw broken(.connectionClosed(replyCode: Int(close.reply_code), replyText: close.reply_text.string), operation)
            }
            throw broken(.protocolError(status: -1), operation)
        default:
            throw broken(.protocolError(status: -1), operation)
        }
    }

    /// Runs a generated RPC wrapper (which returns NULL on failure) and checks its reply.
    private func rpc<T>(_ operation: String, _ call: (amqp_connection_state_t) -> UnsafeMutablePointer<T>?) throws -> T? {
        let state = try live(operation)
        amqp_maybe_release_buffers(state)
        pool.recycle()
        let result = call(state)
        try check(amqp_get_rpc_reply(state), operation)
        return result?.pointee
    }

    /// Answers a broker-initiated channel.close, reopens the channel with its settings, and returns
    /// the error to report (or throws a connection-level error if reopening fails).
    private func channelClosedByBroker(code: Int, text: String, _ operation: String) throws -> AMQPError {
        let state = try live(operation)
        let status = hotline_amqp_send_channel_close_ok(state, channel)
        if status != AMQP_STATUS_OK.rawValue { throw failure(status: status, operation) }
        try reopenChannel()
        return AMQPError(.channelClosed(replyCode: code, replyText: text), operation: operation)
    }

    private func reopenChannel() throws {
        channelReopens += 1
        // Deliveries not yet handed out came from the closed channel: the broker requeues them.
        pending.removeAll()
        pendingHead = 0
        deliveryTagOffset = highestDeliveryTag
        nextPublishTag = 1
        let state = try live("channel.open")
        amqp_channel_open(state, channel)
        try check(amqp_get_rpc_reply(state), "channel.open")
        if confirmsEnabled {
            confirmsEnabled = false
            try enableConfirms()
        }
        if let prefetch { try setPrefetch(prefetch) }
        let previous = consumers
        consumers = []
        for consumer in previous { _ = try consume(queue: consumer.queue, consumerTag: consumer.tag) }
    }

    // MARK: - Topology

    /// Declares an exchange (idempotent with the same type and durability).
    /// Declares an exchange (idempotent with the same type and arguments), e.g. with
    /// `["alternate-exchange": "hotline.unrouted"]`.
    public func declareExchange(_ name: String, type: ExchangeType, durable: Bool = true,
                                arguments: [String: AMQPValue] = [:]) throws {
        _ = try rpc("exchange.declare") { state in
            amqp_exchange_declare(state, channel, pool.bytes(name), pool.bytes(type.rawValue), 0, durable ? 1 : 0, 0, 0,
                                  pool.table(arguments))
        }
    }

    /// Declares a queue (idempotent with the same options).
    public func declareQueue(_ name: String, _ options: QueueOptions = QueueOptions()) throws {
        _ = try rpc("queue.declare") { state in
            amqp_queue_declare(state, channel, pool.bytes(name), 0, options.durable ? 1 : 0, 0, 0,
                               pool.table(options.arguments))
        }
    }

    public func bindQueue(_ queue: String, exchange: String, routingKey: String) throws {
        _ = try rpc("queue.bind") { state in
            amqp_queue_bind(state, channel, pool.bytes(queue), pool.bytes(exchange), pool.bytes(routingKey),
                            amqp_table_t(num_entries: 0, entries: nil))
        }
    }

    /// Deletes a queue; returns how many messages it held.
    @discardableResult
    public func deleteQueue(_ name: String) throws -> Int {
        let ok = try rpc("queue.delete") { state in amqp_queue_delete(state, channel, pool.bytes(name), 0, 0) }
        return Int(ok?.message_count ?? 0)
    }

    public func deleteExchange(_ name: String) throws {
        _ = try rpc("exchange.delete") { state in amqp_exchange_delete(state, channel, pool.bytes(name), 0) }
    }

    /// Removes every ready message; returns how many.
    @discardableResult
    public func purgeQueue(_ name: String) throws -> Int {
        let ok = try rpc("queue.purge") { state in amqp_queue_purge(state, channel, pool.bytes(name)) }
        return Int(ok?.message_count ?? 0)
    }

    /// Ready messages and consumers of an existing queue (passive declare; 404 if it does not exist).
    public func queueDepth(_ name: String) throws -> (messages: Int, consumers: Int) {
        let ok = try rpc("queue.declare") { state in
            amqp_queue_declare(state, channel, pool.bytes(name), 1, 0, 0, 0, amqp_table_t(num_entries: 0, entries: nil))
        }
        return (Int(ok?.message_count ?? 0), Int(ok?.consumer_count ?? 0))
    }

    // MARK: - Publishing

    private func enableConfirms() throws {
        guard !confirmsEnabled else { return }
        _ = try rpc("confirm.select") { state in amqp_confirm_select(state, channel) }
        confirmsEnabled = true
        nextPublishTag = 1
    }

    /// Publishes `batch` and waits up to `timeout` for the broker's confirms. Outcomes are in batch
    /// order. Throws `channelClosed` when the broker closed the channel (e.g. 404, missing exchange;
    /// the channel is reopened and usable), and a connection-level error when the connection is gone
    /// (then nothing of the batch is known to be confirmed).
    public func publish(_ batch: [OutgoingMessage], timeout: Duration) throws -> [PublishOutcome] {
        if batch.isEmpty { return [] }
        try enableConfirms()
        let state = try live("publish")
        amqp_maybe_release_buffers(state)
        pool.recycle()
        let firstTag = nextPublishTag
        for message in batch {
            var properties = message.properties.cProperties(in: pool)
            let exchange = pool.bytes(message.exchange), routingKey = pool.bytes(message.routingKey)
            let status = message.body.withUnsafeBytes { body in
                amqp_basic_publish(state, channel, exchange, routingKey, message.mandatory ? 1 : 0, 0, &properties,
                                   amqp_bytes_t(len: body.count, bytes: UnsafeMutableRawPointer(mutating: body.baseAddress)))
            }
            if status != AMQP_STATUS_OK.rawValue { throw failure(status: status, "publish") }
            nextPublishTag += 1
        }

        var outcomes = [PublishOutcome?](repeating: nil, count: batch.count)
        var returns = [PublishOutcome?](repeating: nil, count: batch.count)
        var unresolved = batch.count
        func resolve(_ tag: UInt64, multiple: Bool, _ outcome: PublishOutcome) {
            guard tag >= firstTag else { return } // a late answer to an earlier batch
            let last = min(Int(tag - firstTag), batch.count - 1)
            let first = multiple ? 0 : last
            guard Int(tag - firstTag) < batch.count, first <= last else { return }
            for index in first...last where outcomes[index] == nil {
                outcomes[index] = returns[index] ?? outcome
                unresolved -= 1
            }
        }

        let deadline = ContinuousClock.now + timeout
        while unresolved > 0 {
            let remaining = deadline - .now
            if remaining <= .zero { break }
            guard let incoming = try readIncoming(timeout: min(remaining, .seconds(1)), "publish") else { continue }
            switch incoming {
            case .ack(let tag, let multiple): resolve(tag, multiple: multiple, .confirmed)
            case .nack(let tag, let multiple): resolve(tag, multiple: multiple, .nacked)
            case .returned(let code, let text, let exchange, let routingKey, let messageId):
                // basic.return carries no delivery tag; returns come in publish order, before the ack.
                if let index = batch.indices.first(where: {
                    outcomes[$0] == nil && returns[$0] == nil && batch[$0].mandatory
                        && batch[$0].exchange == exchange && batch[$0].routingKey == routingKey
                        && batch[$0].properties.messageId == messageId
                }) {
                    returns[index] = .returned(replyCode: code, replyText: text)
                }
            case .delivery(let delivery): pending.append(delivery)
            case .channelClosed(let error): throw error
            }
        }
        return outcomes.map { $0 ?? .unconfirmed }
    }

    // MARK: - Consuming

    /// basic.qos on the working channel (kept across channel reopens).
    public func setPrefetch(_ count: UInt16) throws {
        _ = try rpc("basic.qos") { state in amqp_basic_qos(state, channel, 0, count, 0) }
        prefetch = count
    }

    /// Starts a manual-ack consumer; returns its tag (the broker's when `consumerTag` is empty).
    @discardableResult
    public func consume(queue: String, consumerTag: String = "") throws -> String {
        let ok = try rpc("basic.consume") { state in
            amqp_basic_consume(state, channel, pool.bytes(queue), pool.bytes(consumerTag), 0, 0, 0,
                               amqp_table_t(num_entries: 0, entries: nil))
        }
        let tag = ok.map { $0.consumer_tag.string } ?? consumerTag
        consumers.append((queue, tag))
        return tag
    }

    public func cancel(consumerTag: String) throws {
        _ = try rpc("basic.cancel") { state in amqp_basic_cancel(state, channel, pool.bytes(consumerTag)) }
        consumers.removeAll { $0.tag == consumerTag }
    }

    /// The next delivery, or nil when none came within `timeout` (keep it at a second or less so the
    /// owning thread services heartbeats and notices shutdown).
    public func nextDelivery(timeout: Duration) throws -> Delivery? {
        if let delivery = popPending() { return delivery }
        let deadline = ContinuousClock.now + timeout
        repeat {
            let remaining = max(deadline - .now, .zero)
            switch try readIncoming(timeout: min(remaining, .seconds(1)), "consume") {
            case .delivery(let delivery): return delivery
            case .channelClosed(let error): throw error
            case .ack, .nack, .returned, nil: break // late confirms of a timed-out publish
            }
        } while ContinuousClock.now < deadline
        return nil
    }

    /// Fetches one message with basic.get (manual ack), nil when the queue is empty.
    public func basicGet(queue: String) throws -> Delivery? {
        let state = try live("basic.get")
        amqp_maybe_release_buffers(state)
        pool.recycle()
        let reply = amqp_basic_get(state, channel, pool.bytes(queue), 0)
        try check(reply, "basic.get")
        guard reply.reply.id == HOTLINE_AMQP_BASIC_GET_OK, let decoded = reply.reply.decoded else { return nil }
        let ok = decoded.assumingMemoryBound(to: amqp_basic_get_ok_t.self).pointee
        return try readContent(tag: ok.delivery_tag, redelivered: ok.redelivered != 0,
                               exchange: ok.exchange.string, routingKey: ok.routing_key.string, "basic.get")
    }

    public func ack(_ deliveryTag: UInt64, multiple: Bool = false) throws {
        guard let tag = brokerTag(deliveryTag) else { return }
        let status = amqp_basic_ack(try live("basic.ack"), channel, tag, multiple ? 1 : 0)
        if status != AMQP_STATUS_OK.rawValue { throw failure(status: status, "basic.ack") }
    }

    public func nack(_ deliveryTag: UInt64, multiple: Bool = false, requeue: Bool) throws {
        guard let tag = brokerTag(deliveryTag) else { return }
        let status = amqp_basic_nack(try live("basic.nack"), channel, tag, multiple ? 1 : 0, requeue ? 1 : 0)
        if status != AMQP_STATUS_OK.rawValue { throw failure(status: status, "basic.nack") }
    }

    public func reject(_ deliveryTag: UInt64, requeue: Bool) throws {
        guard let tag = brokerTag(deliveryTag) else { return }
        let status = amqp_basic_reject(try live("basic.reject"), channel, tag, requeue ? 1 : 0)
        if status != AMQP_STATUS_OK.rawValue { throw failure(status: status, "basic.reject") }
    }

    /// The broker's tag on the current channel, nil for a tag of a channel closed since.
    private func brokerTag(_ tag: UInt64) -> UInt64? {
        tag > deliveryTagOffset ? tag - deliveryTagOffset : nil
    }

    private func popPending() -> Delivery? {
        guard pendingHead < pending.count else { return nil }
        let delivery = pending[pendingHead]
        pendingHead += 1
        if pendingHead == pending.count {
            pending.removeAll(keepingCapacity: true)
            pendingHead = 0
        }
        return delivery
    }

    // MARK: - The frame reader

    private enum Incoming {
        case delivery(Delivery)
        case ack(UInt64, multiple: Bool)
        case nack(UInt64, multiple: Bool)
        case returned(replyCode: Int, replyText: String, exchange: String, routingKey: String, messageId: String?)
        case channelClosed(AMQPError)
    }

    /// Waits up to `timeout` for one frame and interprets it. nil: timeout, or a frame of no interest.
    private func readIncoming(timeout: Duration, _ operation: String) throws -> Incoming? {
        let state = try live(operation)
        amqp_maybe_release_buffers(state)
        var frame = amqp_frame_t()
        let micros = max(Int(timeout.components.seconds * 1_000_000 + timeout.components.attoseconds / 1_000_000_000_000), 0)
        var tv = timeval(tv_sec: micros / 1_000_000, tv_usec: Int(micros % 1_000_000))
        let status = amqp_simple_wait_frame_noblock(state, &frame, &tv)
        if status == AMQP_STATUS_TIMEOUT.rawValue { return nil }
        if status != AMQP_STATUS_OK.rawValue { throw failure(status: status, operation) }
        guard frame.frame_type == UInt8(AMQP_FRAME_METHOD), let decoded = frame.payload.method.decoded else { return nil }
        let method = frame.payload.method.id

        if frame.channel == 0 {
            if method == HOTLINE_AMQP_CONNECTION_CLOSE {
                let close = decoded.assumingMemoryBound(to: amqp_connection_close_t.self).pointee
                _ = hotline_amqp_send_connection_close_ok(state)
                throw broken(.connectionClosed(replyCode: Int(close.reply_code), replyText: close.reply_text.string), operation)
            }
            return nil // connection.blocked / unblocked
        }
        guard frame.channel == channel else { return nil }

        switch method {
        case HOTLINE_AMQP_BASIC_DELIVER:
            let deliver = decoded.assumingMemoryBound(to: amqp_basic_deliver_t.self).pointee
            return .delivery(try readContent(tag: deliver.delivery_tag, redelivered: deliver.redelivered != 0,
                                             exchange: deliver.exchange.string, routingKey: deliver.routing_key.string,
                                             operation))
        case HOTLINE_AMQP_BASIC_ACK:
            let ack = decoded.assumingMemoryBound(to: amqp_basic_ack_t.self).pointee
            return .ack(ack.delivery_tag, multiple: ack.multiple != 0)
        case HOTLINE_AMQP_BASIC_NACK:
            let nack = decoded.assumingMemoryBound(to: amqp_basic_nack_t.self).pointee
            return .nack(nack.delivery_tag, multiple: nack.multiple != 0)
        case HOTLINE_AMQP_BASIC_RETURN:
            let ret = decoded.assumingMemoryBound(to: amqp_basic_return_t.self).pointee
            let code = Int(ret.reply_code), text = ret.reply_text.string
            let exchange = ret.exchange.string, routingKey = ret.routing_key.string
            // The returned message's header and body frames follow: read them off the wire.
            let message = try readMessage(operation)
            return .returned(replyCode: code, replyText: text, exchange: exchange, routingKey: routingKey,
                             messageId: message.properties.messageId)
        case HOTLINE_AMQP_CHANNEL_CLOSE:
            let close = decoded.assumingMemoryBound(to: amqp_channel_close_t.self).pointee
            return .channelClosed(try channelClosedByBroker(code: Int(close.reply_code), text: close.reply_text.string,
                                                            operation))
        case HOTLINE_AMQP_BASIC_CANCEL:
            // The broker cancelled a consumer (its queue was deleted).
            let cancel = decoded.assumingMemoryBound(to: amqp_basic_cancel_t.self).pointee
            let tag = cancel.consumer_tag.string
            consumers.removeAll { $0.tag == tag }
            return nil
        default:
            return nil
        }
    }

    private func readContent(tag: UInt64, redelivered: Bool, exchange: String, routingKey: String,
                             _ operation: String) throws -> Delivery {
        let message = try readMessage(operation)
        let visibleTag = tag + deliveryTagOffset
        highestDeliveryTag = max(highestDeliveryTag, visibleTag)
        return Delivery(deliveryTag: visibleTag, redelivered: redelivered, exchange: exchange, routingKey: routingKey,
                        body: message.body, properties: message.properties)
    }

    /// Reads the header and body frames that follow a deliver, get-ok or return.
    private func readMessage(_ operation: String) throws -> (body: [UInt8], properties: MessageProperties) {
        let state = try live(operation)
        var message = amqp_message_t()
        let reply = amqp_read_message(state, channel, &message, 0)
        if reply.reply_type != AMQP_RESPONSE_NORMAL {
            try check(reply, operation)
            throw broken(.protocolError(status: -1), operation)
        }
        defer { amqp_destroy_message(&message) }
        return (message.body.array, MessageProperties(message.properties))
    }
}
