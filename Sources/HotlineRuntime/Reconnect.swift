import AMQPClient
import Foundation
import Logging
import PostgresClient

/// Connects to PostgreSQL, retrying under `policy` until it works or `stopRequested()` says to
/// give up (then the last error is thrown). A worker that starts before its database waits for it.
func connectPostgres(url: String, name: String, policy: ReconnectPolicy, logger: Logger,
                     stopRequested: () -> Bool) throws -> PostgresConnection {
    var attempt = 0
    while true {
        do {
            return try PostgresConnection(url: url, applicationName: name)
        } catch {
            attempt += 1
            if stopRequested() { throw error }
            let delay = policy.delay(beforeAttempt: attempt, random: .random(in: 0...1))
            logger.warning("database not reachable; retrying", metadata: ["hotline.error": "\(error)", "hotline.retry_in": "\(delay)"])
            Thread.sleep(forTimeInterval: delay.inSeconds)
        }
    }
}

func isConnectionFailure(_ error: any Error) -> Bool {
    guard let error = error as? PostgresError else { return false }
    return error.code == .connectionLost || error.code == .connection
}

extension Duration {
    /// The duration as a number of seconds (for `Thread.sleep` and rates).
    public var inSeconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
