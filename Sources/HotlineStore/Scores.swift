import Foundation
import HotlineDomain
import PostgresClient

/// What the office records per unit and period (`assessment_records`).
public enum AssessmentRecordKind: String, Sendable, CaseIterable {
    /// An organisation item the unit lacks (zezhou 三(二)1–6).
    case missingItem
    /// A deduction incident (zezhou 三(二)12–16).
    case deduction
    /// A bonus event (zezhou 奖励加分项).
    case bonus
    /// A veto (zezhou 否决项).
    case veto
}

public enum ScoresError: Error, Equatable, CustomStringConvertible {
    case unknownUnit(String)
    case unknownItem(kind: String, item: String, profile: String)
    case noSuchRun(period: String, profile: String)

    public var description: String {
        switch self {
        case .unknownUnit(let code): "no active unit \(code)"
        case let .unknownItem(kind, item, profile): "\(item) is not a \(kind) item of profile \(profile)"
        case let .noSuchRun(period, profile): "no score run for \(period) under \(profile)"
        }
    }
}

/// A stored score run.
public struct ScoreRun: Sendable, Equatable {
    public var period: String
    public var profile: String
    public var version: Int
    public var scheme: String
    public var asOf: Date
    public var computedAt: Date
    public var publishedAt: Date?
    public var units: Int
    public var orders: Int
}

/// A unit's stored result.
public struct StoredScore: Sendable, Equatable {
    public var unit: String
    public var unitName: String
    public var score: Double?
    public var rank: Int?
    public var flagged: Bool
    public var figures: [ScoreFigure]
    public var flags: [String]
}

/// The scoring batch's SQL: each unit's figures for a period aggregated in PostgreSQL (one row per
/// unit and kind of order, never an order per row), the office's records, approved exclusions,
/// and score runs written so that a rerun replaces and a published run stays.
public enum Scores {
    // MARK: figures

    /// Each unit's counts for the lead assignments dispatched in `period` (China time), as the
    /// system of record stood at `asOf`. An assignment whose return was approved belongs to the
    /// unit it went to next (ours). Orders approved for exclusion by `asOf` are counted apart.
    public static func figures(period: ScoringPeriod, asOf: Date, on connection: PostgresConnection) throws -> [UnitPeriodFigures] {
        try figures(from: period.start, to: period.end, asOf: asOf, on: connection)
    }

