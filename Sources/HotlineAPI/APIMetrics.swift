import Foundation
import Prometheus

/// The API's own counters, in the worker's registry (served at `/metrics` beside the runtime's):
/// requests by route and status, and how long each route took. Labels are a fixed set of route
/// names and status codes, never a path or a value.
public struct APIMetrics: Sendable {
    let registry: PrometheusCollectorRegistry
    let worker: String

    static let buckets: [Duration] = [.milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(20),
                                      .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1)]

    public init(registry: PrometheusCollectorRegistry, worker: String) {
        self.registry = registry
        self.worker = worker
    }

    func record(route: String, status: Int, duration: Duration) {
        registry.makeCounter(name: "hotline_api_requests_total",
                             labels: [("worker", worker), ("route", route), ("status", String(status))],
                             help: "API requests by route and status").increment()
        registry.makeDurationHistogram(name: "hotline_api_request_seconds", labels: [("worker", worker), ("route", route)],
                                       buckets: Self.buckets, help: "Time to answer an API request, by route").record(duration)
    }
}
