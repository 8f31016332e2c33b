import Foundation
import HotlineDomain
import PostgresClient

/// The citizen's answers, as the office records them at a revisit by phone (回访): the rating and
/// baotou's two questions (四(二)3: 是否及时联系诉求人, 问题是否解决). Personal data in the note.
public struct PhoneRevisit: Sendable, Equatable {
    public var rating: Rating
    public var problemSolved: Bool?
    public var contactedInTime: Bool?
    /// A redo reason the revisit found (qidong 附件2 一(七)2; pingdingshan 五(五) 结果不属实).
    public var redoReason: RedoReason?

    public init(rating: Rating, problemSolved: Bool? = nil, contactedInTime: Bool? = nil, redoReason: RedoReason? = nil) {
        self.rating = rating
        self.problemSolved = problemSolved
        self.contactedInTime = contactedInTime
        self.redoReason = redoReason
    }
}

/// 督办 as the office raises it: one of the profile's kinds, why, and the responsible leader.
public struct SupervisionRequest: Sendable, Equatable {
    public var kind: String
    public var reason: SupervisionReason
    public var leaderPII: String?
    public var notePII: String?

    public init(kind: String, reason: SupervisionReason, leaderPII: String? = nil, notePII: String? = nil) {
        self.kind = kind
        self.reason = reason
        self.leaderPII = leaderPII
        self.notePII = notePII
    }
}

/// A unit's request to leave an order out of assessment (剔除), with what the profile requires.
public struct ExclusionRequest: Sendable, Equatable {
    public var basis: String?
    /// The citizen agreed at a home visit (baotou: 上门联系诉求人认可).
    public var citizenConsented: Bool
    /// The unit's principal leader's signature (baotou: 单位主要领导审核签字). Personal data.
    public var leaderSignaturePII: String?

    public init(basis: String?, citizenConsented: Bool = false, leaderSignaturePII: String? = nil) {
        self.basis = basis
        self.citizenConsented = citizenConsented
        self.leaderSignaturePII = leaderSignaturePII
    }

    /// The fields `rules` asks for that are missing (nil rules: a basis).
    public func missing(_ rules: ExclusionRules?) -> [ExclusionRules.Field] {
        (rules?.requires ?? [.basis]).filter { field in
            switch field {
            case .basis: (basis ?? "").trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
            case .citizenConsent: !citizenConsented
            case .leaderSignature: (leaderSignaturePII ?? "").trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
            }
        }
    }
}

/// An office or unit request that lacks what its profile requires: problems by field (JSON
/// pointers, never values) and the clause.
public struct ActionIncomplete: Error, Equatable, CustomStringConvertible {
    public var problems: [FieldProblemText]
    public var detail: String
    public var description: String { detail + ": " + problems.map { "\($0.pointer) \($0.problem)" }.joined(separator: "; ") }
}

/// An exclusion decision with no request to decide.
public struct NoExclusionRequest: Error, Equatable, CustomStringConvertible {
    public var description: String { "there is no exclusion request to decide on this order" }
}

