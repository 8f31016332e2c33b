import Foundation
import HotlineDomain
import PostgresClient

/// The working-day calendar in the system of record: `calendar_years` (which years are loaded and
/// by whom) and `calendar_days` (their holidays and make-up working days). Operators load a year
/// with `hotlinectl calendar load`; the built-in arrangements seed the years nobody loaded; every
/// worker reads the calendar from here (`CalendarSource`).
public enum CalendarStore {
    /// Who put a year in the table.
    public enum Source: String, Sendable {
        /// The arrangements bundled with the domain module (`holidays.json`), written by `seedBuiltIn`.
        case builtIn = "built-in"
        /// An operator's `hotlinectl calendar load`: the seed never overwrites it.
        case `operator`
    }

    /// The migration that creates `calendar_years` (the seed runs once it is applied).
    static let migrationVersion = 9

    /// `NOTIFY` channel sent when a year is loaded; the payload is the year.
    public static let notificationChannel = "hotline_calendar"

    /// Loading a year takes this transaction lock exclusively; a transaction that writes a timer
    /// counted Monday to Friday takes it shared and then checks the year is still missing, so a
    /// load never misses a fallback timer a concurrent transaction is writing.
    static let advisoryLockKey: Int64 = 0x686F_746C_6361_6C

    /// What a load changed.
    public struct LoadOutcome: Sendable, Equatable {
        public var year: Int
        /// True when the year was loaded before (its rows were replaced).
        public var replaced: Bool
        /// Open timers counted again because their Monday–Friday year is now loaded.
        public var recomputedTimers: Int
        /// Orders whose due times moved (each got a `dueTimesRecomputed` event).
        public var movedOrders: [String]
    }

    // MARK: - Reading

    /// The calendar as stored. Dates past the loaded years count Monday to Friday (a hotline
    /// cannot stop taking calls in late December because next year is not loaded yet); each
    /// timer so counted is marked and counted again when its year is loaded.
    public static func read(on connection: PostgresConnection) throws -> WorkingCalendar {
        var holidays: [Int: [LocalDate]] = [:]
        var workdays: [Int: [LocalDate]] = [:]
        let years = try connection.query("SELECT year FROM calendar_years ORDER BY year").map { try $0.decode("year", as: Int.self) }
        for row in try connection.query("SELECT day::text AS day, is_working_day FROM calendar_days ORDER BY day") {
            let text = try row.decode("day", as: String.self)
            guard let day = LocalDate(text) else { throw CalendarStoreError.corrupt(day: text) }
            if try row.decode("is_working_day", as: Bool.self) { workdays[day.year, default: []].append(day) } else { holidays[day.year, default: []].append(day) }
        }
        let arrangements = years.map { HolidayArrangement(year: $0, holidays: holidays[$0] ?? [], workdays: workdays[$0] ?? []) }
        return WorkingCalendar(arrangements: arrangements, outsideLoadedYears: .weekdaysOnly)
    }

    /// The loaded years, ascending, with who loaded each.
    public static func years(on connection: PostgresConnection) throws -> [(year: Int, source: String, loadedAt: Date)] {
        try connection.query("SELECT year, source, loaded_at FROM calendar_years ORDER BY year").map {
            (try $0.decode("year", as: Int.self), try $0.decode("source", as: String.self), try $0.decode("loaded_at", as: Date.self))
        }
    }

    // MARK: - Writing

    /// Stores `arrangement` (already validated) in the caller's transaction, replacing the year if
    /// it was loaded; counts again every open timer that counted Monday to Friday for this year,
    /// with an event on each order whose due time moved; and notifies `hotline_calendar`.
    @discardableResult
    public static func load(_ arrangement: HolidayArrangement, source: Source = .operator, actor: String, at now: Date,
                            on tx: PostgresConnection) throws -> LoadOutcome {
        try tx.execute("SELECT pg_advisory_xact_lock(\(advisoryLockKey))")
        let replaced = try write(arrangement, source: source, at: now, on: tx)
        let recomputed = try recomputeWeekdayFallbacks(calendar: try read(on: tx), actor: actor, at: now, on: tx)
        try tx.notify(notificationChannel, payload: String(arrangement.year))
        return LoadOutcome(year: arrangement.year, replaced: replaced, recomputedTimers: recomputed.timers, movedOrders: recomputed.movedOrders)
    }

