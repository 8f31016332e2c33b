import Foundation
import HotlineDomain
import PostgresClient

/// A due timer, claimed (row-locked, with its order) by the caller's transaction.
public struct DueTimer: Sendable, Equatable {
    public var id: Int64
    public var workOrderId: UUID
    public var assignmentId: Int64?
    /// `timers.kind` as stored; `TimerKind(name:)` reads it.
    public var kind: String
    public var fireAt: Date
    /// The unit the timer was scheduled for (`data.unit`), when it names one (`Timers.schedule`).
    public var unit: String? = nil
    /// Firings that failed before this claim (`recordFailure`).
    public var attempts: Int = 0
}

/// A timer the deadline watch gave up on: its firing failed `attempts` times.
public struct GivenUpTimer: Sendable, Equatable {
    public var id: Int64
    public var number: String
    public var kind: String
    public var fireAt: Date
    public var givenUpAt: Date
    public var attempts: Int
    /// The last failure: a `SafeError`'s code and reason or an error's type name, never personal data.
    public var reason: String
}

/// An order on a month-end list (baotou's zero clearing, `monthEnd`).
public struct MonthEndEntry: Sendable, Equatable {
    public var number: String
    public var unit: String
    public var replyBy: Date
    public var listedAt: Date
}

/// A fact the deadline watch appends to an order's history beside the domain's events
/// (`reminded`, `returnWindowClosed`); `data` holds codes and instants, never personal data.
public struct TimerEventRecord: Sendable, Equatable {
    public var type: String
    public var data: [String: String]

    public init(type: String, data: [String: String]) {
        self.type = type
        self.data = data
    }
}

/// What `hotlinectl status` shows of the deadline watch.
public struct TimerStatus: Sendable, Equatable {
    /// Open timers whose `fire_at` has passed.
    public var due: Int
    /// Open timers still to come.
    public var pending: Int
    /// The `fire_at` of the oldest open timer that has passed, if any.
    public var oldestLate: Date?
    /// Active lead assignments whose reply-by has come without a reply.
    public var overdueAssignments: Int
    /// Timers the deadline watch gave up on (their firing kept failing).
    public var givenUp: Int
    /// Open timers whose last firing failed and that wait for their next attempt.
    public var retrying: Int

    public init(due: Int, pending: Int, oldestLate: Date?, overdueAssignments: Int, givenUp: Int = 0, retrying: Int = 0) {
        self.due = due
        self.pending = pending
        self.oldestLate = oldestLate
        self.overdueAssignments = overdueAssignments
        self.givenUp = givenUp
        self.retrying = retrying
    }
}

/// The `timers` table as the deadline watch uses it: claim the due ones, fire each once.
///
/// "Open" here is written `fired_at IS NULL AND cancelled_at IS NULL`, the predicate of the partial
/// index `timers_due (fire_at)`: the claim is an index range on `fire_at` over open timers only, so
/// its cost does not grow with timers not yet due nor with fired ones (`explainClaim` shows it).
public enum Timers {
    /// `NOTIFY` channel: a timer was written already due (migration 0010).
    public static let dueChannel = "hotline_timers"

    /// The claim: up to `limit` open timers due at `now`, oldest first, each locked with its order
    /// (`FOR NO KEY UPDATE`, the lock `WorkOrders.load(forUpdate:)` takes). Rows another claimer, or
    /// a worker changing the order, holds are skipped, never waited for: two claimers never fire
    /// one timer, and a claimer never waits in a cycle with routing (order, then its timers). The
    /// order's locking clause comes first: rows are locked in the clauses' order, so a timer whose
    /// order another transaction holds is skipped before it is locked, and that transaction's own
    /// timer updates do not wait for this claim's commit (a test holds an order and checks).
    /// A timer whose firing failed waits until its `retry_at` (`recordFailure`).
    static func claimStatement(at now: Date, limit: Int) -> SQL {
        """
        SELECT t.id, t.work_order_id, t.assignment_id, t.kind, t.fire_at, t.data->>'unit' AS unit, t.attempts
        FROM work_orders o JOIN timers t ON t.work_order_id = o.id
        WHERE t.fire_at <= \(now) AND t.fired_at IS NULL AND t.cancelled_at IS NULL
          AND (t.retry_at IS NULL OR t.retry_at <= \(now))
        ORDER BY t.fire_at
        LIMIT \(limit)
        FOR NO KEY UPDATE OF o SKIP LOCKED
        FOR UPDATE OF t SKIP LOCKED
        """
    }

