import Foundation
import HotlineDomain
import HotlineStore

/// How orders read in the API's answers. A unit never sees the citizen's name and phone of a
/// confidential order (保密); the office always does.
enum OrderJSON {
    static func summary(_ order: OrderSummary, caller: ApiCaller, now: Date) -> JSON {
        .object(summaryMembers(order, caller: caller, now: now))
    }

    static func summaryMembers(_ order: OrderSummary, caller: ApiCaller, now: Date) -> [(String, JSON)] {
        [
            ("number", .string(order.number)),
            ("title", .string(order.title)),
            ("profile", .string(order.profile)),
            ("category", .string(order.category)),
            ("urgency", .optional(order.urgency)),
            ("class", .optional(order.caseClass)),
            ("confidential", .bool(order.confidential)),
            ("state", .string(order.state)),
            ("version", .int(order.version)),
            ("receivedAt", .instant(order.receivedAt)),
            ("role", .optional(order.role)),
            ("leadUnit", .optional(order.leadUnit)),
            ("dispatchedAt", .instant(order.dispatchedAt)),
            ("due", .object([
                ("signBy", .instant(order.signBy)),
                ("returnWindowEndsAt", .instant(order.returnWindowEndsAt)),
                ("replyBy", .instant(order.replyBy)),
            ])),
            ("expectedNext", .array(ExpectedNext.steps(order, caller: caller, now: now).map(\.json))),
        ]
    }

