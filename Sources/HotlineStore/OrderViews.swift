import Foundation
import HotlineDomain
import PostgresClient

/// One line of a unit's (or the office's) order list.
public struct OrderSummary: Sendable, Equatable {
    public var number: String
    public var title: String
    public var profile: String
    public var category: String
    public var urgency: String?
    public var caseClass: String?
    public var confidential: Bool
    /// The order's state, or its lead assignment's while dispatched (`signed`, `returnRequested`, ...).
    public var state: String
    public var version: Int
    public var receivedAt: Date
    /// The caller's part: `lead` or `co` (nil for the office).
    public var role: String?
    public var leadUnit: String?
    public var dispatchedAt: Date?
    public var signBy: Date?
    public var returnWindowEndsAt: Date?
    public var replyBy: Date?

    public init(number: String, title: String, profile: String, category: String, urgency: String? = nil, caseClass: String? = nil,
                confidential: Bool, state: String, version: Int, receivedAt: Date, role: String?, leadUnit: String?,
                dispatchedAt: Date?, signBy: Date?, returnWindowEndsAt: Date?, replyBy: Date?) {
        self.number = number
        self.title = title
        self.profile = profile
        self.category = category
        self.urgency = urgency
        self.caseClass = caseClass
        self.confidential = confidential
        self.state = state
        self.version = version
        self.receivedAt = receivedAt
        self.role = role
        self.leadUnit = leadUnit
        self.dispatchedAt = dispatchedAt
        self.signBy = signBy
        self.returnWindowEndsAt = returnWindowEndsAt
        self.replyBy = replyBy
    }
}

/// An order in full, as stored. The citizen's name, phone and address are personal data: the
/// API decides who sees them.
public struct OrderDetail: Sendable {
    public struct UnitPart: Sendable, Equatable {
        public var unit: String
        public var name: String
        public var role: String
        public var state: String
        public var active: Bool
        public var dispatchedAt: Date
        /// The sign-by the unit was given (lead units, where the profile sets a sign limit).
        public var signBy: Date?
        public var signedAt: Date?
        public var returnWindowEndsAt: Date?
        public var replyBy: Date?
        public var repliedAt: Date?
    }
    public struct Timer: Sendable, Equatable {
        public var kind: String
        public var fireAt: Date
        /// `pending`, `fired` or `cancelled`.
        public var status: String
    }
    public struct HistoryEntry: Sendable, Equatable {
        public var type: String
        public var occurredAt: Date
        public var actor: String?
        /// The event's data as JSON text (names units, rules and times; no citizen data).
        public var dataJSON: String
    }
    public struct ReturnEntry: Sendable, Equatable {
        public var unit: String
        public var actor: String
        public var reason: String?
        public var redispatchSuggestion: String?
        public var basis: String?
        public var leaderOpinion: String?
        public var requestedAt: Date
        public var decision: String?
        public var decisionReason: String?
        public var decidedBy: String?
        public var decidedAt: Date?
    }

    /// A unit's extension request (延期) and the office's decision.
    public struct ExtensionEntry: Sendable, Equatable {
        public var unit: String
        public var actor: String
        public var amount: TimeLimit
        public var reason: String?
        public var basis: String?
        public var citizenInformedPII: String?
        public var citizenConsented: Bool
        public var leaderSignaturePII: String?
        public var requestedAt: Date
        public var decision: String?
        public var grantedAmount: TimeLimit?
        public var newReplyBy: Date?
        public var decisionReason: String?
        public var decidedBy: String?
        public var decidedAt: Date?
    }
    /// A unit's reply: a draft until reviewed (审核), with its contact record. Personal data.
    public struct ReplyEntry: Sendable, Equatable {
        public var unit: String
        /// A level-3 unit's reply goes to its level-2 unit; nil: to the hotline.
        public var toUnit: String?
        public var textPII: String
        public var contactedCitizen: Bool
        public var contactPersonPII: String?
        public var contactedAt: Date?
        public var citizenSaidPII: String?
        public var draftedBy: String
        public var draftedAt: Date
        public var reviewedBy: String?
        public var reviewedAt: Date?
    }

