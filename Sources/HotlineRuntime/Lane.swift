import AMQPClient
import Foundation
import HotlineContracts
import HotlineStore
import Logging
import PostgresClient

/// One consumer lane: a thread of its own that owns one AMQP connection and one PostgreSQL
/// connection for its whole life.
///
/// Each turn it takes up to `prefetch` deliveries and, in **one transaction**, records the batch's
/// message ids in the inbox (a duplicate does nothing), applies the handler to each new message,
/// and records parked messages; it commits once, publishes retry and parking copies with confirms,
/// then acknowledges the batch with one multiple-ack. A crash anywhere before the ack redelivers
/// the batch, and the inbox absorbs it. When a handler throws, the transaction is rolled back and
/// the batch applied again with a savepoint per message, so one failing message does not undo its
/// batch-mates (the common case pays for no savepoints).
///
/// The database or the broker being down is not a message failure: the lane holds its batch,
/// reconnects, and tries again without burning retries.
public final class Lane: ThreadLoop, @unchecked Sendable {
    // @unchecked Sendable: the connections and the stop flag's reference are set and touched only
    // by the lane's own thread (`run(until:)`); the rest is immutable after init.

    public struct Configuration: Sendable {
        public var worker: String
        public var index: Int
        public var topology: Topology.ConsumerTopology
        public var databaseURL: String
        public var amqpURL: String
        public var prefetch: Int
        /// How long to wait for more deliveries after the first of a batch.
        public var linger: Duration = .milliseconds(2)
        public var reconnectPolicy: ReconnectPolicy = ReconnectPolicy(giveUpAfter: nil)
        /// Fault tests only: SIGKILL the process after this many committed batches, before the ack.
        var faultAfterCommit: FaultTrigger? = nil

        public init(worker: String, index: Int, topology: Topology.ConsumerTopology, databaseURL: String,
                    amqpURL: String, prefetch: Int) {
            self.worker = worker
            self.index = index
            self.topology = topology
            self.databaseURL = databaseURL
            self.amqpURL = amqpURL
            self.prefetch = prefetch
        }

        var consumer: String { topology.consumer }
        var name: String { "\(worker)-lane-\(index)" }
    }

    /// Headers the runtime writes on retry and parking copies.
    public enum Header {
        public static let attempt = "x-hotline-attempt"
        public static let reason = "x-hotline-reason"
        public static let consumer = "x-hotline-consumer"
        public static let error = "x-hotline-error"
    }

    public let configuration: Configuration
    private let handler: any MessageHandler
    private let clock: any HotlineClock
    private let metrics: RuntimeMetrics
    public let logger: Logger
    public var name: String { configuration.name }

    /// Connected to both servers and consuming (feeds `/readyz`); lane thread only.
    private var ready = false {
        didSet { if ready != oldValue { metrics.laneReady(ready) } }
    }

    private var amqp: RecoveringAMQPConnection!
    private var database: PostgresConnection!
    private var stop = StopFlag()

    public init(configuration: Configuration, handler: any MessageHandler, clock: any HotlineClock = SystemClock(),
                metrics: RuntimeMetrics) {
        self.configuration = configuration
        self.handler = handler
        self.clock = clock
        self.metrics = metrics
        var logger = Logger(label: configuration.worker)
        logger[metadataKey: "hotline.lane"] = "\(configuration.index)"
        logger[metadataKey: "hotline.consumer"] = "\(configuration.consumer)"
        self.logger = logger
    }

    // MARK: - The loop (lane thread)

    public func run(until stop: StopFlag) throws {
        self.stop = stop
        logger.info("lane starting")
        database = try connectPostgres(url: configuration.databaseURL, name: configuration.name,
                                       policy: configuration.reconnectPolicy, logger: logger, stop: stop)
        let topology = configuration.topology
        let prefetch = UInt16(clamping: configuration.prefetch)
        amqp = try RecoveringAMQPConnection(
            url: configuration.amqpURL, connectionName: configuration.name, policy: configuration.reconnectPolicy,
            cancellation: stop,
            onEvent: brokerEvents(logger: logger, metrics: metrics) { [unowned self] up in self.ready = up },
            setup: { connection in
                try TopologyDeclarer.declare(topology, on: connection)
                try connection.setPrefetch(prefetch)
                _ = try connection.consume(queue: topology.mainQueue)
            })
        defer {
            amqp.close()
            database.close()
            logger.info("lane stopped")
        }
        ready = true
        defer { ready = false }
        logger.info("lane consuming")
        while !stop.isRaised {
            let batch = try collectBatch()
            if batch.isEmpty { continue }
            try process(batch)
        }
    }