/// The office's decisions beyond dispatch and the unit's requests that go with them: the revisit
/// by phone and what follows a rating (redo, exempt, close), supervision, exclusion, the knowledge
/// base mark. Each in the caller's transaction, through the domain's rules where the order moves.
extension OrderActions {
    static func officeDecision(_ action: OrderAction, number: String, actor: String, at now: Date,
                               profiles: [String: PolicyProfile], calendar: WorkingCalendar,
                               on connection: PostgresConnection) throws -> ActionOutcome? {
        func run(_ command: Command) throws -> (StoredOrder, Transition) {
            try OrderActions.apply(command, number: number, actor: actor, at: now, profiles: profiles, calendar: calendar,
                                              on: connection)
        }
        func decision(_ kind: String, reason: String?, proof: String?, note: String?, orderId: UUID) throws {
            try connection.execute("""
                INSERT INTO order_revisit_decisions (work_order_id, decision, reason, proof_pii, note_pii, decided_by, decided_at)
                VALUES (\(orderId), \(kind), \(reason), \(proof), \(note), \(actor), \(now))
                """)
        }
        switch action {
        case .phoneRevisit(let revisit):
            let order = try stored(number, on: connection)
            var first: Transition?
            if order.order.state == .dispatched, order.order.assignment?.state == .replied {
                first = try run(.startRevisit).1
            }
            let (_, rated) = try run(.rate(revisit.rating, redoReason: revisit.redoReason, exemptReason: nil))
            let raw = revisit.rating == .basicallySatisfied ? "basically_satisfied" : revisit.rating.rawValue
            try connection.execute("""
                INSERT INTO ratings (work_order_id, assignment_id, rating, source, rated_at, problem_solved, contacted_in_time, recorded_by)
                VALUES (\(order.id), (SELECT id FROM assignments WHERE work_order_id = \(order.id) AND active AND role = 'lead'),
                        \(raw), 'phone', \(now), \(revisit.problemSolved), \(revisit.contactedInTime), \(actor))
                """)
            return ActionOutcome(before: order, transition: first.map { $0.then(rated) } ?? rated)

        case let .redo(reason, note):
            let (order, transition) = try run(.redo(reason: reason))
            try decision("redo", reason: reason?.rawValue, proof: nil, note: note, orderId: order.id)
            return ActionOutcome(before: order, transition: transition)

        case let .exempt(reason, proof, note):
            let current = try stored(number, on: connection)
            if let revisit = profiles[current.profile]?.revisit, revisit.closeOnProofFor.contains(reason),
               (proof ?? "").trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                throw ActionIncomplete(problems: [FieldProblemText("/proof", "is required: the unit files proof and the order closes on it")],
                                       detail: "an exemption for \(reason.rawValue) closes on the unit's proof (\(revisit.basis))")
            }
            let (order, transition) = try run(.exempt(reason))
            try decision("exempt", reason: reason.rawValue, proof: proof, note: note, orderId: order.id)
            // Intake answers a later repeat from this closing (`exemptClosings`): the exempt reason,
            // and the lead unit's reviewed reply as the answer.
            try connection.execute("UPDATE work_orders SET exempt_reason = \(reason.rawValue) WHERE id = \(order.id)")
            try connection.execute("""
                UPDATE assignments a SET reply_text_pii = (
                    SELECT r.text_pii FROM order_replies r
                    WHERE r.work_order_id = a.work_order_id AND r.unit_id = a.unit_id AND r.reviewed_at IS NOT NULL
                    ORDER BY r.id DESC LIMIT 1)
                WHERE a.work_order_id = \(order.id) AND a.active AND a.role = 'lead' AND a.reply_text_pii IS NULL
                """)
            return ActionOutcome(before: order, transition: transition)

        case .closeAfterRevisit(let note):
            let (order, transition) = try run(.close)
            try decision("close", reason: nil, proof: nil, note: note, orderId: order.id)
            return ActionOutcome(before: order, transition: transition)

        case .supervise(let request):
            let current = try stored(number, on: connection)
            let rules = profiles[current.profile]?.supervision
            guard let kind = rules?.kind(request.kind) else {
                let known = (rules?.kinds ?? []).map(\.id).joined(separator: ", ")
                throw ActionIncomplete(problems: [FieldProblemText("/kind", "must be one of the profile's kinds: \(known)")],
                                       detail: "the supervision is not valid (\(rules?.basis ?? "the profile names no kinds"))")
            }
            if rules?.leaderRequired == true, (request.leaderPII ?? "").trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                throw ActionIncomplete(problems: [FieldProblemText("/leader", "is required: the supervision names the responsible leader")],
                                       detail: "the supervision is not valid (\(rules?.basis ?? ""))")
            }
            let (order, transition) = try run(.supervise(request.reason))
            // The plan's timer is owed by the lead unit (pingdingshan 六(二) 现场督办后3个工作日内…报送办理工作方案).
            var planDue: Date?
            if let limit = kind.planDue {
                do {
                    planDue = try Timers.schedule(.supervisionPlanDue, workOrder: order.id, assignment: nil,
                                                  unit: order.order.assignment?.leadUnit, rule: DueRule(from: now, limit: limit),
                                                  calendar: calendar, actor: actor, at: now, on: connection)
                } catch let error as CalendarError {
                    throw OfficeAndUnitCommandError.refused(number: number, .calendar(error))
                }
            }
            try connection.execute("""
                INSERT INTO order_supervisions (work_order_id, kind, reason, leader_pii, note_pii, plan_due, raised_by, raised_at)
                VALUES (\(order.id), \(kind.id), \(request.reason.rawValue), \(request.leaderPII), \(request.notePII), \(planDue),
                        \(actor), \(now))
                """)
            try WorkOrders.appendEvents([EventRecord(type: "supervisionRaised", data: ["kind": kind.id, "reason": request.reason.rawValue])],
                                        orderId: order.id, assignmentId: nil, actor: actor, at: now, on: connection)
            return ActionOutcome(before: order, transition: transition)

