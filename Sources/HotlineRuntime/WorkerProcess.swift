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
