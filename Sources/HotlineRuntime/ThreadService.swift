import AMQPClient
import Foundation
import Logging
import ServiceLifecycle

/// A loop that owns blocking connections (libpq, rabbitmq-c) for its whole life, on a thread of
/// its own: a consumer lane, the outbox relay, a timer claimer, an SMS sender.
public protocol ThreadLoop: Sendable {
    /// Names the thread, the connections and the log lines.
    var name: String { get }
    var logger: Logger { get }
    /// Connects, then loops until `stop` is raised, finishing the batch in hand (committed and
    /// acknowledged) before it returns. Pass `stop` to recovering connections, so a stop also ends
    /// a reconnect loop. Throwing ends the worker (the supervisor restarts it).
    func run(until stop: StopFlag) throws
}

/// A `ThreadLoop` as a swift-service-lifecycle `Service`: `run()` starts the loop on its own
/// thread and returns when the loop ends. Graceful shutdown (SIGTERM) and task cancellation (another
/// service of the group failed, e.g. the HTTP endpoint could not bind) both raise the loop's stop
/// flag, so the loop stops after the batch in hand instead of running on unseen.
public struct ThreadService: Service {
    public let loop: any ThreadLoop
    /// Lanes run handler code (decoding, rules) deeper than a pool connection needs.
    public var stackSize: Int

    public init(_ loop: any ThreadLoop, stackSize: Int = 4 << 20) {
        self.loop = loop
        self.stackSize = stackSize
    }

    public func run() async throws {
        let stop = StopFlag()
        let loop = self.loop
        try await withTaskCancellationHandler {
            try await withGracefulShutdownHandler {
                try await DedicatedThread.run(name: loop.name, stackSize: stackSize) {
                    do {
                        try loop.run(until: stop)
                    } catch where stop.isRaised {
                        // A reconnect loop cut short by the stop is not a failure.
                        loop.logger.info("\(loop.name) stopped while it was (re)connecting")
                        return
                    } catch {
                        loop.logger.error("\(loop.name) stopped by an error", metadata: ["hotline.error": "\(SafeErrors.describe(error))"])
                        throw error
                    }
                }
            } onGracefulShutdown: {
                stop.raise()
            }
        } onCancel: {
            stop.raise()
        }
        if !stop.isRaised {
            // A loop only returns when asked to; one that ends on its own takes the process down,
            // so the supervisor restarts it rather than leaving a worker that does nothing.
            throw LoopEndedUnasked(name: loop.name)
        }
    }

    struct LoopEndedUnasked: SafeError {
        let name: String
        var safeCode: String { "loop-ended" }
        var safeReason: String { "\(name) ended without being asked to" }
    }
}
