import AMQPClient
import Foundation
import Logging

/// A thread that owns blocking connections for its whole life and runs until asked to stop: the
/// shape of every lane and relay. `cancellation` is handed to recovering connections so a stop
/// request also ends a reconnect loop.
final class StoppableThread: @unchecked Sendable {
    // @unchecked Sendable: `stopRequested` and `failure` are guarded by `lock`; `onFinish` is set
    // before `start` and only read by the thread afterwards; the rest is immutable after init.
    let name: String
    let cancellation = RecoveryCancellation()
    private let lock = NSLock()
    private var stopRequested = false
    private var failure: (any Error)?
    private let finished = DispatchSemaphore(value: 0)

    init(name: String) { self.name = name }

    /// Called once the body has returned (from the thread), e.g. to wake a watcher.
    var onFinish: (@Sendable () -> Void)?

    /// Runs `body` on a new thread; an error it throws is logged and kept for `waitUntilFinished`,
    /// unless a stop was requested (a reconnect loop cancelled by the stop is not a failure).
    func start(logger: Logger, _ body: @escaping @Sendable () throws -> Void) {
        let thread = Thread { [self] in
            do {
                try body()
            } catch where isStopRequested {
                logger.info("\(name) stopped while it was (re)connecting")
            } catch {
                lock.withLock { failure = error }
                logger.error("\(name) stopped by an error", metadata: ["hotline.error": "\(error)"])
            }
            finished.signal()
            onFinish?()
        }
        thread.name = name
        thread.stackSize = 4 << 20
        thread.start()
    }

    func requestStop() {
        lock.withLock { stopRequested = true }
        cancellation.cancel()
    }

    var isStopRequested: Bool { lock.withLock { stopRequested } }

    /// Blocks until the thread's body returns; rethrows what stopped it.
    func waitUntilFinished() throws {
        finished.wait()
        finished.signal()
        if let failure = lock.withLock({ failure }) { throw failure }
    }
}

/// What owns a `StoppableThread` and runs its loop there: the lanes and the relay.
protocol ThreadOwner: AnyObject, Sendable {
    var thread: StoppableThread { get }
    var logger: Logger { get }
    func runLoop() throws
}

extension ThreadOwner {
    /// Starts the thread; connecting happens there.
    func start() {
        thread.start(logger: logger) { [self] in try self.runLoop() }
    }

    /// Asks it to stop taking work; what it holds is finished, committed and acknowledged.
    func requestStop() { thread.requestStop() }

    var isStopRequested: Bool { thread.isStopRequested }

    /// Blocks until its thread ends; rethrows what stopped it.
    func waitUntilFinished() throws { try thread.waitUntilFinished() }
}

/// Logs a recovering broker connection's events, counts its reconnects, and tells `onState`
/// whether the connection is up.
func brokerEvents(logger: Logger, metrics: RuntimeMetrics,
                  onState: @escaping (Bool) -> Void = { _ in }) -> (RecoveryEvent) -> Void {
    { event in
        switch event {
        case .connectionLost(let error):
            onState(false)
            logger.warning("broker connection lost", metadata: ["hotline.error": "\(error)"])
        case .attemptFailed(let attempt, let error, let delay):
            logger.warning("broker reconnect failed", metadata: [
                "hotline.attempt": "\(attempt)", "hotline.error": "\(error)", "hotline.retry_in": "\(delay)"])
        case .recovered(let reconnects):
            metrics.reconnected(server: "amqp")
            onState(true)
            logger.info("broker connection recovered", metadata: ["hotline.reconnects": "\(reconnects)"])
        }
    }
}