    /// Up to `prefetch` deliveries: waits at most half a second for the first (so stop requests
    /// and heartbeats are serviced), then only `linger` for the rest.
    private func collectBatch() throws -> [Delivery] {
        guard let first = try amqp.nextDelivery(timeout: .milliseconds(500)) else { return [] }
        var batch = [first]
        let reconnects = amqp.reconnects
        while batch.count < configuration.prefetch, let next = try amqp.nextDelivery(timeout: configuration.linger) {
            batch.append(next)
        }
        // A recovery while collecting voids the earlier tags: the broker redelivers those.
        return amqp.reconnects == reconnects ? batch : []
    }

    // MARK: - One batch

    enum Outcome {
        case applied
        case duplicate
        case retry(tier: Int, error: String)
        case park(reason: String)
    }

    struct Item {
        var delivery: Delivery
        var message: IncomingMessage?
        var outcome: Outcome?
    }

    private func process(_ deliveries: [Delivery]) throws {
        metrics.batch(size: deliveries.count)
        var items = deliveries.map(prepare)
        let reconnects = amqp.reconnects
        try commit(&items)
        configuration.faultAfterCommit?.tick()
        // The broker connection broke while we were committing: the broker redelivers the batch,
        // and the inbox turns what we just committed into duplicates.
        guard amqp.reconnects == reconnects else { return }
        try settle(items)
    }

    /// Reads what the runtime needs from a delivery; a body that is not an envelope is parked.
    private func prepare(_ delivery: Delivery) -> Item {
        let header: EnvelopeHeader
        do {
            header = try Contracts.header(of: delivery.body)
        } catch {
            return Item(delivery: delivery, message: nil, outcome: .park(reason: "unreadable envelope: \(SafeErrors.describe(error))"))
        }
        let messageId = delivery.properties.messageId.flatMap { $0.isEmpty ? nil : $0 } ?? header.id.uuidString
        let attempt = delivery.properties.headers[Header.attempt]?.intValue.map { Int($0) } ?? 0
        let message = IncomingMessage(delivery: delivery, messageId: messageId, header: header, attempt: attempt)
        return Item(delivery: delivery, message: message, outcome: nil)
    }

    /// The batch transaction. While the database is unreachable the lane holds its batch and
    /// tries again under its reconnect policy, servicing the broker connection meanwhile; a stop
    /// request then ends the lane with the batch unacked (the broker redelivers it to whichever
    /// lane runs next).
    private func commit(_ items: inout [Item]) throws {
        items = try configuration.reconnectPolicy.retry(stop: stop, onFailure: { _, error, delay in
            metrics.reconnected(server: "postgres")
            logger.warning("database unavailable; holding the batch", metadata: [
                "hotline.error": "\(SafeErrors.describe(error))", "hotline.batch": "\(items.count)", "hotline.retry_in": "\(delay)"])
        }, wait: { delay in
            if self.stop.isRaised { return }
            try self.waitServicingBroker(delay)
        }) { [items] in
            try commitOnce(items)
        }
    }

    /// One try at the batch transaction; throws only when the database connection failed.
    private func commitOnce(_ items: [Item]) throws -> [Item] {
        var oneByOne = false
        while true {
            var working = items
            let started = ContinuousClock.now
            do {
                try database.withTransaction { tx in
                    if oneByOne {
                        try self.apply(&working, in: tx)
                    } else {
                        try self.applyTogether(&working, in: tx)
                    }
                }
                metrics.committed(ContinuousClock.now - started)
                return working
            } catch let failed as MessageFailedInBatch {
                // Rolled back: go again one message at a time, so the failure is that message's alone.
                logger.info("a message failed in its batch; applying the batch one message at a time", metadata: [
                    "hotline.message.id": "\(failed.messageId)", "hotline.batch": "\(items.count)"])
                oneByOne = true
            } catch let error where isConnectionFailure(error) {
                throw error
            } catch {
                // Not a message's fault that we can pin down (the commit itself failed): every
                // message of the batch takes the retry path, so nothing is lost and nothing loops.
                logger.error("batch transaction failed", metadata: ["hotline.error": "\(SafeErrors.describe(error))"])
                var failed = items
                for index in failed.indices where failed[index].message != nil {
                    failed[index].outcome = failureOutcome(for: failed[index].message!, error: error)
                }
                return failed
            }
        }
    }

    /// Thrown by the batch-at-once pass when a handler fails: the transaction is rolled back and
    /// the batch is applied again one message at a time.
    private struct MessageFailedInBatch: Error {
        var messageId: String
    }