    /// A unit's progress feedback (反馈). Personal data.
    public struct FeedbackEntry: Sendable, Equatable {
        public var unit: String
        public var actor: String
        public var textPII: String
        public var planPII: String?
        public var satisfiesReplyLimit: Bool
        /// henan: when the first feedback was due (签收后2个小时内).
        public var firstFeedbackDue: Date?
        public var givenAt: Date
    }

    /// A co-unit's contribution (会办) to the lead unit. Personal data.
    public struct ContributionEntry: Sendable, Equatable {
        public var unit: String
        public var toUnit: String
        public var actor: String
        public var textPII: String
        public var givenAt: Date
    }

    public var summary: OrderSummary
    public var contentPII: String
    public var citizenNamePII: String?
    public var citizenPhonePII: String?
    public var addressPII: String?
    public var regionCode: String?
    public var localityCode: String?
    public var dispatchBy: Date?
    public var returns: Int
    public var supervisionReason: String?
    public var manualDispatchReason: String?
    public var units: [UnitPart]
    public var timers: [Timer]
    public var history: [HistoryEntry]
    public var returnRequests: [ReturnEntry]
    public var extensionRequests: [ExtensionEntry]
    public var replies: [ReplyEntry]
    public var feedback: [FeedbackEntry]
    public var contributions: [ContributionEntry]
}

/// What the HTTP API reads: the orders a unit may see (its active assignments, as lead or
/// co-unit) or the office may see (all), one order in full.
public enum OrderViews {
    /// The profile of order `number` if `unit` (nil: the office, which sees every order) may see
    /// it; nil when there is no such order or it is not the unit's.
    public static func visibleProfile(_ number: String, to unit: String?, on connection: PostgresConnection) throws -> String? {
        if let unit {
            return try connection.query("""
                SELECT o.profile FROM work_orders o JOIN assignments a ON a.work_order_id = o.id AND a.active
                JOIN units u ON u.id = a.unit_id
                WHERE o.number = \(number) AND u.code = \(unit) LIMIT 1
                """).first?.decode("profile", as: String.self)
        }
        return try connection.query("SELECT profile FROM work_orders WHERE number = \(number)").first?.decode("profile", as: String.self)
    }

    /// Which of `codes` name no active unit.
    public static func unknownUnits(_ codes: [String], on connection: PostgresConnection) throws -> Set<String> {
        guard !codes.isEmpty else { return [] }
        let known = Set(try connection.query("SELECT code FROM units WHERE active AND code = ANY(\(codes))")
            .map { try $0.decode("code", as: String.self) })
        return Set(codes).subtracting(known)
    }

    /// The state name and version of order `number` now (for a refusal's answer).
    public static func currentState(_ number: String, on connection: PostgresConnection) throws -> (state: String, version: Int)? {
        try connection.query("""
            SELECT CASE WHEN o.state = 'dispatched' AND la.state IS NOT NULL THEN la.state ELSE o.state END AS state_name, o.version
            FROM work_orders o LEFT JOIN assignments la ON la.work_order_id = o.id AND la.active AND la.role = 'lead'
            WHERE o.number = \(number)
            """).first.map { (try $0.decode("state_name", as: String.self), try $0.decode("version", as: Int.self)) }
    }