    /// The same for any span of time (pingdingshan's week: Monday 00:00 to Monday 00:00, China time).
    public static func figures(from start: Date, to end: Date, asOf: Date, on connection: PostgresConnection) throws -> [UnitPeriodFigures] {
        let period = (start: start, end: end)
        let rows = try connection.query("""
            WITH assessed AS (
                SELECT a.id AS assignment_id, a.unit_id, a.work_order_id, a.sign_by, a.signed_at, a.reply_by, a.replied_at,
                       a.extensions_count > 0 AS extended, a.return_rejected, o.category, o.redo_count, o.supervised, o.rating AS order_rating,
                       x.work_order_id IS NOT NULL AS excluded
                FROM assignments a
                JOIN work_orders o ON o.id = a.work_order_id
                LEFT JOIN order_exclusions x ON x.work_order_id = a.work_order_id AND x.approved_at <= \(asOf)
                WHERE a.role = 'lead' AND a.state <> 'returnApproved'
                  AND a.dispatched_at >= \(period.start) AND a.dispatched_at < \(period.end) AND a.dispatched_at <= \(asOf)
            ), last_rating AS (
                SELECT DISTINCT ON (work_order_id) work_order_id, rating, problem_solved, contacted_in_time
                FROM ratings
                WHERE rated_at >= \(period.start) AND rated_at <= \(asOf) AND rating <> 'unknown'
                ORDER BY work_order_id, rated_at DESC, id DESC
            ), judged AS (
                SELECT s.*, COALESCE(r.rating, CASE s.order_rating WHEN 'basicallySatisfied' THEN 'basically_satisfied' ELSE s.order_rating END) AS rating,
                       r.problem_solved, r.contacted_in_time,
                       s.signed_at IS NOT NULL AND s.signed_at <= \(asOf) AND (s.sign_by IS NULL OR s.signed_at <= s.sign_by) AS signed_in_time,
                       s.replied_at IS NOT NULL AND s.replied_at <= \(asOf) AS replied
                FROM assessed s LEFT JOIN last_rating r ON r.work_order_id = s.work_order_id
            )
            SELECT u.code, u.name, j.excluded, j.extended,
                   count(*) AS dispatched,
                   count(*) FILTER (WHERE j.signed_in_time) AS received_in_time,
                   count(*) FILTER (WHERE j.category IN ('complaint', 'report')) AS complaints,
                   count(*) FILTER (WHERE j.replied AND (j.reply_by IS NULL OR j.replied_at <= j.reply_by)) AS closed_on_time,
                   count(*) FILTER (WHERE j.replied AND j.replied_at > j.reply_by) AS closed_late,
                   count(*) FILTER (WHERE NOT j.replied AND j.reply_by < \(asOf)) AS open_overdue,
                   count(*) FILTER (WHERE j.rating IN ('satisfied', 'basically_satisfied', 'dissatisfied')) AS revisited,
                   count(*) FILTER (WHERE j.rating = 'satisfied') AS satisfied,
                   count(*) FILTER (WHERE j.rating = 'basically_satisfied') AS basically_satisfied,
                   count(*) FILTER (WHERE j.rating = 'dissatisfied') AS dissatisfied,
                   count(*) FILTER (WHERE j.contacted_in_time) AS contacted_in_time,
                   count(*) FILTER (WHERE j.problem_solved) AS solved,
                   count(*) FILTER (WHERE j.redo_count >= 2) AS redone_twice,
                   count(*) FILTER (WHERE j.return_rejected) AS returns_rejected,
                   count(*) FILTER (WHERE j.supervised) AS supervised
            FROM judged j JOIN units u ON u.id = j.unit_id
            GROUP BY u.code, u.name, j.excluded, j.extended
            ORDER BY u.code
            """)
        var byUnit: [String: UnitPeriodFigures] = [:]
        var order: [String] = []
        for row in rows {
            let code = try row.decode("code", as: String.self)
            if byUnit[code] == nil {
                byUnit[code] = UnitPeriodFigures(unit: code, unitName: try row.decode("name", as: String.self))
                order.append(code)
            }
            let dispatched = try row.decode("dispatched", as: Int.self)
            if try row.decode("excluded", as: Bool.self) {
                byUnit[code]!.excluded += dispatched
                continue
            }
            var c = UnitPeriodCounts(unit: code)
            c.dispatched = dispatched
            c.receivedInTime = try row.decode("received_in_time")
            c.acceptedInTime = c.receivedInTime
            c.complaintOrders = try row.decode("complaints")
            c.closedOnTime = try row.decode("closed_on_time")
            c.closedLate = try row.decode("closed_late")
            c.openOverdue = try row.decode("open_overdue")
            c.revisited = try row.decode("revisited")
            c.satisfied = try row.decode("satisfied")
            c.basicallySatisfied = try row.decode("basically_satisfied")
            c.dissatisfied = try row.decode("dissatisfied")
            c.contactedInTime = try row.decode("contacted_in_time")
            c.solved = try row.decode("solved")
            var figures = byUnit[code]!
            figures.all = adding(figures.all, c)
            if try row.decode("extended", as: Bool.self) { figures.extended = adding(figures.extended, c) }
            figures.redoneTwice += try row.decode("redone_twice", as: Int.self)
            figures.returnsRejected += try row.decode("returns_rejected", as: Int.self)
            figures.supervised += try row.decode("supervised", as: Int.self)
            byUnit[code] = figures
        }
        // baotou's month-end zero clearing: every order due in the period, whenever dispatched.
        for row in try connection.query("""
            SELECT u.code, count(*) AS due,
                   count(*) FILTER (WHERE (a.replied_at IS NOT NULL AND a.replied_at < \(period.end) AND a.replied_at <= \(asOf))
                                       OR x.work_order_id IS NOT NULL) AS cleared
            FROM assignments a JOIN units u ON u.id = a.unit_id
            LEFT JOIN order_exclusions x ON x.work_order_id = a.work_order_id AND x.approved_at < \(period.end) AND x.approved_at <= \(asOf)
            WHERE a.role = 'lead' AND a.state <> 'returnApproved' AND a.reply_by >= \(period.start) AND a.reply_by < \(period.end)
            GROUP BY u.code
            """) {
            let code = try row.decode("code", as: String.self)
            guard byUnit[code] != nil else { continue }
            byUnit[code]!.dueInPeriod = try row.decode("due")
            byUnit[code]!.clearedByPeriodEnd = try row.decode("cleared")
        }
        return order.map { byUnit[$0]! }
    }