    /// Claims due timers in the caller's transaction (see `claimStatement`).
    public static func claimDue(at now: Date, limit: Int, on connection: PostgresConnection) throws -> [DueTimer] {
        try connection.query(claimStatement(at: now, limit: limit)).map { row in
            DueTimer(id: try row.decode("id", as: Int64.self), workOrderId: try row.decode("work_order_id", as: UUID.self),
                     assignmentId: try row.decode("assignment_id", as: Int64?.self), kind: try row.decode("kind", as: String.self),
                     fireAt: try row.decode("fire_at", as: Date.self), unit: try row.decode("unit", as: String?.self),
                     attempts: try row.decode("attempts", as: Int.self))
        }
    }

    /// The claim's plan (`EXPLAIN`, one line per row), for tests and operators.
    public static func explainClaim(at now: Date, limit: Int, on connection: PostgresConnection) throws -> [String] {
        let claim = claimStatement(at: now, limit: limit)
        return try connection.query(SQL(unsafeSQL: "EXPLAIN ") + claim).map { try $0.decode(0, as: String.self) }
    }

    /// Marks `timer` fired at `now`, with `note` in its data when it did nothing (its order moved
    /// on). Returns false, writing nothing, when the timer is no longer open (a transition earlier
    /// in the same batch cancelled it).
    @discardableResult
    public static func markFired(_ timer: DueTimer, at now: Date, note: String? = nil, on connection: PostgresConnection) throws -> Bool {
        let data = PostgresJSON(note.map { ["note": $0] } ?? [:])
        return try connection.execute("""
            UPDATE timers SET fired_at = \(now), data = data || \(data)::jsonb
            WHERE id = \(timer.id) AND fired_at IS NULL AND cancelled_at IS NULL
            """) == 1
    }

    /// Writes a timer's effect in the caller's transaction (the timer already marked fired by
    /// `markFired`): the domain's `transition` through `WorkOrders.apply` when it has events or
    /// changes the order, then the deadline watch's own `events`, then `outbox`.
    public static func applyFiring(_ timer: DueTimer, to stored: StoredOrder, transition: Transition, events: [TimerEventRecord],
                                   outbox: [OutboxMessage], actor: String, at now: Date, on connection: PostgresConnection) throws {
        var messages = outbox
        if !transition.events.isEmpty || !transition.timers.isEmpty || transition.order != stored.order {
            try WorkOrders.apply(transition, to: stored, actor: actor, at: now, outbox: messages, on: connection)
            messages = []
        }
        try WorkOrders.appendEvents(events.map { EventRecord(type: $0.type, data: $0.data) }, orderId: stored.id,
                                    assignmentId: timer.assignmentId, actor: actor, at: now, on: connection)
        try Outbox.append(messages, on: connection)
    }

    /// Records a failed firing of `timer` (its transaction's effects already rolled back) in the
    /// caller's transaction: one more attempt and the `reason`; the timer waits until `retryAt`,
    /// or, when `retryAt` is nil, is given up: marked fired with `given_up_at`, so it leaves the
    /// claim for good and shows in `status` and `givenUp`. `reason` must carry no personal data
    /// (a `SafeError`'s code and reason, or an error's type name).
    public static func recordFailure(_ timer: DueTimer, reason: String, retryAt: Date?, at now: Date,
                                     on connection: PostgresConnection) throws {
        if let retryAt {
            try connection.execute("""
                UPDATE timers SET attempts = attempts + 1, last_error = \(reason), retry_at = \(retryAt)
                WHERE id = \(timer.id) AND fired_at IS NULL AND cancelled_at IS NULL
                """)
        } else {
            try connection.execute("""
                UPDATE timers SET attempts = attempts + 1, last_error = \(reason), retry_at = NULL, given_up_at = \(now),
                    fired_at = \(now), data = data || jsonb_build_object('note', 'given up: ' || \(reason))
                WHERE id = \(timer.id) AND fired_at IS NULL AND cancelled_at IS NULL
                """)
        }
    }

