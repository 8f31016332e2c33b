import Foundation
import HotlineDomain
import HotlineContracts
import PostgresClient

/// What a unit's return (退件) request says. Which parts are required is the profile's
/// (`ReturnRules.requires`); every part given is kept with the request.
public struct ReturnRequest: Sendable, Equatable {
    public var reason: String?
    public var redispatchSuggestion: String?
    public var basis: String?
    public var leaderOpinion: String?

    public init(reason: String? = nil, redispatchSuggestion: String? = nil, basis: String? = nil, leaderOpinion: String? = nil) {
        self.reason = reason
        self.redispatchSuggestion = redispatchSuggestion
        self.basis = basis
        self.leaderOpinion = leaderOpinion
    }

    public func value(_ field: ReturnRequirements.Field) -> String? {
        switch field {
        case .reason: reason
        case .redispatchSuggestion: redispatchSuggestion
        case .basis: basis
        case .leaderOpinion: leaderOpinion
        }
    }

    /// The fields `requirements` asks for that are missing or blank.
    public func missing(_ requirements: ReturnRequirements?) -> [ReturnRequirements.Field] {
        (requirements?.fields ?? []).filter { (value($0) ?? "").trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }
    }
}

/// What a unit's extension (延期) request says: the amount asked for, and the parts the profile
/// requires (`PolicyProfile.extensionRequires`); every part given is kept with the request.
public struct ExtensionRequest: Sendable, Equatable {
    public var amount: TimeLimit
    public var reason: String?
    public var basis: String?
    /// What the citizen was told (与市民解释沟通情况): personal data.
    public var citizenInformedPII: String?
    /// The citizen agreed (baotou 延时挂账: 诉求人认可).
    public var citizenConsented: Bool
    /// The unit leader's signature (baotou: 单位分管领导审核签字).
    public var leaderSignaturePII: String?

    public init(amount: TimeLimit, reason: String? = nil, basis: String? = nil, citizenInformedPII: String? = nil,
                citizenConsented: Bool = false, leaderSignaturePII: String? = nil) {
        self.amount = amount
        self.reason = reason
        self.basis = basis
        self.citizenInformedPII = citizenInformedPII
        self.citizenConsented = citizenConsented
        self.leaderSignaturePII = leaderSignaturePII
    }

    public func value(_ field: ExtensionRequirements.Field) -> String? {
        switch field {
        case .reason: reason
        case .basis: basis
        case .citizenInformed: citizenInformedPII
        case .leaderSignature: leaderSignaturePII
        }
    }

    /// The fields `requirements` asks for that are missing or blank.
    public func missing(_ requirements: ExtensionRequirements?) -> [ExtensionRequirements.Field] {
        (requirements?.fields ?? []).filter { (value($0) ?? "").trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }
    }
}

/// The contact record of a reply (qidong 附件2 一(五)3, 电话接通的: 与谁, 何时, 市民怎么说): personal data.
public struct ContactRecord: Sendable, Equatable {
    public var personPII: String
    public var at: Date
    public var citizenSaidPII: String

    public init(personPII: String, at: Date, citizenSaidPII: String) {
        self.personPII = personPII
        self.at = at
        self.citizenSaidPII = citizenSaidPII
    }
}

/// A unit's reply (办结/答复) as drafted: the result for the citizen (the SMS body) and, when the unit
/// reached the citizen by phone, the contact record.
public struct ReplyDraft: Sendable, Equatable {
    public var textPII: String
    public var contactedCitizen: Bool
    public var contact: ContactRecord?

    public init(textPII: String, contactedCitizen: Bool, contact: ContactRecord?) {
        self.textPII = textPII
        self.contactedCitizen = contactedCitizen
        self.contact = contact
    }
}