    /// henan's faster-answering and accurate-routing counts for the units in `figures`: lead
    /// dispatches in the span (returned ones included) and approved returns; assessed orders that
    /// came after another unit's return; first dispatches by the order's dispatch-by; median minutes
    /// from receipt to first dispatch and from dispatch to signing. One aggregation, no order in memory.
    public static func addServiceFigures(from start: Date, to end: Date, asOf: Date, to figures: inout [UnitPeriodFigures],
                                         on connection: PostgresConnection) throws {
        let rows = try connection.query("""
            WITH returned AS (
                -- An order's lead changes only through an approved return: a lead assignment is a
                -- re-dispatch when a returned one of its order was dispatched before it (hash join).
                SELECT work_order_id, min(dispatched_at) AS first_returned FROM assignments
                WHERE role = 'lead' AND state = 'returnApproved' AND dispatched_at < \(end) AND dispatched_at <= \(asOf)
                GROUP BY work_order_id
            ), leads AS (
                SELECT a.unit_id, a.work_order_id, a.state, a.dispatched_at, a.signed_at, a.sign_by, o.received_at, o.dispatch_by,
                       r.first_returned IS NULL OR a.dispatched_at <= r.first_returned AS first_dispatch,
                       x.work_order_id IS NOT NULL AS excluded
                FROM assignments a
                JOIN work_orders o ON o.id = a.work_order_id
                LEFT JOIN returned r ON r.work_order_id = a.work_order_id
                LEFT JOIN order_exclusions x ON x.work_order_id = a.work_order_id AND x.approved_at <= \(asOf)
                WHERE a.role = 'lead' AND a.dispatched_at >= \(start) AND a.dispatched_at < \(end) AND a.dispatched_at <= \(asOf)
            )
            SELECT u.code, u.name,
                   count(*) AS lead_assignments,
                   count(*) FILTER (WHERE l.state = 'returnApproved') AS returns_approved,
                   count(*) FILTER (WHERE l.state <> 'returnApproved' AND NOT l.first_dispatch) AS redispatched_in,
                   count(*) FILTER (WHERE l.state <> 'returnApproved' AND l.first_dispatch) AS first_dispatches,
                   count(*) FILTER (WHERE l.state <> 'returnApproved' AND l.first_dispatch
                                    AND (l.dispatch_by IS NULL OR l.dispatched_at <= l.dispatch_by)) AS dispatched_in_time,
                   (percentile_disc(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM l.dispatched_at - l.received_at))
                        FILTER (WHERE l.state <> 'returnApproved' AND l.first_dispatch))::float8 AS dispatch_seconds,
                   (percentile_disc(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM l.signed_at - l.dispatched_at))
                        FILTER (WHERE l.state <> 'returnApproved' AND l.signed_at <= \(asOf)))::float8 AS sign_seconds
            FROM leads l JOIN units u ON u.id = l.unit_id
            WHERE NOT l.excluded
            GROUP BY u.code, u.name
            ORDER BY u.code
            """)
        for row in rows {
            let code = try row.decode("code", as: String.self)
            // A unit whose every order of the span was returned is still shown (misrouted to it).
            if !figures.contains(where: { $0.unit == code }) {
                figures.append(UnitPeriodFigures(unit: code, unitName: try row.decode("name")))
            }
            let index = figures.firstIndex { $0.unit == code }!
            figures[index].leadAssignments = try row.decode("lead_assignments")
            figures[index].returnsApproved = try row.decode("returns_approved")
            figures[index].redispatchedIn = try row.decode("redispatched_in")
            figures[index].firstDispatches = try row.decode("first_dispatches")
            figures[index].dispatchedInTime = try row.decode("dispatched_in_time")
            figures[index].medianDispatchMinutes = try row.decode("dispatch_seconds", as: Double?.self).map { Int(($0 / 60).rounded()) }
            figures[index].medianSignMinutes = try row.decode("sign_seconds", as: Double?.self).map { Int(($0 / 60).rounded()) }
        }
    }

