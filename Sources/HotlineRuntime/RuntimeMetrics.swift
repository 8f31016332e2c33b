import Foundation
import Prometheus

/// The metrics every worker exports on `/metrics`, in Prometheus text format. Names come from
/// here only; dimensions are low-cardinality (`worker`, `outcome`, `server`).
public final class RuntimeMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    public let worker: String

    private let messages: [String: Counter]
    private let batchSize: ValueHistogram
    private let handleTime: DurationHistogram
    private let commitTime: DurationHistogram
    private let reconnects: [String: Counter]
    private let outboxLag: Gauge
    private let outboxPublished: Counter
    private let outboxFailed: Counter
    private let lanesReady: Gauge
    private let readyCount = ReadyCount()
    private let relayGauge: Gauge
    private let relayCount = ReadyCount()

    public static let outcomes = ["applied", "duplicate", "retried", "parked"]

    public init(worker: String, registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        self.worker = worker
        let labels = [("worker", worker)]
        messages = Dictionary(uniqueKeysWithValues: Self.outcomes.map { outcome in
            (outcome, registry.makeCounter(name: "hotline_messages_total", labels: labels + [("outcome", outcome)],
                                           help: "Messages handled, by outcome"))
        })
        batchSize = registry.makeValueHistogram(name: "hotline_batch_size", labels: labels,
                                                buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
                                                help: "Deliveries per batch transaction")
        let durations: [Duration] = [.microseconds(100), .microseconds(500), .milliseconds(1), .milliseconds(5),
                                     .milliseconds(10), .milliseconds(50), .milliseconds(100), .milliseconds(500),
                                     .seconds(1), .seconds(5)]
        handleTime = registry.makeDurationHistogram(name: "hotline_handle_seconds", labels: labels, buckets: durations,
                                                    help: "Time a handler took for one message")
        commitTime = registry.makeDurationHistogram(name: "hotline_commit_seconds", labels: labels, buckets: durations,
                                                    help: "Time of one batch transaction, begin to commit")
        reconnects = Dictionary(uniqueKeysWithValues: ["postgres", "amqp"].map { server in
            (server, registry.makeCounter(name: "hotline_reconnects_total", labels: labels + [("server", server)],
                                          help: "Reconnections to a server"))
        })
        outboxLag = registry.makeGauge(name: "hotline_outbox_lag_seconds", labels: labels,
                                       help: "Age of the oldest unpublished outbox row")
        outboxPublished = registry.makeCounter(name: "hotline_outbox_published_total", labels: labels,
                                               help: "Outbox rows published with a confirm")
        outboxFailed = registry.makeCounter(name: "hotline_outbox_failed_total", labels: labels,
                                            help: "Outbox publishes returned or nacked by the broker")
        lanesReady = registry.makeGauge(name: "hotline_lanes_ready", labels: labels,
                                        help: "Lanes connected to both servers and consuming")
        relayGauge = registry.makeGauge(name: "hotline_relay_ready", labels: labels,
                                        help: "1 when the outbox relay is connected to both servers")
    }

    func message(outcome: String) { messages[outcome]?.increment() }
    func batch(size: Int) { batchSize.record(Double(size)) }
    func handled(_ duration: Duration) { handleTime.record(duration) }
    func committed(_ duration: Duration) { commitTime.record(duration) }
    func reconnected(server: String) { reconnects[server]?.increment() }
    func outbox(lagSeconds: Double) { outboxLag.set(lagSeconds) }
    func outbox(published: Int, failed: Int) {
        if published > 0 { outboxPublished.increment(by: Int64(published)) }
        if failed > 0 { outboxFailed.increment(by: Int64(failed)) }
    }
    func laneReady(_ ready: Bool) {
        lanesReady.set(Double(readyCount.add(ready ? 1 : -1)))
    }

    /// The relay's connections: up (both servers answered its last turn) or down.
    func relayReady(_ ready: Bool) {
        let value = relayCount.set(ready ? 1 : 0)
        relayGauge.set(Double(value))
    }

    public var isRelayReady: Bool { relayCount.value == 1 }

    /// Lanes connected to both servers and consuming.
    public var readyLanes: Int { readyCount.value }

    /// The Prometheus text exposition of every metric.
    public func exposition() -> String { registry.emitToString() }
}

/// A lock-protected count (the gauge cannot be read back).
final class ReadyCount: @unchecked Sendable {
    // @unchecked Sendable: `count` is only touched under `lock`.
    private let lock = NSLock()
    private var count = 0
    func add(_ delta: Int) -> Int { lock.withLock { count += delta; return count } }
    func set(_ value: Int) -> Int { lock.withLock { count = value; return count } }
    var value: Int { lock.withLock { count } }
}
