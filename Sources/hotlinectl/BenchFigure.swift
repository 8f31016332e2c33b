import Foundation

/// One measured figure of a benchmark, beside the same shape measured by a reference tool in the
/// same run, so the printed figure is a ratio and not an absolute claim on a noisy machine.
struct BenchFigure: Sendable {
    /// What was measured, e.g. "PostgreSQL single-row commits".
    var name: String
    /// Unit of `ours` and `reference`, e.g. "commits/s".
    var unit: String
    /// Median of our client's runs.
    var ours: Double
    /// Median of the reference tool's runs (pgbench, pika), nil when there is none.
    var reference: Double?
    /// Which reference tool, e.g. "pgbench -f", "pika 1.4.4".
    var referenceTool: String?

    var ratio: Double? { reference.map { $0 > 0 ? ours / $0 : 0 } }

    var line: String {
        func format(_ value: Double) -> String { String(format: "%.0f", value) }
        var text = "\(name): \(format(ours)) \(unit)"
        if let reference, let referenceTool, let ratio {
            text += "  (\(referenceTool): \(format(reference)) \(unit); ratio \(String(format: "%.2f", ratio)))"
        }
        return text
    }
}

/// The middle value (the mean of the two middle ones for an even count); 0 for none.
func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return 0 }
    let middle = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}