    /// qidong's offence 「两次催办仍不回复」 for the units in `figures`, as the deadline watch
    /// recorded it (event `offenceRecorded`, offence `remindersIgnored`, when a reply limit passed
    /// after two reminders with no reply, feedback, extension or return request): lead assignments
    /// dispatched in the span, not excluded. Read only for the schemes that count it, so the other
    /// profiles' aggregation does not look at events.
    public static func addOffenceFigures(from start: Date, to end: Date, asOf: Date, to figures: inout [UnitPeriodFigures],
                                         on connection: PostgresConnection) throws {
        let rows = try connection.query("""
            SELECT u.code, count(DISTINCT a.id) AS ignored
            FROM assignments a JOIN units u ON u.id = a.unit_id
            JOIN events e ON e.work_order_id = a.work_order_id AND e.assignment_id = a.id
                         AND e.type = 'offenceRecorded' AND e.data->>'offence' = 'remindersIgnored' AND e.occurred_at <= \(asOf)
            WHERE a.role = 'lead' AND a.state <> 'returnApproved'
              AND a.dispatched_at >= \(start) AND a.dispatched_at < \(end) AND a.dispatched_at <= \(asOf)
              AND NOT EXISTS (SELECT 1 FROM order_exclusions x WHERE x.work_order_id = a.work_order_id AND x.approved_at <= \(asOf))
            GROUP BY u.code
            """)
        for row in rows {
            let code = try row.decode("code", as: String.self)
            guard let index = figures.firstIndex(where: { $0.unit == code }) else { continue }
            figures[index].remindersIgnored = try row.decode("ignored")
        }
    }

    static func adding(_ a: UnitPeriodCounts, _ b: UnitPeriodCounts) -> UnitPeriodCounts {
        var c = a
        c.dispatched += b.dispatched
        c.receivedInTime += b.receivedInTime
        c.acceptedInTime += b.acceptedInTime
        c.complaintOrders += b.complaintOrders
        c.closedOnTime += b.closedOnTime
        c.closedLate += b.closedLate
        c.openOverdue += b.openOverdue
        c.revisited += b.revisited
        c.satisfied += b.satisfied
        c.basicallySatisfied += b.basicallySatisfied
        c.dissatisfied += b.dissatisfied
        c.contactedInTime += b.contactedInTime
        c.solved += b.solved
        return c
    }

