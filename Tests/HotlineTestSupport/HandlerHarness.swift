import AMQPClient
import Foundation
import HotlineContracts
import HotlineStore
import Logging
import PostgresClient
// `IncomingMessage` is built by the lane only (its initialiser is internal); tests build it as the
// lane does. Debug builds (every test build) compile modules for testing.
import HotlineRuntime

/// Runs a `MessageHandler` in-process on a test database, as a lane does (the message's writes in
/// one transaction with the handler's outbox rows), without a broker or a worker process.
///
///     try PostgresTestDatabase.with { url in
///         let harness = try HandlerHarness(url: url)          // migrated database
///         let context = try harness.handle(HandlerHarness.message(body: body, routingKey: "submission.phone"),
///                                          with: IntakeHandler(...), at: now)
///         // read the database through harness.connection
///     }
public final class HandlerHarness {
    public let connection: PostgresConnection
    public let consumer: String
    public let logger: Logger

    /// Connects to `url` and applies the migrations.
    public init(url: String, consumer: String = "test", logger: Logger = Logger(label: "hotline.test")) throws {
        connection = try PostgresConnection(url: url, applicationName: "hotline-tests")
        try Migrator.bundled().migrate(connection)
        self.consumer = consumer
        self.logger = logger
    }

    deinit { connection.close() }

    /// A handler context on this harness's connection at `now`, outside any transaction the
    /// harness opens (for a test that opens its own).
    public func context(now: Date, on connection: PostgresConnection? = nil) -> HandlerContext {
        HandlerContext(connection: connection ?? self.connection, consumer: consumer, now: now, logger: logger)
    }

    /// A delivery as the lane hands it to a handler: the envelope's header read from `body`, the
    /// message id the AMQP property (or the envelope's id when nil).
    public static func message(body: [UInt8], routingKey: String, messageId: String? = nil, attempt: Int = 0) throws -> IncomingMessage {
        let header = try Contracts.header(of: body)
        var properties = MessageProperties()
        properties.messageId = messageId
        let exchange = routingKey.hasPrefix("submission.") ? Topology.intakeExchange : Topology.eventsExchange
        let delivery = Delivery(deliveryTag: 1, redelivered: false, exchange: exchange, routingKey: routingKey,
                                body: body, properties: properties)
        return IncomingMessage(delivery: delivery, messageId: messageId ?? header.id.uuidString, header: header, attempt: attempt)
    }

    /// `envelope` encoded, as a delivery on `routingKey`.
    public static func message<Payload: MessageContract>(_ envelope: Envelope<Payload>, routingKey: String,
                                                         messageId: String? = nil) throws -> IncomingMessage {
        try message(body: Contracts.encode(envelope), routingKey: routingKey, messageId: messageId)
    }

    /// Applies `message` with `handler` in one transaction at `now`, as the lane does; returns the
    /// context (its `parkReason` says whether the handler parked the message).
    @discardableResult
    public func handle(_ message: IncomingMessage, with handler: any MessageHandler, at now: Date) throws -> HandlerContext {
        try connection.withTransaction { tx in
            let context = self.context(now: now, on: tx)
            try handler.handle(message, context: context)
            return context
        }
    }
}
