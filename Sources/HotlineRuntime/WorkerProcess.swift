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
        let signal = await Self.waitForTermination()
        logger.info("stopping", metadata: ["hotline.signal": "\(signal)"])
    }

    /// Suspends until SIGTERM or SIGINT arrives; returns the signal's name.
    public static func waitForTermination() async -> String {
        await withCheckedContinuation { (continuation: CheckedContinuation<String, Never>) in
            let box = SignalBox(continuation: continuation)
            for (number, name) in [(SIGTERM, "SIGTERM"), (SIGINT, "SIGINT")] {
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: box.queue)
                source.setEventHandler { box.fire(name) }
                source.resume()
                box.sources.append(source)
            }
        }
    }
}

/// Resumes a continuation once from whichever signal comes first. All state is touched only on
/// `queue`, a serial queue, which is why the `@unchecked Sendable` is safe.
private final class SignalBox: @unchecked Sendable {
    let queue = DispatchQueue(label: "hotline.signals")
    var sources: [any DispatchSourceSignal] = []
    private var continuation: CheckedContinuation<String, Never>?

    init(continuation: CheckedContinuation<String, Never>) { self.continuation = continuation }

    func fire(_ name: String) {
        continuation?.resume(returning: name)
        continuation = nil
        sources.forEach { $0.cancel() }
    }
}
