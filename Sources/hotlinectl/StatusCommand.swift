import AMQPClient
import ArgumentParser
import Foundation
import HotlineContracts
import HotlineDomain
import HotlineStore
import PostgresClient

/// `hotlinectl status`: how the fleet is doing, from the database and the broker.
struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Work orders by state, queue depths, outbox lag, parked messages, the oldest undispatched order, timers due.",
        discussion: """
        Reads PostgreSQL (work orders, outbox, parked messages, rejected submissions) and asks the broker for the depth of every fleet queue with a passive declare: each consumer's queue, its retry tiers and parking queue, and hotline.unrouted. A queue nobody declared yet shows as "not declared". Exit status 1 when the database or the broker could not be read.
        """)

    @Flag(help: "Print the report as JSON.")
    var json = false

    @OptionGroup var database: DatabaseOption
    @OptionGroup var broker: BrokerOption

    func run() throws {
        let report = StatusReport.collect(databaseURL: try database.url(), amqpURL: try broker.url())
        if json { print(encodeJSON(report)) } else { print(report.text, terminator: "") }
        if !report.problems.isEmpty {
            for problem in report.problems { FileHandle.standardError.write(Data("hotlinectl: \(problem)\n".utf8)) }
            throw ExitCode(1)
        }
    }
}

/// What `status` shows (and what `bench pipeline` prints when a run is stuck). Only counts, queue
/// names, order numbers and times: no personal data.
struct StatusReport: Encodable {
    struct StateCount: Encodable {
        var state: String
        var count: Int
    }

    struct QueueDepth: Encodable {
        var queue: String
        /// False: the queue does not exist (nobody declared it yet).
        var declared: Bool
        var messages: Int?
        var consumers: Int?
    }

    struct OutboxState: Encodable {
        var lagSeconds: Double
        var unpublished: Int
        /// Unpublished rows that failed `Outbox.maxAttempts` publishes: an operator must look.
        var failed: Int
        var maxAttempts: Int
    }

    struct OldestOrder: Encodable {
        var number: String
        var state: String
        var receivedAt: Date
        var ageSeconds: Double
    }

    /// The loaded working-day calendar, as seen from today (China Standard Time).
    struct CalendarState: Encodable {
        /// The loaded years, ascending.
        var years: [Int]
        /// The last day of the run of loaded years that starts with the current one (nil when the
        /// current year is not loaded).
        var loadedThrough: String?
        /// Days after today up to `loadedThrough` (0 when the current year is not loaded).
        var daysRemaining: Int
        /// Set when fewer than `warningDays` remain: next year's arrangement must be loaded.
        var warning: String?
    }

    /// Below this many days of loaded calendar, status warns.
    static let calendarWarningDays = 60

    var generatedAt = Date()
    var workOrders: Int?
    var states: [StateCount] = []
    var oldestUndispatched: OldestOrder?
    var needingManualDispatch: Int?
    var rejectedSubmissions: Int?
    var outbox: OutboxState?
    /// Open (not replayed, not purged) parked messages per consumer.
    var parked: [String: Int]?
    /// Timers due, the oldest late one, overdue assignments (StatusCommand+Timers.swift).
    var timers: TimerState?
    /// Reply SMS and citizens' answers (StatusCommand+SMS.swift).
    var sms: SMSState?
    var queues: [QueueDepth] = []
    var calendar: CalendarState?
    /// The latest score runs, newest first (nil: not readable).
    var scoring: [ScoringRunLine]?
    /// Open311 requests and keys (StatusCommand+Open311.swift).
    var open311: Open311State?

    struct ScoringRunLine: Encodable {
        var period: String
        var profile: String
        var version: Int
        var computedAt: Date
        var publishedAt: Date?
        var units: Int
        var orders: Int
    }
    /// What could not be read ("database: ...", "broker: ..."); empty when everything was.
    var problems: [String] = []

    /// The work-order states in lifecycle order (others that appear are listed after these).
    static let knownStates = ["received", "awaitingDispatch", "dispatched", "revisitPending", "rated", "redo", "closed",
                              "notAccepted", "resolvedAtIntake"]

    /// Every queue of the fleet: each consumer's queue, retry tiers and parking queue, then the
    /// unrouted queue.
    static var fleetQueues: [String] {
        var names: [String] = []
        for consumer in Topology.consumers {
            names.append(consumer)
            for tier in Topology.retryDelaysMilliseconds.indices { names.append(Topology.retryQueue(of: consumer, tier: tier)) }
            names.append(Topology.parkingQueue(of: consumer))
        }
        names.append(Topology.unroutedQueue)
        return names
    }