    /// The timers given up on, latest first (at most `limit`).
    public static func givenUp(limit: Int = 20, on connection: PostgresConnection) throws -> [GivenUpTimer] {
        try connection.query("""
            SELECT t.id, o.number, t.kind, t.fire_at, t.given_up_at, t.attempts, coalesce(t.last_error, '') AS reason
            FROM timers t JOIN work_orders o ON o.id = t.work_order_id
            WHERE t.given_up_at IS NOT NULL
            ORDER BY t.given_up_at DESC, t.id DESC LIMIT \(limit)
            """).map { row in
            GivenUpTimer(id: try row.decode("id"), number: try row.decode("number"), kind: try row.decode("kind"),
                         fireAt: try row.decode("fire_at"), givenUpAt: try row.decode("given_up_at"),
                         attempts: try row.decode("attempts"), reason: try row.decode("reason"))
        }
    }

    /// Schedules the follow-up timer `kind` (`kbEntryDue` after a reply marked for the knowledge
    /// base, `supervisionPlanDue` after a supervision whose kind asks for a plan) of an order in the
    /// caller's transaction: the profile's limit (`PolicyProfile.followUpLimit`) counted from
    /// `from` under `calendar`. Returns its instant, or nil (nothing written) when the profile has
    /// no such rule.
    @discardableResult
    public static func schedule(_ kind: TimerKind, workOrder: UUID, assignment: Int64?, unit: String?, from: Date,
                                profile: PolicyProfile, supervisionKind: String? = nil, calendar: WorkingCalendar,
                                actor: String, at now: Date, on connection: PostgresConnection) throws -> Date? {
        guard let limit = profile.followUpLimit(kind, supervisionKind: supervisionKind) else { return nil }
        return try schedule(kind, workOrder: workOrder, assignment: assignment, unit: unit, rule: DueRule(from: from, limit: limit),
                            calendar: calendar, actor: actor, at: now, on: connection)
    }

    /// Schedules timer `kind` of an order at `rule`'s due instant under `calendar`, in the
    /// caller's transaction, and returns it. A timer counted Monday to Friday for want of a year's
    /// arrangement is counted again when the year is loaded, like the lifecycle's. `unit` is the
    /// unit that owes the follow-up (`data.unit`).
    @discardableResult
    public static func schedule(_ kind: TimerKind, workOrder: UUID, assignment: Int64?, unit: String?, rule: DueRule,
                                calendar: WorkingCalendar, actor: String, at now: Date,
                                on connection: PostgresConnection) throws -> Date {
        let due = try rule.due(calendar: calendar)
        try connection.execute("""
            INSERT INTO timers (work_order_id, assignment_id, kind, fire_at, data)
            VALUES (\(workOrder), \(assignment), \(kind.name), \(due.at),
                    CASE WHEN \(unit)::text IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('unit', \(unit)::text) END)
            """)
        if let year = due.weekdayFallbackYear {
            try CalendarStore.markWeekdayFallbacks([kind: WeekdayFallback(rule: rule, year: year)], orderId: workOrder, actor: actor,
                                                   at: now, on: connection)
        }
        return due.at
    }

