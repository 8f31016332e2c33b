import Foundation
import HotlineDomain
import HotlineRuntime
import HotlineStore
import Hummingbird
import PostgresClient

/// The office's decisions after the revisit, supervision, exclusion, the knowledge base, and the
/// office's records for scoring.
extension Workbench {
    func addOfficeRoutes(to router: Router<BasicRequestContext>) {
        // The revisit and the decisions that follow a rating (qidong 附件2 一(七)).
        router.get("v1/revisits") { request, _ in await self.answer(route: "revisits") { try await self.revisits(request) } }
        router.post("v1/orders/:number/revisit") { request, context in
            await self.act("revisit", request, context, officeOnly: true) { _, body, profile in
                .phoneRevisit(try OfficeBodies.phoneRevisit(body, profile: profile))
            }
        }
        router.post("v1/orders/:number/redo") { request, context in
            await self.act("redo", request, context, officeOnly: true) { _, body, profile in
                let (reason, note) = try OfficeBodies.redo(body, profile: profile)
                return .redo(reason: reason, notePII: note)
            }
        }
        router.post("v1/orders/:number/exempt") { request, context in
            await self.act("exempt", request, context, officeOnly: true) { _, body, profile in
                let (reason, proof, note) = try OfficeBodies.exempt(body, profile: profile)
                return .exempt(reason: reason, proofPII: proof, notePII: note)
            }
        }
        router.post("v1/orders/:number/close") { request, context in
            await self.act("close", request, context, officeOnly: true) { _, body, _ in
                .closeAfterRevisit(notePII: try OfficeBodies.note(body))
            }
        }
        // 督办 and 剔除.
        router.post("v1/orders/:number/supervise") { request, context in
            await self.act("supervise", request, context, officeOnly: true) { _, body, profile in
                .supervise(try OfficeBodies.supervision(body, profile: profile))
            }
        }
        router.post("v1/orders/:number/exclusion") { request, context in
            await self.act("exclusion", request, context, officeOnly: false) { caller, body, profile in
                let request = try OfficeBodies.exclusion(body, profile: profile)
                guard let unit = caller.unit else { throw APIError.forbidden("only the lead unit asks for an exclusion") }
                return .requestExclusion(unit: unit, request)
            }
        }
        router.post("v1/orders/:number/exclusion/approve") { request, context in
            await self.act("approveExclusion", request, context, officeOnly: true) { _, body, _ in
                try ActionBodies.empty(body)
                return .approveExclusion
            }
        }
        router.post("v1/orders/:number/exclusion/reject") { request, context in
            await self.act("rejectExclusion", request, context, officeOnly: true) { _, body, _ in
                .rejectExclusion(reason: try ActionBodies.reason(body))
            }
        }
        router.post("v1/orders/:number/knowledge-base") { request, context in
            await self.act("markForKnowledgeBase", request, context, officeOnly: true) { _, body, _ in
                try ActionBodies.empty(body)
                return .markForKnowledgeBase
            }
        }
        addKnowledgeBaseRoutes(to: router)
        addRecordRoutes(to: router)
    }

    // MARK: - The revisit queue

    func revisits(_ request: Request) async throws -> Response {
        let caller = try await authenticate(request)
        guard caller.role == .office else { throw APIError.forbidden("only the hotline office decides after a revisit") }
        let query = try PageQuery(request.uri.queryParameters.map { (String($0.key), String($0.value)) }, after: OrderNumber.isPlausible)
        let anyRating = profiles.values.filter { $0.redo?.trigger == .redoReasonFound }.map(\.id).sorted()
        let waiting = try await pool.withConnection { connection in
            try RevisitQueue.waiting(anyRating: anyRating, after: query.after, limit: query.limit + 1, on: connection)
        }
        let page = Array(waiting.prefix(query.limit))
        return Self.json(.ok, .object([
            ("orders", .array(page.map { order in
                let revisit = profiles[order.profile]?.revisit
                return .object([
                    ("number", .string(order.number)), ("profile", .string(order.profile)), ("leadUnit", .optional(order.leadUnit)),
                    ("rating", .optional(order.rating)), ("ratedAt", .instant(order.ratedAt)),
                    ("problemSolved", order.problemSolved.map(JSON.bool) ?? .null), ("redoCount", .int(order.redoCount)),
                    ("redoReasons", .array((revisit?.redoReasons ?? []).map { .string($0.rawValue) })),
                    ("exemptReasons", .array((revisit?.exemptReasons ?? []).map { .string($0.rawValue) })),
                ])
            })),
            ("next", waiting.count > query.limit ? .optional(page.last?.number) : .null),
        ]))
    }
}

/// `limit` and `after` of a list.
struct PageQuery: Sendable {
    var after: String?
    var limit = Limits.defaultPage
    var other: [(String, String)] = []

    init(_ parameters: [(String, String)], after isValid: (String) -> Bool) throws(APIError) {
        var problems: [FieldProblem] = []
        for (name, value) in parameters {
            switch name {
            case "after":
                if isValid(value) { after = value } else { problems.append(FieldProblem("after", "must be a value of the last page's `next`")) }
            case "limit":
                if let n = Int(value), (1...Limits.page).contains(n) { limit = n }
                else { problems.append(FieldProblem("limit", "must be a whole number from 1 to \(Limits.page)")) }
            default:
                other.append((name, value))
            }
        }
        if !problems.isEmpty { throw .invalid(problems, detail: "the query is not valid") }
    }
}

