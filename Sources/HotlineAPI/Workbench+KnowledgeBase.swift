import Foundation
import HotlineDomain
import HotlineRuntime
import HotlineStore
import Hummingbird
import PostgresClient

/// The knowledge base (知识库, POLICIES.md §7): every caller reads it; a unit adds, edits and
/// retires its own entries (谁提供谁负责), the office any. An entry naming an order marked for the
/// knowledge base settles what the order owed (its `kbEntryDue` timer).
extension Workbench {
    func addKnowledgeBaseRoutes(to router: Router<BasicRequestContext>) {
        router.get("v1/knowledge-base") { request, _ in
            await self.answer(route: "kbList") {
                _ = try await self.authenticate(request)
                let query = try KBQuery(request.uri.queryParameters.map { (String($0.key), String($0.value)) })
                let entries = try await self.pool.withConnection { connection in
                    try KnowledgeBase.list(unit: query.unit, text: query.text, includeRetired: query.retired, after: query.page.after.flatMap { Int64($0) },
                                           limit: query.page.limit + 1, on: connection)
                }
                let page = Array(entries.prefix(query.page.limit))
                return Self.json(.ok, .object([
                    ("entries", .array(page.map(Self.kbJSON))),
                    ("next", entries.count > query.page.limit ? .optional(page.last.map { String($0.id) }) : .null),
                ]))
            }
        }
        router.get("v1/knowledge-base/:id") { request, context in
            await self.answer(route: "kbShow") {
                _ = try await self.authenticate(request)
                let id = try Self.entryId(context)
                guard let entry = try await self.pool.withConnection({ try KnowledgeBase.get(id, on: $0) }) else { throw APIError.notFound }
                return Self.json(.ok, Self.kbJSON(entry))
            }
        }
        router.post("v1/knowledge-base") { request, _ in
            await self.write("kbCreate", request, officeOnly: false) { caller, body, tx in
                let (draft, order, unit) = try KBBodies.entry(body, caller: caller)
                let id = try KnowledgeBase.create(draft, unit: unit, order: order, actor: caller.actor, at: self.clock.now(), on: tx)
                return (.created, Self.kbJSON(try KnowledgeBase.get(id, on: tx)!))
            }
        }
        router.put("v1/knowledge-base/:id") { request, context in
            await self.write("kbUpdate", request, officeOnly: false) { caller, body, tx in
                let id = try Self.entryId(context)
                let (draft, _, _) = try KBBodies.entry(body, caller: caller, forUpdate: true)
                try KnowledgeBase.update(id, draft, expectedVersion: try Self.expectedVersion(request), unit: caller.unit, actor: caller.actor,
                                         at: self.clock.now(), on: tx)
                return (.ok, Self.kbJSON(try KnowledgeBase.get(id, on: tx)!))
            }
        }
        router.delete("v1/knowledge-base/:id") { request, context in
            await self.write("kbRetire", request, officeOnly: false) { caller, _, tx in
                let id = try Self.entryId(context)
                try KnowledgeBase.retire(id, expectedVersion: try Self.expectedVersion(request), unit: caller.unit, actor: caller.actor,
                                         at: self.clock.now(), on: tx)
                return (.ok, Self.kbJSON(try KnowledgeBase.get(id, on: tx)!))
            }
        }
    }

    static func entryId(_ context: BasicRequestContext) throws -> Int64 {
        guard let text = context.parameters.get("id"), text.count <= 18, let id = Int64(text), id > 0 else { throw APIError.notFound }
        return id
    }

    static func kbJSON(_ entry: KBEntry) -> JSON {
        .object([
            ("id", .int(Int(entry.id))), ("unit", .optional(entry.unit)), ("kind", .string(entry.draft.kind)),
            ("question", .string(entry.draft.question)), ("answer", .string(entry.draft.answer)),
            ("keywords", .array(entry.draft.keywords.map(JSON.string))), ("validUntil", .optional(entry.draft.validUntil)),
            ("order", .optional(entry.order)), ("version", .int(entry.version)), ("updatedAt", .instant(entry.updatedAt)),
            ("retiredAt", .instant(entry.retiredAt)),
        ])
    }

