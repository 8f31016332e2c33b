import Foundation
import HotlineContracts
import HotlineDomain
import HotlineIntake
import HotlineRuntime
import HotlineStore
import Hummingbird
import Logging
import NIOCore
import PostgresClient

/// Open311 GeoReport v2 under `/open311/v2/`: the hotline's websites and apps (and any client
/// written for the standard) list its services, POST requests and read them back, in `.json` and
/// `.xml` with the standard's element names and error format.
///
/// A POST becomes a `submission` v1 (intake's contract), checked first with intake's own
/// validation (`SubmissionValidation`) so problems come back at once, then written to the outbox
/// for `hotline.intake` in the transaction that records its token; intake takes it from there
/// (scope rules, repeats, the order). Reads show nothing personal of the citizen.
public struct Open311API: Sendable {
    let pool: PostgresPool
    /// The hotline's profile: its categories and time limits make the service list.
    let profile: PolicyProfile
    let clock: any HotlineClock
    let logger: Logger
    let metrics: APIMetrics?
    /// How long a POST waits for intake's answer before it answers with a token instead.
    let intakeWait: Duration

    public init(pool: PostgresPool, profile: PolicyProfile, clock: any HotlineClock = SystemClock(),
                logger: Logger = Logger(label: "hotline-api"), metrics: APIMetrics? = nil, intakeWait: Duration = .seconds(2)) {
        self.pool = pool
        self.profile = profile
        self.clock = clock
        self.logger = logger
        self.metrics = metrics
        self.intakeWait = intakeWait
    }

    /// On the workbench's pool, with its clock, logger and metrics, for profile `profile`.
    public init(sharing workbench: Workbench, profile: String) throws {
        guard let profile = workbench.profiles[profile] else { throw PolicyProfileNotBundled(id: profile) }
        self.init(pool: workbench.pool, profile: profile, clock: workbench.clock, logger: workbench.logger, metrics: workbench.metrics)
    }

    public struct PolicyProfileNotBundled: Error, CustomStringConvertible {
        public let id: String
        public var description: String { "no bundled profile \(id)" }
    }

    static let base = "open311/v2"

    public func addRoutes(to router: Router<BasicRequestContext>) {
        for format in Open311Format.allCases {
            router.get("\(Self.base)/services.\(format.rawValue)") { request, _ in
                await self.answer(route: "open311.services", format) { try self.services(request) }
            }
            router.get("\(Self.base)/requests.\(format.rawValue)") { request, _ in
                await self.answer(route: "open311.requests", format) { try await self.requests(request) }
            }
            router.post("\(Self.base)/requests.\(format.rawValue)") { request, _ in
                await self.answer(route: "open311.post", format) { try await self.post(request, format: format) }
            }
        }
        for (path, route) in [("services", "open311.service"), ("requests", "open311.request"), ("tokens", "open311.token")] {
            router.get("\(Self.base)/\(path)/:file") { request, context in
                let file = context.parameters.get("file") ?? ""
                guard let (name, format) = Open311Format.split(file) else {
                    return Self.response(Open311Error(404, "use \(path)/{id}.json or \(path)/{id}.xml"), format: .json)
                }
                return await self.answer(route: route, format) {
                    switch path {
                    case "services": return try self.serviceDefinition(code: name)
                    case "requests": return try await self.request(number: name, query: request)
                    default: return try await self.token(name)
                    }
                }
            }
        }
    }

    /// A document under its XML root element, with its status.
    struct Answer: Sendable {
        var status: Int = 200
        var root: String
        var value: Open311Value
        var headers: [String: String] = [:]
        /// A document already written (a stored answer, replayed).
        var raw: Data? = nil
    }

    // MARK: - Services

    /// The services: one per category the profile states a time limit for.
    func services(_ request: Request) throws -> Answer {
        try Self.checkJurisdiction(request)
        return Answer(root: "services", value: .list(element: "service", Open311Services.list(profile: profile).map(\.value)))
    }

    func serviceDefinition(code: String) throws -> Answer {
        guard let service = Open311Services.list(profile: profile).first(where: { $0.code == code }) else {
            throw Open311Error(404, "service_code \(code.prefix(40)) not found: GET services lists them")
        }
        return Answer(root: "service_definition", value: service.definition)
    }