    static func detail(_ order: OrderDetail, caller: ApiCaller, people: [Int64: String], now: Date) -> JSON {
        var members = summaryMembers(order.summary, caller: caller, now: now)
        let hidden = order.summary.confidential && caller.role == .unit
        members += [
            ("content", .string(order.contentPII)),
            ("citizen", hidden ? .null : .object([
                ("name", .optional(order.citizenNamePII)),
                ("phone", .optional(order.citizenPhonePII)),
            ])),
            ("citizenHidden", .bool(hidden)),
            ("address", .optional(order.addressPII)),
            ("regionCode", .optional(order.regionCode)),
            ("localityCode", .optional(order.localityCode)),
            ("dispatchBy", .instant(order.dispatchBy)),
            ("returns", .int(order.returns)),
            ("supervision", .optional(order.supervisionReason)),
            ("manualDispatchReason", .optional(order.manualDispatchReason)),
            ("units", .array(order.units.map { part in
                .object([
                    ("unit", .string(part.unit)),
                    ("name", .string(part.name)),
                    ("role", .string(part.role)),
                    ("state", .string(part.state)),
                    ("active", .bool(part.active)),
                    ("dispatchedAt", .instant(part.dispatchedAt)),
                    ("signBy", .instant(part.signBy)),
                    ("signedAt", .instant(part.signedAt)),
                    // Signed after the sign-by (签收超时): recorded, not refused.
                    ("signedLate", part.signedAt.flatMap { signed in part.signBy.map { .bool(signed > $0) } } ?? .null),
                    ("returnWindowEndsAt", .instant(part.returnWindowEndsAt)),
                    ("replyBy", .instant(part.replyBy)),
                    ("repliedAt", .instant(part.repliedAt)),
                ])
            })),
            ("timers", .array(order.timers.map { timer in
                .object([("kind", .string(timer.kind)), ("at", .instant(timer.fireAt)), ("status", .string(timer.status))])
            })),
            ("history", .array(order.history.map { entry in
                .object([
                    ("type", .string(entry.type)),
                    ("at", .instant(entry.occurredAt)),
                    ("actor", actor(entry.actor, people: people)),
                    ("data", .raw(entry.dataJSON)),
                ])
            })),
            ("returnRequests", .array(order.returnRequests.map { entry in
                .object([
                    ("unit", .string(entry.unit)),
                    ("by", actor(entry.actor, people: people)),
                    ("reason", .optional(entry.reason)),
                    ("redispatchSuggestion", .optional(entry.redispatchSuggestion)),
                    ("basis", .optional(entry.basis)),
                    ("leaderOpinion", .optional(entry.leaderOpinion)),
                    ("requestedAt", .instant(entry.requestedAt)),
                    ("decision", .optional(entry.decision)),
                    ("decisionReason", .optional(entry.decisionReason)),
                    ("decidedBy", entry.decidedBy.map { actor($0, people: people) } ?? .null),
                    ("decidedAt", .instant(entry.decidedAt)),
                ])
            })),
            ("extensionRequests", .array(order.extensionRequests.map { entry in
                .object([
                    ("unit", .string(entry.unit)),
                    ("by", actor(entry.actor, people: people)),
                    ("extension", limit(entry.amount)),
                    ("reason", .optional(entry.reason)),
                    ("basis", .optional(entry.basis)),
                    ("citizenInformed", .optional(entry.citizenInformedPII)),
                    ("citizenConsented", .bool(entry.citizenConsented)),
                    ("leaderSignature", .optional(entry.leaderSignaturePII)),
                    ("requestedAt", .instant(entry.requestedAt)),
                    ("decision", .optional(entry.decision)),
                    ("granted", entry.grantedAmount.map(limit) ?? .null),
                    ("newReplyBy", .instant(entry.newReplyBy)),
                    ("decisionReason", .optional(entry.decisionReason)),
                    ("decidedBy", entry.decidedBy.map { actor($0, people: people) } ?? .null),
                    ("decidedAt", .instant(entry.decidedAt)),
                ])
            })),
            // 会办: the lead unit sees every co-unit's contribution, a co-unit its own, the office all.
            ("contributions", .array(order.contributions.filter {
                caller.role == .office || $0.unit == caller.unit || $0.toUnit == caller.unit
            }.map { entry in
                .object([
                    ("unit", .string(entry.unit)),
                    ("to", .string(entry.toUnit)),
                    ("by", actor(entry.actor, people: people)),
                    ("text", .string(entry.textPII)),
                    ("givenAt", .instant(entry.givenAt)),
                ])
            })),
            ("feedback", .array(order.feedback.map { entry in
                .object([
                    ("unit", .string(entry.unit)),
                    ("by", actor(entry.actor, people: people)),
                    ("text", .string(entry.textPII)),
                    ("plan", .optional(entry.planPII)),
                    ("satisfiesReplyLimit", .bool(entry.satisfiesReplyLimit)),
                    ("firstFeedbackDue", .instant(entry.firstFeedbackDue)),
                    ("firstFeedbackOnTime", entry.firstFeedbackDue.map { .bool(entry.givenAt <= $0) } ?? .null),
                    ("givenAt", .instant(entry.givenAt)),
                ])
            })),
            // A unit sees its own replies (drafts included) and its level-3 units' replies to it;
            // the office sees every unit's.
            ("replies", .array(order.replies.filter { caller.role == .office || $0.unit == caller.unit || ($0.toUnit != nil && $0.toUnit == caller.unit) }.map { entry in
                .object([
                    ("unit", .string(entry.unit)),
                    ("to", .optional(entry.toUnit)),
                    ("status", .string(entry.reviewedAt == nil ? "draft" : "reviewed")),
                    ("text", .string(entry.textPII)),
                    ("contactedCitizen", .bool(entry.contactedCitizen)),
                    ("contact", entry.contactPersonPII == nil ? .null : .object([
                        ("person", .optional(entry.contactPersonPII)),
                        ("at", .instant(entry.contactedAt)),
                        ("citizenSaid", .optional(entry.citizenSaidPII)),
                    ])),
                    ("draftedBy", actor(entry.draftedBy, people: people)),
                    ("draftedAt", .instant(entry.draftedAt)),
                    ("reviewedBy", entry.reviewedBy.map { actor($0, people: people) } ?? .null),
                    ("reviewedAt", .instant(entry.reviewedAt)),
                ])
            })),
        ]
        return .object(members)
    }

    /// A time limit as `{amount, unit}` (the profiles' form).
    static func limit(_ limit: TimeLimit) -> JSON {
        limit == .atOnce ? .object([("unit", .string(limit.unit.rawValue))])
            : .object([("amount", limit.amount == limit.amount.rounded() ? .int(Int(limit.amount)) : .raw(String(limit.amount))),
                       ("unit", .string(limit.unit.rawValue))])
    }

