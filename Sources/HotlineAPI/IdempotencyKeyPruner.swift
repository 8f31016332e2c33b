import Foundation
import HotlineRuntime
import HotlineStore
import Logging
import PostgresClient

/// Deletes `Idempotency-Key`s older than the retention, at start and then every `interval`:
/// a retry is answered from its key for `retention` (ours: 24 hours, `HOTLINE_API_IDEMPOTENCY_HOURS`),
/// after that it acts again. Every API replica runs one; their deletes skip each other's rows.
public struct IdempotencyKeyPruner: ThreadLoop {
    public let name = "idempotency-pruner"
    public let logger: Logger
    let databaseURL: String
    let retention: TimeInterval
    let interval: TimeInterval
    let clock: any HotlineClock

    public init(databaseURL: String, retention: TimeInterval, interval: TimeInterval = 600, clock: any HotlineClock = SystemClock(),
                logger: Logger) {
        self.databaseURL = databaseURL
        self.retention = retention
        self.interval = interval
        self.clock = clock
        self.logger = logger
    }

    public func run(until stop: StopFlag) throws {
        var connection: PostgresConnection?
        defer { connection?.close() }
        while !stop.isRaised {
            do {
                if connection == nil || connection?.isConnected == false {
                    connection?.close()
                    connection = try connectPostgres(url: databaseURL, name: name, logger: logger, stop: stop)
                }
                var total = 0
                let cutoff = clock.now().addingTimeInterval(-retention)
                while !stop.isRaised, let connection {
                    let deleted = try IdempotencyKeys.prune(createdBefore: cutoff, on: connection)
                    total += deleted
                    if deleted < IdempotencyKeys.pruneBatch { break }
                }
                if total > 0 { logger.info("idempotency keys pruned", metadata: ["hotline.pruned": "\(total)"]) }
            } catch {
                if stop.isRaised { break }
                logger.warning("pruning idempotency keys failed", metadata: ["hotline.error": "\(SafeErrors.describe(error))"])
            }
            let until = Date().addingTimeInterval(interval)
            while !stop.isRaised && Date() < until { Thread.sleep(forTimeInterval: 0.25) }
        }
    }
}