/// A person's action on one order, as the HTTP API and `hotlinectl order` both perform it.
public enum OrderAction: Sendable, Equatable {
    case sign(unit: String)
    case requestReturn(unit: String, ReturnRequest)
    case approveReturn
    case rejectReturn(reason: String?)
    case dispatch(lead: String, coUnits: [String])
    case requestExtension(unit: String, ExtensionRequest)
    /// `amount`: the new limit the office sets (only where the profile lets it: pingdingshan).
    case approveExtension(amount: TimeLimit?)
    case rejectExtension(reason: String?)
    /// Writes (or rewrites) the unit's draft; the order does not move.
    case saveReplyDraft(unit: String, ReplyDraft)
    /// 审核: submits the unit's draft as its reply (a level-3 unit's, to the level-2 unit it came from).
    case reviewReply(unit: String)
    /// The level-2 lead unit hands the order down to one of its level-3 units (pingdingshan 一(四)).
    case handDown(unit: String, to: String)
    /// 会办: a co-unit's contribution to the lead unit. Personal data.
    case contribute(unit: String, textPII: String)
    /// 反馈: the lead unit's progress (and plan) short of the final reply. Personal data.
    case feedback(unit: String, textPII: String, planPII: String?)
    /// The office's revisit by phone: the citizen's answers (`OfficeDecisions`).
    case phoneRevisit(PhoneRevisit)
    /// The office's decisions on a rated order: 重办, exempt (with the unit's proof), close.
    case redo(reason: RedoReason?, notePII: String?)
    case exempt(reason: ExemptReason, proofPII: String?, notePII: String?)
    case closeAfterRevisit(notePII: String?)
    /// 督办 of one of the profile's kinds.
    case supervise(SupervisionRequest)
    /// 剔除: the lead unit asks, the office decides.
    case requestExclusion(unit: String, ExclusionRequest)
    case approveExclusion
    case rejectExclusion(reason: String?)
    /// The office marks the order for the knowledge base: the lead unit owes an entry after its reply.
    case markForKnowledgeBase

    /// The domain's command for it; nil for a draft (which changes no state). A review's command
    /// is made from its draft.
    var command: Command? {
        switch self {
        case .sign(let unit): .sign(unit: unit)
        case .requestReturn(let unit, _): .requestReturn(unit: unit)
        case .approveReturn: .approveReturn
        case .rejectReturn: .rejectReturn
        case let .dispatch(lead, coUnits): .dispatch(lead: lead, coUnits: coUnits)
        case let .requestExtension(unit, request):
            .requestExtension(unit: unit, amount: request.amount, citizenConsented: request.citizenConsented)
        case .approveExtension(let amount): .approveExtension(amount: amount)
        case .rejectExtension: .rejectExtension
        case .saveReplyDraft, .reviewReply, .handDown, .contribute: nil
        case .phoneRevisit, .redo, .exempt, .closeAfterRevisit, .supervise, .requestExclusion, .approveExclusion, .rejectExclusion,
             .markForKnowledgeBase: nil
        case .feedback(let unit, _, _): .feedback(unit: unit)
        }
    }
}

/// An extension request that lacks what the profile requires; names the fields and the clause.
public struct ExtensionIncomplete: Error, Equatable, CustomStringConvertible {
    public var missing: [ExtensionRequirements.Field]
    public var basis: String
    public var description: String {
        "an extension request must give \(missing.map(\.rawValue).joined(separator: ", ")) (\(basis))"
    }
}

/// The office named an extension's amount where the profile does not let it set one.
public struct ExtensionAmountNotSetByOffice: Error, Equatable, CustomStringConvertible {
    public var basis: String
    public var description: String { "the unit's request sets the amount; the office approves or rejects it (\(basis))" }
}

/// A reply whose wording the SMS may not carry: problems by field (a JSON pointer), never the text.
public struct ReplyWording: Error, Equatable, CustomStringConvertible {
    public var problems: [FieldProblemText]
    public var basis: String
    public var description: String { "the reply's wording: " + problems.map { "\($0.pointer) \($0.problem)" }.joined(separator: "; ") }
}

/// One field's problem, for errors of the application layer.
public struct FieldProblemText: Sendable, Equatable {
    public var pointer: String
    public var problem: String
    public init(_ pointer: String, _ problem: String) {
        self.pointer = pointer
        self.problem = problem
    }
}

/// A hand-down to a unit that is not an active level-3 unit under the lead.
public struct NotASubUnit: Error, Equatable, CustomStringConvertible {
    public var lead: String
    public var description: String { "an order is handed down to an active level-3 unit under \(lead) (pingdingshan 一(四))" }
}