    /// The usual pass: the batch's inbox records in one statement, then every handler in the
    /// transaction without savepoints (two round trips fewer per message). When any handler throws
    /// (bad input, a bug, a conflict), nothing of the batch is kept and `apply` runs it again with a
    /// savepoint per message, which gives that message its own outcome.
    private func applyTogether(_ items: inout [Item], in tx: PostgresConnection) throws {
        let consumer = configuration.consumer
        let now = clock.now()
        var fresh = try Inbox.record(consumer: consumer, messageIds: items.compactMap(\.message?.messageId), on: tx)
        for index in items.indices {
            guard let message = items[index].message else {
                guard case .park(let reason)? = items[index].outcome else { continue }
                do {
                    try passUnreadable(items[index].delivery, reason: reason, in: tx, now: now)
                } catch let error where isConnectionFailure(error) {
                    throw error
                } catch {
                    throw MessageFailedInBatch(messageId: items[index].delivery.properties.messageId ?? "-")
                }
                continue
            }
            // The same id twice in one batch: the first applies, the second is a duplicate.
            guard fresh.remove(message.messageId) != nil else {
                items[index].outcome = .duplicate
                continue
            }
            do {
                items[index].outcome = try handle(message, in: tx, now: now)
            } catch let error where isConnectionFailure(error) {
                throw error
            } catch {
                throw MessageFailedInBatch(messageId: message.messageId)
            }
        }
        try recordParked(items, in: tx)
    }

    /// Runs the handler on one message; its outcome when it does not throw.
    private func handle(_ message: IncomingMessage, in tx: PostgresConnection, now: Date) throws -> Outcome {
        let started = ContinuousClock.now
        var messageLogger = logger
        messageLogger[metadataKey: "hotline.message.id"] = "\(message.messageId)"
        if let workOrder = message.header.workOrderId {
            messageLogger[metadataKey: "hotline.work_order.id"] = "\(workOrder)"
        }
        let context = HandlerContext(connection: tx, consumer: configuration.consumer, now: now, logger: messageLogger)
        try handler.handle(message, context: context)
        metrics.handled(ContinuousClock.now - started)
        return context.parkReason.map { .park(reason: $0) } ?? .applied
    }

    /// One message at a time, each in a savepoint, so one failing message does not undo its
    /// batch-mates: the pass after a failure in `applyTogether`.
    private func apply(_ items: inout [Item], in tx: PostgresConnection) throws {
        let consumer = configuration.consumer
        let now = clock.now()
        for index in items.indices {
            guard let message = items[index].message else {
                if case .park(let reason)? = items[index].outcome { try handleUnreadable(items[index].delivery, reason: reason, in: tx, now: now) }
                continue
            }
            try tx.execute("SAVEPOINT hotline_message")
            do {
                guard try Inbox.record(consumer: consumer, messageId: message.messageId, on: tx) else {
                    try tx.execute("RELEASE SAVEPOINT hotline_message")
                    items[index].outcome = .duplicate
                    continue
                }
                let outcome = try handle(message, in: tx, now: now)
                try tx.execute("RELEASE SAVEPOINT hotline_message")
                items[index].outcome = outcome
            } catch let error where isConnectionFailure(error) {
                throw error
            } catch let invalid as InvalidMessage {
                try tx.execute("ROLLBACK TO SAVEPOINT hotline_message")
                items[index].outcome = .park(reason: invalid.reason)
            } catch {
                try tx.execute("ROLLBACK TO SAVEPOINT hotline_message")
                items[index].outcome = failureOutcome(for: message, error: error)
                logger.warning("handler failed", metadata: [
                    "hotline.message.id": "\(message.messageId)", "hotline.attempt": "\(message.attempt)",
                    "hotline.error": "\(SafeErrors.describe(error))"])
            }
        }
        try recordParked(items, in: tx)
    }

    /// Every message parked from this batch gets its row in the same transaction.
    private func recordParked(_ items: [Item], in tx: PostgresConnection) throws {
        let consumer = configuration.consumer
        for item in items {
            guard case .park(let reason)? = item.outcome else { continue }
            try ParkedMessages.record(
                consumer: consumer, messageId: item.message?.messageId ?? item.delivery.properties.messageId,
                type: item.message?.type ?? item.delivery.properties.type, reason: reason,
                attempts: item.message?.attempt ?? 0, headers: plainHeaders(item.delivery), body: item.delivery.body, on: tx)
        }
    }

    /// Lets the handler store and answer a body that is not an envelope; a failure there is logged
    /// and the message is parked all the same.
    private func handleUnreadable(_ delivery: Delivery, reason: String, in tx: PostgresConnection, now: Date) throws {
        try tx.execute("SAVEPOINT hotline_message")
        do {
            try passUnreadable(delivery, reason: reason, in: tx, now: now)
            try tx.execute("RELEASE SAVEPOINT hotline_message")
        } catch let error where isConnectionFailure(error) {
            throw error
        } catch {
            try tx.execute("ROLLBACK TO SAVEPOINT hotline_message")
            logger.error("could not record an unreadable message", metadata: ["hotline.error": "\(SafeErrors.describe(error))"])
        }
    }

