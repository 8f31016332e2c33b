import AMQPClient
import Foundation
import HotlineContracts
import HotlineStore
import Logging
import PostgresClient

/// Publishes outbox rows: claims unpublished rows with `FOR UPDATE SKIP LOCKED` (so any number of
/// relays may run, and none keeps a "last seen id" that a late commit could slip behind),
/// publishes them as one batch with publisher confirms, and marks the confirmed ones published,
/// all in one transaction. Woken by `NOTIFY hotline_outbox`, with a timed poll as fallback.
///
/// If the relay dies after publishing and before its commit, the rows are published again by the
/// next claim: consumers' inboxes absorb the duplicates.
public final class OutboxRelay: ThreadLoop, @unchecked Sendable {
    // @unchecked Sendable: the connections are set and touched only by the relay's own thread
    // (`run(until:)`); the rest is immutable after init.

    public struct Configuration: Sendable {
        public var name: String
        public var databaseURL: String
        public var amqpURL: String
        public var batchSize = 500
        public var pollInterval: Duration = .seconds(1)
        public var retention: Duration = .seconds(7 * 24 * 3600)
        public var inboxRetention: Duration = .seconds(30 * 24 * 3600)
        public var maintenanceInterval: Duration = .seconds(60)
        public var reconnectPolicy = ReconnectPolicy(giveUpAfter: nil)
        /// Fault tests only: SIGKILL the process after this many published batches, before the commit.
        var faultAfterPublish: FaultTrigger? = nil

        public init(name: String, databaseURL: String, amqpURL: String) {
            self.name = name
            self.databaseURL = databaseURL
            self.amqpURL = amqpURL
        }
    }

    /// How long a published batch waits for the broker's confirms before its rows are left
    /// unpublished for the next claim.
    static let confirmTimeout: Duration = .seconds(30)

    public let configuration: Configuration
    private let metrics: RuntimeMetrics
    public let logger: Logger
    public var name: String { configuration.name }

    private var database: PostgresConnection!
    private var amqp: RecoveringAMQPConnection!

    public init(configuration: Configuration, metrics: RuntimeMetrics) {
        self.configuration = configuration
        self.metrics = metrics
        var logger = Logger(label: configuration.name)
        logger[metadataKey: "hotline.component"] = "outbox-relay"
        self.logger = logger
    }


    public func run(until stop: StopFlag) throws {
        database = try connectPostgres(url: configuration.databaseURL, name: configuration.name,
                                       policy: configuration.reconnectPolicy, logger: logger, stop: stop)
        amqp = try RecoveringAMQPConnection(
            url: configuration.amqpURL, connectionName: configuration.name, policy: configuration.reconnectPolicy,
            cancellation: stop,
            onEvent: brokerEvents(logger: logger, metrics: metrics) { [metrics] up in metrics.relayReady(up) },
            setup: { connection in try TopologyDeclarer.declareExchanges(on: connection) })
        defer {
            metrics.relayReady(false)
            amqp.close()
            database.close()
        }
        try database.listen("hotline_outbox")
        var lastMaintenance = ContinuousClock.now - configuration.maintenanceInterval
        logger.info("relay running")
        while !stop.isRaised {
            let published: Int
            do {
                published = try relayOnce()
                metrics.relayReady(true)
            } catch let error where isConnectionFailure(error) {
                metrics.relayReady(false)
                metrics.reconnected(server: "postgres")
                logger.warning("database unavailable; relay waiting", metadata: ["hotline.error": "\(SafeErrors.describe(error))"])
                Thread.sleep(forTimeInterval: 0.5)
                continue
            }
            if ContinuousClock.now - lastMaintenance >= configuration.maintenanceInterval {
                lastMaintenance = .now
                maintain()
            }
            if published >= configuration.batchSize { continue }
            do {
                // Notifications only wake us up early; whatever they say, the next claim decides.
                _ = try database.waitForNotifications(timeout: configuration.pollInterval)
            } catch {
                Thread.sleep(forTimeInterval: 0.2)
            }
        }
    }

    /// Claims and publishes one batch; returns how many rows it claimed.
    func relayOnce() throws -> Int {
        // Make sure the broker is there before holding row locks for the publish.
        _ = try amqp.connection()
        return try database.withTransaction { tx in
            let rows = try Outbox.claim(limit: configuration.batchSize, on: tx)
            guard !rows.isEmpty else { return 0 }
            let batch = rows.map { row in
                OutgoingMessage(
                    exchange: row.message.exchange, routingKey: row.message.routingKey, body: row.message.body,
                    properties: MessageProperties(
                        messageId: row.message.messageId.uuidString, type: row.message.type,
                        contentType: "application/json", timestamp: row.createdAt,
                        headers: row.message.headers.mapValues { .string($0) }, persistent: true),
                    mandatory: true)
            }
            let outcomes = try amqp.publish(batch, timeout: Self.confirmTimeout)
            configuration.faultAfterPublish?.tick()
            var confirmed: [Int64] = []
            var refused: [(Int64, String)] = []
            var unconfirmed = 0
            for (row, outcome) in zip(rows, outcomes) {
                switch outcome {
                case .confirmed: confirmed.append(row.id)
                case .nacked: refused.append((row.id, "nacked by the broker"))
                case .returned(let code, let text): refused.append((row.id, "returned \(code) \(text)"))
                case .unconfirmed: unconfirmed += 1  // no confirm in time or connection lost: not the message's fault; next claim retries
                }
            }
            try Outbox.markPublished(confirmed, on: tx)
            if unconfirmed > 0 {
                // Said, not only retried: a relay whose confirms do not come (the broker restarting,
                // a queue without a leader) otherwise looks idle while the pipeline behind it stalls.
                logger.warning("outbox rows not confirmed by the broker; they stay unpublished and are sent again", metadata: [
                    "hotline.count": "\(unconfirmed)", "hotline.confirm_timeout": "\(Self.confirmTimeout)"])
            }
            for (reason, ids) in Dictionary(grouping: refused, by: \.1).mapValues({ $0.map(\.0) }) {
                try Outbox.markFailed(ids, reason: reason, on: tx)
                logger.error("outbox rows refused by the broker", metadata: ["hotline.count": "\(ids.count)", "hotline.reason": "\(reason)"])
            }
            metrics.outbox(published: confirmed.count, failed: refused.count)
            return rows.count
        }
    }

    private func maintain() {
        do {
            metrics.outbox(lagSeconds: try Outbox.lagSeconds(on: database))
            let pruned = try Outbox.prune(olderThan: configuration.retention, on: database)
            let inbox = try Inbox.prune(olderThan: configuration.inboxRetention, on: database)
            if pruned + inbox > 0 {
                logger.info("pruned", metadata: ["hotline.outbox_rows": "\(pruned)", "hotline.inbox_rows": "\(inbox)"])
            }
        } catch {
            logger.warning("maintenance failed", metadata: ["hotline.error": "\(SafeErrors.describe(error))"])
        }
    }
}