    /// Writes the built-in arrangements of the years nobody loaded yet (an operator's year is
    /// never overwritten), in the caller's transaction; counts fallback timers of those years
    /// again like `load`. Idempotent: returns the years it wrote (none once seeded).
    @discardableResult
    public static func seedBuiltIn(_ calendar: WorkingCalendar? = nil, at now: Date = Date(), on tx: PostgresConnection) throws -> [Int] {
        let builtIn = try calendar ?? WorkingCalendar.bundled()
        let present = Set(try tx.query("SELECT year FROM calendar_years").map { try $0.decode("year", as: Int.self) })
        let missing = builtIn.loadedYears.filter { !present.contains($0) }
        guard !missing.isEmpty else { return [] }
        try tx.execute("SELECT pg_advisory_xact_lock(\(advisoryLockKey))")
        var written: [Int] = []
        for year in missing {
            // Another process may have seeded (or an operator loaded) it since we looked.
            let inserted = try tx.execute("""
                INSERT INTO calendar_years (year, source, loaded_at) VALUES (\(year), \(Source.builtIn.rawValue), \(now))
                ON CONFLICT (year) DO NOTHING
                """)
            guard inserted == 1, let arrangement = builtIn.arrangements[year] else { continue }
            try insertDays(arrangement, on: tx)
            written.append(year)
        }
        if !written.isEmpty {
            try recomputeWeekdayFallbacks(calendar: try read(on: tx), actor: "calendar seed", at: now, on: tx)
            try tx.notify(notificationChannel, payload: written.map(String.init).joined(separator: ","))
        }
        return written
    }

    /// Replaces the year's rows; returns true when the year was loaded before.
    private static func write(_ arrangement: HolidayArrangement, source: Source, at now: Date, on tx: PostgresConnection) throws -> Bool {
        let existed = try tx.execute("DELETE FROM calendar_years WHERE year = \(arrangement.year)") == 1  // its days cascade
        try tx.execute("INSERT INTO calendar_years (year, source, loaded_at) VALUES (\(arrangement.year), \(source.rawValue), \(now))")
        try insertDays(arrangement, on: tx)
        return existed
    }

    private static func insertDays(_ arrangement: HolidayArrangement, on tx: PostgresConnection) throws {
        for (days, working) in [(arrangement.holidays, false), (arrangement.workdays, true)] where !days.isEmpty {
            try tx.execute("""
                INSERT INTO calendar_days (day, is_working_day, note)
                SELECT day::date, \(working), \(working ? "make-up working day" : "holiday")
                FROM unnest(\(days.map(\.description))::text[]) AS d(day)
                """)
        }
    }

    // MARK: - Timers counted Monday to Friday

    /// Marks the timers `transition` started with a Monday–Friday count (`WeekdayFallback`) with
    /// their year and rule, in the caller's transaction (`WorkOrders` calls it after writing the
    /// timers). If a marked year was loaded meanwhile (the writer's calendar was older than the
    /// table), the order's timers are counted again at once under the stored calendar.
    static func markWeekdayFallbacks(_ fallbacks: [TimerKind: WeekdayFallback], orderId: UUID, actor: String, at now: Date,
                                     on tx: PostgresConnection) throws {
        guard !fallbacks.isEmpty else { return }
        try tx.execute("SELECT pg_advisory_xact_lock_shared(\(advisoryLockKey))")
        for (kind, fallback) in fallbacks {
            try tx.execute("""
                UPDATE timers SET weekdays_fallback_year = \(fallback.year), due_from = \(fallback.rule.from),
                    due_limit = \(PostgresJSON(fallback.rule.limit)), due_before_seconds = \(fallback.rule.before)
                WHERE work_order_id = \(orderId) AND kind = \(kind.name) AND coalesce(fired_at, cancelled_at) IS NULL
                """)
        }
        let years = Array(Set(fallbacks.values.map { Int64($0.year) }))
        let loadedSince = try tx.query("SELECT 1 AS one FROM calendar_years WHERE year = ANY(\(years))")
        if !loadedSince.isEmpty {
            try recomputeWeekdayFallbacks(calendar: try read(on: tx), orderId: orderId, actor: actor, at: now, on: tx)
        }
    }