/// A contribution from a unit that is not a co-unit of the order.
public struct NotACoUnit: Error, Equatable, CustomStringConvertible {
    public var lead: String
    public var description: String { "only a co-unit sends a contribution to the lead unit \(lead)" }
}

/// A review with no draft to review.
public struct NoReplyDraft: Error, Equatable, CustomStringConvertible {
    public var description: String { "there is no reply draft to review; write one first" }
}

/// A return request that lacks what the profile requires; names the fields and the clause.
public struct ReturnIncomplete: Error, Equatable, CustomStringConvertible {
    public var missing: [ReturnRequirements.Field]
    public var basis: String
    public var description: String {
        "a return must give \(missing.map(\.rawValue).joined(separator: ", ")) (\(basis))"
    }
}

/// The outcome of an action: the order as it was read and the transition written.
public struct ActionOutcome: Sendable {
    public var before: StoredOrder
    /// nil when the action moved nothing (a reply draft).
    public var transition: Transition?
    /// The order's version after the action.
    public var version: Int { transition == nil ? before.version : before.version + 1 }
}

/// The application layer of a person's action: one transaction (the caller's) that checks the
/// version the person saw, applies the domain's rules and the profile through the one command
/// path (`apply`), and keeps what the action carries beyond the rules (a
/// return's reason and basis, the office's decision).
public enum OrderActions {
    /// Performs `action` on order `number` as `actor`. `expectedVersion` is the version the person
    /// acted on (HTTP `If-Match`); a newer one throws `WorkOrderStoreError.concurrentUpdate`.
    public static func perform(_ action: OrderAction, number: String, actor: String, expectedVersion: Int? = nil, at now: Date,
                               profiles: [String: PolicyProfile], calendar: WorkingCalendar,
                               on connection: PostgresConnection) throws -> ActionOutcome {
        // The order's row is locked by a statement of its own before the command reads it: a
        // `SELECT … FOR NO KEY UPDATE OF o` that joins the assignments and has to wait for another
        // transaction's lock re-reads the order's row but not the joined assignment rows, so two
        // people signing at once both saw "dispatched" and both signed. Read after the lock is
        // held, the command sees what the other committed.
        let current = try connection.query("""
            SELECT version FROM work_orders WHERE number = \(number) FOR NO KEY UPDATE
            """).first?.decode("version", as: Int.self)
        guard let current else { throw OfficeAndUnitCommandError.noSuchOrder(number) }
        if let expectedVersion, current != expectedVersion {
            throw WorkOrderStoreError.concurrentUpdate(number: number, readAt: expectedVersion)
        }
        if let outcome = try officeDecision(action, number: number, actor: actor, at: now, profiles: profiles, calendar: calendar,
                                            on: connection) {
            return outcome
        }
        // The three-level network: a level-3 unit's reply goes to its level-2 unit, not to the rules.
        switch action {
        case let .handDown(unit, to):
            return try handDown(number: number, lead: unit, to: to, actor: actor, at: now, on: connection)
        case let .contribute(unit, text):
            return try contribute(text, unit: unit, number: number, actor: actor, at: now, on: connection)
        case let .saveReplyDraft(unit, draft):
            if let sub = try subAssignment(number: number, unit: unit, on: connection) {
                return try saveSubDraft(draft, sub: sub, actor: actor, at: now, profiles: profiles, on: connection)
            }
        case let .reviewReply(unit):
            if let sub = try subAssignment(number: number, unit: unit, on: connection) {
                return try reviewSubReply(sub: sub, number: number, actor: actor, at: now, on: connection)
            }
        default:
            break
        }
        if case let .saveReplyDraft(unit, draft) = action {
            return try saveDraft(draft, unit: unit, number: number, actor: actor, at: now, profiles: profiles, calendar: calendar,
                                 on: connection)
        }
        var draft: StoredDraft?
        let domainCommand: Command
        if case let .reviewReply(unit) = action {
            draft = try openDraft(number: number, unit: unit, on: connection)
            guard let draft else {
                // Say what the rules say first (another unit, a state that takes no reply); else: no draft.
                try checkReply(unit: unit, contactedCitizen: false, number: number, at: now, profiles: profiles, calendar: calendar,
                               on: connection)
                throw NoReplyDraft()
            }
            domainCommand = .reply(unit: unit, contactedCitizen: draft.contactedCitizen)
        } else if case let .requestExtension(unit, request) = action {
            // The documents count applications (申请…次), granted or not, per order.
            let earlier = try connection.query("""
                SELECT count(*) AS n FROM order_extensions x JOIN work_orders o ON o.id = x.work_order_id WHERE o.number = \(number)
                """).first?.decode("n", as: Int.self) ?? 0
            domainCommand = .requestExtension(unit: unit, amount: request.amount, citizenConsented: request.citizenConsented,
                                              earlierRequests: earlier)
        } else {
            domainCommand = action.command!
        }
        let (stored, transition) = try apply(domainCommand, number: number, actor: actor, at: now, profiles: profiles,
                                               calendar: calendar, on: connection)
        let profile = profiles[stored.profile]
        switch action {
        case let .requestReturn(unit, request):
            let requirements = profile?.returns?.requires
            let missing = request.missing(requirements)
            if !missing.isEmpty { throw ReturnIncomplete(missing: missing, basis: requirements?.basis ?? "") }
            try connection.execute("""
                INSERT INTO order_returns (work_order_id, unit_id, actor, reason, redispatch_suggestion, basis, leader_opinion, requested_at)
                VALUES (\(stored.id), (SELECT id FROM units WHERE code = \(unit)), \(actor), \(request.reason),
                        \(request.redispatchSuggestion), \(request.basis), \(request.leaderOpinion), \(now))
                """)
        case .approveReturn, .rejectReturn:
            let reason: String? = if case .rejectReturn(let reason) = action { reason } else { nil }
            try connection.execute("""
                UPDATE order_returns SET decision = \(action == .approveReturn ? "approved" : "rejected"),
                    decision_reason = \(reason), decided_by = \(actor), decided_at = \(now)
                WHERE work_order_id = \(stored.id) AND decision IS NULL
                """)
        case let .requestExtension(unit, request):
            let requirements = profile?.extensionRequires
            let missing = request.missing(requirements)
            if !missing.isEmpty { throw ExtensionIncomplete(missing: missing, basis: requirements?.basis ?? "") }
            try connection.execute("""
                INSERT INTO order_extensions (work_order_id, unit_id, actor, amount, reason, basis, citizen_informed_pii,
                                              citizen_consented, leader_signature_pii, requested_at)
                VALUES (\(stored.id), (SELECT id FROM units WHERE code = \(unit)), \(actor), \(WorkOrders.json(request.amount)),
                        \(request.reason), \(request.basis), \(request.citizenInformedPII), \(request.citizenConsented),
                        \(request.leaderSignaturePII), \(now))
                """)
        case .approveExtension(let officeAmount):
            let rule = profile?.extensionRule(for: stored.order.kind)
            if officeAmount != nil, rule?.limitSetByOffice != true {
                throw ExtensionAmountNotSetByOffice(basis: rule?.basis ?? "")
            }
            let granted = transition.order.assignment?.extensions.last
            try connection.execute("""
                UPDATE order_extensions SET decision = 'approved', granted_amount = \(granted.map(WorkOrders.json)),
                    new_reply_by = \(transition.order.assignment?.replyBy), decided_by = \(actor), decided_at = \(now)
                WHERE work_order_id = \(stored.id) AND decision IS NULL
                """)
        case .rejectExtension(let reason):
            try connection.execute("""
                UPDATE order_extensions SET decision = 'rejected', decision_reason = \(reason), decided_by = \(actor), decided_at = \(now)
                WHERE work_order_id = \(stored.id) AND decision IS NULL
                """)
        case let .reviewReply(unit):
            guard let draft else { throw NoReplyDraft() }
            try connection.execute("""
                UPDATE order_replies SET reviewed_by = \(actor), reviewed_at = \(now) WHERE id = \(draft.id)
                """)
            let unitName = try connection.query("SELECT name FROM units WHERE code = \(unit)").first?.decode("name", as: String.self) ?? unit
            try Outbox.append(TransitionMessages.replied(
                WorkOrderReplied(number: stored.number, unitCode: unit, unitName: unitName, replyText: draft.textPII,
                                 contactedCitizen: draft.contactedCitizen, confidential: stored.order.confidential,
                                 profile: stored.profile, repliedAt: now),
                of: stored, at: now), on: connection)
            try KnowledgeBase.scheduleEntryDue(orderId: stored.id, at: now, profile: profile, calendar: calendar,
                                               actor: actor, on: connection)
        case let .feedback(unit, text, plan):
            let satisfies = transition.events.contains { if case .fedBack(_, true) = $0 { true } else { false } }
            // henan: the first feedback counts from signing (the lead assignment's signed_at).
            var firstDue: Date?
            if let profile, let signedAt = try connection.query("""
                SELECT a.signed_at FROM assignments a WHERE a.work_order_id = \(stored.id) AND a.active AND a.role = 'lead'
                """).first?.decode("signed_at", as: Date?.self) {
                do {
                    firstDue = try Deadlines.firstFeedbackBy(profile: profile, kind: stored.order.kind,
                                                             start: stored.order.assignment?.dispatchedAt ?? now, signedAt: signedAt,
                                                             calendar: calendar)
                } catch {
                    throw OfficeAndUnitCommandError.refused(number: number, error)
                }
            }
            try connection.execute("""
                INSERT INTO order_feedback (work_order_id, unit_id, actor, text_pii, plan_pii, satisfies_reply_limit, first_feedback_due, given_at)
                VALUES (\(stored.id), (SELECT id FROM units WHERE code = \(unit)), \(actor), \(text), \(plan), \(satisfies), \(firstDue), \(now))
                """)
        case .sign, .dispatch, .saveReplyDraft, .handDown, .contribute, .phoneRevisit, .redo, .exempt, .closeAfterRevisit, .supervise,
             .requestExclusion, .approveExclusion, .rejectExclusion, .markForKnowledgeBase:
            break
        }
        return ActionOutcome(before: stored, transition: transition)
    }