    /// Adds the office's records of `period` to `figures` (a unit with records and no orders is
    /// added too).
    public static func addRecords(period: ScoringPeriod, to figures: inout [UnitPeriodFigures], on connection: PostgresConnection) throws {
        let rows = try connection.query("""
            SELECT u.code, u.name, r.kind, r.item, sum(r.count)::bigint AS n
            FROM assessment_records r JOIN units u ON u.id = r.unit_id
            WHERE r.period = \(period.description)
            GROUP BY u.code, u.name, r.kind, r.item ORDER BY u.code, r.kind, r.item
            """)
        for row in rows {
            let code = try row.decode("code", as: String.self)
            var index = figures.firstIndex { $0.unit == code }
            if index == nil {
                figures.append(UnitPeriodFigures(unit: code, unitName: try row.decode("name")))
                index = figures.count - 1
            }
            let item = try row.decode("item", as: String.self)
            let count = try row.decode("n", as: Int.self)
            switch AssessmentRecordKind(rawValue: try row.decode("kind")) {
            case .missingItem: figures[index!].all.missingOrganisationItems.insert(item)
            case .deduction: figures[index!].all.incidents[item, default: 0] += count
            case .bonus: figures[index!].all.bonusEvents[item, default: 0] += count
            case .veto: figures[index!].all.vetoes.append(item)
            case nil: break
            }
        }
    }

    // MARK: the office's records and exclusions

    /// Records what the office found for a unit in a period; `item` must be one of the profile's
    /// names for that kind (zezhou: organisation items, deductions, bonuses, vetoes).
    @discardableResult
    public static func record(unit: String, period: ScoringPeriod, kind: AssessmentRecordKind, item: String, count: Int = 1,
                              note: String? = nil, recordedBy: String? = nil, profile: PolicyProfile,
                              on connection: PostgresConnection) throws -> Int64 {
        guard case let .points100(scheme) = profile.scoring else {
            throw ScoresError.unknownItem(kind: kind.rawValue, item: item, profile: profile.id)
        }
        let known: [String]
        switch kind {
        case .missingItem: known = scheme.organisationItems
        case .deduction: known = scheme.deductions.map(\.name)
        case .bonus: known = scheme.bonuses.map(\.name)
        case .veto: known = scheme.vetoes
        }
        guard known.contains(item) else { throw ScoresError.unknownItem(kind: kind.rawValue, item: item, profile: profile.id) }
        guard let unitId = try connection.query("SELECT id FROM units WHERE code = \(unit) AND active").first?.decode("id", as: Int64.self) else {
            throw ScoresError.unknownUnit(unit)
        }
        return try connection.query("""
            INSERT INTO assessment_records (unit_id, period, kind, item, count, note, recorded_by)
            VALUES (\(unitId), \(period.description), \(kind.rawValue), \(item), \(count), \(note), \(recordedBy))
            RETURNING id
            """).first!.decode("id", as: Int64.self)
    }

    /// Records the office's approval of an order's exclusion (剔除) with its basis.
    public static func exclude(order: UUID, basis: String, approvedAt: Date, approvedBy: String? = nil, on connection: PostgresConnection) throws {
        try connection.execute("""
            INSERT INTO order_exclusions (work_order_id, approved_at, basis, approved_by)
            VALUES (\(order), \(approvedAt), \(basis), \(approvedBy))
            ON CONFLICT (work_order_id) DO NOTHING
            """)
    }

    // MARK: runs

