import BlockingIO
import Foundation

/// What a recovering connection went through; delivered on the owning thread.
public enum RecoveryEvent: Sendable {
    /// The connection was lost; recovery starts.
    case connectionLost(AMQPError)
    /// One reconnection attempt (connect + setup) failed; the next comes after `nextDelay`.
    case attemptFailed(attempt: Int, error: any Error, nextDelay: Duration)
    /// Connected again and `setup` ran.
    case recovered(reconnects: Int)
}

/// An `AMQPConnection` that comes back: on a socket, heartbeat or connection-close error it destroys
/// the connection, reconnects with backoff and jitter, and runs `setup` again (declare topology,
/// prefetch, consumers). Like `AMQPConnection` it belongs to one thread.
///
/// - Publishes that were in flight when the connection was lost come back `.unconfirmed`: republish.
/// - `nextDelivery` returns nil after a recovery; unacked deliveries of the lost connection are
///   redelivered by the broker, and acks of their tags are dropped.
/// - Every failed attempt is reported through `onEvent` and counted in `failedAttempts`; recovery
///   gives up with `AMQPError.Code.recoveryAbandoned` after `policy.giveUpAfter` or when
///   `cancellation` is raised.
public final class RecoveringAMQPConnection {
    public let url: String
    public let connectionName: String
    public let policy: ReconnectPolicy
    public let cancellation: StopFlag
    private let setup: (AMQPConnection) throws -> Void
    private let onEvent: (RecoveryEvent) -> Void

    private var current: AMQPConnection?
    private var closed = false
    /// Successful reconnections since creation.
    public private(set) var reconnects = 0
    /// Failed connection attempts since creation.
    public private(set) var failedAttempts = 0
    /// The error that caused the latest recovery.
    public private(set) var lastConnectionError: AMQPError?

    private var tagBase: UInt64 = 0
    private var highestTag: UInt64 = 0

    /// Connects (retrying under `policy` like a recovery) and runs `setup`.
    public init(url: String, connectionName: String = "hotline", policy: ReconnectPolicy = ReconnectPolicy(),
                cancellation: StopFlag = StopFlag(),
                onEvent: @escaping (RecoveryEvent) -> Void = { _ in },
                setup: @escaping (AMQPConnection) throws -> Void) throws {
        _ = try AMQPURL(url)
        self.url = url
        self.connectionName = connectionName
        self.policy = policy
        self.cancellation = cancellation
        self.setup = setup
        self.onEvent = onEvent
        current = try connectWithRetry()
    }

    deinit { current?.close() }

    /// Closes the connection for good: later calls throw `notConnected`.
    public func close() {
        closed = true
        current?.close()
        current = nil
    }

    /// The live connection, reconnecting first if it was lost.
    public func connection() throws -> AMQPConnection {
        if let current, current.isOpen { return current }
        if closed { throw AMQPError(.notConnected, operation: "connection") }
        try recover(after: lastConnectionError ?? AMQPError(.notConnected, operation: "connection"))
        return current!
    }

    /// Runs `body` on the connection; if the connection is lost meanwhile, recovers and rethrows the
    /// error (the caller decides whether to run `body` again).
    public func withConnection<T>(_ body: (AMQPConnection) throws -> T) throws -> T {
        let connection = try connection()
        do {
            return try body(connection)
        } catch let error as AMQPError where !connection.isOpen {
            try recover(after: error)
            throw error
        }
    }

    /// Publishes with confirms; if the connection is lost, recovers and reports the whole batch
    /// `.unconfirmed` (republish it: consumers must be idempotent anyway).
    public func publish(_ batch: [OutgoingMessage], timeout: Duration) throws -> [PublishOutcome] {
        let connection = try connection()
        do {
            return try connection.publish(batch, timeout: timeout)
        } catch let error as AMQPError where !connection.isOpen {
            try recover(after: error)
            return Array(repeating: .unconfirmed, count: batch.count)
        }
    }

    /// The next delivery, nil on timeout or right after a recovery.
    public func nextDelivery(timeout: Duration) throws -> Delivery? {
        let connection = try connection()
        do {
            guard var delivery = try connection.nextDelivery(timeout: timeout) else { return nil }
            delivery.deliveryTag += tagBase
            highestTag = max(highestTag, delivery.deliveryTag)
            return delivery
        } catch let error as AMQPError where !connection.isOpen {
            try recover(after: error)
            return nil
        }
    }

    public func ack(_ deliveryTag: UInt64, multiple: Bool = false) throws {
        try settle(deliveryTag) { try $0.ack($1, multiple: multiple) }
    }

    public func nack(_ deliveryTag: UInt64, multiple: Bool = false, requeue: Bool) throws {
        try settle(deliveryTag) { try $0.nack($1, multiple: multiple, requeue: requeue) }
    }

    public func reject(_ deliveryTag: UInt64, requeue: Bool) throws {
        try settle(deliveryTag) { try $0.reject($1, requeue: requeue) }
    }

    /// Acks of tags from a lost connection are dropped: the broker redelivers those messages.
    private func settle(_ tag: UInt64, _ body: (AMQPConnection, UInt64) throws -> Void) throws {
        guard tag > tagBase else { return }
        let connection = try connection()
        do {
            try body(connection, tag - tagBase)
        } catch let error as AMQPError where !connection.isOpen {
            try recover(after: error)
        }
    }

    // MARK: - Recovery

    private func recover(after error: AMQPError) throws {
        lastConnectionError = error
        current?.close()
        current = nil
        onEvent(.connectionLost(error))
        current = try connectWithRetry()
        reconnects += 1
        tagBase = highestTag
        onEvent(.recovered(reconnects: reconnects))
    }

    private func connectWithRetry() throws -> AMQPConnection {
        do {
            return try policy.retry(stop: cancellation, onFailure: { attempt, error, delay in
                failedAttempts += 1
                onEvent(.attemptFailed(attempt: attempt, error: error, nextDelay: delay))
            }) {
                if cancellation.isRaised { throw AMQPError(.recoveryAbandoned, operation: "reconnect") }
                let connection = try AMQPConnection(url: url, connectionName: connectionName)
                do {
                    try setup(connection)
                } catch {
                    connection.close()
                    throw error
                }
                return connection
            }
        } catch {
            throw AMQPError(.recoveryAbandoned, operation: "reconnect")
        }
    }
}
