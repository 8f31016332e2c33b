import ArgumentParser
import Foundation
import HotlineDomain
import HotlineRuntime
import HotlineStore
import PostgresClient
#if canImport(Glibc)
import Glibc
#endif

/// `hotlinectl bench scoring`: a simulated history in a database of its own, one month scored
/// (read, scored, written) beside the core aggregation as one plain SQL query through psql in the
/// same run, every month re-scored under another profile, and this process's peak memory.
struct BenchScoring: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scoring",
        abstract: "One month scored beside the plain aggregation through psql; every month re-scored under another profile; peak memory.",
        discussion: """
        Creates (and afterwards drops, unless --keep) the database hotline_bench_scoring on the server of HOTLINE_DATABASE_URL, simulates --months months of --orders-per-day orders for the demo county, then measures. The issue's target is about 2,000,000 orders in a month: --orders-per-day 70000, and a year: --months 12; the defaults are smaller. The history is written with COPY; --keep keeps the database, and a second run with --keep reuses it, so that run's peak memory is the scoring's alone. Build with -c release for figures worth quoting.
        """)

    @Option(name: .customLong("orders-per-day"), help: "Orders on a working day.") var ordersPerDay = 3_000
    @Option(help: "Months simulated (the last one is the month scored).") var months = 3
    @Option(help: "Rounds of each measurement (the median is printed).") var rounds = 3
    @Option(help: "Profile the month is scored under.") var profile = "zezhou"
    @Option(name: .customLong("replay-profile"), help: "Profile every month is re-scored under.") var replayProfile = "qidong"
    @Flag(help: "Keep the bench database (and reuse it when it exists).") var keep = false
    @OptionGroup var database: DatabaseOption

    func run() throws {
        let adminURL = try database.url()
        guard var components = URLComponents(string: adminURL) else { throw UsageError("database URL: not a URL") }
        components.path = "/hotline_bench_scoring"
        guard let url = components.string else { throw UsageError("database URL: not a URL") }
        let admin = try PostgresConnection(url: adminURL, applicationName: "hotlinectl-bench")
        let exists = try admin.query("SELECT 1 FROM pg_database WHERE datname = 'hotline_bench_scoring'").first != nil
        if !(keep && exists) {
            try admin.execute("DROP DATABASE IF EXISTS hotline_bench_scoring WITH (FORCE)")
            try admin.execute("CREATE DATABASE hotline_bench_scoring")
        }
        defer {
            if !keep { _ = try? admin.execute("DROP DATABASE IF EXISTS hotline_bench_scoring WITH (FORCE)") }
            admin.close()
        }
        let scoring = try scoringProfile(profile), replay = try scoringProfile(replayProfile)
        let month = ScoringPeriod(containing: Date()).previous
        let connection = try PostgresConnection(url: url, applicationName: "hotlinectl-bench")
        defer { connection.close() }
        try Migrator.bundled().migrate(connection)
        if !(keep && exists) {
            try connection.withTransaction { _ = try ReferenceData.demoCounty().write(on: $0) }
            let started = Date()
            let summary = try SimulatedHistory(profile: scoring.id, months: months, until: month, ordersPerDay: ordersPerDay, seed: 1)
                .write(on: connection) { p in FileHandle.standardError.write(Data("simulate: \(p.period) done, \(p.orders) orders\n".utf8)) }
            try connection.execute("ANALYZE")
            print("history: \(summary.orders) orders, \(summary.events) events over \(months) months (\(String(format: "%.1f", Date().timeIntervalSince(started))) s to write)")
        }
        let inMonth = try connection.query("""
            SELECT count(*) AS n FROM assignments WHERE role = 'lead' AND state <> 'returnApproved'
              AND dispatched_at >= \(month.start) AND dispatched_at < \(month.end)
            """).first!.decode("n", as: Int.self)
        let asOf = month.end.addingTimeInterval(10 * 86_400) < Date() ? month.end.addingTimeInterval(10 * 86_400) : Date()

        // The batch executable on its own, first of this process's children, so its peak memory
        // is what getrusage(RUSAGE_CHILDREN) reports (this process's heap still holds the simulation's).
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("hotline-scoring").path
        var batchSeconds: Double?, batchPeak: Int?
        if FileManager.default.isExecutableFile(atPath: executable) {
            let t = Date()
            // GNU time reports the child's own peak (getrusage(RUSAGE_CHILDREN) here measured this
            // process's 196 MiB, not the batch's 41 MiB, on a 2,000,000-order month).
            let gnuTime = FileManager.default.isExecutableFile(atPath: "/usr/bin/time")
            let result = gnuTime
                ? try Subprocess.run("/usr/bin/time", ["-f", "peak-kib %M", executable, "--period", month.description, "--profile", scoring.id, "--database-url", url])
                : try Subprocess.run(executable, ["--period", month.description, "--profile", scoring.id, "--database-url", url])
            guard result.status == 0 else { throw UsageError("hotline-scoring failed: \(result.stderr.prefix(300))") }
            batchSeconds = Date().timeIntervalSince(t)
            if gnuTime {
                batchPeak = result.stderr.split(separator: "\n").last { $0.hasPrefix("peak-kib ") }.flatMap { Int($0.dropFirst(9)) }.map { $0 / 1024 }
            } else {
                var children = rusage()
                getrusage(RUSAGE_CHILDREN.rawValue, &children)
                batchPeak = children.ru_maxrss / 1024
            }
        }
        var ours: [Double] = [], reference: [Double] = [], dry: [Double] = []
        for _ in 0..<rounds {
            var t = Date()
            _ = try ScoringBatch.run(period: month, profile: scoring, asOf: asOf, now: Date(), dryRun: false, on: connection)
            ours.append(Date().timeIntervalSince(t))
            t = Date()
            _ = try ScoringBatch.run(period: month, profile: scoring, asOf: asOf, now: Date(), dryRun: true, on: connection)
            dry.append(Date().timeIntervalSince(t))
            t = Date()
            let psql = try Subprocess.run("/usr/bin/psql", ["-X", "-q", "-o", "/dev/null", "-d", url, "-c", Scores.baselineSQL(period: month, asOf: asOf)])
            guard psql.status == 0 else { throw UsageError("psql failed: \(psql.stderr.prefix(300))") }
            reference.append(Date().timeIntervalSince(t))
        }
        var first = month
        for _ in 1..<months { first = first.previous }
        var t = Date()
        var period = first, scored = 0
        while period <= month {
            _ = try ScoringBatch.run(period: period, profile: replay, asOf: asOf, now: Date(), dryRun: true, on: connection)
            period = period.next
            scored += 1
        }
        let replaySeconds = Date().timeIntervalSince(t)
        // The replay's baseline: the same plain aggregation through psql, month after month.
        t = Date()
        period = first
        while period <= month {
            let psql = try Subprocess.run("/usr/bin/psql", ["-X", "-q", "-o", "/dev/null", "-d", url, "-c", Scores.baselineSQL(period: period, asOf: asOf)])
            guard psql.status == 0 else { throw UsageError("psql failed: \(psql.stderr.prefix(300))") }
            period = period.next
        }
        let replayReference = Date().timeIntervalSince(t)
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func s(_ v: Double) -> String { String(format: "%.3f s", v) }
        print("month \(month): \(inMonth) orders dispatched (lead assignments not returned)")
        print("score and write one month (\(scoring.id)): \(s(median(ours)))  (psql, the core aggregation as one plain query: \(s(median(reference))); ratio \(String(format: "%.2f", median(ours) / max(median(reference), 0.000_001))))")
        print("score one month, dry run (\(scoring.id)): \(s(median(dry)))")
        print("re-score \(scored) months under \(replay.id), dry run: \(s(replaySeconds))  (psql, the same aggregation month by month: \(s(replayReference)); ratio \(String(format: "%.2f", replaySeconds / max(replayReference, 0.000_001))))")
        print("the issue's targets: a 2,000,000-order month in ≤ 5 s, a year re-scored in ≤ 60 s, peak resident memory < 256 MiB")
        if let batchSeconds, let batchPeak {
            print("hotline-scoring --period \(month) (its own process, migrations checked, scored and written): \(s(batchSeconds)), peak resident memory \(batchPeak) MiB")
        }
        print("peak resident memory of hotlinectl (\(keep && exists ? "no simulation in this run: scoring only" : "simulation included; rerun with --keep for scoring only")): \(usage.ru_maxrss / 1024) MiB")
    }
}
