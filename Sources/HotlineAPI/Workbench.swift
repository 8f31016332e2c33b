import Foundation
import HotlineDomain
import HotlineRuntime
import HotlineStore
import Hummingbird
import Logging
import NIOCore
import PostgresClient

/// The units' and the office's workbench over HTTP: routes under `/v1` and `/openapi.json`.
///
/// Stateless: every request authenticates its bearer token and reads or acts in one
/// transaction on a connection of `pool` — on that connection's own thread, never on NIO's
/// event loops. Each action goes through the application layer (`OrderActions`), the same path
/// as `hotlinectl order`.
public struct Workbench: Sendable {
    let pool: PostgresPool
    let profiles: [String: PolicyProfile]
    /// The working-day calendar of the system of record, read again while the API runs.
    let calendars: CalendarSource
    let clock: any HotlineClock
    let logger: Logger
    let metrics: APIMetrics?
    /// The hotline's own profile (`HOTLINE_PROFILE`): the office's records and reports are kept under it.
    let hotlineProfile: String

    public init(pool: PostgresPool, profiles: [String: PolicyProfile], calendars: CalendarSource,
                clock: any HotlineClock = SystemClock(), logger: Logger = Logger(label: "hotline-api"), metrics: APIMetrics? = nil,
                hotlineProfile: String = "qidong") {
        self.hotlineProfile = hotlineProfile
        self.pool = pool
        self.profiles = profiles
        self.calendars = calendars
        self.clock = clock
        self.logger = logger
        self.metrics = metrics
    }

    /// The bundled profiles and calendar, a pool of `connections` to `databaseURL`.
    public static func live(databaseURL: String, connections: Int, calendars: CalendarSource, logger: Logger,
                            metrics: APIMetrics?, hotlineProfile: String = "qidong") throws -> Workbench {
        let profiles = Dictionary(uniqueKeysWithValues: try PolicyProfile.allBundled().map { ($0.id, $0) })
        return Workbench(pool: PostgresPool(url: databaseURL, size: connections, applicationName: "hotline-api"),
                         profiles: profiles, calendars: calendars, logger: logger, metrics: metrics, hotlineProfile: hotlineProfile)
    }