    /// Writes a run's scorecards in one transaction: the latest run of the period and profile is
    /// replaced when it is not published; otherwise (or when there is none) a new version is
    /// written. Returns the version written.
    @discardableResult
    public static func write(period: ScoringPeriod, profile: PolicyProfile, asOf: Date, computedAt: Date, cards: [Scorecard],
                             orders: Int, on connection: PostgresConnection) throws -> Int {
        let scheme = schemeName(profile.scoring)
        return try connection.withTransaction { tx in
            try tx.execute("SELECT pg_advisory_xact_lock(hashtext(\("score:" + period.description + ":" + profile.id)))")
            let latest = try tx.query("""
                SELECT version, published_at FROM score_runs WHERE period = \(period.description) AND profile = \(profile.id)
                ORDER BY version DESC LIMIT 1
                """).first
            let version: Int
            if let latest, try latest.isNull("published_at") {
                version = try latest.decode("version")
                try tx.execute("DELETE FROM unit_scores WHERE period = \(period.description) AND profile = \(profile.id) AND version = \(version)")
                try tx.execute("""
                    UPDATE score_runs SET scheme = \(scheme), as_of = \(asOf), computed_at = \(computedAt), units = \(cards.count), orders = \(orders)
                    WHERE period = \(period.description) AND profile = \(profile.id) AND version = \(version)
                    """)
            } else {
                version = (try latest?.decode("version", as: Int.self) ?? 0) + 1
                try tx.execute("""
                    INSERT INTO score_runs (period, profile, version, scheme, as_of, computed_at, units, orders)
                    VALUES (\(period.description), \(profile.id), \(version), \(scheme), \(asOf), \(computedAt), \(cards.count), \(orders))
                    """)
            }
            let ids = Dictionary(uniqueKeysWithValues: try tx.query("SELECT id, code FROM units").map {
                (try $0.decode("code", as: String.self), try $0.decode("id", as: Int64.self))
            })
            for card in cards {
                guard let unitId = ids[card.unit] else { throw ScoresError.unknownUnit(card.unit) }
                let details = Details(flags: card.flags, notes: card.notes, extendedFigures: card.extendedFigures)
                try tx.execute("""
                    INSERT INTO unit_scores (unit_id, period, scheme, score, rank, flagged, details, computed_at, profile, version, figures)
                    VALUES (\(unitId), \(period.description), \(scheme), \(card.score), \(card.rank), \(card.flagged), \(PostgresJSON(details))::jsonb,
                            \(computedAt), \(profile.id), \(version), \(PostgresJSON(card.figures))::jsonb)
                    """)
            }
            return version
        }
    }

    struct Details: Codable {
        var flags: [String]
        var notes: [String]
        var extendedFigures: [ScoreFigure]
    }

    /// Publishes the latest run of a period: from now on a rerun writes a new version and this one
    /// stays as it was. Returns the version published.
    @discardableResult
    public static func publish(period: ScoringPeriod, profile: String, at now: Date, on connection: PostgresConnection) throws -> Int {
        guard let row = try connection.query("""
            UPDATE score_runs SET published_at = COALESCE(published_at, \(now))
            WHERE (period, profile, version) = (SELECT period, profile, max(version) FROM score_runs
                                                WHERE period = \(period.description) AND profile = \(profile) GROUP BY period, profile)
            RETURNING version
            """).first else { throw ScoresError.noSuchRun(period: period.description, profile: profile) }
        return try row.decode("version")
    }

    static func run(_ row: PostgresRow) throws -> ScoreRun {
        ScoreRun(period: try row.decode("period"), profile: try row.decode("profile"), version: try row.decode("version"),
                 scheme: try row.decode("scheme"), asOf: try row.decode("as_of"), computedAt: try row.decode("computed_at"),
                 publishedAt: try row.decode("published_at"), units: try row.decode("units"), orders: try row.decode("orders"))
    }

    /// The latest run of a period (under `profile`, or under whichever profile scored it last).
    public static func latestRun(period: ScoringPeriod, profile: String? = nil, on connection: PostgresConnection) throws -> ScoreRun? {
        try connection.query("""
            SELECT * FROM score_runs WHERE period = \(period.description) AND (\(profile)::text IS NULL OR profile = \(profile))
            ORDER BY computed_at DESC, version DESC LIMIT 1
            """).first.map(run)
    }

    /// The most recently computed runs, newest first.
    public static func recentRuns(limit: Int = 3, on connection: PostgresConnection) throws -> [ScoreRun] {
        try connection.query("SELECT * FROM score_runs ORDER BY computed_at DESC, period DESC LIMIT \(limit)").map(run)
    }

