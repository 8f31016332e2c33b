import Dispatch
import Foundation
import Logging

/// The process shell every worker runs in: validated configuration, JSON logs, and an orderly
/// stop on SIGTERM or SIGINT.
///
/// The consume loop each kind runs inside it arrives with the runtime issue (#5) and the worker
/// issues; until then a worker starts, says plainly that it handles nothing yet, and waits for
/// a signal, so `ops/run` can already start and stop the whole fleet.
public struct WorkerProcess: Sendable {
    public let kind: WorkerKind
    public let configuration: WorkerConfiguration

    public init(kind: WorkerKind, configuration: WorkerConfiguration) {
        self.kind = kind
        self.configuration = configuration
    }

    public func run() async {
        // Handlers first: a SIGTERM that arrives while we start must still stop us cleanly.
        let termination = TerminationSignals()
        let logger = Logger(label: kind.executableName)
        logger.info("starting", metadata: [
            "hotline.worker": "\(kind.rawValue)",
            "hotline.lanes": "\(configuration.lanes)",
            "hotline.prefetch": "\(configuration.prefetch)",
            "hotline.profile": "\(configuration.profile)",
            "hotline.database": "\(Masking.url(configuration.databaseURL))",
            "hotline.amqp": "\(Masking.url(configuration.amqpURL))",
        ])
        logger.warning("no message handler is implemented for this worker yet; idling until stopped")
        let signal = await termination.wait()
        logger.info("stopping", metadata: ["hotline.signal": "\(signal)"])
    }
}

/// SIGTERM and SIGINT, caught from the moment this is created; `wait()` returns the first one's
/// name. All state is touched only on `queue`, a serial queue, which is why the
/// `@unchecked Sendable` is safe.
public final class TerminationSignals: @unchecked Sendable {
    private let queue = DispatchQueue(label: "hotline.signals")
    private var sources: [any DispatchSourceSignal] = []
    private var received: String?
    private var waiters: [CheckedContinuation<String, Never>] = []

    public init() {
        queue.sync {
            for (number, name) in [(SIGTERM, "SIGTERM"), (SIGINT, "SIGINT")] {
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
                source.setEventHandler { [unowned self] in self.fire(name) }
                source.resume()
                sources.append(source)
            }
        }
    }

    deinit { sources.forEach { $0.cancel() } }

    public func wait() async -> String {
        await withCheckedContinuation { continuation in
            queue.async {
                if let received = self.received { continuation.resume(returning: received) }
                else { self.waiters.append(continuation) }
            }
        }
    }

    private func fire(_ name: String) {
        if received == nil { received = name }
        waiters.forEach { $0.resume(returning: name) }
        waiters.removeAll()
    }
}