    /// The orders `unit` has (nil: every order), by number, at most `limit`, after `after`.
    public static func list(unit: String?, states: [String], dueBefore: Date?, after: String?, limit: Int,
                            on connection: PostgresConnection) throws -> [OrderSummary] {
        var sql: SQL = """
            SELECT o.number, o.title, o.profile, o.category, o.urgency, o.class, o.confidential, o.version, o.received_at,
                   CASE WHEN o.state = 'dispatched' AND la.state IS NOT NULL THEN la.state ELSE o.state END AS state_name,
            """
        sql.append(unit == nil ? "\n       NULL::text AS role,\n" : "\n       mine.role AS role,\n")
        sql.append("""
                   lu.code AS lead_code, la.dispatched_at, la.return_window_ends_at, la.reply_by,
                   (SELECT max(t.fire_at) FROM timers t WHERE t.work_order_id = o.id AND t.kind = 'signBy'
                        AND t.cancelled_at IS NULL) AS sign_by

            """)
        if let unit {
            sql.append("""
                FROM assignments mine
                JOIN work_orders o ON o.id = mine.work_order_id
                LEFT JOIN assignments la ON la.work_order_id = o.id AND la.active AND la.role = 'lead'
                LEFT JOIN units lu ON lu.id = la.unit_id
                WHERE mine.active AND mine.unit_id = (SELECT id FROM units WHERE code = \(unit))

                """)
        } else {
            sql.append("""
                FROM work_orders o
                LEFT JOIN assignments la ON la.work_order_id = o.id AND la.active AND la.role = 'lead'
                LEFT JOIN units lu ON lu.id = la.unit_id
                WHERE true

                """)
        }
        if !states.isEmpty {
            sql.append(" AND (CASE WHEN o.state = 'dispatched' AND la.state IS NOT NULL THEN la.state ELSE o.state END) = ANY(\(states))")
        }
        if let dueBefore { sql.append(" AND la.reply_by < \(dueBefore)") }
        if let after { sql.append(" AND o.number > \(after)") }
        sql.append(" ORDER BY o.number LIMIT \(limit)")
        return try connection.query(sql).map(summary)
    }

