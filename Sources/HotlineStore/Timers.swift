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

    public init(due: Int, pending: Int, oldestLate: Date?, overdueAssignments: Int) {
        self.due = due
        self.pending = pending
        self.oldestLate = oldestLate
        self.overdueAssignments = overdueAssignments
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
    static func claimStatement(at now: Date, limit: Int) -> SQL {
        """
        SELECT t.id, t.work_order_id, t.assignment_id, t.kind, t.fire_at
        FROM work_orders o JOIN timers t ON t.work_order_id = o.id
        WHERE t.fire_at <= \(now) AND t.fired_at IS NULL AND t.cancelled_at IS NULL
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
                     fireAt: try row.decode("fire_at", as: Date.self))
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

    /// Timers due, pending, the oldest late one, and overdue assignments, at `now`.
    public static func status(at now: Date, on connection: PostgresConnection) throws -> TimerStatus {
        let timers = try connection.query("""
            SELECT count(*) FILTER (WHERE fire_at <= \(now)) AS due, count(*) FILTER (WHERE fire_at > \(now)) AS pending,
                   min(fire_at) AS oldest
            FROM timers WHERE fired_at IS NULL AND cancelled_at IS NULL
            """).first!
        let oldest = try timers.decode("oldest", as: Date?.self)
        let overdue = try connection.query("""
            SELECT count(*) FROM assignments
            WHERE active AND role = 'lead' AND replied_at IS NULL AND reply_by <= \(now)
            """).first!.decode(0, as: Int64.self)
        return TimerStatus(due: Int(try timers.decode("due", as: Int64.self)), pending: Int(try timers.decode("pending", as: Int64.self)),
                           oldestLate: oldest.flatMap { $0 <= now ? $0 : nil }, overdueAssignments: Int(overdue))
    }
}