    /// Connects, reads, disconnects. Failures become `problems`, never thrown.
    static func collect(databaseURL: String, amqpURL: String) -> StatusReport {
        var report = StatusReport()
        do {
            let connection = try PostgresConnection(url: databaseURL, applicationName: "hotlinectl-status")
            defer { connection.close() }
            try report.readDatabase(connection)
        } catch {
            report.problems.append("database: \(error)")
        }
        do {
            let connection = try AMQPConnection(url: amqpURL, connectionName: "hotlinectl-status")
            defer { connection.close() }
            try report.readQueues(connection)
        } catch {
            report.problems.append("broker: \(error)")
        }
        return report
    }

    /// With connections the caller owns (bench pipeline).
    static func collect(database: PostgresConnection, amqp: AMQPConnection) -> StatusReport {
        var report = StatusReport()
        do { try report.readDatabase(database) } catch { report.problems.append("database: \(error)") }
        do { try report.readQueues(amqp) } catch { report.problems.append("broker: \(error)") }
        return report
    }

    mutating func readDatabase(_ db: PostgresConnection) throws {
        let migrated = try db.query("SELECT to_regclass('work_orders') IS NOT NULL AND to_regclass('outbox') IS NOT NULL AS ok")
        guard try migrated.first?.decode("ok", as: Bool.self) == true else {
            problems.append("database: not migrated (run `hotlinectl migrate`)")
            return
        }
        let counts = try WorkOrders.countsByState(on: db)
        states = Self.knownStates.map { StateCount(state: $0, count: counts[$0] ?? 0) }
            + counts.keys.filter { !Self.knownStates.contains($0) }.sorted().map { StateCount(state: $0, count: counts[$0]!) }
        workOrders = counts.values.reduce(0, +)

        if let oldest = try WorkOrders.oldestUndispatched(on: db) {
            oldestUndispatched = OldestOrder(number: oldest.number, state: oldest.state, receivedAt: oldest.receivedAt,
                                             ageSeconds: oldest.ageSeconds)
        }
        needingManualDispatch = try WorkOrders.awaitingManualDispatchCount(on: db)
        rejectedSubmissions = try RejectedSubmissions.count(on: db)

        let lag = try Outbox.lagSeconds(on: db)
        let outboxRow = try db.query("""
            SELECT count(*) FILTER (WHERE attempts < \(Outbox.maxAttempts))::int8 AS unpublished,
                   count(*) FILTER (WHERE attempts >= \(Outbox.maxAttempts))::int8 AS failed
            FROM outbox WHERE published_at IS NULL
            """).first
        outbox = OutboxState(lagSeconds: lag, unpublished: try outboxRow?.decode("unpublished", as: Int.self) ?? 0,
                             failed: try outboxRow?.decode("failed", as: Int.self) ?? 0, maxAttempts: Outbox.maxAttempts)

        var open: [String: Int] = Dictionary(uniqueKeysWithValues: Topology.consumers.map { ($0, 0) })
        for row in try db.query("""
            SELECT consumer, count(*)::int8 AS n FROM parked_messages
            WHERE replayed_at IS NULL AND purged_at IS NULL GROUP BY consumer
            """) {
            open[try row.decode("consumer", as: String.self)] = try row.decode("n", as: Int.self)
        }
        parked = open

        let hasCalendar = try db.query("SELECT to_regclass('calendar_years') IS NOT NULL AS ok").first?.decode("ok", as: Bool.self) ?? false
        if hasCalendar {
            calendar = Self.calendarState(years: try CalendarStore.years(on: db).map(\.year), today: LocalDate(instant: generatedAt))
        }
        try readTimers(db)
        try readOpen311(db)
        try readSMS(db)
        if try db.query("SELECT to_regclass('score_runs') IS NOT NULL AS ok").first?.decode("ok", as: Bool.self) ?? false {
            scoring = try Scores.recentRuns(limit: 3, on: db).map {
                ScoringRunLine(period: $0.period, profile: $0.profile, version: $0.version, computedAt: $0.computedAt,
                               publishedAt: $0.publishedAt, units: $0.units, orders: $0.orders)
            }
        }
    }

    /// How much loaded calendar is left after `today`, and the warning when it is under 60 days.
    static func calendarState(years: [Int], today: LocalDate) -> CalendarState {
        var last: Int?
        while years.contains((last ?? today.year - 1) + 1) { last = (last ?? today.year - 1) + 1 }
        let through = last.map { LocalDate(year: $0, month: 12, day: 31)! }
        let remaining = through.map { $0.daysSinceEpoch - today.daysSinceEpoch } ?? 0
        var warning: String?
        if remaining < calendarWarningDays {
            let next = (last ?? today.year - 1) + 1
            warning = (through.map { "working-day calendar loaded only to \($0) (\(remaining) days left)" }
                       ?? "no working-day calendar loaded for \(today.year)")
                + ": load the \(next) arrangement (`hotlinectl calendar load FILE`); until then due times in \(next) count Monday to Friday"
        }
        return CalendarState(years: years, loadedThrough: through?.description, daysRemaining: remaining, warning: warning)
    }