    /// A level-3 unit's active part in an order (handed down by its level-2 unit).
    struct SubAssignment {
        var id: Int64
        var orderId: UUID
        var unit: String
        var unitId: Int64
        var via: String
        var viaId: Int64
        var state: String
    }

    static func subAssignment(number: String, unit: String, on connection: PostgresConnection) throws -> SubAssignment? {
        try connection.query("""
            SELECT a.id, a.work_order_id, u.id AS unit_id, v.code AS via, v.id AS via_id, a.state
            FROM assignments a JOIN work_orders o ON o.id = a.work_order_id JOIN units u ON u.id = a.unit_id
            JOIN units v ON v.id = a.via_unit_id
            WHERE o.number = \(number) AND u.code = \(unit) AND a.active AND a.role = 'sub'
            """).first.map {
            SubAssignment(id: try $0.decode("id"), orderId: try $0.decode("work_order_id"), unit: unit, unitId: try $0.decode("unit_id"),
                          via: try $0.decode("via"), viaId: try $0.decode("via_id"), state: try $0.decode("state"))
        }
    }

    /// An action outside the rules' view of the order (the level-2 unit's hand-down, a level-3
    /// unit's reply to it): the order's version moves on so that concurrent writers notice, and
    /// the event names the actor.
    static func record(_ event: EventRecord, order: StoredOrder, actor: String, at now: Date,
                       on connection: PostgresConnection) throws {
        let updated = try connection.execute("""
            UPDATE work_orders SET version = version + 1, updated_at = \(now) WHERE id = \(order.id) AND version = \(order.version)
            """)
        guard updated == 1 else { throw WorkOrderStoreError.concurrentUpdate(number: order.number, readAt: order.version) }
        try WorkOrders.appendEvents([event], orderId: order.id, assignmentId: nil, actor: actor, at: now, on: connection)
    }