    /// `jurisdiction_id` is optional (one hotline per endpoint); when given it must be its id.
    static func checkJurisdiction(_ request: Request) throws {
        if let given = request.uri.queryParameters["jurisdiction_id"], !given.isEmpty,
           String(given) != Open311Services.jurisdiction {
            throw Open311Error(404, "jurisdiction_id not found: this endpoint serves \(Open311Services.jurisdiction)")
        }
    }

    // MARK: - Reading requests

    func requests(_ request: Request) async throws -> Answer {
        try Self.checkJurisdiction(request)
        let query = try Open311RequestsQuery.parse(request.uri.queryParameters.map { (String($0.key), String($0.value)) },
                                                   now: clock.now())
        let orders = try await pool.withConnection { try Open311Requests.list(query, on: $0) }
        return Answer(root: "service_requests", value: .list(element: "request", orders.map(Open311Services.request)))
    }

    func request(number: String, query request: Request) async throws -> Answer {
        try Self.checkJurisdiction(request)
        guard OrderNumber.isPlausible(number) else { throw Open311Error(404, "service_request_id not found") }
        let orders = try await pool.withConnection { try Open311Requests.list(Open311Query(numbers: [number], limit: 1), on: $0) }
        guard !orders.isEmpty else { throw Open311Error(404, "service_request_id not found") }
        return Answer(root: "service_requests", value: .list(element: "request", orders.map(Open311Services.request)))
    }

    func token(_ text: String) async throws -> Answer {
        guard let token = UUID(uuidString: text) else { throw Open311Error(404, "token not found") }
        guard let state = try await pool.withConnection({ try Open311Requests.resolve(token: token, on: $0) }) else {
            throw Open311Error(404, "token not found")
        }
        switch state {
        case .pending:
            return Answer(root: "service_requests", value: .list(element: "request", [
                .object([("service_request_id", .text(nil)), ("token", .text(text.lowercased()))])]))
        case .order(let number):
            return Answer(root: "service_requests", value: .list(element: "request", [
                .object([("service_request_id", .text(number)), ("token", .text(text.lowercased()))])]))
        case .rejected(let problems):
            throw Open311Error(400, Open311Submission.descriptions(problems, chinese: false))
        }
    }

    // MARK: - Posting a request

    static let idempotencyRequest = "POST /open311/v2/requests"

