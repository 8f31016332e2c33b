import Foundation
import Logging
import PostgresClient

/// The loop of a worker that claims its work from PostgreSQL in batches (deadline-watch's due
/// timers, sms-reply's messages to send) on one connection it owns for life. After a full batch
/// it claims again at once; after a smaller one it waits `pollInterval`, woken early by `NOTIFY`
/// on `channel` when there is one (notifications are lost while disconnected, so the wait is also
/// the poll). A lost connection is not a failure: the loop says so, reports itself not ready and
/// claims again half a second later; the connection reconnects on its next statement.
public struct ClaimLoop: Sendable {
    public var batchSize: Int
    public var pollInterval: Duration
    /// The `LISTEN` channel that announces new work, if any.
    public var channel: String?

    public init(batchSize: Int, pollInterval: Duration, channel: String? = nil) {
        self.batchSize = batchSize
        self.pollInterval = pollInterval
        self.channel = channel
    }

    /// Runs until `stop` is raised. `claim` does one batch and returns how many items it claimed;
    /// `ready` hears whether the last claim reached the database.
    public func run(on connection: PostgresConnection, until stop: StopFlag, logger: Logger,
                    ready: (Bool) -> Void, claim: (PostgresConnection) throws -> Int) throws {
        if let channel { try connection.listen(channel) }
        while !stop.isRaised {
            let claimed: Int
            do {
                claimed = try claim(connection)
                ready(true)
            } catch let error where isConnectionFailure(error) {
                ready(false)
                logger.warning("database unavailable; waiting", metadata: ["hotline.error": "\(SafeErrors.describe(error))"])
                Thread.sleep(forTimeInterval: 0.5)
                continue
            }
            if claimed >= batchSize { continue }
            guard channel != nil else {
                Thread.sleep(forTimeInterval: pollInterval.inSeconds)
                continue
            }
            do {
                // A notification only wakes us early; the next claim decides what is due.
                _ = try connection.waitForNotifications(timeout: pollInterval)
            } catch {
                Thread.sleep(forTimeInterval: 0.2)
            }
        }
    }
}
