import AMQPClient
import Foundation
import Logging
import PostgresClient

/// Connects to PostgreSQL, retrying under `policy` until it works or `stop` is raised (then the
/// last error is thrown). A worker that starts before its database waits for it. Every loop that
/// owns a connection (lanes, relay, claimer, nightly scoring) connects through this.
public func connectPostgres(url: String, name: String, policy: ReconnectPolicy = ReconnectPolicy(giveUpAfter: nil),
                            logger: Logger, stop: StopFlag) throws -> PostgresConnection {
    try policy.retry(stop: stop, onFailure: { _, error, delay in
        logger.warning("database not reachable; retrying", metadata: [
            "hotline.error": "\(SafeErrors.describe(error))", "hotline.retry_in": "\(delay)"])
    }) {
        try PostgresConnection(url: url, applicationName: name)
    }
}

/// The database connection failed or was lost: not the message's or the timer's fault; hold the
/// work and try again once it is back.
public func isConnectionFailure(_ error: any Error) -> Bool {
    guard let error = error as? PostgresError else { return false }
    return error.code == .connectionLost || error.code == .connection
}

/// Logs a recovering broker connection's events, counts its reconnects, and tells `onState`
/// whether the connection is up.
func brokerEvents(logger: Logger, metrics: RuntimeMetrics,
                  onState: @escaping (Bool) -> Void = { _ in }) -> (RecoveryEvent) -> Void {
    { event in
        switch event {
        case .connectionLost(let error):
            onState(false)
            logger.warning("broker connection lost", metadata: ["hotline.error": "\(SafeErrors.describe(error))"])
        case .attemptFailed(let attempt, let error, let delay):
            logger.warning("broker reconnect failed", metadata: [
                "hotline.attempt": "\(attempt)", "hotline.error": "\(SafeErrors.describe(error))", "hotline.retry_in": "\(delay)"])
        case .recovered(let reconnects):
            metrics.reconnected(server: "amqp")
            onState(true)
            logger.info("broker connection recovered", metadata: ["hotline.reconnects": "\(reconnects)"])
        }
    }
}