    /// Adds the routes to `router`.
    public func addRoutes(to router: Router<BasicRequestContext>) {
        addOfficeRoutes(to: router)
        router.get("openapi.json") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"],
                     body: .init(byteBuffer: ByteBuffer(bytes: OpenAPIDocument.data)))
        }
        router.get("v1/orders") { request, _ in await self.answer(route: "list") { try await self.list(request) } }
        router.get("v1/orders/:number") { request, context in
            await self.answer(route: "show") { try await self.show(request, number: context.parameters.get("number") ?? "") }
        }
        router.post("v1/orders/:number/sign") { request, context in
            await self.act("sign", request, context, officeOnly: false) { caller, body, _ in
                try ActionBodies.empty(body)
                guard let unit = caller.unit else { throw APIError.forbidden("only the lead unit signs an order") }
                return .sign(unit: unit)
            }
        }
        router.post("v1/orders/:number/return") { request, context in
            await self.act("return", request, context, officeOnly: false) { caller, body, profile in
                let request = try ActionBodies.returnRequest(body, profile: profile)
                guard let unit = caller.unit else { throw APIError.forbidden("only the lead unit returns an order") }
                return .requestReturn(unit: unit, request)
            }
        }
        router.post("v1/orders/:number/return/approve") { request, context in
            await self.act("approveReturn", request, context, officeOnly: true) { _, body, _ in
                try ActionBodies.empty(body)
                return .approveReturn
            }
        }
        router.post("v1/orders/:number/return/reject") { request, context in
            await self.act("rejectReturn", request, context, officeOnly: true) { _, body, _ in
                .rejectReturn(reason: try ActionBodies.rejectReturn(body))
            }
        }
        router.post("v1/orders/:number/extension") { request, context in
            await self.act("extension", request, context, officeOnly: false) { caller, body, profile in
                let request = try ActionBodies.extensionRequest(body, profile: profile)
                guard let unit = caller.unit else { throw APIError.forbidden("only the lead unit asks for an extension") }
                return .requestExtension(unit: unit, request)
            }
        }
        router.post("v1/orders/:number/extension/approve") { request, context in
            await self.act("approveExtension", request, context, officeOnly: true) { _, body, _ in
                .approveExtension(amount: try ActionBodies.approveExtension(body))
            }
        }
        router.post("v1/orders/:number/extension/reject") { request, context in
            await self.act("rejectExtension", request, context, officeOnly: true) { _, body, _ in
                .rejectExtension(reason: try ActionBodies.reason(body))
            }
        }
        router.post("v1/orders/:number/reply") { request, context in
            await self.act("replyDraft", request, context, officeOnly: false) { caller, body, _ in
                let draft = try ActionBodies.replyDraft(body)
                guard let unit = caller.unit else { throw APIError.forbidden("only the lead unit writes the reply") }
                return .saveReplyDraft(unit: unit, draft)
            }
        }
        router.post("v1/orders/:number/reply/review") { request, context in
            await self.act("reviewReply", request, context, officeOnly: false) { caller, body, _ in
                try ActionBodies.empty(body)
                guard let unit = caller.unit else { throw APIError.forbidden("only the lead unit reviews its reply") }
                return .reviewReply(unit: unit)
            }
        }
        router.post("v1/orders/:number/contribution") { request, context in
            await self.act("contribution", request, context, officeOnly: false) { caller, body, _ in
                let text = try ActionBodies.contribution(body)
                guard let unit = caller.unit else { throw APIError.forbidden("only a co-unit sends a contribution") }
                return .contribute(unit: unit, textPII: text)
            }
        }
        router.post("v1/orders/:number/feedback") { request, context in
            await self.act("feedback", request, context, officeOnly: false) { caller, body, _ in
                let (text, plan) = try ActionBodies.feedback(body)
                guard let unit = caller.unit else { throw APIError.forbidden("only the lead unit gives feedback") }
                return .feedback(unit: unit, textPII: text, planPII: plan)
            }
        }
        router.post("v1/orders/:number/hand-down") { request, context in
            await self.act("handDown", request, context, officeOnly: false) { caller, body, _ in
                let to = try ActionBodies.handDown(body)
                guard let unit = caller.unit else { throw APIError.forbidden("only the level-2 lead unit hands an order down") }
                return .handDown(unit: unit, to: to)
            }
        }
        router.post("v1/orders/:number/dispatch") { request, context in
            await self.act("dispatch", request, context, officeOnly: true) { _, body, _ in
                let (lead, coUnits) = try ActionBodies.dispatch(body)
                return .dispatch(lead: lead, coUnits: coUnits)
            }
        }
    }

    // MARK: - Reading

    func list(_ request: Request) async throws -> Response {
        let token = try Self.bearerToken(request)
        // The query's problems are answered after the token's (401 first), from one connection for both.
        let parsedQuery: Result<ListQuery, APIError>
        do { parsedQuery = .success(try ListQuery(request.uri.queryParameters.map { (String($0.key), String($0.value)) })) } catch {
            parsedQuery = .failure(error)
        }
        let now = clock.now()
        let (caller, orders) = try await pool.withConnection { connection -> (ApiCaller, [OrderSummary]) in
            guard let caller = try ApiTokens.caller(token: token, at: now, on: connection) else { throw APIError.unauthorized }
            let parsed = try parsedQuery.get()
            return (caller, try OrderViews.list(unit: caller.unit, states: parsed.states, dueBefore: parsed.dueBefore, after: parsed.after,
                                                limit: parsed.limit + 1, on: connection))
        }
        let query = try parsedQuery.get()
        let page = Array(orders.prefix(query.limit))
        let next: JSON = orders.count > query.limit ? .optional(page.last?.number) : .null
        return Self.json(.ok, .object([
            ("orders", .array(page.map { OrderJSON.summary($0, caller: caller, now: now) })),
            ("next", next),
        ]))
    }

    func show(_ request: Request, number: String) async throws -> Response {
        let caller = try await authenticate(request)
        guard OrderNumber.isPlausible(number) else { throw APIError.notFound }
        let now = clock.now()
        let body = try await pool.withConnection { connection -> JSON in
            try connection.withTransaction { tx in
                guard try OrderViews.visibleProfile(number, to: caller.unit, on: tx) != nil,
                      let detail = try OrderViews.detail(number, unit: caller.unit, on: tx) else { throw APIError.notFound }
                let people = try ApiTokens.people(OrderJSON.tokenIds(detail), on: tx)
                return OrderJSON.detail(detail, caller: caller, people: people, now: now)
            }
        }
        return Self.json(.ok, body)
    }

    // MARK: - Acting

    /// One action: authenticate, read the body (bounded), then in one transaction: the
    /// `Idempotency-Key` (a retry answers what the first did), the caller's access to the order
    /// (404 when it is not theirs), the body's fields, the action through `OrderActions`, the
    /// order as it is now as the answer, kept under the key.
    func act(_ route: String, _ request: Request, _ context: BasicRequestContext, officeOnly: Bool,
             _ makeAction: @escaping @Sendable (ApiCaller, Data, PolicyProfile?) throws -> OrderAction) async -> Response {
        await answer(route: route) {
            let caller = try await authenticate(request)
            let number = context.parameters.get("number") ?? ""
            guard OrderNumber.isPlausible(number) else { throw APIError.notFound }
            let body = try await Self.body(request)
            let key = try Self.idempotencyKey(request)
            let expectedVersion = try Self.expectedVersion(request)
            let requestName = "POST \(request.uri.path)"
            let now = clock.now()
            let profiles = self.profiles, calendars = self.calendars
            let result = try await pool.withConnection { connection -> ActResult in
                do {
                    return try connection.withTransaction { tx -> ActResult in
                        try Self.once(key, caller: caller, request: requestName, body: body, on: tx) {
                            guard let profileName = try OrderViews.visibleProfile(number, to: caller.unit, on: tx) else { throw APIError.notFound }
                            if officeOnly && caller.role != .office { throw APIError.forbidden("only the hotline office does this") }
                            let action = try makeAction(caller, body, profiles[profileName])
                            if case let .dispatch(lead, coUnits) = action {
                                let unknown = try OrderViews.unknownUnits([lead] + coUnits, on: tx)
                                let problems = ([("/lead", lead)] + coUnits.enumerated().map { ("/coUnits/\($0.offset)", $0.element) })
                                    .filter { unknown.contains($0.1) }.map { FieldProblem($0.0, "names no active unit") }
                                if !problems.isEmpty { throw APIError.invalid(problems, detail: "the dispatch is not valid") }
                            }
                            try calendars.refreshIfDue(on: tx)
                            _ = try OrderActions.perform(action, number: number, actor: caller.actor, expectedVersion: expectedVersion,
                                                         at: now, profiles: profiles, calendar: calendars.current, on: tx)
                            // A unit that handed the order back no longer sees it: answer with its state only.
                            let answer: JSON
                            if try OrderViews.visibleProfile(number, to: caller.unit, on: tx) != nil,
                               let detail = try OrderViews.detail(number, unit: caller.unit, on: tx) {
                                let people = try ApiTokens.people(OrderJSON.tokenIds(detail), on: tx)
                                answer = OrderJSON.detail(detail, caller: caller, people: people, now: now)
                            } else {
                                let current = try OrderViews.currentState(number, on: tx)
                                answer = .object([("number", .string(number)), ("state", .optional(current?.state)),
                                                  ("version", current.map { .int($0.version) } ?? .null)])
                            }
                            return StoredAnswer(status: 200, body: answer.data)
                        }
                    }
                } catch {
                    // Refused after the transaction rolled back: say where the order is now.
                    guard let refusal = Refusal(error) else { throw error }
                    let current = try OrderViews.currentState(number, on: connection)
                    throw refusal.problem(state: current?.state, version: current?.version)
                }
            }
            if case .acted = result {
                logger.info("order action", metadata: ["hotline.api.request": "\(requestName)", "hotline.token.id": "\(caller.tokenId)",
                                                       "hotline.unit": "\(caller.unit ?? "office")"])
            }
            return Self.response(result)
        }
    }

    enum ActResult: Sendable {
        case acted(StoredAnswer)
        case replayed(StoredAnswer)
    }

    /// In the caller's transaction: the answer kept under `key` when this is a retry of the same
    /// request (422 when the key named another), else `work`'s answer, kept under the key.
    static func once(_ key: String?, caller: ApiCaller, request: String, body: Data, on tx: PostgresConnection,
                     _ work: () throws -> StoredAnswer) throws -> ActResult {
        if let key {
            switch try IdempotencyKeys.lookup(tokenId: caller.tokenId, key: key, request: request, body: body, on: tx) {
            case .fresh: break
            case .replay(let answer): return .replayed(answer)
            case .mismatch: throw APIError.idempotencyKeyReused
            }
        }
        let answer = try work()
        if let key {
            try IdempotencyKeys.remember(tokenId: caller.tokenId, key: key, request: request, body: body, answer: answer, on: tx)
        }
        return .acted(answer)
    }

    /// The answer acted on or replayed (`Idempotent-Replayed: true`).
    static func response(_ result: ActResult) -> Response {
        switch result {
        case .acted(let answer):
            return raw(.init(code: answer.status), answer.body, headers: [:])
        case .replayed(let answer):
            var headers = HTTPFields()
            headers[replayedHeader] = "true"
            return raw(.init(code: answer.status), answer.body, headers: headers)
        }
    }

    /// Errors of the rules and the store that refuse an action, as problems.
    enum Refusal {
        case rule(RuleError)
        case concurrent
        case unknownUnit(String)
        case incomplete(ReturnIncomplete)
        case extensionIncomplete(ExtensionIncomplete)
        case officeAmount(ExtensionAmountNotSetByOffice)
        case wording(ReplyWording)
        case noDraft
        case notASubUnit(NotASubUnit)
        case notACoUnit(NotACoUnit)
        case actionIncomplete(ActionIncomplete)
        case noExclusionRequest

        init?(_ error: any Error) {
            switch error {
            case OfficeAndUnitCommandError.refused(_, let rule): self = .rule(rule)
            case WorkOrderStoreError.concurrentUpdate: self = .concurrent
            case WorkOrderStoreError.unknownUnit(let code): self = .unknownUnit(code)
            case let incomplete as ReturnIncomplete: self = .incomplete(incomplete)
            case let incomplete as ExtensionIncomplete: self = .extensionIncomplete(incomplete)
            case let refused as ExtensionAmountNotSetByOffice: self = .officeAmount(refused)
            case let wording as ReplyWording: self = .wording(wording)
            case is NoReplyDraft: self = .noDraft
            case let refused as NotASubUnit: self = .notASubUnit(refused)
            case let refused as NotACoUnit: self = .notACoUnit(refused)
            case let incomplete as ActionIncomplete: self = .actionIncomplete(incomplete)
            case is NoExclusionRequest: self = .noExclusionRequest
            default: return nil
            }
        }

        /// The rule's case name (`returnWindowClosed`), a stable code for clients.
        static func caseName(_ rule: RuleError) -> String {
            if let label = Mirror(reflecting: rule).children.first?.label { return label }
            switch rule {
            case .extensionNeedsCitizenConsent: return "extensionNeedsCitizenConsent"
            case .rejectedReturnMayNotBeReturnedAgain: return "rejectedReturnMayNotBeReturnedAgain"
            case .confidentialContact: return "confidentialContact"
            default: return "refused"
            }
        }

        func problem(state: String?, version: Int?) -> APIError {
            switch self {
            case .rule(.wrongUnit(let expected)):
                return .forbidden("only the lead unit \(expected) may do this")
            case .rule(let rule):
                return .conflict(code: "rule-" + Self.caseName(rule), detail: rule.safeReason, state: state, version: version)
            case .concurrent:
                return .conflict(code: "concurrent-update", detail: "the work order changed since it was read; read it again",
                                 state: state, version: version)
            case .unknownUnit:
                return .invalid([FieldProblem("/lead", "must name active units (the lead and the co-units)")], detail: "the dispatch is not valid")
            case .incomplete(let incomplete):
                return .invalid(incomplete.missing.map { FieldProblem("/\($0.rawValue)", "is required") },
                                detail: "a return must carry what the profile requires (\(incomplete.basis))")
            case .extensionIncomplete(let incomplete):
                return .invalid(incomplete.missing.map { FieldProblem("/\($0.rawValue)", "is required") },
                                detail: "an extension request must carry what the profile requires (\(incomplete.basis))")
            case .officeAmount(let refused):
                return .invalid([FieldProblem("/extension", "the office sets no amount under this profile: approve what was asked or reject it")],
                                detail: "the approval is not valid (\(refused.basis))")
            case .wording(let wording):
                return .invalid(wording.problems.map { FieldProblem($0.pointer, $0.problem) },
                                detail: "the reply's wording is not one an SMS may carry (\(wording.basis))")
            case .notASubUnit(let refused):
                return .invalid([FieldProblem("/unit", "must name an active level-3 unit under \(refused.lead)")],
                                detail: "the hand-down is not valid (pingdingshan 一(四): 三级网络单位……负责接收和办理二级网络单位交办的市长热线事项,并向二级网络单位报告办理情况)")
            case .notACoUnit(let refused):
                return .forbidden("only a co-unit sends a contribution to the lead unit \(refused.lead)")
            case .actionIncomplete(let incomplete):
                return .invalid(incomplete.problems.map { FieldProblem($0.pointer, $0.problem) }, detail: incomplete.detail)
            case .noExclusionRequest:
                return .conflict(code: "no-exclusion-request", detail: "there is no exclusion request to decide; the lead unit asks first",
                                 state: state, version: version)
            case .noDraft:
                return .conflict(code: "no-reply-draft", detail: "there is no reply draft to review; write one first (POST …/reply)",
                                 state: state, version: version)
            }
        }
    }

    // MARK: - Pieces

    static let idempotencyHeader = HTTPFields.Element.Name("Idempotency-Key")!
    static let replayedHeader = HTTPFields.Element.Name("Idempotent-Replayed")!

    /// The caller the bearer token names; 401 without one, or with an unknown, expired or revoked one.
    func authenticate(_ request: Request) async throws -> ApiCaller {
        let token = try Self.bearerToken(request)
        let now = clock.now()
        guard let caller = try await pool.withConnection({ try ApiTokens.caller(token: token, at: now, on: $0) }) else {
            throw APIError.unauthorized
        }
        return caller
    }

    /// The bearer token's text when it is well formed (`hl_` and 64 hex digits); else 401.
    static func bearerToken(_ request: Request) throws -> String {
        guard let header = request.headers[.authorization], header.count <= 200 else { throw APIError.unauthorized }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { throw APIError.unauthorized }
        let token = String(parts[1]).trimmingCharacters(in: .whitespaces)
        guard token.hasPrefix("hl_"), token.count == 67,
              token.dropFirst(3).unicodeScalars.allSatisfy({ CharacterSet(charactersIn: "0123456789abcdef").contains($0) }) else {
            throw APIError.unauthorized
        }
        return token
    }

    static func body(_ request: Request) async throws -> Data {
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > Limits.body {
            throw APIError.tooLarge(limit: Limits.body)
        }
        do {
            let buffer = try await request.body.collect(upTo: Limits.body)
            return Data(buffer.readableBytesView)
        } catch is NIOTooManyBytesError {
            throw APIError.tooLarge(limit: Limits.body)
        }
    }

    static func idempotencyKey(_ request: Request) throws -> String? {
        guard let key = request.headers[idempotencyHeader] else { return nil }
        guard !key.isEmpty, key.count <= Limits.idempotencyKey,
              key.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else {
            throw APIError.invalid([FieldProblem("Idempotency-Key", "must be 1 to \(Limits.idempotencyKey) visible ASCII characters")],
                                   detail: "the Idempotency-Key header is not valid")
        }
        return key
    }

    /// `If-Match: "7"` (the order's version, as its answers give it): act only on that version.
    static func expectedVersion(_ request: Request) throws -> Int? {
        guard var text = request.headers[.ifMatch] else { return nil }
        if text.hasPrefix("W/") { text.removeFirst(2) }
        text = text.trimmingCharacters(in: CharacterSet(charactersIn: "\" "))
        guard let version = Int(text), version > 0 else {
            throw APIError.invalid([FieldProblem("If-Match", "must be the order's version, e.g. \"3\"")],
                                   detail: "the If-Match header is not valid")
        }
        return version
    }

    /// Runs `body`, counting the answer under `route`.
    func answer(route: String, _ body: () async throws -> Response) async -> Response {
        let start = ContinuousClock.now
        let response = await answer(body)
        metrics?.record(route: route, status: response.status.code, duration: ContinuousClock.now - start)
        return response
    }

    /// Runs `body`; whatever it throws becomes a problem answer, and nothing personal is logged.
    func answer(_ body: () async throws -> Response) async -> Response {
        do {
            return try await body()
        } catch let error as APIError {
            return Self.problem(error)
        } catch let error as PostgresError where error.code == .connection || error.code == .connectionLost {
            logger.error("database unreachable", metadata: ["hotline.error": "\(SafeErrors.describe(error))"])
            return Self.problem(.unavailable)
        } catch {
            logger.error("request failed", metadata: ["hotline.error": "\(SafeErrors.describe(error))"])
            return Self.problem(.internalError)
        }
    }

    static func problem(_ error: APIError) -> Response {
        var headers: HTTPFields = [:]
        if case .unauthorized = error { headers[.wwwAuthenticate] = "Bearer" }
        headers[.contentType] = "application/problem+json"
        return Response(status: .init(code: error.status), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: error.json.data)))
    }

    static func json(_ status: HTTPResponse.Status, _ value: JSON) -> Response {
        raw(status, value.data, headers: [:])
    }

    static func raw(_ status: HTTPResponse.Status, _ data: Data, headers: HTTPFields) -> Response {
        var headers = headers
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