/// The bodies of the office's decisions, validated field by field against the order's profile.
enum OfficeBodies {
    static func phoneRevisit(_ data: Data, profile: PolicyProfile?) throws(APIError) -> PhoneRevisit {
        var body = try BodyReader(data)
        let rating = body.choice("rating", Rating.allCases.map(\.rawValue), required: true).flatMap(Rating.init(rawValue:))
        let solved = body.bool("problemSolved")
        let contacted = body.bool("contactedInTime")
        let reason = body.choice("redoReason", (profile?.revisit?.redoReasons ?? []).map(\.rawValue), required: false)
            .flatMap(RedoReason.init(rawValue:))
        try body.finish("the revisit is not valid" + (profile?.revisit.map { " (\($0.basis))" } ?? ""))
        return PhoneRevisit(rating: rating ?? .satisfied, problemSolved: solved, contactedInTime: contacted, redoReason: reason)
    }

    static func redo(_ data: Data, profile: PolicyProfile?) throws(APIError) -> (RedoReason?, String?) {
        var body = try BodyReader(data)
        let reasons = (profile?.revisit?.redoReasons ?? []).map(\.rawValue)
        // zezhou redoes on a first dissatisfied rating with no reason to name.
        let needsReason = profile?.redo.map { $0.trigger != .firstDissatisfied } ?? false
        let reason = body.choice("reason", reasons, required: needsReason).flatMap(RedoReason.init(rawValue:))
        let note = body.text("note")
        try body.finish("the redo is not valid" + (profile?.redo.map { " (\($0.basis))" } ?? " (the profile provides no redo)"))
        return (reason, note)
    }

    static func exempt(_ data: Data, profile: PolicyProfile?) throws(APIError) -> (ExemptReason, String?, String?) {
        var body = try BodyReader(data)
        let reasons = (profile?.revisit?.exemptReasons ?? []).map(\.rawValue)
        let reason = body.choice("reason", reasons, required: true).flatMap(ExemptReason.init(rawValue:))
        let proof = body.text("proof")
        let note = body.text("note")
        if let reason, profile?.revisit?.closeOnProofFor.contains(reason) == true,
           (proof ?? "").trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, !body.problems.contains(where: { $0.pointer == "/proof" }) {
            body.addProblem(FieldProblem("/proof", "is required: the unit files proof and the order closes on it"))
        }
        try body.finish("the exemption is not valid" + (profile?.revisit.map { " (\($0.basis))" } ?? " (the profile lists no exempt reasons)"))
        return (reason ?? .supervisionOfficeHasRuled, proof, note)
    }

    static func note(_ data: Data) throws(APIError) -> String? {
        var body = try BodyReader(data)
        let note = body.text("note")
        try body.finish("the decision is not valid")
        return note
    }

    static func supervision(_ data: Data, profile: PolicyProfile?) throws(APIError) -> SupervisionRequest {
        var body = try BodyReader(data)
        let rules = profile?.supervision
        let kind = body.choice("kind", (rules?.kinds ?? []).map(\.id), required: true)
        let reason = body.choice("reason", SupervisionReason.allCases.map(\.rawValue), required: false).flatMap(SupervisionReason.init(rawValue:))
        let leader = body.text("leader", required: rules?.leaderRequired == true, limit: 100)
        let note = body.text("note")
        try body.finish("the supervision is not valid" + (rules.map { " (\($0.basis))" } ?? ""))
        return SupervisionRequest(kind: kind ?? "", reason: reason ?? .other, leaderPII: leader, notePII: note)
    }

    static func exclusion(_ data: Data, profile: PolicyProfile?) throws(APIError) -> ExclusionRequest {
        var body = try BodyReader(data)
        let rules = profile?.exclusion
        let required = Set(rules?.requires ?? [.basis])
        let basis = body.text("basis", required: required.contains(.basis))
        let consented = body.bool("citizenConsented", required: required.contains(.citizenConsent))
        if consented == false, required.contains(.citizenConsent) {
            body.addProblem(FieldProblem("/citizenConsented", "must be true: the citizen's consent from a home visit is required"))
        }
        let signature = body.text("leaderSignature", required: required.contains(.leaderSignature), limit: 100)
        try body.finish("an exclusion request must carry what the profile requires" + (rules.map { " (\($0.basis))" } ?? ""))
        return ExclusionRequest(basis: basis, citizenConsented: consented ?? false, leaderSignaturePII: signature)
    }
}

extension BodyReader {
    /// One of `choices` (a string); nothing to choose from counts as a problem when one is given.
    mutating func choice(_ name: String, _ choices: [String], required: Bool) -> String? {
        guard let text = text(name, required: required, limit: 64) else { return nil }
        guard choices.contains(text) else {
            addProblem(FieldProblem("/\(name)", choices.isEmpty ? "has no value under this order's profile"
                                                                : "must be one of \(choices.joined(separator: ", "))"))
            return nil
        }
        return text
    }
}
