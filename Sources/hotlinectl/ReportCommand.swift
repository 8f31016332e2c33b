import ArgumentParser
import Foundation
import HotlineDomain
import HotlineRuntime
import HotlineStore
import PostgresClient

/// `hotlinectl report`: the monthly report as one self-contained HTML file (inline SVG, no script,
/// no font or image from anywhere, A4), or the ranking with every figure as CSV.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "The monthly report: ranking, a bar chart of the scores, twelve-month trends, overdue and supervised orders, hot spots.",
        discussion: """
        Uses the period's latest stored run (under --profile when given); when none is stored, scores the period under --profile (or $HOTLINE_PROFILE) without writing, and says so. --format csv writes the ranking with every figure (numerator, denominator, points, rule), one line per figure.
        """)

    @Option(help: "The month, YYYY-MM.") var period: String
    @Option(help: "Where to write (default: standard output).") var out: String?
    @Option(help: "html or csv.") var format = "html"
    @Option(help: "Profile of the run to report (default: the latest run of the period).") var profile: String?
    @OptionGroup var database: DatabaseOption

    func run() throws {
        let month = try parsePeriod(period)
        guard ["html", "csv"].contains(format) else { throw UsageError("format: \(format) is not html or csv") }
        if let profile, !PolicyProfile.bundledIDs.contains(profile) { throw UsageError("profile: \(profile) is not a bundled profile") }
        let connection = try database.connect(name: "hotlinectl-report")
        defer { connection.close() }
        do {
            let report = try MonthlyReport.collect(period: month, profile: profile, fallback: try scoringProfile(profile), on: connection)
            let text = format == "csv" ? report.csv() : report.html()
            if let out {
                try Data(text.utf8).write(to: URL(fileURLWithPath: out))
                print("wrote \(out): \(report.lines.count) units, \(report.source)")
            } else {
                print(text, terminator: "")
            }
        } catch {
            FileHandle.standardError.write(Data("hotlinectl: \(SafeErrors.describe(error))\n".utf8))
            throw ExitCode(1)
        }
    }
}