    mutating func readQueues(_ amqp: AMQPConnection) throws {
        for name in Self.fleetQueues {
            do {
                let depth = try amqp.queueDepth(name)
                queues.append(QueueDepth(queue: name, declared: true, messages: depth.messages, consumers: depth.consumers))
            } catch let error as AMQPError {
                // A passive declare of a missing queue: 404, and the channel is reopened.
                guard case .channelClosed(let code, _) = error.code, code == 404 else { throw error }
                queues.append(QueueDepth(queue: name, declared: false))
            }
        }
    }

    // MARK: - Text

    var text: String {
        var out = ""
        func line(_ text: String = "") { out += text + "\n" }
        let width = max(Self.fleetQueues.map(\.count).max() ?? 0, Self.knownStates.map(\.count).max() ?? 0) + 2
        func pad(_ text: String) -> String { text.padding(toLength: max(width, text.count + 1), withPad: " ", startingAt: 0) }
        func right(_ text: String, _ size: Int) -> String { String(repeating: " ", count: max(0, size - text.count)) + text }

        if let workOrders {
            line("work orders: \(workOrders)")
            for state in states { line("  " + pad(state.state) + right(String(state.count), 9)) }
            if let oldest = oldestUndispatched {
                line("  oldest undispatched: \(oldest.number) (\(oldest.state)), received \(ChinaTime.format(oldest.receivedAt)), "
                     + "\(Self.age(oldest.ageSeconds)) ago")
            } else {
                line("  oldest undispatched: none")
            }
            if let needingManualDispatch { line("  needing manual dispatch: \(needingManualDispatch)") }
            if let rejectedSubmissions { line("  rejected submissions: \(rejectedSubmissions)") }
        } else {
            line("work orders: unavailable")
        }
        line()
        if let outbox {
            line("outbox: \(outbox.unpublished) unpublished, lag \(String(format: "%.1f", outbox.lagSeconds)) s, "
                 + "\(outbox.failed) failed (≥ \(outbox.maxAttempts) attempts)")
        } else {
            line("outbox: unavailable")
        }
        if let parked {
            line("parked messages (open): " + Topology.consumers.map { "\($0) \(parked[$0] ?? 0)" }.joined(separator: ", ")
                 + parked.keys.filter { !Topology.consumers.contains($0) }.sorted().map { ", \($0) \(parked[$0]!)" }.joined())
        } else {
            line("parked messages: unavailable")
        }
        out += timersText
        out += open311Text
        out += smsText
        line()
        if queues.isEmpty {
            line("queues: unavailable")
        } else {
            line("queues" + String(repeating: " ", count: max(1, width - 4)) + right("ready", 9) + right("consumers", 11))
            for queue in queues {
                if queue.declared {
                    line("  " + pad(queue.queue) + right(String(queue.messages ?? 0), 9) + right(String(queue.consumers ?? 0), 11))
                } else {
                    line("  " + pad(queue.queue) + right("not declared", 20))
                }
            }
        }
        line()
        if let calendar {
            let years = calendar.years.isEmpty ? "none" : "\(calendar.years.first!)–\(calendar.years.last!)"
            line("calendar: years \(years) loaded" + (calendar.loadedThrough.map { ", through \($0) (\(calendar.daysRemaining) days left)" } ?? ""))
            if let warning = calendar.warning { line("warning: \(warning)") }
        } else {
            line("calendar: unavailable")
        }
        if let scoring {
            if scoring.isEmpty { line("scoring: no period scored yet") }
            for run in scoring {
                line("scoring: \(run.period) under \(run.profile) v\(run.version), computed \(ChinaTime.format(run.computedAt)) "
                     + "(\(run.units) units, \(run.orders) orders; " + (run.publishedAt.map { "published \(ChinaTime.format($0))" } ?? "not published") + ")")
            }
        } else {
            line("scoring: unavailable")
        }
        for problem in problems { line("problem: \(problem)") }
        return out
    }

    /// 42 s, 3 min 12 s, 2 h 5 min, 3 d 4 h.
    static func age(_ seconds: Double) -> String {
        let s = max(0, Int(seconds))
        if s < 60 { return "\(s) s" }
        if s < 3600 { return "\(s / 60) min \(s % 60) s" }
        if s < 86400 { return "\(s / 3600) h \(s % 3600 / 60) min" }
        return "\(s / 86400) d \(s % 86400 / 3600) h"
    }
}
