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
    var queues: [QueueDepth] = []
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
        var counts: [String: Int] = [:]
        for row in try db.query("SELECT state, count(*)::int8 AS n FROM work_orders GROUP BY state") {
            counts[try row.decode("state", as: String.self)] = try row.decode("n", as: Int.self)
        }
        states = Self.knownStates.map { StateCount(state: $0, count: counts[$0] ?? 0) }
            + counts.keys.filter { !Self.knownStates.contains($0) }.sorted().map { StateCount(state: $0, count: counts[$0]!) }
        workOrders = counts.values.reduce(0, +)

        if let row = try db.query("""
            SELECT number, state, received_at, EXTRACT(EPOCH FROM clock_timestamp() - received_at)::float8 AS age
            FROM work_orders WHERE state IN ('received', 'awaitingDispatch')
            ORDER BY received_at LIMIT 1
            """).first {
            oldestUndispatched = OldestOrder(number: try row.decode("number", as: String.self), state: try row.decode("state", as: String.self),
                                             receivedAt: try row.decode("received_at", as: Date.self),
                                             ageSeconds: try row.decode("age", as: Double.self))
        }
        // Routing records why no rule was confident; the order then waits in awaitingDispatch until
        // the office dispatches it by hand (`hotlinectl order dispatch`).
        needingManualDispatch = try db.query("""
            SELECT count(*)::int8 AS n FROM work_orders
            WHERE state = 'awaitingDispatch' AND manual_dispatch_reason IS NOT NULL
            """).first?.decode("n", as: Int.self)
        rejectedSubmissions = try db.query("SELECT count(*)::int8 AS n FROM rejected_submissions").first?.decode("n", as: Int.self)

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
        try readTimers(db)
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