    static func stored(_ number: String, on connection: PostgresConnection) throws -> StoredOrder {
        guard let id = try WorkOrders.ids(numbers: [number], on: connection)[number],
              let stored = try WorkOrders.load(id, on: connection) else { throw OfficeAndUnitCommandError.noSuchOrder(number) }
        return stored
    }

    /// pingdingshan 一(四): 三级网络单位……负责接收和办理二级网络单位交办的市长热线事项,并向二级网络单位报告办理情况. The lead unit, having signed, hands the order
    /// down to an active level-3 unit under it; it stays the lead, responsible to the hotline.
    static func handDown(number: String, lead: String, to: String, actor: String, at now: Date,
                         on connection: PostgresConnection) throws -> ActionOutcome {
        let order = try stored(number, on: connection)
        guard (order.order.state == .dispatched || order.order.state == .redo), let assignment = order.order.assignment else {
            throw OfficeAndUnitCommandError.refused(number: number, .notAllowed(command: "hand down", state: order.order.stateName))
        }
        guard assignment.leadUnit == lead else {
            throw OfficeAndUnitCommandError.refused(number: number, .wrongUnit(expected: assignment.leadUnit))
        }
        let working: [AssignmentState] = [.signed, .returnRejected, .extensionApproved, .extensionRejected]
        guard working.contains(assignment.state) || order.order.state == .redo else {
            throw OfficeAndUnitCommandError.refused(number: number, .notAllowed(command: "hand down", state: order.order.stateName))
        }
        guard let target = try connection.query("""
            SELECT u.id, p.id AS parent_id FROM units u JOIN units p ON p.id = u.parent_id
            WHERE u.code = \(to) AND u.active AND u.level = 3 AND p.code = \(lead)
            """).first else { throw NotASubUnit(lead: lead) }
        let active = try connection.query("""
            SELECT u.code FROM assignments a JOIN units u ON u.id = a.unit_id
            WHERE a.work_order_id = \(order.id) AND a.active AND a.role = 'sub'
            """).first?.decode("code", as: String.self)
        if let active {
            throw OfficeAndUnitCommandError.refused(number: number, .notAllowed(command: "hand down", state: "handed down to \(active)"))
        }
        try connection.execute("""
            INSERT INTO assignments (work_order_id, unit_id, role, state, dispatched_at, reply_by, original_limit, via_unit_id, basis)
            VALUES (\(order.id), \(try target.decode("id", as: Int64.self)), 'sub', 'dispatched', \(now), \(assignment.replyBy),
                    \(WorkOrders.json(assignment.originalLimit)), \(try target.decode("parent_id", as: Int64.self)),
                    \("handed down by \(lead) · 二级网络单位交办"))
            """)
        try record(EventRecord(type: "handedDown", data: ["unit": to, "by": lead]), order: order, actor: actor, at: now, on: connection)
        return ActionOutcome(before: order, transition: nil)
    }

