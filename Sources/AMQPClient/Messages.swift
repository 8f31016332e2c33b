import CRabbitMQ
import Foundation

public enum ExchangeType: String, Sendable {
    case topic, direct, fanout, headers
}

/// Options of `declareQueue`. Declaring the same queue twice with the same options is fine; with
/// different arguments the broker closes the channel (406 PRECONDITION_FAILED).
public struct QueueOptions: Sendable, Equatable {
    public var durable: Bool
    /// `x-queue-type: quorum` (replicated, durable, at-least-once dead-lettering possible).
    public var quorum: Bool
    /// `x-delivery-limit` (quorum only): deliveries after which a message is dead-lettered or dropped.
    public var deliveryLimit: Int?
    /// `x-dead-letter-exchange`.
    public var deadLetterExchange: String?
    /// `x-dead-letter-routing-key`.
    public var deadLetterRoutingKey: String?
    /// `x-dead-letter-strategy: at-least-once` together with `x-overflow: reject-publish` (quorum only).
    public var atLeastOnceDeadLettering: Bool
    /// `x-message-ttl` in milliseconds (retry tiers: one queue per delay).
    public var messageTTLMilliseconds: Int?
    /// Any other `x-` arguments; these win over the ones above.
    public var extraArguments: [String: AMQPValue]

    public init(durable: Bool = true, quorum: Bool = false, deliveryLimit: Int? = nil,
                deadLetterExchange: String? = nil, deadLetterRoutingKey: String? = nil,
                atLeastOnceDeadLettering: Bool = false, messageTTLMilliseconds: Int? = nil,
                extraArguments: [String: AMQPValue] = [:]) {
        self.durable = durable
        self.quorum = quorum
        self.deliveryLimit = deliveryLimit
        self.deadLetterExchange = deadLetterExchange
        self.deadLetterRoutingKey = deadLetterRoutingKey
        self.atLeastOnceDeadLettering = atLeastOnceDeadLettering
        self.messageTTLMilliseconds = messageTTLMilliseconds
        self.extraArguments = extraArguments
    }

    /// A durable quorum queue.
    public static var quorum: QueueOptions { QueueOptions(quorum: true) }

    /// The `x-` arguments sent with `queue.declare`.
    public var arguments: [String: AMQPValue] {
        var arguments: [String: AMQPValue] = [:]
        if quorum { arguments["x-queue-type"] = "quorum" }
        if let deliveryLimit { arguments["x-delivery-limit"] = .int(Int64(deliveryLimit)) }
        if let deadLetterExchange { arguments["x-dead-letter-exchange"] = .string(deadLetterExchange) }
        if let deadLetterRoutingKey { arguments["x-dead-letter-routing-key"] = .string(deadLetterRoutingKey) }
        if atLeastOnceDeadLettering {
            arguments["x-dead-letter-strategy"] = "at-least-once"
            arguments["x-overflow"] = "reject-publish"
        }
        if let messageTTLMilliseconds { arguments["x-message-ttl"] = .int(Int64(messageTTLMilliseconds)) }
        arguments.merge(extraArguments) { _, extra in extra }
        return arguments
    }
}

public struct MessageProperties: Sendable, Equatable {
    public var messageId: String?
    public var type: String?
    public var contentType: String?
    public var correlationId: String?
    /// Second precision on the wire.
    public var timestamp: Date?
    public var headers: [String: AMQPValue]
    /// delivery-mode 2 (written to disk by the broker).
    public var persistent: Bool

    public init(messageId: String? = nil, type: String? = nil, contentType: String? = nil,
                correlationId: String? = nil, timestamp: Date? = nil, headers: [String: AMQPValue] = [:],
                persistent: Bool = true) {
        self.messageId = messageId
        self.type = type
        self.contentType = contentType
        self.correlationId = correlationId
        self.timestamp = timestamp
        self.headers = headers
        self.persistent = persistent
    }
}

public struct OutgoingMessage: Sendable {
    public var exchange: String
    public var routingKey: String
    public var body: [UInt8]
    public var properties: MessageProperties
    /// Ask the broker to return the message (`basic.return`) when no queue is bound for it.
    public var mandatory: Bool