        case let .requestExclusion(unit, request):
            let order = try stored(number, on: connection)
            guard order.order.assignment?.leadUnit == unit else {
                throw OfficeAndUnitCommandError.refused(number: number, .wrongUnit(expected: order.order.assignment?.leadUnit ?? "none"))
            }
            guard ![.notAccepted, .resolvedAtIntake].contains(order.order.state) else {
                throw OfficeAndUnitCommandError.refused(number: number, .notAllowed(command: "exclude", state: order.order.stateName))
            }
            let rules = profiles[order.profile]?.exclusion
            let missing = request.missing(rules)
            if !missing.isEmpty {
                throw ActionIncomplete(problems: missing.map { FieldProblemText("/\($0.rawValue)", "is required") },
                                       detail: "an exclusion request must carry what the profile requires (\(rules?.basis ?? "ours: a basis"))")
            }
            let pending = try connection.query("""
                SELECT 1 AS one FROM exclusion_requests WHERE work_order_id = \(order.id) AND decision IS NULL
                """)
            let excluded = try connection.query("SELECT 1 AS one FROM order_exclusions WHERE work_order_id = \(order.id)")
            if !pending.isEmpty || !excluded.isEmpty {
                throw OfficeAndUnitCommandError.refused(number: number, .notAllowed(
                    command: "ask to exclude", state: excluded.isEmpty ? "awaiting an exclusion decision" : "excluded"))
            }
            try connection.execute("""
                INSERT INTO exclusion_requests (work_order_id, unit_id, actor, basis, citizen_consented, leader_signature_pii, requested_at)
                VALUES (\(order.id), \(try WorkOrders.unitId(unit, on: connection)), \(actor), \(request.basis), \(request.citizenConsented),
                        \(request.leaderSignaturePII), \(now))
                """)
            try record(EventRecord(type: "exclusionRequested", data: ["unit": unit]), order: order, actor: actor, at: now, on: connection)
            return ActionOutcome(before: order, transition: nil)

        case .approveExclusion, .rejectExclusion:
            let order = try stored(number, on: connection)
            let approved = action == .approveExclusion
            let reason: String? = if case .rejectExclusion(let reason) = action { reason } else { nil }
            guard let decided = try connection.query("""
                UPDATE exclusion_requests SET decision = \(approved ? "approved" : "rejected"), decision_reason = \(reason),
                    decided_by = \(actor), decided_at = \(now)
                WHERE work_order_id = \(order.id) AND decision IS NULL
                RETURNING basis
                """).first else { throw NoExclusionRequest() }
            let basis = try decided.decode("basis", as: String?.self)
            if approved {
                try Scores.exclude(order: order.id, basis: basis ?? "approved by the office", approvedAt: now, approvedBy: actor, on: connection)
            }
            try record(EventRecord(type: approved ? "exclusionApproved" : "exclusionRejected", data: [:]), order: order, actor: actor,
                       at: now, on: connection)
            return ActionOutcome(before: order, transition: nil)