    /// A write that is not an order's action: authenticate, read the body (bounded), and in one
    /// transaction the `Idempotency-Key`, `work`, and its answer kept under the key.
    func write(_ route: String, _ request: Request, officeOnly: Bool,
               _ work: @escaping @Sendable (ApiCaller, Data, PostgresConnection) throws -> (HTTPResponse.Status, JSON)) async -> Response {
        await answer(route: route) {
            let caller = try await authenticate(request)
            if officeOnly && caller.role != .office { throw APIError.forbidden("only the hotline office does this") }
            let body = try await Self.body(request)
            let key = try Self.idempotencyKey(request)
            let requestName = "\(request.method) \(request.uri.path)"
            let result = try await pool.withConnection { connection -> ActResult in
                do {
                    return try connection.withTransaction { tx -> ActResult in
                        try Self.once(key, caller: caller, request: requestName, body: body, on: tx) {
                            let (status, json) = try work(caller, body, tx)
                            return StoredAnswer(status: Int(status.code), body: json.data)
                        }
                    }
                } catch let error as KnowledgeBaseError {
                    throw Self.problem(error)
                } catch WorkOrderStoreError.unknownUnit {
                    throw APIError.invalid([FieldProblem("/unit", "must name an active unit")], detail: "the request is not valid")
                } catch ScoresError.unknownUnit {
                    throw APIError.invalid([FieldProblem("/unit", "must name an active unit")], detail: "the record is not valid")
                } catch ScoresError.unknownItem {
                    throw APIError.invalid([FieldProblem("/item", "must be one of the profile's items for this kind")], detail: "the record is not valid")
                }
            }
            if case .acted = result {
                logger.info("office record", metadata: ["hotline.api.request": "\(requestName)", "hotline.token.id": "\(caller.tokenId)"])
            }
            return Self.response(result)
        }
    }

    static func problem(_ error: KnowledgeBaseError) -> APIError {
        switch error {
        case .noSuchEntry: .notFound
        case .notYours: .forbidden(error.description)
        case .concurrentUpdate: .conflict(code: "concurrent-update", detail: error.description, state: nil, version: nil)
        case .retired: .conflict(code: "retired", detail: error.description, state: "retired", version: nil)
        case .noSuchOrder: .invalid([FieldProblem("/order", "must be an order your unit leads")], detail: "the entry is not valid")
        }
    }
}

/// The knowledge base's list query.
struct KBQuery: Sendable {
    var page: PageQuery
    var unit: String?
    var text: String?
    var retired = false

    init(_ parameters: [(String, String)]) throws(APIError) {
        page = try PageQuery(parameters, after: { Int64($0).map { $0 > 0 } ?? false })
        var problems: [FieldProblem] = []
        for (name, value) in page.other {
            switch name {
            case "unit":
                if UnitCode.isValid(value) { unit = value } else { problems.append(FieldProblem("unit", "must be a unit code")) }
            case "q":
                if (1...100).contains(value.count), !value.unicodeScalars.contains("\u{0}") { text = value }
                else { problems.append(FieldProblem("q", "must be 1 to 100 characters")) }
            case "retired":
                if let flag = Bool(value) { retired = flag } else { problems.append(FieldProblem("retired", "must be true or false")) }
            default:
                continue
            }
        }
        if !problems.isEmpty { throw .invalid(problems, detail: "the query is not valid") }
    }
}

enum KBBodies {
    /// An entry's fields; `order` (an order the unit leads, marked for the knowledge base) and,
    /// for the office, `unit`.
    static func entry(_ data: Data, caller: ApiCaller, forUpdate: Bool = false) throws(APIError) -> (KBDraft, String?, String?) {
        var body = try BodyReader(data)
        let kind = body.choice("kind", KBEntryRecord.kinds, required: true)
        let question = body.text("question", required: true, limit: 500)
        let answer = body.text("answer", required: true)
        var keywords: [String] = []
        if let value = body.object["keywords"], !(value is NSNull) {
            if let list = value as? [Any], list.count <= 20,
               let words = list as? [String], words.allSatisfy({ (1...30).contains($0.count) && !$0.unicodeScalars.contains("\u{0}") }) {
                keywords = words
            } else {
                body.addProblem(FieldProblem("/keywords", "must be at most 20 strings of 1 to 30 characters"))
            }
        }
        var validUntil: String?
        if let text = body.text("validUntil", limit: 10) {
            if LocalDate(text) != nil { validUntil = text }
            else { body.addProblem(FieldProblem("/validUntil", "must be a date, YYYY-MM-DD")) }
        }
        var order: String?
        var unit = caller.unit
        if !forUpdate {
            if let number = body.text("order", limit: 40) {
                if OrderNumber.isPlausible(number) { order = number }
                else { body.addProblem(FieldProblem("/order", "must be an order number")) }
            }
            if caller.role == .office, let code = body.unitCode("unit", required: false) { unit = code }
        }
        try body.finish("the entry is not valid")
        return (KBDraft(kind: kind ?? "qa", question: question ?? "", answer: answer ?? "", keywords: keywords, validUntil: validUntil),
                order, unit)
    }
}