    /// Order `number` in full, or nil.
    public static func detail(_ number: String, unit: String?, on connection: PostgresConnection) throws -> OrderDetail? {
        guard let row = try connection.query("""
            SELECT o.id, o.number, o.title, o.profile, o.category, o.urgency, o.class, o.confidential, o.version, o.received_at,
                   CASE WHEN o.state = 'dispatched' AND la.state IS NOT NULL THEN la.state ELSE o.state END AS state_name,
                   (SELECT m.role FROM assignments m JOIN units mu ON mu.id = m.unit_id
                     WHERE m.work_order_id = o.id AND m.active AND mu.code = \(unit) LIMIT 1) AS role,
                   lu.code AS lead_code, la.dispatched_at, la.return_window_ends_at, la.reply_by,
                   (SELECT max(t.fire_at) FROM timers t WHERE t.work_order_id = o.id AND t.kind = 'signBy'
                        AND t.cancelled_at IS NULL) AS sign_by,
                   o.content_pii, o.citizen_name_pii, o.citizen_phone_pii, o.address_pii, o.region_code, o.locality_code,
                   o.dispatch_by, o.returns_count, o.supervision_reason, o.manual_dispatch_reason
            FROM work_orders o
            LEFT JOIN assignments la ON la.work_order_id = o.id AND la.active AND la.role = 'lead'
            LEFT JOIN units lu ON lu.id = la.unit_id
            WHERE o.number = \(number)
            """).first else { return nil }
        let id = try row.decode("id", as: UUID.self)
        let units = try connection.query("""
            SELECT u.code, u.name, a.role, a.state, a.active, a.dispatched_at, a.signed_at, a.return_window_ends_at,
                   a.reply_by, a.replied_at,
                   -- By the order first: timers are indexed by order (timers_work_order), not by assignment.
                   (SELECT max(t.fire_at) FROM timers t WHERE t.work_order_id = a.work_order_id AND t.assignment_id = a.id
                        AND t.kind = 'signBy') AS sign_by
            FROM assignments a JOIN units u ON u.id = a.unit_id WHERE a.work_order_id = \(id) ORDER BY a.id
            """).map { a in
            OrderDetail.UnitPart(unit: try a.decode("code"), name: try a.decode("name"), role: try a.decode("role"),
                                 state: try a.decode("state"), active: try a.decode("active"),
                                 dispatchedAt: try a.decode("dispatched_at"), signBy: try a.decode("sign_by"),
                                 signedAt: try a.decode("signed_at"),
                                 returnWindowEndsAt: try a.decode("return_window_ends_at"), replyBy: try a.decode("reply_by"),
                                 repliedAt: try a.decode("replied_at"))
        }
        let timers = try connection.query("""
            SELECT kind, fire_at, CASE WHEN fired_at IS NOT NULL THEN 'fired' WHEN cancelled_at IS NOT NULL THEN 'cancelled'
                                       ELSE 'pending' END AS status
            FROM timers WHERE work_order_id = \(id) ORDER BY fire_at, id
            """).map { t in
            OrderDetail.Timer(kind: try t.decode("kind"), fireAt: try t.decode("fire_at"), status: try t.decode("status"))
        }
        let history = try connection.query("""
            SELECT type, occurred_at, actor, data::text AS data FROM events WHERE work_order_id = \(id) ORDER BY id
            """).map { e in
            OrderDetail.HistoryEntry(type: try e.decode("type"), occurredAt: try e.decode("occurred_at"), actor: try e.decode("actor"),
                                     dataJSON: try e.decode("data"))
        }
        let returns = try connection.query("""
            SELECT u.code, r.actor, r.reason, r.redispatch_suggestion, r.basis, r.leader_opinion, r.requested_at, r.decision,
                   r.decision_reason, r.decided_by, r.decided_at
            FROM order_returns r JOIN units u ON u.id = r.unit_id WHERE r.work_order_id = \(id) ORDER BY r.id
            """).map { r in
            OrderDetail.ReturnEntry(unit: try r.decode("code"), actor: try r.decode("actor"), reason: try r.decode("reason"),
                                    redispatchSuggestion: try r.decode("redispatch_suggestion"), basis: try r.decode("basis"),
                                    leaderOpinion: try r.decode("leader_opinion"), requestedAt: try r.decode("requested_at"),
                                    decision: try r.decode("decision"), decisionReason: try r.decode("decision_reason"),
                                    decidedBy: try r.decode("decided_by"), decidedAt: try r.decode("decided_at"))
        }
        let extensions = try connection.query("""
            SELECT u.code, x.actor, x.amount::text AS amount, x.reason, x.basis, x.citizen_informed_pii, x.citizen_consented,
                   x.leader_signature_pii, x.requested_at, x.decision, x.granted_amount::text AS granted_amount, x.new_reply_by,
                   x.decision_reason, x.decided_by, x.decided_at
            FROM order_extensions x JOIN units u ON u.id = x.unit_id WHERE x.work_order_id = \(id) ORDER BY x.id
            """).map { x in
            func limit(_ text: String?) throws -> TimeLimit? { try text.map { try JSONDecoder().decode(TimeLimit.self, from: Data($0.utf8)) } }
            return OrderDetail.ExtensionEntry(
                unit: try x.decode("code"), actor: try x.decode("actor"), amount: try limit(try x.decode("amount", as: String.self))!,
                reason: try x.decode("reason"), basis: try x.decode("basis"), citizenInformedPII: try x.decode("citizen_informed_pii"),
                citizenConsented: try x.decode("citizen_consented"), leaderSignaturePII: try x.decode("leader_signature_pii"),
                requestedAt: try x.decode("requested_at"), decision: try x.decode("decision"),
                grantedAmount: try limit(try x.decode("granted_amount", as: String?.self)), newReplyBy: try x.decode("new_reply_by"),
                decisionReason: try x.decode("decision_reason"), decidedBy: try x.decode("decided_by"), decidedAt: try x.decode("decided_at"))
        }
        let replies = try connection.query("""
            SELECT u.code, t.code AS to_code, r.text_pii, r.contacted_citizen, r.contact_person_pii, r.contacted_at, r.citizen_said_pii,
                   r.drafted_by, r.drafted_at, r.reviewed_by, r.reviewed_at
            FROM order_replies r JOIN units u ON u.id = r.unit_id LEFT JOIN units t ON t.id = r.to_unit_id
            WHERE r.work_order_id = \(id) ORDER BY r.id
            """).map { r in
            OrderDetail.ReplyEntry(unit: try r.decode("code"), toUnit: try r.decode("to_code"), textPII: try r.decode("text_pii"),
                                   contactedCitizen: try r.decode("contacted_citizen"), contactPersonPII: try r.decode("contact_person_pii"),
                                   contactedAt: try r.decode("contacted_at"), citizenSaidPII: try r.decode("citizen_said_pii"),
                                   draftedBy: try r.decode("drafted_by"), draftedAt: try r.decode("drafted_at"),
                                   reviewedBy: try r.decode("reviewed_by"), reviewedAt: try r.decode("reviewed_at"))
        }
        let feedback = try connection.query("""
            SELECT u.code, f.actor, f.text_pii, f.plan_pii, f.satisfies_reply_limit, f.first_feedback_due, f.given_at
            FROM order_feedback f JOIN units u ON u.id = f.unit_id WHERE f.work_order_id = \(id) ORDER BY f.id
            """).map { f in
            OrderDetail.FeedbackEntry(unit: try f.decode("code"), actor: try f.decode("actor"), textPII: try f.decode("text_pii"),
                                      planPII: try f.decode("plan_pii"), satisfiesReplyLimit: try f.decode("satisfies_reply_limit"),
                                      firstFeedbackDue: try f.decode("first_feedback_due"), givenAt: try f.decode("given_at"))
        }
        let contributions = try connection.query("""
            SELECT u.code, t.code AS to_code, c.actor, c.text_pii, c.given_at
            FROM order_contributions c JOIN units u ON u.id = c.unit_id JOIN units t ON t.id = c.to_unit_id
            WHERE c.work_order_id = \(id) ORDER BY c.id
            """).map { c in
            OrderDetail.ContributionEntry(unit: try c.decode("code"), toUnit: try c.decode("to_code"), actor: try c.decode("actor"),
                                          textPII: try c.decode("text_pii"), givenAt: try c.decode("given_at"))
        }
        return OrderDetail(
            summary: try summary(row), contentPII: try row.decode("content_pii"), citizenNamePII: try row.decode("citizen_name_pii"),
            citizenPhonePII: try row.decode("citizen_phone_pii"), addressPII: try row.decode("address_pii"),
            regionCode: try row.decode("region_code"), localityCode: try row.decode("locality_code"),
            dispatchBy: try row.decode("dispatch_by"), returns: try row.decode("returns_count"),
            supervisionReason: try row.decode("supervision_reason"), manualDispatchReason: try row.decode("manual_dispatch_reason"),
            units: units, timers: timers, history: history, returnRequests: returns, extensionRequests: extensions, replies: replies,
            feedback: feedback, contributions: contributions)
    }

    private static func summary(_ row: PostgresRow) throws -> OrderSummary {
        OrderSummary(number: try row.decode("number"), title: try row.decode("title"), profile: try row.decode("profile"),
                     category: try row.decode("category"), urgency: try row.decode("urgency"), caseClass: try row.decode("class"),
                     confidential: try row.decode("confidential"), state: try row.decode("state_name"),
                     version: try row.decode("version"), receivedAt: try row.decode("received_at"), role: try row.decode("role"),
                     leadUnit: try row.decode("lead_code"), dispatchedAt: try row.decode("dispatched_at"),
                     signBy: try row.decode("sign_by"), returnWindowEndsAt: try row.decode("return_window_ends_at"),
                     replyBy: try row.decode("reply_by"))
    }
}