    /// Counts again every open timer marked with a Monday–Friday year that `calendar` now has
    /// (only those of `orderId` when given): its new instant, and its new mark (nil, or a later
    /// year still missing). Moves the order's matching due column (`dispatch_by`, an assignment's
    /// `reply_by` or `return_window_ends_at`), bumps its version, and appends one
    /// `dueTimesRecomputed` event per order whose due times moved, naming each moved timer's old
    /// and new instant.
    @discardableResult
    static func recomputeWeekdayFallbacks(calendar: WorkingCalendar, orderId: UUID? = nil, actor: String, at now: Date,
                                          on tx: PostgresConnection) throws -> (timers: Int, movedOrders: [String]) {
        let only: SQL = orderId.map { id -> SQL in " AND t.work_order_id = \(id)" } ?? ""
        let rows = try tx.query("""
            SELECT t.id, t.work_order_id, t.kind, t.fire_at, t.due_from, t.due_limit, t.due_before_seconds, o.number
            FROM timers t JOIN work_orders o ON o.id = t.work_order_id
            WHERE t.weekdays_fallback_year = ANY(\(calendar.loadedYears.map(Int64.init))) AND coalesce(t.fired_at, t.cancelled_at) IS NULL
            """ + only + SQL(" ORDER BY t.work_order_id, t.id FOR UPDATE OF t"))
        struct Moved { var number: String; var changes: [(kind: String, was: Date, now: Date)] = [] }
        var moved: [UUID: Moved] = [:]
        var order: [UUID] = []
        for row in rows {
            let id = try row.decode("id", as: Int64.self)
            let workOrder = try row.decode("work_order_id", as: UUID.self)
            let kind = try row.decode("kind", as: String.self)
            let was = try row.decode("fire_at", as: Date.self)
            let rule = DueRule(from: try row.decode("due_from", as: Date.self), limit: try row.decodeJSON("due_limit", as: TimeLimit.self),
                               before: try row.decode("due_before_seconds", as: Double.self))
            let due: (at: Date, weekdayFallbackYear: Int?)
            do throws(CalendarError) { due = try rule.due(calendar: calendar) } catch { throw CalendarStoreError.cannotCount(timer: id, error) }
            if let year = due.weekdayFallbackYear {
                try tx.execute("UPDATE timers SET fire_at = \(due.at), weekdays_fallback_year = \(year) WHERE id = \(id)")
            } else {
                try tx.execute("""
                    UPDATE timers SET fire_at = \(due.at), weekdays_fallback_year = NULL, due_from = NULL, due_limit = NULL,
                        due_before_seconds = NULL
                    WHERE id = \(id)
                    """)
            }
            guard due.at != was else { continue }
            if moved[workOrder] == nil { moved[workOrder] = Moved(number: try row.decode("number", as: String.self)); order.append(workOrder) }
            moved[workOrder]!.changes.append((kind, was, due.at))
            switch TimerKind(name: kind) {
            case .dispatchBy?:
                try tx.execute("UPDATE work_orders SET dispatch_by = \(due.at) WHERE id = \(workOrder) AND dispatch_by = \(was)")
            case .replyBy?, .progressReport?, .redoDue?:
                try tx.execute("""
                    UPDATE assignments SET reply_by = \(due.at), updated_at = \(now)
                    WHERE work_order_id = \(workOrder) AND active AND reply_by = \(was)
                    """)
                // baotou's month-end timer follows the reply-by's month.
                try tx.execute("""
                    UPDATE timers SET fire_at = \(DeadlineWatchRules.monthEnd(of: due.at))
                    WHERE work_order_id = \(workOrder) AND kind = \(TimerKind.monthEnd.name) AND fire_at = \(DeadlineWatchRules.monthEnd(of: was))
                      AND coalesce(fired_at, cancelled_at) IS NULL
                    """)
            case .returnWindow?:
                try tx.execute("""
                    UPDATE assignments SET return_window_ends_at = \(due.at), updated_at = \(now)
                    WHERE work_order_id = \(workOrder) AND active AND return_window_ends_at = \(was)
                    """)
            case .signBy?, .reminder(_)?, .firstFeedback?, .kbEntryDue?, .supervisionPlanDue?, .monthEnd?, .revisitUnanswered?, nil:
                break
            }
        }
        for id in order {
            guard let change = moved[id] else { continue }
            // The order's facts changed: a writer holding the old version must read it again.
            try tx.execute("UPDATE work_orders SET version = version + 1, updated_at = \(now) WHERE id = \(id)")
            var data: [String: String] = [:]
            for (kind, was, at) in change.changes {
                data[kind] = ChinaTime.format(at)
                data[kind + ".was"] = ChinaTime.format(was)
            }
            try WorkOrders.appendEvents([EventRecord(type: "dueTimesRecomputed", data: data)], orderId: id, assignmentId: nil,
                                        actor: actor, at: now, on: tx)
        }
        return (rows.count, order.compactMap { moved[$0]?.number })
    }
}

public enum CalendarStoreError: Error, Equatable, CustomStringConvertible {
    case corrupt(day: String)
    case cannotCount(timer: Int64, CalendarError)

    public var description: String {
        switch self {
        case let .corrupt(day): "calendar_days holds a day that is not a date: \(day)"
        case let .cannotCount(timer, error): "timer \(timer) cannot be counted again: \(error)"
        }
    }
}