    /// 会办 (qidong 附件2 三(三): 各相关部门要密切配合, 提出解决办法): a co-unit sends what it did or
    /// found to the lead unit while the lead has not replied; kept for the lead's reply.
    static func contribute(_ text: String, unit: String, number: String, actor: String, at now: Date,
                           on connection: PostgresConnection) throws -> ActionOutcome {
        let order = try stored(number, on: connection)
        guard let assignment = order.order.assignment else {
            throw OfficeAndUnitCommandError.refused(number: number, .notAllowed(command: "contribute to", state: order.order.stateName))
        }
        guard assignment.coUnits.contains(unit) else { throw NotACoUnit(lead: assignment.leadUnit) }
        guard order.order.state == .dispatched || order.order.state == .redo, assignment.state != .replied,
              assignment.state != .returnRequested else {
            throw OfficeAndUnitCommandError.refused(number: number, .notAllowed(command: "contribute to", state: order.order.stateName))
        }
        try connection.execute("""
            INSERT INTO order_contributions (work_order_id, unit_id, to_unit_id, actor, text_pii, given_at)
            VALUES (\(order.id), \(try WorkOrders.unitId(unit, on: connection)), \(try WorkOrders.unitId(assignment.leadUnit, on: connection)),
                    \(actor), \(text), \(now))
            """)
        try record(EventRecord(type: "contributed", data: ["unit": unit, "to": assignment.leadUnit]), order: order, actor: actor,
                   at: now, on: connection)
        return ActionOutcome(before: order, transition: nil)
    }