    /// A run's unit results, best first.
    public static func results(of run: ScoreRun, on connection: PostgresConnection) throws -> [StoredScore] {
        try connection.query("""
            SELECT u.code, u.name, s.score::float8 AS score, s.rank, s.flagged, s.figures, s.details
            FROM unit_scores s JOIN units u ON u.id = s.unit_id
            WHERE s.period = \(run.period) AND s.profile = \(run.profile) AND s.version = \(run.version)
            ORDER BY s.rank NULLS LAST, u.code
            """).map { row in
            StoredScore(unit: try row.decode("code"), unitName: try row.decode("name"), score: try row.decode("score"),
                        rank: try row.decode("rank"), flagged: try row.decode("flagged"),
                        figures: try row.decodeJSON("figures"), flags: try row.decodeJSON("details", as: Details.self).flags)
        }
    }

    public static func schemeName(_ scheme: ScoringScheme) -> String {
        switch scheme {
        case .points100: "points100"
        case .threeRates: "threeRates"
        case .satisfactionRanking: "satisfactionRanking"
        case .bulletin: "bulletin"
        case .serviceQuality: "serviceQuality"
        case .none: "none"
        }
    }
}

/// The batch itself: figures from the system of record, the profile's scheme, and (unless a dry
/// run) the results written.
public enum ScoringBatch {
    public struct Outcome: Sendable {
        public var period: ScoringPeriod
        public var profile: String
        public var cards: [Scorecard]
        /// Orders assessed (excluded ones not counted).
        public var orders: Int
        /// Nil for a dry run.
        public var version: Int?
    }

    /// Scores `period` under `profile` as the data stood at `asOf`. A dry run reads in a read-only
    /// transaction and writes nothing.
    public static func run(period: ScoringPeriod, profile: PolicyProfile, asOf: Date, now: Date, dryRun: Bool,
                           on connection: PostgresConnection) throws -> Outcome {
        let (cards, orders): ([Scorecard], Int) = try connection.withTransaction { tx in
            try tx.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            return try score(period: period, profile: profile, asOf: asOf, on: tx)
        }
        var outcome = Outcome(period: period, profile: profile.id, cards: cards, orders: orders, version: nil)
        if !dryRun {
            outcome.version = try Scores.write(period: period, profile: profile, asOf: asOf, computedAt: now, cards: cards,
                                               orders: orders, on: connection)
        }
        return outcome
    }

    /// Scores and writes `period` inside the caller's transaction (`hotline-scoring`'s handler of
    /// `scoring.requested`: the results commit with the request's inbox record, or not at all).
    public static func runInTransaction(period: ScoringPeriod, profile: PolicyProfile, asOf: Date, now: Date,
                                        on tx: PostgresConnection) throws -> Outcome {
        let (cards, orders) = try score(period: period, profile: profile, asOf: asOf, on: tx)
        let version = try Scores.write(period: period, profile: profile, asOf: asOf, computedAt: now, cards: cards, orders: orders, on: tx)
        return Outcome(period: period, profile: profile.id, cards: cards, orders: orders, version: version)
    }

    /// The figures and the scheme, in the caller's transaction.
    static func score(period: ScoringPeriod, profile: PolicyProfile, asOf: Date, on tx: PostgresConnection) throws -> ([Scorecard], Int) {
        // The period's bounds decide the plan (an index range or a scan): never a generic plan
        // cached for other bounds (measured: 5.9 s instead of 0.9 s on the sixth run).
        try tx.execute("SET LOCAL plan_cache_mode = force_custom_plan")
        var figures = try Scores.figures(period: period, asOf: asOf, on: tx)
        if case .serviceQuality = profile.scoring {
            try Scores.addServiceFigures(from: period.start, to: period.end, asOf: asOf, to: &figures, on: tx)
        }
        if case .satisfactionRanking = profile.scoring {
            try Scores.addOffenceFigures(from: period.start, to: period.end, asOf: asOf, to: &figures, on: tx)
        }
        try Scores.addRecords(period: period, to: &figures, on: tx)
        return (Scorecards.score(figures, scheme: profile.scoring), figures.reduce(0) { $0 + $1.all.dispatched })
    }
}

