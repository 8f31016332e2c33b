import Foundation
import Prometheus

/// The deadline watch's own metrics, registered in the worker's registry (`worker.metrics.registry`)
/// so `/metrics` shows them beside the runtime's. Dimensions: `worker`, the timer `kind`
/// (`reminder` for every reminder) and the `outcome`.
public final class DeadlineMetrics: Sendable {
    /// `fired`: the rule applied; `movedOn`: the order had moved on, the timer only marked fired;
    /// `failed`: its firing threw and it stays open for a later attempt (`TimerRetryPolicy`);
    /// `gaveUp`: its last allowed attempt failed and it was given up (`hotlinectl status` lists it).
    public static let outcomes = ["fired", "movedOn", "failed", "gaveUp"]
    public static let kinds = ["dispatchBy", "signBy", "returnWindow", "reminder", "replyBy", "firstFeedback", "progressReport",
                               "redoDue", "kbEntryDue", "supervisionPlanDue", "monthEnd", "revisitUnanswered", "unknown"]

    private let timers: [String: Counter]
    private let batchSize: ValueHistogram
    private let lateness: ValueHistogram

    public init(worker: String, registry: PrometheusCollectorRegistry) {
        let labels = [("worker", worker)]
        var timers: [String: Counter] = [:]
        for kind in Self.kinds {
            for outcome in Self.outcomes {
                timers["\(kind)/\(outcome)"] = registry.makeCounter(
                    name: "hotline_timers_total", labels: labels + [("kind", kind), ("outcome", outcome)],
                    help: "Due timers claimed, by kind and outcome")
            }
        }
        self.timers = timers
        batchSize = registry.makeValueHistogram(name: "hotline_timer_claim_batch_size", labels: labels,
                                                buckets: [0, 1, 5, 10, 50, 100, 250, 500, 1000],
                                                help: "Due timers per claim (one transaction)")
        lateness = registry.makeValueHistogram(name: "hotline_timer_lateness_seconds", labels: labels,
                                               buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 60, 600, 3600],
                                               help: "Seconds from a timer's fire_at to its firing")
    }

    /// The metric's kind for a stored `timers.kind`.
    public static func kind(_ stored: String) -> String {
        if stored.hasPrefix("reminder.") { return "reminder" }
        return kinds.contains(stored) ? stored : "unknown"
    }

    func timer(kind: String, outcome: String, latenessSeconds: Double?) {
        timers["\(Self.kind(kind))/\(outcome)"]?.increment()
        if let latenessSeconds { lateness.record(max(0, latenessSeconds)) }
    }

    func claimed(_ count: Int) { batchSize.record(Double(count)) }
}
