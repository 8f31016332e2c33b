import ArgumentParser
import Foundation
import HotlineDomain
import HotlineRuntime
import HotlineStore
import PostgresClient

/// `hotlinectl simulate`: months of complete lifecycles for the demo county, written straight into
/// the system of record: the demo data for the report and the data for the benchmark.
struct SimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Write months of complete work-order lifecycles for the demo county straight into the database.",
        discussion: """
        Seeds the demo county first (idempotent), then writes, day by day across the working-day calendar of record, orders with their dispatch, signing (some late), approved returns, extensions, replies (some late, some never), revisits with ratings, redo, supervision, exclusions and clusters, in multi-row inserts, one transaction per batch. The same --seed and arguments write the same history. Progress goes to standard error, month by month.
        """)

    @Option(help: "Profile the orders are kept under (default: $HOTLINE_PROFILE or qidong).") var profile: String?
    @Option(help: "How many months, ending with --until.") var months = 12
    @Option(name: .customLong("orders-per-day"), help: "Orders on a working day (a third of it on rest days).") var ordersPerDay = 100
    @Option(help: "The random seed.") var seed: UInt64 = 12345
    @Option(help: "The last month simulated, YYYY-MM (default: the previous month).") var until: String?
    @OptionGroup var database: DatabaseOption

    func validate() throws {
        guard (1...120).contains(months) else { throw ValidationError("months: 1 to 120") }
        guard (1...200_000).contains(ordersPerDay) else { throw ValidationError("orders-per-day: 1 to 200000") }
        if let until, ScoringPeriod(until) == nil { throw ValidationError("until: \(until) is not YYYY-MM") }
    }

    func run() throws {
        let scoring = try scoringProfile(profile)
        let last = until.flatMap(ScoringPeriod.init) ?? ScoringPeriod(containing: Date()).previous
        let connection = try database.connect(name: "hotlinectl-simulate")
        defer { connection.close() }
        do {
            try Migrator.bundled().migrate(connection)
            let demo = try ReferenceData.demoCounty()
            try connection.withTransaction { _ = try demo.write(on: $0) }
            let started = Date()
            let history = SimulatedHistory(profile: scoring.id, months: months, until: last, ordersPerDay: ordersPerDay, seed: seed)
            let summary = try history.write(on: connection) { p in
                let share = p.totalOrders == 0 ? 100 : min(100, p.orders * 100 / p.totalOrders)
                FileHandle.standardError.write(Data("simulate: \(p.period) done, \(p.orders) orders (\(p.monthsDone)/\(p.months) months, ~\(share)%)\n".utf8))
            }
            let seconds = Date().timeIntervalSince(started)
            print("simulated \(months) months to \(last) under \(scoring.id), seed \(seed): \(summary.orders) orders, \(summary.assignments) assignments, "
                  + "\(summary.ratings) ratings, \(summary.events) events, \(summary.exclusions) exclusions in \(String(format: "%.1f", seconds)) s")
        } catch let error as SimulationError {
            FileHandle.standardError.write(Data("hotlinectl: \(error.description)\n".utf8))
            throw ExitCode(1)
        } catch {
            FileHandle.standardError.write(Data("hotlinectl: \(SafeErrors.describe(error))\n".utf8))
            throw ExitCode(1)
        }
    }
}