/// pingdingshan 七(四) 「周分析，即总结本周市长热线运行情况，梳理…网络单位办理情况」: one week (Monday
/// to Sunday, China time) read under the profile's scheme. Read-only: the weekly analysis is not
/// a score, nothing is written (the monthly bulletin is the run that is stored and published).
public enum WeeklyAnalysis {
    public struct Outcome: Sendable {
        /// The Monday that starts the week.
        public var monday: LocalDate
        public var profile: String
        public var cards: [Scorecard]
        public var orders: Int
    }

    /// The Monday of the week containing `day`.
    public static func monday(of day: LocalDate) -> LocalDate { day.adding(days: 1 - day.isoWeekday) }

    public static func run(weekOf day: LocalDate, profile: PolicyProfile, asOf: Date, on connection: PostgresConnection) throws -> Outcome {
        let monday = monday(of: day)
        let start = monday.startInstant, end = monday.adding(days: 7).startInstant
        return try connection.withTransaction { tx in
            try tx.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            try tx.execute("SET LOCAL plan_cache_mode = force_custom_plan")
            var figures = try Scores.figures(from: start, to: end, asOf: asOf, on: tx)
            if case .serviceQuality = profile.scoring {
                try Scores.addServiceFigures(from: start, to: end, asOf: asOf, to: &figures, on: tx)
            }
            return Outcome(monday: monday, profile: profile.id, cards: Scorecards.score(figures, scheme: profile.scoring),
                           orders: figures.reduce(0) { $0 + $1.all.dispatched })
        }
    }
}

extension Scores {
    /// The core aggregation of `figures` as one plain SQL text with its instants written as
    /// literals: the reference `hotlinectl bench scoring` runs through psql beside the batch. Only
    /// instants are spliced in (formatted here), never anything a person typed.
    public static func baselineSQL(period: ScoringPeriod, asOf: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let s = "'\(formatter.string(from: period.start))'::timestamptz", e = "'\(formatter.string(from: period.end))'::timestamptz"
        let t = "'\(formatter.string(from: asOf))'::timestamptz"
        return """
            SELECT u.code, count(*) AS dispatched,
                   count(*) FILTER (WHERE a.signed_at <= \(t) AND (a.sign_by IS NULL OR a.signed_at <= a.sign_by)) AS received_in_time,
                   count(*) FILTER (WHERE o.category IN ('complaint', 'report')) AS complaints,
                   count(*) FILTER (WHERE a.replied_at <= \(t) AND (a.reply_by IS NULL OR a.replied_at <= a.reply_by)) AS closed_on_time,
                   count(*) FILTER (WHERE a.replied_at <= \(t) AND a.replied_at > a.reply_by) AS closed_late,
                   count(*) FILTER (WHERE (a.replied_at IS NULL OR a.replied_at > \(t)) AND a.reply_by < \(t)) AS open_overdue,
                   count(r.rating) AS revisited, count(*) FILTER (WHERE r.rating = 'satisfied') AS satisfied,
                   count(*) FILTER (WHERE r.problem_solved) AS solved
            FROM assignments a JOIN work_orders o ON o.id = a.work_order_id JOIN units u ON u.id = a.unit_id
            LEFT JOIN (SELECT DISTINCT ON (work_order_id) work_order_id, rating, problem_solved FROM ratings
                       WHERE rated_at >= \(s) AND rated_at <= \(t) AND rating <> 'unknown'
                       ORDER BY work_order_id, rated_at DESC, id DESC) r ON r.work_order_id = a.work_order_id
            WHERE a.role = 'lead' AND a.state <> 'returnApproved' AND a.dispatched_at >= \(s) AND a.dispatched_at < \(e) AND a.dispatched_at <= \(t)
            GROUP BY u.code
            """
    }
}
