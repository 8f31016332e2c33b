import ArgumentParser
import Foundation
import HotlineAPI
import HotlineRuntime

/// The units' and the office's workbench over HTTP.
@main
struct APICommand: WorkerCommand {
    static let kind = WorkerKind.api
    static let configuration = workerConfiguration(
        abstract: "The units' and the office's workbench over HTTP: my orders, sign, return, the office's decisions.",
        discussion: """
        Serves /v1 (bearer tokens from `hotlinectl token issue`), /openapi.json and /open311/v2 (Open311 GeoReport v2; \
        API keys from `hotlinectl open311 key issue`) beside /healthz, /readyz and /metrics \
        on --http-port. Consumes no queue; runs the outbox relay. Stateless: run as many as you like. \
        HOTLINE_API_CONNECTIONS sets its PostgreSQL connections (default 4); HOTLINE_API_IDEMPOTENCY_HOURS how long an \
        Idempotency-Key answers a retry (default 24; older keys are pruned every 10 minutes).
        """)

    @OptionGroup var options: WorkerOptions

    static func worker(_ configuration: WorkerConfiguration) throws -> WorkerApplication {
        var worker = WorkerApplication(kind: kind.rawValue, configuration: configuration)
        let text = ProcessInfo.processInfo.environment["HOTLINE_API_CONNECTIONS"] ?? ""
        let connections = text.isEmpty ? 4 : Int(text) ?? 0
        guard (1...64).contains(connections) else { throw ValidationError("HOTLINE_API_CONNECTIONS=\(text) is not a whole number from 1 to 64") }
        let calendars = try WorkerRules.calendar(logger: worker.logger)
        let workbench = try Workbench.live(databaseURL: configuration.databaseURL, connections: connections, calendars: calendars,
                                           logger: worker.logger, metrics: APIMetrics(registry: worker.metrics.registry, worker: worker.kind),
                                           hotlineProfile: configuration.profile)
        let hoursText = ProcessInfo.processInfo.environment["HOTLINE_API_IDEMPOTENCY_HOURS"] ?? ""
        let hours = hoursText.isEmpty ? 24 : Double(hoursText) ?? 0
        guard hours > 0, hours <= 24 * 365 else {
            throw ValidationError("HOTLINE_API_IDEMPOTENCY_HOURS=\(hoursText) is not a number of hours from 0 to 8760")
        }
        worker.addLoop(IdempotencyKeyPruner(databaseURL: configuration.databaseURL, retention: hours * 3_600, logger: worker.logger))
        worker.addRoutes { router in workbench.addRoutes(to: router) }
        let open311 = try Open311API(sharing: workbench, profile: configuration.profile)
        worker.addRoutes { router in open311.addRoutes(to: router) }
        worker.watchCalendar(calendars)
        return worker
    }
}
