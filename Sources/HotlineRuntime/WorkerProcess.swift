import ArgumentParser
import Foundation
import Logging

/// The process shell of a worker whose message handler has not been built yet: it applies the
/// migrations, runs its outbox relay and its HTTP endpoint (`/healthz`, `/readyz`, `/metrics`),
/// consumes nothing, and stops cleanly on SIGTERM or SIGINT. Each worker's handler arrives with
/// its own issue; until then `ops/run` can already start, watch and stop the whole fleet.
public struct WorkerProcess: Sendable {
    public let kind: WorkerKind
    public let configuration: WorkerConfiguration

    public init(kind: WorkerKind, configuration: WorkerConfiguration) {
        self.kind = kind
        self.configuration = configuration
    }

    public func run() async throws {
        try await WorkerApplication(kind: kind.rawValue, configuration: configuration, topology: nil,
                                    handler: ClosureHandler { _, _ in }).run()
    }
}

/// The `main` of a worker executable: its options, and a `run` that logs JSON, validates the
/// configuration and runs the worker. Each executable declares its kind and its help text.
public protocol WorkerCommand: AsyncParsableCommand {
    static var kind: WorkerKind { get }
    var options: WorkerOptions { get }
}

extension WorkerCommand {
    public func run() async throws {
        JSONLogHandler.bootstrap()
        let configuration = try options.resolve(environment: ProcessInfo.processInfo.environment)
        try await WorkerProcess(kind: Self.kind, configuration: configuration).run()
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
