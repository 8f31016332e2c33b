import Foundation
import Prometheus

/// hotline-sms-reply's own counters, in the worker's registry (`/metrics`). Dimensions: `worker`,
/// `outcome`, `interpretation`, `status`: low cardinality, no personal data.
public final class SMSMetrics: Sendable {
    public static let sendOutcomes = ["accepted", "retry", "failed"]
    public static let interpretations = ["rating", "optOut", "unclear", "unmatched"]
    public static let reportStatuses = ["delivered", "accepted", "failed", "other", "unmatched"]

    private let queued: Counter
    private let sends: [String: Counter]
    private let answers: [String: Counter]
    private let reports: [String: Counter]
    private let sendTime: DurationHistogram

    public init(worker: String, registry: PrometheusCollectorRegistry) {
        let labels = [("worker", worker)]
        queued = registry.makeCounter(name: "hotline_sms_queued_total", labels: labels, help: "Reply SMS stored for sending")
        sends = Dictionary(uniqueKeysWithValues: Self.sendOutcomes.map {
            ($0, registry.makeCounter(name: "hotline_sms_sent_total", labels: labels + [("outcome", $0)],
                                      help: "Attempts through the SMS gateway, by outcome"))
        })
        answers = Dictionary(uniqueKeysWithValues: Self.interpretations.map {
            ($0, registry.makeCounter(name: "hotline_sms_received_total", labels: labels + [("interpretation", $0)],
                                      help: "Citizens' SMS received, by what they were read as"))
        })
        reports = Dictionary(uniqueKeysWithValues: Self.reportStatuses.map {
            ($0, registry.makeCounter(name: "hotline_sms_delivery_reports_total", labels: labels + [("status", $0)],
                                      help: "Delivery reports received, by status"))
        })
        sendTime = registry.makeDurationHistogram(name: "hotline_sms_send_seconds", labels: labels,
                                                  buckets: [.milliseconds(1), .milliseconds(5), .milliseconds(20), .milliseconds(100),
                                                            .milliseconds(500), .seconds(2), .seconds(10)],
                                                  help: "Time of one gateway request")
    }

    func queuedOne() { queued.increment() }
    func sent(_ outcome: String, seconds: Double) {
        sends[outcome]?.increment()
        sendTime.recordNanoseconds(Int64(seconds * 1e9))
    }
    func received(_ interpretation: String) { answers[interpretation]?.increment() }
    func report(status: Int, matched: Bool) {
        let name: String
        if !matched {
            name = "unmatched"
        } else {
            name = switch status { case 1: "delivered"; case 8: "accepted"; case 2, 16: "failed"; default: "other" }
        }
        reports[name]?.increment()
    }
}