    /// Cancels the open timers `kind` of an order in the caller's transaction (the knowledge-base
    /// entry written, the supervision plan filed); returns how many.
    @discardableResult
    public static func cancel(_ kind: TimerKind, workOrder: UUID, at now: Date, on connection: PostgresConnection) throws -> Int {
        try connection.execute("""
            UPDATE timers SET cancelled_at = \(now)
            WHERE work_order_id = \(workOrder) AND kind = \(kind.name) AND coalesce(fired_at, cancelled_at) IS NULL
            """)
    }

    /// Reminders fired before the reply-by `replyBy` of an order and left unanswered: none when
    /// the unit gave a feedback, or asked for an extension or a return, after the first of them.
    public static func remindersIgnored(workOrder: UUID, replyBy: Date, on connection: PostgresConnection) throws -> Int {
        try connection.query("""
            WITH r AS (
                SELECT count(*) AS n, min(occurred_at) AS first FROM events
                WHERE work_order_id = \(workOrder) AND type = 'reminded' AND data->>'replyBy' = \(ChinaTime.format(replyBy))
            )
            SELECT CASE WHEN EXISTS (
                SELECT 1 FROM events e WHERE e.work_order_id = \(workOrder) AND e.occurred_at >= r.first
                  AND e.type IN ('fedBack', 'extensionRequested', 'returnRequested')) THEN 0 ELSE r.n END AS ignored
            FROM r
            """).first!.decode("ignored", as: Int.self)
    }

    /// Whether the order was approved for exclusion (剔除) by `now`.
    public static func isExcluded(workOrder: UUID, at now: Date, on connection: PostgresConnection) throws -> Bool {
        !(try connection.query("""
            SELECT 1 AS one FROM order_exclusions WHERE work_order_id = \(workOrder) AND approved_at <= \(now)
            """).isEmpty)
    }

    /// baotou's month-end list for `month` (`YYYY-MM`): the orders the `monthEnd` timers listed,
    /// by unit and number.
    public static func monthEndList(month: String, on connection: PostgresConnection) throws -> [MonthEndEntry] {
        try connection.query("""
            SELECT o.number, e.data->>'unit' AS unit, e.data->>'replyBy' AS reply_by, e.occurred_at
            FROM events e JOIN work_orders o ON o.id = e.work_order_id
            WHERE e.type = 'monthEndUncleared' AND e.data->>'month' = \(month)
            ORDER BY e.data->>'unit', o.number
            """).map { row in
            MonthEndEntry(number: try row.decode("number"), unit: try row.decode("unit"),
                          replyBy: ChinaTime.parse(try row.decode("reply_by", as: String.self)) ?? Date(timeIntervalSince1970: 0),
                          listedAt: try row.decode("occurred_at"))
        }
    }

    /// Timers due, pending, the oldest late one, overdue assignments, and timers retrying or given
    /// up, at `now`.
    public static func status(at now: Date, on connection: PostgresConnection) throws -> TimerStatus {
        let timers = try connection.query("""
            SELECT count(*) FILTER (WHERE fire_at <= \(now)) AS due, count(*) FILTER (WHERE fire_at > \(now)) AS pending,
                   min(fire_at) AS oldest, count(*) FILTER (WHERE retry_at IS NOT NULL) AS retrying
            FROM timers WHERE fired_at IS NULL AND cancelled_at IS NULL
            """).first!
        let givenUp = try connection.query("SELECT count(*) FROM timers WHERE given_up_at IS NOT NULL").first!.decode(0, as: Int64.self)
        let oldest = try timers.decode("oldest", as: Date?.self)
        let overdue = try connection.query("""
            SELECT count(*) FROM assignments
            WHERE active AND role = 'lead' AND replied_at IS NULL AND reply_by <= \(now)
            """).first!.decode(0, as: Int64.self)
        return TimerStatus(due: Int(try timers.decode("due", as: Int64.self)), pending: Int(try timers.decode("pending", as: Int64.self)),
                           oldestLate: oldest.flatMap { $0 <= now ? $0 : nil }, overdueAssignments: Int(overdue),
                           givenUp: Int(givenUp), retrying: Int(try timers.decode("retrying", as: Int64.self)))
    }
}
