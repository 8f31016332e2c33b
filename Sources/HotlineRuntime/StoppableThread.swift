import AMQPClient
import Foundation
import Logging

/// A thread that owns blocking connections for its whole life and runs until asked to stop: the
/// shape of every lane and relay. `cancellation` is handed to recovering connections so a stop
/// request also ends a reconnect loop.
final class StoppableThread: @unchecked Sendable {
    // @unchecked Sendable: `stopRequested` and `failure` are guarded by `lock`; the rest is
    // immutable after init.
    let name: String
    let cancellation = RecoveryCancellation()
    private let lock = NSLock()
    private var stopRequested = false
    private var failure: (any Error)?
    private let finished = DispatchSemaphore(value: 0)

    init(name: String) { self.name = name }

    /// Runs `body` on a new thread; an error it throws is logged and kept for `waitUntilFinished`.
    func start(logger: Logger, _ body: @escaping @Sendable () throws -> Void) {
        let thread = Thread { [self] in
            do {
                try body()
            } catch {
                lock.withLock { failure = error }
                logger.error("\(name) stopped by an error", metadata: ["hotline.error": "\(error)"])
            }
            finished.signal()
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
