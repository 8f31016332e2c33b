import ArgumentParser
import Foundation
import HotlineContracts
import Logging

/// The `main` of a worker executable: its options, and a `run` that logs JSON, validates the
/// configuration, builds the worker and runs it. Each executable declares its kind, its help
/// text, and `worker(_:)`: the one function that builds it from its configuration.
public protocol WorkerCommand: AsyncParsableCommand {
    static var kind: WorkerKind { get }
    var options: WorkerOptions { get }
    /// The worker: the runtime's parts (`WorkerApplication.init`) plus the worker's own (a queue
    /// and its handler, loops, routes). The default consumes nothing.
    static func worker(_ configuration: WorkerConfiguration) throws -> WorkerApplication
}

extension WorkerCommand {
    public static func worker(_ configuration: WorkerConfiguration) throws -> WorkerApplication {
        WorkerApplication(kind: kind.rawValue, configuration: configuration)
    }

    /// The runtime's parts plus a fleet consumer's queue (from `Topology`) and its handler.
    public static func consuming(_ configuration: WorkerConfiguration, with handler: any MessageHandler) throws -> WorkerApplication {
        guard let topology = Topology.fleetConsumer(kind.rawValue) else {
            throw ValidationError("worker \(kind.rawValue) has a handler but Topology names no subscriptions for it")
        }
        var worker = WorkerApplication(kind: kind.rawValue, configuration: configuration)
        worker.consume(topology, with: handler)
        return worker
    }

    public func run() async throws {
        JSONLogHandler.bootstrap()
        let configuration = try options.resolve(environment: ProcessInfo.processInfo.environment)
        // Signals are held from here: loading the handler's rules logs, and a supervisor may stop
        // us at any moment after the first line.
        let startup = StartupSignals()
        try await Self.worker(configuration).run(startup: startup)
    }

    /// The command's help: what the worker does, then what every worker shares.
    public static func workerConfiguration(abstract: String, discussion: String) -> CommandConfiguration {
        CommandConfiguration(
            commandName: kind.executableName,
            abstract: abstract,
            discussion: discussion + "\n\nEvery option falls back to its HOTLINE_* environment variable; "
                + "`ops/services env` prints the connection settings of the local servers. Stops cleanly on SIGTERM or SIGINT.")
    }
}
