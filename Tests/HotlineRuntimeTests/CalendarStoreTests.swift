import Foundation
import HotlineDomain
import HotlineRuntime
import HotlineStore
import HotlineTestSupport
import PostgresClient
import Synchronization
import Testing

/// The working-day calendar in the system of record: seeded with the built-in years, loaded by an
/// operator (replacing a year, never overwritten by the seed), read by a running worker's source
/// without a restart, and timers counted Monday to Friday counted again when their year arrives.
@Suite(.serialized) struct CalendarStoreTests {
    let profile = try! PolicyProfile.bundled("qidong")
    /// Monday 2026-12-28 10:00 China time: a 5-working-day reply runs into 2027.
    let monday = ChinaTime.parse("2026-12-28T10:00:00+08:00")!
    /// 2027 with New Year's Day (a Friday) off.
    let year2027 = HolidayArrangement(year: 2027, holidays: [LocalDate("2027-01-01")!], workdays: [])

    func withStore(_ body: (PostgresConnection) throws -> Void) throws {
        try PostgresTestDatabase.with { url in
            let connection = try PostgresConnection(url: url)
            defer { connection.close() }
            try Migrator.bundled().migrate(connection)
            try connection.execute("INSERT INTO units (code, name, level, kind) VALUES ('WATER', '水务局', 2, 'department')")
            try body(connection)
        }
    }

    func count(_ connection: PostgresConnection, _ sql: SQL) throws -> Int64 {
        try connection.query(sql).first!.decode(0, as: Int64.self)
    }

    /// An order waiting for dispatch since `monday`, dispatched to WATER with `calendar`.
    func dispatchedOrder(_ connection: PostgresConnection, calendar: WorkingCalendar) throws -> (UUID, String, Transition) {
        let id = UUID()
        let number = "12345-20261228-\(id.uuidString.prefix(7))"
        try connection.execute("""
            INSERT INTO work_orders (id, number, profile, channel, submission_id, state, category, title, content_pii, received_at)
            VALUES (\(id), \(number), 'qidong', 'phone', \(id.uuidString), 'awaitingDispatch', 'help', '停水', '幸福小区停水', \(monday))
            """)
        let stored = try #require(try WorkOrders.load(id, on: connection))
        let transition = try Lifecycle.apply(.dispatch(lead: "WATER", coUnits: []), to: stored.order, now: monday,
                                             profile: profile, calendar: calendar).get()
        try connection.withTransaction { tx in
            try WorkOrders.apply(transition, to: stored, actor: "routing", at: monday, outbox: [], on: tx)
        }
        return (id, number, transition)
    }