    /// Key, rate limit, `Idempotency-Key`, the form read into a submission and validated, then in
    /// one transaction: the key's earlier answer, or the rejection stored, or the token recorded
    /// and the submission in the outbox. Then a short wait for intake's order number.
    func post(_ request: Request, format: Open311Format) async throws -> Answer {
        let body = try await Self.body(request)
        let contentType = request.headers[.contentType]?.lowercased() ?? ""
        guard contentType.isEmpty || contentType.hasPrefix("application/x-www-form-urlencoded") else {
            throw Open311Error(400, "the body must be application/x-www-form-urlencoded, as GeoReport v2 says")
        }
        var form = Open311Form(encoded: request.uri.query ?? "")
        form.pairs += Open311Form(encoded: String(decoding: body, as: UTF8.self)).pairs
        let now = clock.now()
        guard let keyText = form.first("api_key")?.trimmingCharacters(in: .whitespaces), Open311Keys.isPlausible(keyText),
              let key = try await pool.withConnection({ try Open311Keys.key(keyText, at: now, on: $0) }) else {
            metrics?.open311(outcome: "unauthorized")
            throw Open311Error(403, "api_key: missing, unknown, expired or revoked -- can't create the request (keys come from `hotlinectl open311 key issue`)")
        }
        let used = try await pool.withConnection { try Open311Keys.countRequest(keyId: key.id, at: now, on: $0) }
        if used > key.perMinute {
            metrics?.open311(outcome: "rateLimited")
            let retry = 60 - Int(now.timeIntervalSince1970.truncatingRemainder(dividingBy: 60))
            throw Open311Error(429, ["api_key: more than \(key.perMinute) requests this minute; retry after \(retry) s"], retryAfter: retry)
        }
        if let jurisdiction = form.first("jurisdiction_id"), jurisdiction != Open311Services.jurisdiction {
            throw Open311Error(404, "jurisdiction_id not found: this endpoint serves \(Open311Services.jurisdiction)")
        }
        let idempotencyKey: String?
        do {
            idempotencyKey = try Workbench.idempotencyKey(request)
        } catch {
            throw Open311Error(400, "Idempotency-Key: must be 1 to \(Limits.idempotencyKey) visible ASCII characters")
        }
        let token = UUID()
        let submissionId = "open311-" + token.uuidString.lowercased()
        var submission = Open311Submission(form: form, channel: key.channel, submissionId: submissionId, now: now)
        if submission.submission.regionCode == nil, let lat = submission.lat, let long = submission.long {
            // The position finds the gazetteer's place where it has one; otherwise the address decides.
            submission.submission.regionCode = try await pool.withConnection { try Open311Requests.place(lat: lat, long: long, on: $0) }
        }
        let validation = submission.validate(profile: profile, channel: key.channel, now: now)
        let chinese = submission.chinese
        let envelope = Contracts.envelope(submission.submission, occurredAt: now)
        let requestName = "\(Self.idempotencyRequest).\(format.rawValue)"
        let record = Open311Record(token: token, keyId: key.id, channel: key.channel, submissionId: submissionId,
                                   serviceCode: submission.serviceCode, lat: submission.lat, long: submission.long,
                                   mediaURL: submission.mediaURL)
        let (outcome, replayed) = try await pool.withConnection { connection -> (StoredAnswer, Bool) in
            try connection.withTransaction { tx -> (StoredAnswer, Bool) in
                if let idempotencyKey {
                    switch try IdempotencyKeys.lookup(tokenId: key.id, key: idempotencyKey, request: requestName, body: body, on: tx) {
                    case .fresh: break
                    case .replay(let answer): return (answer, true)
                    case .mismatch: throw Open311Error(422, "Idempotency-Key: used before for another request; use a new key for a new request")
                    }
                }
                let answer: StoredAnswer
                switch validation {
                case .failure(let failure):
                    // Stored with its reasons like any rejected submission (the payload without the api_key).
                    try RejectedSubmissions.store([RejectedSubmission(
                        channel: key.channel, submissionId: submissionId, messageId: envelope.id.uuidString.lowercased(),
                        problems: failure.problems, payloadPII: Contracts.encode(envelope), receivedAt: now)], on: tx)
                    let error = Open311Error(400, Open311Submission.descriptions(failure.problems, chinese: chinese))
                    answer = StoredAnswer(status: 400, body: format.render(error.value, root: Open311Error.root))
                case .success:
                    try Open311Requests.record(record, on: tx)
                    try Outbox.append([OutboxMessage(messageId: envelope.id, exchange: Topology.intakeExchange,
                                                     routingKey: SubmissionV1.routingKey(channel: key.channel),
                                                     type: SubmissionV1.type, body: Contracts.encode(envelope))], on: tx)
                    answer = StoredAnswer(status: 200, body: Data(token.uuidString.lowercased().utf8))
                }
                if let idempotencyKey {
                    try IdempotencyKeys.remember(tokenId: key.id, key: idempotencyKey, request: requestName, body: body, answer: answer, on: tx)
                }
                return (answer, false)
            }
        }
        let status = outcome.status
        var headers: [String: String] = [:]
        if replayed { headers[Workbench.replayedHeader.rawName] = "true" }
        guard status == 200, let answeredToken = UUID(uuidString: String(decoding: outcome.body, as: UTF8.self)) else {
            metrics?.open311(outcome: replayed ? "replayed" : "rejected")
            if !replayed {
                logger.info("open311 request rejected", metadata: ["hotline.open311.key": "\(key.id)", "hotline.channel": "\(key.channel)"])
            }
            return Answer(status: status, root: "", value: .text(nil), headers: headers, raw: outcome.body)
        }
        metrics?.open311(outcome: replayed ? "replayed" : "accepted")
        if !replayed {
            logger.info("open311 request taken", metadata: ["hotline.open311.key": "\(key.id)", "hotline.channel": "\(key.channel)"])
        }
        let number = try await waitForOrder(token: answeredToken)
        // 已收到, not 已受理: intake may still refuse it under the scope rules (GET requests/{id} says so).
        let notice = number.map { "已收到，工单编号 \($0)，办理进度用 GET requests/{id} 查询" } ?? "已收到，正在登记：用 GET tokens/{token} 查询工单编号"
        var item: [(String, Open311Value)] = []
        if let number { item.append(("service_request_id", .text(number))) } else { item.append(("token", .text(answeredToken.uuidString.lowercased()))) }
        item.append(("service_notice", .text(notice)))
        item.append(("account_id", .text(nil)))
        return Answer(root: "service_requests", value: .list(element: "request", [.object(item)]), headers: headers)
    }

