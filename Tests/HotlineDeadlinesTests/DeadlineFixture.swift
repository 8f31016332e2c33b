import Foundation
import HotlineContracts
import HotlineDeadlines
import HotlineDomain
import HotlineRuntime
import HotlineStore
import HotlineTestSupport
import PostgresClient
import Testing

/// A fresh database with units, orders created and dispatched through the domain and the store
/// (as intake and routing do), and a claimer on a moved clock.
final class DeadlineFixture: @unchecked Sendable {
    // @unchecked Sendable: used by one test at a time.
    let url: String
    let database: PostgresConnection
    /// The built-in calendar; a test of years not loaded sets the stored one (`CalendarStore.read`).
    var calendar = try! WorkingCalendar.bundled()
    let clock: ManualClock

    static let units = ["WATER", "HOUSING", "POWER"]

    init(url: String, clock: Date) throws {
        self.url = url
        self.clock = ManualClock(clock)
        database = try PostgresConnection(url: url, applicationName: "deadline-test")
        try Migrator.bundled().migrate(database)
        for code in Self.units {
            try database.execute("INSERT INTO units (code, name, level, kind) VALUES (\(code), \(code), 2, 'department')")
        }
    }

    static func with(clock: Date = Date(timeIntervalSince1970: 0), _ body: (DeadlineFixture) throws -> Void) throws {
        try PostgresTestDatabase.with { url in
            let fixture = try DeadlineFixture(url: url, clock: clock)
            defer { fixture.database.close() }
            try body(fixture)
        }
    }

    func claimer(metrics: DeadlineMetrics? = nil, batchSize: Int = 500) -> TimerClaimer {
        var configuration = TimerClaimer.Configuration(databaseURL: url)
        configuration.batchSize = batchSize
        return TimerClaimer(configuration: configuration, clock: clock, calendar: calendar, metrics: metrics)
    }

    func rules(_ command: Command, _ order: WorkOrder, profile: String, at now: Date) throws -> Transition {
        try Lifecycle.apply(command, to: order, now: now, profile: try PolicyProfile.bundled(profile), calendar: calendar).get()
    }

    /// An order received and accepted at `at` (in `tx`): it waits for dispatch.
    @discardableResult
    func acceptedOrder(profile: String, kind: OrderKind, at: Date, on tx: PostgresConnection) throws -> UUID {
        let id = UUID()
        let order = WorkOrder(id: id.uuidString, kind: kind, channel: .phone, receivedAt: at)
        let number = try WorkOrders.reserveNumbers(receivedAt: [at], on: tx)[0]
        let new = NewWorkOrder(id: id, number: number, profile: profile, order: order, submissionId: "s-\(id)", title: "停水",
                               contentPII: "幸福小区停水", citizenPhonePII: "13800138000")
        try WorkOrders.create([OrderCreation(order: new, transition: try rules(.accept, order, profile: profile, at: at), outbox: [])],
                              actor: "test", at: at, on: tx)
        return id
    }

    /// An order received and accepted at `at`, then dispatched to WATER at `at` (in `tx`).
    @discardableResult
    func dispatchedOrder(profile: String, kind: OrderKind, at: Date, on tx: PostgresConnection) throws -> UUID {
        let id = try acceptedOrder(profile: profile, kind: kind, at: at, on: tx)
        try apply(.dispatch(lead: "WATER", coUnits: []), to: id, profile: profile, at: at, on: tx)
        return id
    }

    /// Applies a unit's or the office's command through the domain and the store.
    func apply(_ command: Command, to id: UUID, profile: String, at: Date, on connection: PostgresConnection) throws {
        let stored = try WorkOrders.load(id, forUpdate: true, on: connection)!
        try WorkOrders.apply(try rules(command, stored.order, profile: profile, at: at), to: stored, actor: "test", at: at,
                             outbox: [], on: connection)
    }

    func scalar(_ sql: SQL) throws -> Int64 {
        try database.query(sql).first!.decode(0, as: Int64.self)
    }

    func strings(_ sql: SQL) throws -> [String] {
        try database.query(sql).map { try $0.decode(0, as: String.self) }
    }

    /// Open timers of an order: kind and fire_at.
    func openTimers(_ id: UUID) throws -> [String: Date] {
        var timers: [String: Date] = [:]
        for row in try database.query("""
            SELECT kind, fire_at FROM timers WHERE work_order_id = \(id) AND fired_at IS NULL AND cancelled_at IS NULL
            """) {
            timers[try row.decode("kind", as: String.self)] = try row.decode("fire_at", as: Date.self)
        }
        return timers
    }
}

/// An instant in China Standard Time (UTC+8), to write expected deadlines as the documents do.
func china(_ year: Int, _ month: Int, _ day: Int, _ hour: Int = 0, _ minute: Int = 0) -> Date {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = TimeZone(secondsFromGMT: 8 * 3600)!
    return calendar.date(from: DateComponents(year: year, month: month, day: day, hour: hour, minute: minute))!
}

/// Walks `schedule` (timer kind → instant) in time order on the fixture's clock: one second before
/// each instant nothing fires; at the instant exactly the timers due then fire, under their rule.
func walk(_ fixture: DeadlineFixture, _ claimer: TimerClaimer, _ schedule: [String: Date]) throws {
    let instants = Dictionary(grouping: schedule.keys, by: { schedule[$0]! }).sorted { $0.key < $1.key }
    for (instant, kinds) in instants {
        fixture.clock.set(instant.addingTimeInterval(-1))
        let early = try claimer.fireDue(on: fixture.database)
        #expect(early.fired.isEmpty, "nothing due one second before \(ChinaTime.format(instant)), fired \(early.fired)")
        fixture.clock.set(instant)
        let due = try claimer.fireDue(on: fixture.database)
        #expect(due.fired.sorted() == kinds.sorted(), "at \(ChinaTime.format(instant))")
        #expect(due.movedOn == 0 && due.failed == 0)
    }
}

/// The types of the events the deadline watch wrote on an order, in order.
func events(_ fixture: DeadlineFixture, _ id: UUID) throws -> [String] {
    try fixture.strings("SELECT type FROM events WHERE work_order_id = \(id) AND actor = 'deadline-watch' ORDER BY id")
}