    /// A level-3 unit's draft to its level-2 unit, checked for wording as any reply.
    static func saveSubDraft(_ draft: ReplyDraft, sub: SubAssignment, actor: String, at now: Date, profiles: [String: PolicyProfile],
                             on connection: PostgresConnection) throws -> ActionOutcome {
        let order = try stored(try connection.query("SELECT number FROM work_orders WHERE id = \(sub.orderId)").first!.decode("number"),
                               on: connection)
        guard sub.state != AssignmentState.replied.rawValue else {
            throw OfficeAndUnitCommandError.refused(number: order.number, .notAllowed(command: "reply to", state: "replied to \(sub.via)"))
        }
        if order.order.confidential && draft.contactedCitizen {
            throw OfficeAndUnitCommandError.refused(number: order.number, .confidentialContact)
        }
        if let profile = profiles[order.profile] {
            let wording = SMSText.wordingProblems(draft.textPII, template: profile.sms)
            if !wording.isEmpty {
                throw ReplyWording(problems: [FieldProblemText("/text", wording.joined(separator: "; "))], basis: profile.sms.basis)
            }
        }
        try writeDraft(draft, orderId: order.id, unitId: sub.unitId, toUnitId: sub.viaId, actor: actor, at: now, on: connection)
        return ActionOutcome(before: order, transition: nil)
    }

    /// 三级网络单位……向二级网络单位反馈: the level-3 unit's reviewed reply goes to its level-2 unit,
    /// which reviews it and replies to the hotline itself.
    static func reviewSubReply(sub: SubAssignment, number: String, actor: String, at now: Date,
                               on connection: PostgresConnection) throws -> ActionOutcome {
        let order = try stored(number, on: connection)
        guard let draft = try openDraft(number: number, unit: sub.unit, on: connection) else { throw NoReplyDraft() }
        try connection.execute("UPDATE order_replies SET reviewed_by = \(actor), reviewed_at = \(now) WHERE id = \(draft.id)")
        try connection.execute("""
            UPDATE assignments SET state = \(AssignmentState.replied.rawValue), replied_at = \(now), updated_at = \(now) WHERE id = \(sub.id)
            """)
        try record(EventRecord(type: "subReplied", data: ["unit": sub.unit, "to": sub.via]), order: order, actor: actor, at: now,
                   on: connection)
        return ActionOutcome(before: order, transition: nil)
    }

    static func writeDraft(_ draft: ReplyDraft, orderId: UUID, unitId: Int64, toUnitId: Int64?, actor: String, at now: Date,
                           on connection: PostgresConnection) throws {
        try connection.execute("""
            INSERT INTO order_replies (work_order_id, unit_id, to_unit_id, text_pii, contacted_citizen, contact_person_pii, contacted_at,
                                       citizen_said_pii, drafted_by, drafted_at)
            VALUES (\(orderId), \(unitId), \(toUnitId), \(draft.textPII), \(draft.contactedCitizen),
                    \(draft.contact?.personPII), \(draft.contact?.at), \(draft.contact?.citizenSaidPII), \(actor), \(now))
            ON CONFLICT (work_order_id, unit_id) WHERE reviewed_at IS NULL DO UPDATE SET
                text_pii = EXCLUDED.text_pii, contacted_citizen = EXCLUDED.contacted_citizen,
                contact_person_pii = EXCLUDED.contact_person_pii, contacted_at = EXCLUDED.contacted_at,
                citizen_said_pii = EXCLUDED.citizen_said_pii, drafted_by = EXCLUDED.drafted_by, drafted_at = EXCLUDED.drafted_at
            """)
    }

    /// A draft as stored.
    struct StoredDraft {
        var id: Int64
        var textPII: String
        var contactedCitizen: Bool
    }

    static func openDraft(number: String, unit: String, on connection: PostgresConnection) throws -> StoredDraft? {
        try connection.query("""
            SELECT r.id, r.text_pii, r.contacted_citizen FROM order_replies r
            JOIN work_orders o ON o.id = r.work_order_id JOIN units u ON u.id = r.unit_id
            WHERE o.number = \(number) AND u.code = \(unit) AND r.reviewed_at IS NULL
            FOR UPDATE OF r
            """).first.map { StoredDraft(id: try $0.decode("id"), textPII: try $0.decode("text_pii"),
                                         contactedCitizen: try $0.decode("contacted_citizen")) }
    }