    func timer(_ connection: PostgresConnection, _ id: UUID, _ kind: String) throws -> (fireAt: Date, year: Int?) {
        let row = try #require(try connection.query("""
            SELECT fire_at, weekdays_fallback_year FROM timers
            WHERE work_order_id = \(id) AND kind = \(kind) AND cancelled_at IS NULL
            """).first)
        return (try row.decode("fire_at", as: Date.self), try row.decode("weekdays_fallback_year", as: Int?.self))
    }

    @Test func theBuiltInYearsSeedTheTableAndAnOperatorsYearIsNeverOverwritten() throws {
        try withStore { connection in
            let seeded = try CalendarStore.years(on: connection)
            #expect(seeded.map(\.year) == Array(2020...2026))
            #expect(Set(seeded.map(\.source)) == ["built-in"])
            #expect(try CalendarStore.read(on: connection).arrangements == (try WorkingCalendar.bundled()).arrangements)

            // An operator corrects 2026: it replaces the built-in year, in one go.
            let corrected = HolidayArrangement(year: 2026, holidays: [LocalDate("2026-01-01")!], workdays: [LocalDate("2026-01-04")!])
            let outcome = try connection.withTransaction { tx in
                try CalendarStore.load(corrected, actor: "test", at: Date(), on: tx)
            }
            #expect(outcome.replaced)
            #expect(try count(connection, "SELECT count(*) FROM calendar_days WHERE year = 2026") == 2)
            // The seed (run by every migrate) leaves it alone.
            #expect(try Migrator.bundled().migrate(connection).isEmpty)
            #expect(try connection.withTransaction { try CalendarStore.seedBuiltIn(on: $0) }.isEmpty)
            #expect(try CalendarStore.years(on: connection).first { $0.year == 2026 }?.source == "operator")
            #expect(try CalendarStore.read(on: connection).arrangements[2026] == corrected)
            // Loading a year again replaces it.
            try connection.withTransaction { tx in try CalendarStore.load(year2027, actor: "test", at: Date(), on: tx) }
            let again = try connection.withTransaction { tx in try CalendarStore.load(year2027, actor: "test", at: Date(), on: tx) }
            #expect(again.replaced)
            #expect(try count(connection, "SELECT count(*) FROM calendar_days WHERE year = 2027") == 1)
        }
    }

    @Test func aRunningSourceSeesANewlyLoadedYearWithoutARestart() throws {
        try withStore { connection in
            var initial = try WorkingCalendar.bundled()
            initial.outsideLoadedYears = .weekdaysOnly
            let changes = Counter()
            let source = CalendarSource(initial: initial, interval: .seconds(3600)) { _ in changes.add() }
            try source.refreshIfDue(on: connection)
            #expect(source.current.loadedYears == Array(2020...2026))
            #expect(try source.current.isWorkingDay(LocalDate("2027-01-01")!))  // Monday–Friday fallback
            #expect(changes.value == 1)

            // An operator loads 2027 from another process.
            let other = try PostgresConnection(url: connection.url)
            defer { other.close() }
            try other.withTransaction { tx in _ = try CalendarStore.load(year2027, actor: "test", at: Date(), on: tx) }
            // Within the interval nothing is read; once it has passed (here: expired, as on NOTIFY), it is.
            try source.refreshIfDue(on: connection)
            #expect(source.current.loadedYears.last == 2026)
            source.expire()
            try source.refreshIfDue(on: connection)
            #expect(source.current.loadedYears.last == 2027)
            #expect(try !source.current.isWorkingDay(LocalDate("2027-01-01")!))
            #expect(changes.value == 2)
            // A source that reads every time sees it at the next message.
            let eager = CalendarSource(initial: initial, interval: .zero)
            try eager.refreshIfDue(on: connection)
            #expect(eager.current.loadedYears.last == 2027)
        }
    }

    @Test func loadingTheYearCountsFallbackTimersAgainWithAnEventOnTheOrder() throws {
        try withStore { connection in
            let calendar = try CalendarStore.read(on: connection)  // to 2026, Monday–Friday after
            let (id, number, transition) = try dispatchedOrder(connection, calendar: calendar)
            #expect(transition.weekdayFallbacks[.replyBy]?.year == 2027)
            let before = try timer(connection, id, "replyBy")
            #expect(ChinaTime.format(before.fireAt) == "2027-01-05T00:00:00+08:00")
            #expect(before.year == 2027)
            #expect(try timer(connection, id, "signBy").year == nil)
            let version = try #require(try WorkOrders.load(id, on: connection)).version

            let outcome = try connection.withTransaction { tx in
                try CalendarStore.load(year2027, actor: "hotlinectl calendar load", at: Date(), on: tx)
            }
            #expect(outcome.recomputedTimers == 3)  // reply-by and its two reminders
            #expect(outcome.movedOrders == [number])
            let after = try timer(connection, id, "replyBy")
            #expect(ChinaTime.format(after.fireAt) == "2027-01-06T00:00:00+08:00")
            #expect(after.year == nil)
            #expect(ChinaTime.format(try timer(connection, id, "reminder.1").fireAt) == "2027-01-05T20:00:00+08:00")
            let reread = try #require(try WorkOrders.load(id, on: connection))
            #expect(reread.order.assignment.map { ChinaTime.format($0.replyBy) } == "2027-01-06T00:00:00+08:00")
            #expect(reread.version == version + 1)
            let event = try #require(try connection.query("""
                SELECT data->>'replyBy' AS due, data->>'replyBy.was' AS was, actor FROM events
                WHERE work_order_id = \(id) AND type = 'dueTimesRecomputed'
                """).first)
            #expect(try event.decode("due", as: String.self) == "2027-01-06T00:00:00+08:00")
            #expect(try event.decode("was", as: String.self) == "2027-01-05T00:00:00+08:00")
            #expect(try event.decode("actor", as: String.self) == "hotlinectl calendar load")
            #expect(try count(connection, "SELECT count(*) FROM timers WHERE weekdays_fallback_year IS NOT NULL") == 0)

            // Loading it again moves nothing.
            let again = try connection.withTransaction { tx in try CalendarStore.load(year2027, actor: "test", at: Date(), on: tx) }
            #expect(again.recomputedTimers == 0 && again.movedOrders.isEmpty)
        }
    }

    @Test func aFallbackTimerWrittenWithAnOutdatedCalendarIsCountedAgainAtOnce() throws {
        try withStore { connection in
            let outdated = try CalendarStore.read(on: connection)
            try connection.withTransaction { tx in try CalendarStore.load(year2027, actor: "test", at: Date(), on: tx) }
            // A worker that has not read the table since counts Monday to Friday for 2027.
            let (id, _, transition) = try dispatchedOrder(connection, calendar: outdated)
            #expect(transition.weekdayFallbacks[.replyBy]?.year == 2027)
            let stored = try timer(connection, id, "replyBy")
            #expect(ChinaTime.format(stored.fireAt) == "2027-01-06T00:00:00+08:00")
            #expect(stored.year == nil)
            #expect(try count(connection, "SELECT count(*) FROM events WHERE work_order_id = \(id) AND type = 'dueTimesRecomputed'") == 1)
        }
    }

    /// A running worker's `CalendarWatch` hears the load's NOTIFY and expires its source: the
    /// handlers read the new year at their next message, not an hour (the interval) later.
    @Test func aLoadedYearReachesARunningWorkersSourceThroughItsWatch() async throws {
        try await PostgresTestDatabase.with { url async throws in
            let connection = try PostgresConnection(url: url)
            defer { connection.close() }
            try Migrator.bundled().migrate(connection)
            let source = CalendarSource(initial: try WorkingCalendar.bundled(), interval: .seconds(3600))
            try source.refreshIfDue(on: connection)
            #expect(!source.current.loadedYears.contains(2027))
            let watch = Task { try await ThreadService(CalendarWatch(worker: "test", databaseURL: url, source: source)).run() }
            defer { watch.cancel() }
            // Give the watch time to LISTEN, then load 2027 from another connection.
            try await Task.sleep(for: .milliseconds(500))
            try connection.withTransaction { tx in _ = try CalendarStore.load(year2027, actor: "test", at: Date(), on: tx) }
            var seen = false
            for _ in 0..<100 where !seen {
                try source.refreshIfDue(on: connection)
                seen = source.current.loadedYears.contains(2027)
                if !seen { try await Task.sleep(for: .milliseconds(100)) }
            }
            #expect(seen)
            watch.cancel()
            _ = await watch.result
        }
    }
}

/// Counts calls from the source's change callback.
final class Counter: Sendable {
    private let count = Mutex(0)
    func add() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}