    /// The token ids an order's actors name (`unit:WATER token:17`).
    static func tokenIds(_ order: OrderDetail) -> [Int64] {
        let actors = order.history.compactMap(\.actor) + order.returnRequests.flatMap { [$0.actor] + ($0.decidedBy.map { [$0] } ?? []) }
            + order.extensionRequests.flatMap { [$0.actor] + ($0.decidedBy.map { [$0] } ?? []) }
            + order.replies.flatMap { [$0.draftedBy] + ($0.reviewedBy.map { [$0] } ?? []) } + order.feedback.map(\.actor)
            + order.contributions.map(\.actor)
        return Array(Set(actors.compactMap { Actor($0).tokenId }))
    }

    /// An event's actor as `{kind, unit, person}`: a person of a unit or of the office (through
    /// the API, with the token that names them), or a worker or the admin CLI.
    static func actor(_ text: String?, people: [Int64: String]) -> JSON {
        guard let text else { return .null }
        let actor = Actor(text)
        return .object([
            ("kind", .string(actor.kind)),
            ("unit", .optional(actor.unit)),
            ("person", .optional(actor.tokenId.flatMap { people[$0] })),
            ("name", .string(text)),
        ])
    }

    struct Actor {
        var kind: String
        var unit: String?
        var tokenId: Int64?

        init(_ text: String) {
            var kind = "system", unit: String? = nil, token: Int64? = nil
            for word in text.split(separator: " ") {
                if word == "office" { kind = "office" }
                else if word.hasPrefix("unit:") { kind = "unit"; unit = String(word.dropFirst(5)) }
                else if word.hasPrefix("token:") { token = Int64(word.dropFirst(6)) }
            }
            self.kind = kind
            self.unit = unit
            self.tokenId = token
        }
    }
}

/// What is expected next of an order, by whom and by when, from its state and due times.
struct ExpectedNext: Equatable {
    var action: String
    var by: String
    var due: Date?

    var json: JSON { .object([("action", .string(action)), ("by", .string(by)), ("due", .instant(due))]) }

    static func steps(_ order: OrderSummary, caller: ApiCaller, now: Date) -> [ExpectedNext] {
        // A co-unit's contribution (会办) goes to the lead unit while the lead has not replied.
        if order.role == "co" {
            let open = [AssignmentState.dispatched, .signed, .returnRejected, .extensionRequested, .extensionApproved, .extensionRejected]
                .map(\.rawValue).contains(order.state) || order.state == OrderState.redo.rawValue
            return open ? [ExpectedNext(action: "contribute", by: "co", due: order.replyBy)] : []
        }
        // A level-3 unit replies to the level-2 unit that handed the order down.
        if order.role == "sub" { return [ExpectedNext(action: "reply", by: "sub", due: order.replyBy)] }
        let returnOpen = order.returnWindowEndsAt.map { now <= $0 } ?? true
        switch order.state {
        case OrderState.awaitingDispatch.rawValue:
            return [ExpectedNext(action: "dispatch", by: "office", due: nil)]
        case AssignmentState.dispatched.rawValue:
            var steps = [ExpectedNext(action: "sign", by: "lead", due: order.signBy)]
            if returnOpen { steps.append(ExpectedNext(action: "return", by: "lead", due: order.returnWindowEndsAt)) }
            steps.append(ExpectedNext(action: "reply", by: "lead", due: order.replyBy))
            return steps
        case AssignmentState.signed.rawValue, AssignmentState.extensionApproved.rawValue, AssignmentState.extensionRejected.rawValue:
            var steps: [ExpectedNext] = []
            if returnOpen { steps.append(ExpectedNext(action: "return", by: "lead", due: order.returnWindowEndsAt)) }
            steps.append(ExpectedNext(action: "reply", by: "lead", due: order.replyBy))
            return steps
        case AssignmentState.returnRejected.rawValue:
            return [ExpectedNext(action: "reply", by: "lead", due: order.replyBy)]
        case AssignmentState.returnRequested.rawValue:
            return [ExpectedNext(action: "approveReturn", by: "office", due: nil), ExpectedNext(action: "rejectReturn", by: "office", due: nil)]
        case AssignmentState.extensionRequested.rawValue:
            return [ExpectedNext(action: "decideExtension", by: "office", due: nil)]
        case AssignmentState.replied.rawValue:
            return [ExpectedNext(action: "revisit", by: "office", due: nil)]
        case OrderState.redo.rawValue:
            return [ExpectedNext(action: "reply", by: "lead", due: order.replyBy)]
        default:
            return []
        }
    }
}
