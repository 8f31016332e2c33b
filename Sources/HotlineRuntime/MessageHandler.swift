import AMQPClient
import Foundation
import HotlineContracts
import HotlineStore
import Logging
import PostgresClient

/// A delivery as a handler sees it.
public struct IncomingMessage: Sendable {
    public let delivery: Delivery
    /// The AMQP `message_id`, or the envelope's `id` when the property is missing.
    public let messageId: String
    public let header: EnvelopeHeader
    /// How many times a handler already failed on this message (0 on its first delivery).
    public let attempt: Int

    public init(delivery: Delivery, messageId: String, header: EnvelopeHeader, attempt: Int) {
        self.delivery = delivery
        self.messageId = messageId
        self.header = header
        self.attempt = attempt
    }

    public var body: [UInt8] { delivery.body }
    public var type: String { header.type }

    /// Decodes the envelope; a body that does not match the contract is invalid (parked at once).
    public func decode<Payload: MessageContract>(_: Payload.Type) throws -> Envelope<Payload> {
        do {
            return try Contracts.decode(Payload.self, from: body)
        } catch {
            throw InvalidMessage(reason: error.description)
        }
    }
}

/// Thrown by a handler when a message can never succeed (it does not validate): it is parked at
/// once with `reason`, never retried. `reason` must not contain personal data.
public struct InvalidMessage: Error, CustomStringConvertible {
    public let reason: String
    public init(reason: String) { self.reason = reason }
    public var description: String { reason }
}

/// What a handler may touch while it applies one message: the batch's transaction (through
/// `connection`), the outbox, the time and a logger. It lives on the lane's thread only.
public final class HandlerContext {
    public let connection: PostgresConnection
    public let consumer: String
    public let now: Date
    public let logger: Logger
    /// Set by `park(reason:)`.
    public private(set) var parkReason: String?

    public init(connection: PostgresConnection, consumer: String, now: Date, logger: Logger) {
        self.connection = connection
        self.consumer = consumer
        self.now = now
        self.logger = logger
    }

    /// Publishes `message` once the batch commits (an outbox row in the same transaction).
    public func emit(_ message: OutboxMessage) throws {
        try Outbox.append([message], on: connection)
    }

    public func emit<Payload: MessageContract>(_ envelope: Envelope<Payload>) throws {
        try emit(.event(envelope))
    }

    /// Parks the message after the batch commits, **keeping** what the handler wrote and emitted
    /// (unlike throwing `InvalidMessage`, which undoes them): for input that was answered and
    /// stored (a rejected submission) but must still be looked at. `reason` must not contain
    /// personal data.
    public func park(reason: String) {
        parkReason = reason
    }
}

/// A worker's logic for one message. It runs inside the batch transaction on the lane's thread:
/// whatever it writes through `context.connection`, and whatever it emits, commits with the
/// inbox record of the message or not at all.
///
/// - Throw `InvalidMessage` for input that can never succeed: parked at once.
/// - Throw anything else for a failure that may pass: retried after the tiers' delays, then parked.
public protocol MessageHandler: Sendable {
    func handle(_ message: IncomingMessage, context: HandlerContext) throws

    /// A delivery whose body is not even an envelope: the lane parks it whatever this does; a
    /// handler that must answer every input (intake) stores and answers it here, in the batch's
    /// transaction. `messageId` is the AMQP message id, if the publisher set one.
    func handleUnreadable(_ delivery: Delivery, messageId: String?, reason: String, context: HandlerContext) throws
}

extension MessageHandler {
    public func handleUnreadable(_ delivery: Delivery, messageId: String?, reason: String, context: HandlerContext) throws {}
}

/// A handler made of a closure (tests, small workers).
public struct ClosureHandler: MessageHandler {
    let body: @Sendable (IncomingMessage, HandlerContext) throws -> Void
    public init(_ body: @escaping @Sendable (IncomingMessage, HandlerContext) throws -> Void) { self.body = body }
    public func handle(_ message: IncomingMessage, context: HandlerContext) throws { try body(message, context) }
}