    /// Hands a body that is not an envelope to the handler (both passes).
    private func passUnreadable(_ delivery: Delivery, reason: String, in tx: PostgresConnection, now: Date) throws {
        let messageId = delivery.properties.messageId.flatMap { $0.isEmpty ? nil : $0 }
        try handler.handleUnreadable(delivery, messageId: messageId, reason: reason,
                                     context: HandlerContext(connection: tx, consumer: configuration.consumer, now: now, logger: logger))
    }

    /// The retry tier or parking of a failed message; what is said of the error is safe by
    /// construction (`SafeErrors.describe`), since it goes into a header and a row.
    private func failureOutcome(for message: IncomingMessage, error failure: any Error) -> Outcome {
        let error = SafeErrors.describe(failure)
        let tiers = configuration.topology.retryDelaysMilliseconds.count
        if message.attempt < tiers { return .retry(tier: message.attempt, error: error) }
        return .park(reason: "failed \(message.attempt + 1) times; last error: \(error.prefix(300))")
    }

    /// Publishes retry and parking copies with confirms, then acks. A delivery whose copy was not
    /// confirmed is requeued instead of acked, so it is neither lost nor acked twice.
    private func settle(_ items: [Item]) throws {
        var copies: [OutgoingMessage] = []
        var copyOwner: [Int] = []
        for (index, item) in items.enumerated() {
            switch item.outcome {
            case .retry(let tier, let error)?:
                copies.append(copy(of: item.delivery, exchange: Topology.retryExchange,
                                   routingKey: configuration.topology.retryRoutingKey(tier: tier),
                                   extra: [Header.attempt: .int(Int64(tier + 1)), Header.error: .string(String(error.prefix(300)))]))
                copyOwner.append(index)
            case .park(let reason)?:
                copies.append(copy(of: item.delivery, exchange: Topology.deadExchange, routingKey: configuration.consumer,
                                   extra: [Header.reason: .string(reason), Header.consumer: .string(configuration.consumer)]))
                copyOwner.append(index)
            default:
                break
            }
        }
        var requeue = Set<Int>()
        if !copies.isEmpty {
            let outcomes = try amqp.publish(copies, timeout: .seconds(30))
            for (position, outcome) in outcomes.enumerated() where !outcome.isConfirmed {
                requeue.insert(copyOwner[position])
            }
        }
        for item in items {
            switch item.outcome {
            case .applied?: metrics.message(outcome: "applied")
            case .duplicate?: metrics.message(outcome: "duplicate")
            case .retry?: metrics.message(outcome: "retried")
            case .park?: metrics.message(outcome: "parked")
            case nil: break
            }
        }
        let lastTag = items.map(\.delivery.deliveryTag).max() ?? 0
        if requeue.isEmpty {
            try amqp.ack(lastTag, multiple: true)
        } else {
            for (index, item) in items.enumerated() {
                if requeue.contains(index) {
                    try amqp.nack(item.delivery.deliveryTag, requeue: true)
                } else {
                    try amqp.ack(item.delivery.deliveryTag)
                }
            }
        }
    }

    private func copy(of delivery: Delivery, exchange: String, routingKey: String, extra: [String: AMQPValue]) -> OutgoingMessage {
        var properties = delivery.properties
        properties.persistent = true
        for (key, value) in extra { properties.headers[key] = value }
        // The broker's own bookkeeping headers describe the old path, not the copy.
        properties.headers["x-death"] = nil
        properties.headers["x-delivery-count"] = nil
        return OutgoingMessage(exchange: exchange, routingKey: routingKey, body: delivery.body, properties: properties, mandatory: true)
    }

    private func plainHeaders(_ delivery: Delivery) -> [String: String] {
        var headers: [String: String] = [:]
        for (key, value) in delivery.properties.headers where key != "x-death" {
            headers[key] = value.stringValue ?? value.intValue.map(String.init) ?? "\(value)"
        }
        if let type = delivery.properties.type { headers["type"] = type }
        headers["routing_key"] = delivery.routingKey
        headers["exchange"] = delivery.exchange
        return headers
    }

    /// Sleeps `delay` in short slices, servicing the broker connection (heartbeats) meanwhile.
    /// Deliveries cannot arrive beyond the prefetch we already hold unacked.
    private func waitServicingBroker(_ delay: Duration) throws {
        let until = ContinuousClock.now + delay
        while ContinuousClock.now < until {
            if let stray = try amqp.nextDelivery(timeout: .milliseconds(200)) {
                // More than the batch arrived (the batch was smaller than the prefetch): give it
                // back; it is redelivered in order after this batch.
                try amqp.nack(stray.deliveryTag, requeue: true)
            }
        }
    }
}
