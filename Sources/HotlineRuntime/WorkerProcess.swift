import ArgumentParser
import Foundation
import HotlineContracts
import Logging

/// A fleet worker's process: with a handler, it declares its queue from `Topology` (bindings,
/// retry tiers, parking) and consumes it; without one (a worker whose logic has not been built
/// yet) it applies the migrations, runs its outbox relay and its HTTP endpoint, and consumes nothing.
public struct WorkerProcess: Sendable {
    public let kind: WorkerKind
    public let configuration: WorkerConfiguration
    public let handler: (any MessageHandler)?

    public init(kind: WorkerKind, configuration: WorkerConfiguration, handler: (any MessageHandler)? = nil) {
        self.kind = kind
        self.configuration = configuration
        self.handler = handler
    }

    public func run() async throws {
        try await run(startup: StartupSignals())
    }

    func run(startup: StartupSignals) async throws {
        let topology = handler == nil ? nil : Topology.fleetConsumer(kind.rawValue)
        if handler != nil && topology == nil {
            throw ValidationError("worker \(kind.rawValue) has a handler but Topology names no subscriptions for it")
        }
        try await WorkerApplication(kind: kind.rawValue, configuration: configuration, topology: topology,
                                    handler: handler ?? ClosureHandler { _, _ in }).run(startup: startup)
    }
}

/// The `main` of a worker executable: its options, and a `run` that logs JSON, validates the
/// configuration and runs the worker. Each executable declares its kind and its help text.
public protocol WorkerCommand: AsyncParsableCommand {
    static var kind: WorkerKind { get }
    var options: WorkerOptions { get }
    /// The worker's message handler; nil for a worker that consumes nothing yet.
    static func handler(configuration: WorkerConfiguration) throws -> (any MessageHandler)?
}

extension WorkerCommand {
    public static func handler(configuration: WorkerConfiguration) throws -> (any MessageHandler)? { nil }

    public func run() async throws {
        JSONLogHandler.bootstrap()
        let configuration = try options.resolve(environment: ProcessInfo.processInfo.environment)
        // Signals are held from here: loading the handler's rules logs, and a supervisor may stop
        // us at any moment after the first line.
        let startup = StartupSignals()
        try await WorkerProcess(kind: Self.kind, configuration: configuration,
                                handler: try Self.handler(configuration: configuration)).run(startup: startup)
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