    /// Bytes of a POST's body: a description may be 5000 characters (intake's limit), which
    /// percent-encoded Chinese makes about 45,000 bytes (ours; the workbench's bodies are smaller).
    static let bodyLimit = 64 * 1024

    static func body(_ request: Request) async throws -> Data {
        do {
            return Data(try await request.body.collect(upTo: bodyLimit).readableBytesView)
        } catch is NIOTooManyBytesError {
            throw Open311Error(413, "the body is larger than \(bodyLimit) bytes")
        }
    }

    /// The order number once intake has made the order, polling for at most `intakeWait`.
    func waitForOrder(token: UUID) async throws -> String? {
        let deadline = ContinuousClock.now + intakeWait
        while true {
            if case .order(let number)? = try await pool.withConnection({ try Open311Requests.resolve(token: token, on: $0) }) {
                return number
            }
            if ContinuousClock.now >= deadline { return nil }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    // MARK: - Answers

    /// Runs `body` and writes its document (or its error) in `format`; counts it under `route`.
    func answer(route: String, _ format: Open311Format, _ body: () async throws -> Answer) async -> Response {
        let start = ContinuousClock.now
        let response: Response
        do {
            response = Self.response(try await body(), format: format)
        } catch let error as Open311Error {
            response = Self.response(error, format: format)
        } catch let error as APIError {
            response = Self.response(Open311Error(error.status == 422 ? 400 : error.status, error.safeReason), format: format)
        } catch let error as PostgresError where error.code == .connection || error.code == .connectionLost {
            logger.error("database unreachable", metadata: ["hotline.error": "\(SafeErrors.describe(error))"])
            response = Self.response(Open311Error(503, "the database is not reachable; try again"), format: format)
        } catch {
            logger.error("open311 request failed", metadata: ["hotline.error": "\(SafeErrors.describe(error))"])
            response = Self.response(Open311Error(500, "internal error"), format: format)
        }
        metrics?.record(route: route, status: response.status.code, duration: ContinuousClock.now - start)
        return response
    }

    static func response(_ answer: Answer, format: Open311Format) -> Response {
        let data = answer.raw ?? format.render(answer.value, root: answer.root)
        return response(status: answer.status, data: data, format: format, headers: answer.headers)
    }

    static func response(_ error: Open311Error, format: Open311Format) -> Response {
        var headers: [String: String] = [:]
        if let retry = error.retryAfter { headers["Retry-After"] = String(retry) }
        return response(status: error.status, data: format.render(error.value, root: Open311Error.root), format: format, headers: headers)
    }

    static func response(status: Int, data: Data, format: Open311Format, headers: [String: String]) -> Response {
        var fields = HTTPFields()
        fields[.contentType] = format.contentType
        for (name, value) in headers {
            if let name = HTTPFields.Element.Name(name) { fields[name] = value }
        }
        return Response(status: .init(code: status), headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

extension APIMetrics {
    /// `hotline_open311_submissions_total{outcome}`: accepted, rejected, replayed, unauthorized, rateLimited.
    func open311(outcome: String) {
        registry.makeCounter(name: "hotline_open311_submissions_total", labels: [("worker", worker), ("outcome", outcome)],
                             help: "Open311 POSTs by outcome").increment()
    }
}