    /// Whether the rules would let `unit` reply now (a dry run of the domain's `reply`); the order as read.
    @discardableResult
    static func checkReply(unit: String, contactedCitizen: Bool, number: String, at now: Date, profiles: [String: PolicyProfile],
                           calendar: WorkingCalendar, on connection: PostgresConnection) throws -> (StoredOrder, PolicyProfile) {
        guard let id = try WorkOrders.ids(numbers: [number], on: connection)[number],
              let stored = try WorkOrders.load(id, on: connection) else { throw OfficeAndUnitCommandError.noSuchOrder(number) }
        guard let profile = profiles[stored.profile] else { throw OfficeAndUnitCommandError.unknownProfile(stored.profile) }
        if case .failure(let error) = Lifecycle.apply(.reply(unit: unit, contactedCitizen: contactedCitizen), to: stored.order,
                                                      now: now, profile: profile, calendar: calendar) {
            throw OfficeAndUnitCommandError.refused(number: number, error)
        }
        return (stored, profile)
    }

    /// Writes the unit's draft when the rules would let it reply now (the lead unit, the order in
    /// a state that takes a reply, no contact on a confidential order) and its wording is one an
    /// SMS may carry. The order does not move (its version stays).
    static func saveDraft(_ draft: ReplyDraft, unit: String, number: String, actor: String, at now: Date,
                          profiles: [String: PolicyProfile], calendar: WorkingCalendar,
                          on connection: PostgresConnection) throws -> ActionOutcome {
        let (stored, profile) = try checkReply(unit: unit, contactedCitizen: draft.contactedCitizen, number: number, at: now,
                                               profiles: profiles, calendar: calendar, on: connection)
        let wording = SMSText.wordingProblems(draft.textPII, template: profile.sms)
        if !wording.isEmpty {
            throw ReplyWording(problems: [FieldProblemText("/text", wording.joined(separator: "; "))], basis: profile.sms.basis)
        }
        try writeDraft(draft, orderId: stored.id, unitId: try WorkOrders.unitId(unit, on: connection), toUnitId: nil, actor: actor,
                       at: now, on: connection)
        return ActionOutcome(before: stored, transition: nil)
    }

    /// A domain command on one order (the office approving a return, dispatching by hand; a unit
    /// asking to return): load it locked, apply the rules, write the transition with its events,
    /// timers and messages, in the caller's transaction. (The workers write their own transitions;
    /// they share only `TransitionMessages`.)
    public static func apply(_ command: Command, number: String, actor: String, at now: Date,
                             profiles: [String: PolicyProfile], calendar: WorkingCalendar,
                             on connection: PostgresConnection) throws -> (StoredOrder, Transition) {
        guard let id = try WorkOrders.ids(numbers: [number], on: connection)[number],
              let stored = try WorkOrders.load(id, forUpdate: true, on: connection) else {
            throw OfficeAndUnitCommandError.noSuchOrder(number)
        }
        guard let profile = profiles[stored.profile] else { throw OfficeAndUnitCommandError.unknownProfile(stored.profile) }
        let transition: Transition
        switch Lifecycle.apply(command, to: stored.order, now: now, profile: profile, calendar: calendar) {
        case .success(let value): transition = value
        case .failure(let error): throw OfficeAndUnitCommandError.refused(number: number, error)
        }
        let basis: String? = if case .dispatch = command { "dispatched by hand (\(actor))" } else { nil }
        try WorkOrders.apply(transition, to: stored, actor: actor, at: now,
                             outbox: TransitionMessages.announcing(transition, of: stored, basis: basis ?? "", at: now),
                             basis: basis, on: connection)
        return (stored, transition)
    }
}

/// Why an office or unit command on an order was refused: the rules said no, or the order is not there.
public enum OfficeAndUnitCommandError: Error, CustomStringConvertible {
    case noSuchOrder(String)
    case unknownProfile(String)
    case refused(number: String, RuleError)

    public var description: String {
        switch self {
        case .noSuchOrder(let number): "no work order numbered \(number)"
        case .unknownProfile(let profile): "unknown profile \(profile)"
        case let .refused(number, error): "work order \(number): \(error)"
        }
    }
}