        case .markForKnowledgeBase:
            let order = try stored(number, on: connection)
            guard ![.notAccepted, .resolvedAtIntake, .closed].contains(order.order.state) else {
                throw OfficeAndUnitCommandError.refused(number: number, .notAllowed(command: "mark for the knowledge base",
                                                                                     state: order.order.stateName))
            }
            let marked = try connection.execute("""
                UPDATE work_orders SET kb_marked_at = \(now), kb_marked_by = \(actor) WHERE id = \(order.id) AND kb_marked_at IS NULL
                """)
            if marked == 1 {
                try record(EventRecord(type: "markedForKnowledgeBase", data: [:]), order: order, actor: actor, at: now, on: connection)
                // Already replied: the entry is owed from now.
                if order.order.assignment?.state == .replied || [.revisitPending, .rated].contains(order.order.state) {
                    try KnowledgeBase.scheduleEntryDue(orderId: order.id, at: now, profile: profiles[order.profile],
                                                       calendar: calendar, actor: actor, on: connection)
                }
            }
            return ActionOutcome(before: order, transition: nil)

        default:
            return nil
        }
    }
}

/// A rated order waiting for the office's revisit decision (redo, exempt or close).
public struct RevisitWaiting: Sendable, Equatable {
    public var number: String
    public var profile: String
    public var leadUnit: String?
    public var rating: String?
    public var ratedAt: Date?
    public var problemSolved: Bool?
    public var redoCount: Int
}

/// The office's queue of rated orders waiting for its revisit decision.
public enum RevisitQueue {
    /// Rated orders after number `after`, by number: every dissatisfied one, and of the profiles
    /// in `anyRating` (their redo does not depend on the rating: pingdingshan) every rated one.
    public static func waiting(anyRating: [String], after: String?, limit: Int, on connection: PostgresConnection) throws -> [RevisitWaiting] {
        try connection.query("""
            SELECT o.number, o.profile, u.code AS lead, o.rating, o.redo_count, r.rated_at, r.problem_solved
            FROM work_orders o
            LEFT JOIN units u ON u.id = o.lead_unit_id
            LEFT JOIN LATERAL (SELECT rated_at, problem_solved FROM ratings WHERE work_order_id = o.id
                               ORDER BY rated_at DESC, id DESC LIMIT 1) r ON true
            WHERE o.state = 'rated' AND (o.rating = 'dissatisfied' OR o.profile = ANY(\(anyRating)))
              AND o.number > \(after ?? "")
            ORDER BY o.number LIMIT \(limit)
            """).map { row in
            RevisitWaiting(number: try row.decode("number"), profile: try row.decode("profile"), leadUnit: try row.decode("lead"),
                           rating: try row.decode("rating"), ratedAt: try row.decode("rated_at"),
                           problemSolved: try row.decode("problem_solved"), redoCount: try row.decode("redo_count"))
        }
    }
}

/// One of the office's records for scoring, as stored (`assessment_records`).
public struct AssessmentRecord: Sendable, Equatable {
    public var id: Int64
    public var unit: String
    public var period: String
    public var kind: String
    public var item: String
    public var count: Int
    public var note: String?
    public var recordedAt: Date
}

public enum AssessmentRecords {
    /// The records of `period` (of `unit` when given), in the order recorded.
    public static func list(period: ScoringPeriod, unit: String?, on connection: PostgresConnection) throws -> [AssessmentRecord] {
        try connection.query("""
            SELECT r.id, u.code, r.period, r.kind, r.item, r.count, r.note, r.recorded_at
            FROM assessment_records r JOIN units u ON u.id = r.unit_id
            WHERE r.period = \(period.description) AND (\(unit)::text IS NULL OR u.code = \(unit))
            ORDER BY r.id
            """).map { row in
            AssessmentRecord(id: try row.decode("id"), unit: try row.decode("code"), period: try row.decode("period"),
                             kind: try row.decode("kind"), item: try row.decode("item"), count: try row.decode("count"),
                             note: try row.decode("note"), recordedAt: try row.decode("recorded_at"))
        }
    }
}