    public init(exchange: String, routingKey: String, body: [UInt8],
                properties: MessageProperties = MessageProperties(), mandatory: Bool = false) {
        self.exchange = exchange
        self.routingKey = routingKey
        self.body = body
        self.properties = properties
        self.mandatory = mandatory
    }
}

/// What became of one published message.
public enum PublishOutcome: Sendable, Equatable {
    /// The broker took responsibility (`basic.ack`, no return before it).
    case confirmed
    /// The broker refused it (`basic.nack`, e.g. a quorum queue with `reject-publish` is full).
    case nacked
    /// Mandatory and unroutable: `basic.return` (the ack that follows does not make it a success).
    case returned(replyCode: Int, replyText: String)
    /// No answer in time or the connection dropped: republish it.
    case unconfirmed

    public var isConfirmed: Bool { self == .confirmed }
}

public struct Delivery: Sendable {
    public var deliveryTag: UInt64
    public var redelivered: Bool
    public var exchange: String
    public var routingKey: String
    public var body: [UInt8]
    public var properties: MessageProperties

    public init(deliveryTag: UInt64, redelivered: Bool, exchange: String, routingKey: String,
                body: [UInt8], properties: MessageProperties) {
        self.deliveryTag = deliveryTag
        self.redelivered = redelivered
        self.exchange = exchange
        self.routingKey = routingKey
        self.body = body
        self.properties = properties
    }

    /// `x-delivery-count` (quorum queues): how many times it was delivered before, nil on the first.
    public var deliveryCount: Int? { properties.headers["x-delivery-count"]?.intValue.map { Int($0) } }

    /// `x-death`: one table per (queue, reason) the message was dead-lettered from, newest first.
    public var xDeath: [AMQPValue]? { properties.headers["x-death"]?.arrayValue }
}

extension MessageProperties {
    init(_ p: amqp_basic_properties_t) {
        let flags = p._flags
        func has(_ flag: Int32) -> Bool { flags & amqp_flags_t(flag) != 0 }
        self.init(
            messageId: has(AMQP_BASIC_MESSAGE_ID_FLAG) ? p.message_id.string : nil,
            type: has(AMQP_BASIC_TYPE_FLAG) ? p.type.string : nil,
            contentType: has(AMQP_BASIC_CONTENT_TYPE_FLAG) ? p.content_type.string : nil,
            correlationId: has(AMQP_BASIC_CORRELATION_ID_FLAG) ? p.correlation_id.string : nil,
            timestamp: has(AMQP_BASIC_TIMESTAMP_FLAG) ? Date(timeIntervalSince1970: TimeInterval(p.timestamp)) : nil,
            headers: has(AMQP_BASIC_HEADERS_FLAG) ? AMQPValue.dictionary(p.headers) : [:],
            persistent: has(AMQP_BASIC_DELIVERY_MODE_FLAG) && p.delivery_mode == 2)
    }

    /// The C structure, its strings and tables allocated in `pool`.
    func cProperties(in pool: CPool) -> amqp_basic_properties_t {
        var p = amqp_basic_properties_t()
        var flags: Int32 = AMQP_BASIC_DELIVERY_MODE_FLAG
        p.delivery_mode = persistent ? 2 : 1
        if let messageId { flags |= AMQP_BASIC_MESSAGE_ID_FLAG; p.message_id = pool.bytes(messageId) }
        if let type { flags |= AMQP_BASIC_TYPE_FLAG; p.type = pool.bytes(type) }
        if let contentType { flags |= AMQP_BASIC_CONTENT_TYPE_FLAG; p.content_type = pool.bytes(contentType) }
        if let correlationId { flags |= AMQP_BASIC_CORRELATION_ID_FLAG; p.correlation_id = pool.bytes(correlationId) }
        if let timestamp {
            flags |= AMQP_BASIC_TIMESTAMP_FLAG
            p.timestamp = UInt64(max(0, timestamp.timeIntervalSince1970.rounded(.down)))
        }
        if !headers.isEmpty { flags |= AMQP_BASIC_HEADERS_FLAG; p.headers = pool.table(headers) }
        p._flags = amqp_flags_t(flags)
        return p
    }
}
