import Foundation
@testable import HotlineAPI
import HotlineContracts
import HotlineDomain
import HotlineStore
import HotlineTestSupport
import PostgresClient
import Testing

/// Open311 GeoReport v2 under `/open311/v2/`: its pure parts, then `hotline-api` as the real
/// executable beside `hotline-intake` and `hotline-routing`, POSTed to with curl (form-encoded,
/// shaped as the specification's examples) and read with the published client `georeport`.
@Suite struct Open311Tests {
    // MARK: - Pure parts

    @Test func aFormIsReadAsTheSpecificationWritesIt() {
        let form = Open311Form(encoded: "api_key=xyz&service_code=complaint&lat=27.7312&description=%E4%BA%95%E7%9B%96+%E7%A0%B4%E6%8D%9F"
                                   + "&attribute[urgency]=general&attribute[WHISHETN][]=1&attribute[WHISHETN][]=2&empty=&bare")
        #expect(form.first("description") == "井盖 破损")
        #expect(form.first("empty") == nil)
        #expect(form.first("bare") == nil)
        #expect(form.attributes == ["urgency": ["general"], "WHISHETN": ["1", "2"]])
        let submission = Open311Submission(form: form, channel: "website", submissionId: "open311-x", now: Date())
        #expect(submission.submission.category == "complaint")
        #expect(submission.submission.urgency == "general")
        #expect(submission.lat == 27.7312 && submission.long == nil)
        // lat without long, and an attribute the service does not define.
        #expect(submission.formProblems.map(\.field) == ["long", "attribute[WHISHETN]"])
        #expect(submission.chinese)
    }

    @Test func oneTreeIsWrittenAsJSONAndAsXMLWithTheStandardsElementNames() {
        let value = Open311Value.list(element: "service", [.object([
            ("service_code", .text("complaint")), ("service_name", .text("投诉 <&>")), ("metadata", .bool(true)),
            ("keywords", .text(nil)), ("lat", .coordinate(27.7312)),
            ("attributes", .list(element: "attribute", [.object([("code", .text("urgency"))])])),
        ])])
        #expect(value.json.text == #"[{"service_code":"complaint","service_name":"投诉 <&>","metadata":true,"keywords":null,"lat":27.731200,"attributes":[{"code":"urgency"}]}]"#)
        #expect(value.xml(root: "services") == #"<?xml version="1.0" encoding="utf-8"?><services><service><service_code>complaint</service_code><service_name>投诉 &lt;&amp;&gt;</service_name><metadata>true</metadata><keywords/><lat>27.731200</lat><attributes><attribute><code>urgency</code></attribute></attributes></service></services>"#)
        #expect(Open311Error(400, ["a", "b"]).value.xml(root: Open311Error.root)
                == #"<?xml version="1.0" encoding="utf-8"?><errors><error><code>400</code><description>a</description></error><error><code>400</code><description>b</description></error></errors>"#)
        #expect(Open311Format.split("12345-20261130-0000001.xml").map { "\($0.name) \($0.format)" } == "12345-20261130-0000001 xml")
        #expect(Open311Format.split("services.csv") == nil)
    }

    @Test func problemsAreNamedByTheStandardsFieldsAndInChineseForAChineseRequest() {
        let now = Date()
        let qidong = try! PolicyProfile.bundled("qidong")
        let chinese = Open311Submission(form: Open311Form(encoded: "service_code=%E6%8A%95&description=%E4%BA%95%E7%9B%96&phone=abc"),
                                        channel: "website", submissionId: "open311-1", now: now)
        guard case .failure(let failure) = chinese.validate(profile: qidong, channel: "website", now: now) else {
            Issue.record("a request without a location or a valid phone was accepted")
            return
        }
        let descriptions = Open311Submission.descriptions(failure.problems, chinese: chinese.chinese)
        #expect(descriptions.contains("phone：含有字母"))
        #expect(descriptions.contains { $0.hasPrefix("service_code：不是本热线的服务类型") })
        #expect(descriptions.contains { $0.hasPrefix("lat/long、address_string 或 address_id") })
        #expect(!descriptions.joined().contains("abc"))
        let english = Open311Submission(form: Open311Form(encoded: "service_code=complaint&description=pothole&lat=x&long=1"),
                                        channel: "website", submissionId: "open311-2", now: now)
        guard case .failure(let problems) = english.validate(profile: qidong, channel: "website", now: now) else {
            Issue.record("a request with a bad position was accepted")
            return
        }
        let text = Open311Submission.descriptions(problems.problems, chinese: english.chinese)
        #expect(text.contains("lat: must be a number from -90 to 90"))
        #expect(text.contains("phone: is required for this channel (the reply SMS and the revisit go to it)"))
    }

    @Test func theServicesAreTheProfilesCategoriesWithTheirAttributes() throws {
        let qidong = Open311Services.list(profile: try PolicyProfile.bundled("qidong"))
        #expect(qidong.map(\.code).contains("complaint"))
        let complaint = try #require(qidong.first { $0.code == "complaint" })
        #expect(complaint.classes.isEmpty && complaint.urgencies.contains(.general))
        #expect(complaint.definition.json.text.contains(#""code":"urgency","datatype":"singlevaluelist","required":false"#))
        // Pingdingshan sets its limits by class A–D: every service asks for it.
        let pingdingshan = Open311Services.list(profile: try PolicyProfile.bundled("pingdingshan"))
        #expect(!pingdingshan.isEmpty)
        #expect(pingdingshan.allSatisfy { $0.classes == CaseClass.allCases && $0.urgencies.isEmpty })
        #expect(pingdingshan[0].definition.json.text.contains(#""code":"class","datatype":"singlevaluelist","required":true"#))
    }

    @Test func aRequestsQueryIsBoundedAsTheStandardSays() throws {
        let now = Date()
        let query = try Open311RequestsQuery.parse([("status", "open"), ("service_code", "complaint,help"), ("page_size", "5")], now: now)
        #expect(query.closed == false && query.categories == ["complaint", "help"] && query.limit == 5)
        #expect(query.start == now.addingTimeInterval(-Open311RequestsQuery.maxSpan))
        // service_request_id overrides every other parameter.
        let ids = try Open311RequestsQuery.parse([("service_request_id", "a,b"), ("status", "nonsense")], now: now)
        #expect(ids.numbers == ["a", "b"] && ids.closed == nil)
        #expect(throws: Open311Error.self) { try Open311RequestsQuery.parse([("page_size", "5000")], now: now) }
        #expect(throws: Open311Error.self) {
            try Open311RequestsQuery.parse([("start_date", "2026-01-01T00:00:00Z"), ("end_date", "2026-06-01T00:00:00Z")], now: now)
        }
    }

    // MARK: - The real executables

    /// The specification's POST example, in the demo county: a broken manhole cover on 人民路.
    static func exampleFields(key: String) -> [(String, String)] {
        [("api_key", key), ("jurisdiction_id", "12345"), ("service_code", "complaint"),
         ("lat", "27.7313"), ("long", "111.9951"), ("address_string", "石桥县城关街道人民路18号"),
         ("email", "wangxm@example.cn"), ("device_id", "tt222111"), ("account_id", "123456"),
         ("first_name", "小明"), ("last_name", "王"), ("phone", "139 1234 5678"),
         ("description", "人民路18号门前的下水道井盖破损，晚上有行人踩空，请尽快修复。"),
         ("media_url", "http://www.example.cn/media/8979865.jpg"), ("attribute[urgency]", "general")]
    }

    static func form(_ fields: [(String, String)]) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return fields.map { name, value in
            name.addingPercentEncoding(withAllowedCharacters: allowed)! + "=" + value.addingPercentEncoding(withAllowedCharacters: allowed)!
        }.joined(separator: "&")
    }

    static func post(_ api: APIServer, _ fields: [(String, String)], format: String = "json",
                     headers: [String: String] = [:]) throws -> APIServer.Answer {
        try api.curl("POST", "/open311/v2/requests.\(format)", body: form(fields), headers: headers,
                     contentType: "application/x-www-form-urlencoded")
    }

    static func array(_ answer: APIServer.Answer) -> [[String: Any]] {
        (try? JSONSerialization.jsonObject(with: Data(answer.body.utf8))) as? [[String: Any]] ?? []
    }

    /// `hotlinectl open311 key issue`, as an operator would; returns (id, key).
    static func issueKey(_ api: APIServer, perMinute: Int = 60) throws -> (id: Int64, key: String) {
        let result = try api.hotlinectl(["open311", "key", "issue", "--name", "石桥县政府网站", "--channel", "website",
                                         "--per-minute", String(perMinute)])
        guard result.status == 0 else { throw Shell.Failure(command: "hotlinectl open311 key issue", result: result) }
        var id: Int64?, key: String?
        for line in result.stdout.split(separator: "\n") {
            if line.hasPrefix("id: ") { id = Int64(line.dropFirst(4)) }
            if line.hasPrefix("api_key: ") { key = String(line.dropFirst(9)) }
        }
        return (try #require(id), try #require(key))
    }

    /// Starts `hotline-<worker>` beside the API and waits until its `/readyz` answers 200.
    static func startWorker(_ api: APIServer, _ worker: String) throws {
        let pattern = try Regex(#""hotline\.http\.port":"(\d+)""#)
        func ports() -> [Int] { api.processes.fullLog().matches(of: pattern).compactMap { Int($0.output[1].substring ?? "") } }
        let known = Set(ports())
        try api.processes.start(try Shell.product("hotline-\(worker)"), [],
                                environment: ["HOTLINE_DATABASE_URL": api.databaseURL, "HOTLINE_AMQP_URL": try TestServers.amqpURL(),
                                              "HOTLINE_HTTP_PORT": "0", "HOTLINE_PROFILE": "qidong"],
                                name: "hotline-\(worker)")
        var port = 0
        try api.processes.wait("hotline-\(worker) ready", timeout: 90) {
            guard api.processes.children.allSatisfy(\.isRunning) else { throw APIServer.Died(log: api.processes.logTail()) }
            if port == 0 { port = ports().first { !known.contains($0) } ?? 0 }
            guard port != 0 else { return false }
            let result = try Shell.run("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "5",
                                                         "http://127.0.0.1:\(port)/readyz"])
            return result.stdout == "200"
        }
    }

    /// Runs the published client against the endpoint; its JSON output.
    static func client(_ api: APIServer, requests: [String], compare: [String]) throws -> [String: Any] {
        let script = TestServers.repositoryRoot.appendingPathComponent("Tests/HotlineAPITests/open311_client.py").path
        var arguments = [script, "http://127.0.0.1:\(api.port)/open311/v2"]
        for id in requests { arguments += ["--request", id] }
        for path in compare { arguments += ["--compare", path] }
        let result = try Shell.run("/usr/bin/env", ["python3"] + arguments)
        guard result.status == 0 else { throw Shell.Failure(command: "open311_client.py", result: result) }
        return try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result.stdout.prefix(500))")
    }

    /// Every comparison the client made found the same data in JSON and in XML.
    static func expectSameInBothFormats(_ output: [String: Any], count: Int) {
        let compared = output["compared"] as? [[String: Any]] ?? []
        #expect(compared.count == count)
        for item in compared {
            #expect(item["same"] as? Bool == true, "JSON and XML differ for \(item["path"] ?? "?"): \(item)")
            let types = item["types"] as? [String] ?? []
            #expect(types.first?.hasPrefix("application/json") == true && types.last?.hasPrefix("text/xml") == true)
        }
    }

    @Test func aRequestPostedAsTheSpecificationShowsIsDispatchedAndReadBackOpenThenClosed() throws {
        try APIServer.with { api in
            try Self.startWorker(api, "intake")
            try Self.startWorker(api, "routing")
            let key = try Self.issueKey(api)
            let fields = Self.exampleFields(key: key.key)
            let first = try Self.post(api, fields, headers: ["Idempotency-Key": "fms-report-42"])
            #expect(first.status == 200, "\(first)")
            let answer = try #require(Self.array(first).first, "\(first)")
            let token = try api.database.query("SELECT token::text FROM open311_requests").first!.decode(0, as: String.self)
            // Intake had not answered within the POST's wait: the token turns into the id.
            if answer["service_request_id"] == nil { #expect(answer["token"] as? String == token) }
            let id = try Self.resolve(api, answer)
            // Retried with the same Idempotency-Key: the same answer, one order.
            let retry = try Self.post(api, fields, headers: ["Idempotency-Key": "fms-report-42"])
            #expect(retry.status == 200 && retry.headers["idempotent-replayed"] == "true", "\(retry)")
            #expect(Self.array(retry).first?["service_request_id"] as? String == id)
            // (A submission another test left in the broker's intake queue may make an order of its own here: count ours.)
            #expect(try api.scalar("SELECT count(*)::int8 FROM open311_requests") == 1)
            #expect(try api.scalar("""
                SELECT count(*)::int8 FROM work_orders o JOIN open311_requests r ON r.channel = o.channel AND r.submission_id = o.submission_id
                """) == 1)
            #expect(try api.scalar("SELECT count(*)::int8 FROM outbox WHERE routing_key = 'submission.website'") == 1)

            // Routing dispatches it: the position found the community (人民路社区), the matter the unit.
            try api.processes.wait("dispatched", timeout: 60) {
                try api.scalar("SELECT count(*)::int8 FROM assignments a JOIN work_orders o ON o.id = a.work_order_id WHERE o.number = \(id) AND a.role = 'lead' AND a.active") == 1
            }
            let lead = try api.database.query("""
                SELECT u.code, u.name FROM assignments a JOIN work_orders o ON o.id = a.work_order_id JOIN units u ON u.id = a.unit_id
                WHERE o.number = \(id) AND a.role = 'lead' AND a.active
                """).first!
            let leadCode = try lead.decode("code", as: String.self), leadName = try lead.decode("name", as: String.self)
            #expect(try api.database.query("SELECT locality_code FROM work_orders WHERE number = \(id)").first!.decode(0, as: String?.self) == "439999001001")

            let paths = ["services", "services/complaint", "requests?service_request_id=\(id)", "requests/\(id)", "tokens/\(token)",
                         "requests/12345-20990101-0000001", "services/nothing"]
            let open = try Self.client(api, requests: [id], compare: paths)
            Self.expectSameInBothFormats(open, count: paths.count)
            for format in ["json", "xml"] {
                let services = open["services_\(format)"] as? [[String: Any]] ?? []
                #expect(services.contains { $0["service_code"] as? String == "complaint" && $0["service_name"] as? String == "投诉" }, "\(format)")
                let definition = open["definition_\(format)"] as? [String: Any] ?? [:]
                #expect(definition["service_code"] as? String == "complaint", "\(format): \(definition)")
                let one = (open["one_\(format)"] as? [[String: Any]])?.first ?? [:]
                #expect(one["service_request_id"] as? String == id, "\(format): \(one)")
                #expect(one["status"] as? String == "open", "\(format): \(one)")
                #expect(one["agency_responsible"] as? String == leadName)
                #expect(one["address_id"] as? String == "439999001001")
                #expect((one["address"] as? String)?.hasSuffix("人民路社区") == true)
                #expect(one["expected_datetime"] as? String != nil)
                #expect((one["description"] as? String)?.hasPrefix("投诉：") == true && (one["description"] as? String)?.contains("下水道") == true,
                        "\(format): \(one)")
            }
            let compared = open["compared"] as? [[String: Any]] ?? []
            #expect(compared.first { $0["path"] as? String == "requests/12345-20990101-0000001" }?["status"] as? [Int] == [404, 404])
            #expect(compared.first { $0["path"] as? String == "tokens/\(token)" }.map { "\($0["json"] ?? "")" }?.contains(id) == true)
            // Nothing personal of the citizen in any answer.
            let everything = "\(open)"
            for personal in ["13912345678", "1234 5678", "小明", "wangxm", "人民路18号", "踩空"] {
                #expect(!everything.contains(personal), "\(personal) appears in an Open311 answer")
            }

            // The unit signs, writes and reviews its reply through the workbench: the request is closed.
            let unit = try api.issue(unit: leadCode, name: "李四")
            #expect(try api.curl("POST", "/v1/orders/\(id)/sign", token: unit).status == 200)
            let reply = "您反映的井盖破损问题已于当日更换新井盖。"
            #expect(try api.curl("POST", "/v1/orders/\(id)/reply", token: unit,
                                 body: #"{"text": "\#(reply)", "contactedCitizen": false}"#).status == 200)
            #expect(try api.curl("POST", "/v1/orders/\(id)/reply/review", token: unit).status == 200)
            let closed = try Self.client(api, requests: [id], compare: ["requests/\(id)", "requests?status=closed"])
            Self.expectSameInBothFormats(closed, count: 2)
            for format in ["json", "xml"] {
                let one = (closed["one_\(format)"] as? [[String: Any]])?.first ?? [:]
                #expect(one["status"] as? String == "closed", "\(format): \(one)")
                #expect(one["status_notes"] as? String == "已答复：" + reply, "\(format): \(one)")
            }
            #expect(!api.processes.fullLog().contains("13912345678"))

            // The same scope rules as any channel: a place outside the gazetteer is not accepted, and
            // the request is closed at once with the guidance.
            var outside = Self.exampleFields(key: key.key).filter { !["lat", "long", "address_string"].contains($0.0) }
            outside.append(("address_id", "110101001"))
            let refused = try Self.post(api, outside)
            #expect(refused.status == 200, "\(refused)")
            let refusedId = try Self.resolve(api, Self.array(refused).first ?? [:])
            let notAccepted = try Self.array(try api.curl("GET", "/open311/v2/requests/\(refusedId).json")).first ?? [:]
            #expect(notAccepted["status"] as? String == "closed", "\(notAccepted)")
            #expect((notAccepted["status_notes"] as? String)?.hasPrefix("不予受理：") == true, "\(notAccepted)")
        }
    }

    /// The id a POST answered, or the one its token turns into once intake has answered.
    static func resolve(_ api: APIServer, _ answer: [String: Any]) throws -> String {
        if let id = answer["service_request_id"] as? String { return id }
        let token = try #require(answer["token"] as? String, "\(answer)")
        var number: String?
        try api.processes.wait("the token resolved", timeout: 60) {
            number = Self.array(try api.curl("GET", "/open311/v2/tokens/\(token).json")).first?["service_request_id"] as? String
            return number != nil
        }
        return try #require(number)
    }

    @Test func invalidPostsMissingKeysRetriesAndTheRateLimitAreAnsweredInTheStandardsErrorFormat() throws {
        try APIServer.with { api in
            let key = try Self.issueKey(api, perMinute: 1000)
            // No key, an unknown one: 403 in either format.
            var noKey = Self.exampleFields(key: "")
            noKey.removeFirst()
            let refused = try Self.post(api, noKey)
            #expect(refused.status == 403 && Self.array(refused).first?["code"] as? Int == 403, "\(refused)")
            let unknown = try Self.post(api, Self.exampleFields(key: "o311_" + String(repeating: "ab", count: 32)), format: "xml")
            #expect(unknown.status == 403 && unknown.body.contains("<errors><error><code>403</code><description>api_key"), "\(unknown)")
            #expect(try api.scalar("SELECT count(*)::int8 FROM rejected_submissions") == 0)

            // Invalid: every problem at once, by the standard's field, in Chinese for a Chinese request; stored with its reasons.
            var invalid = Self.exampleFields(key: key.key).filter { !["lat", "long", "address_string", "phone"].contains($0.0) }
            invalid = invalid.map { $0.0 == "service_code" ? ($0.0, "垃圾") : $0 }
            let bad = try Self.post(api, invalid, headers: ["Idempotency-Key": "bad-1"])
            #expect(bad.status == 400, "\(bad)")
            let descriptions = Self.array(bad).compactMap { $0["description"] as? String }
            #expect(descriptions.contains { $0.hasPrefix("phone：必填") }, "\(descriptions)")
            #expect(descriptions.contains { $0.hasPrefix("service_code：不是本热线的服务类型") }, "\(descriptions)")
            #expect(descriptions.contains { $0.hasPrefix("lat/long、address_string 或 address_id") }, "\(descriptions)")
            #expect(Self.array(bad).allSatisfy { $0["code"] as? Int == 400 })
            #expect(try api.scalar("SELECT count(*)::int8 FROM rejected_submissions WHERE channel = 'website'") == 1)
            #expect(try api.scalar("SELECT jsonb_array_length(reasons)::int8 FROM rejected_submissions") == Int64(descriptions.count))
            // The stored payload is the submission, without the key.
            #expect(try api.scalar("SELECT count(*)::int8 FROM rejected_submissions WHERE position(convert_to(\(key.key), 'UTF8') IN payload_pii) > 0") == 0)
            // The same key again: the same answer, replayed, nothing stored twice; another body under it: refused.
            let again = try Self.post(api, invalid, headers: ["Idempotency-Key": "bad-1"])
            #expect(again.status == 400 && again.body == bad.body && again.headers["idempotent-replayed"] == "true")
            #expect(try api.scalar("SELECT count(*)::int8 FROM rejected_submissions") == 1)
            #expect(try Self.post(api, Self.exampleFields(key: key.key), headers: ["Idempotency-Key": "bad-1"]).status == 422)
            // English for an English request.
            let english = try Self.post(api, [("api_key", key.key), ("service_code", "complaint"), ("description", "pothole"),
                                              ("address_string", "Main St"), ("phone", "12")], format: "xml")
            #expect(english.status == 400 && english.body.contains("<description>phone: has too few digits</description>"), "\(english)")

            // Valid, with intake not running: a token now, which resolves to nothing yet.
            let valid = try Self.post(api, Self.exampleFields(key: key.key), format: "xml")
            #expect(valid.status == 200 && valid.body.contains("<token>"), "\(valid)")
            let token = try api.database.query("SELECT token::text FROM open311_requests").first!.decode(0, as: String.self)
            #expect(valid.body.contains("<token>\(token)</token>"))
            let pending = try api.curl("GET", "/open311/v2/tokens/\(token).xml")
            #expect(pending.status == 200 && pending.body.contains("<service_request_id/><token>\(token)</token>"), "\(pending)")
            #expect(try api.scalar("SELECT count(*)::int8 FROM outbox WHERE routing_key = 'submission.website' AND type = 'submission'") == 1)

            let status = try Shell.run(try Shell.product("hotlinectl"), ["status"],
                                       environment: ["HOTLINE_DATABASE_URL": api.databaseURL, "HOTLINE_AMQP_URL": try TestServers.amqpURL()])
            #expect(status.stdout.contains("open311: 1 requests posted, 1 not yet answered by intake; 1 valid API keys"), "\(status.stdout)")

            // The longest description intake takes (5000 characters), percent-encoded, fits in a body.
            let long = Self.exampleFields(key: key.key).map { $0.0 == "description" ? ($0.0, String(repeating: "井盖破损", count: 1250)) : $0 }
            #expect(try Self.post(api, long).status == 200)

            // Orders of other channels are service requests too; a confidential one shows nothing of where or what.
            let plain = try api.dispatchedOrder(profile: "qidong", lead: "WATER")
            let secret = try api.dispatchedOrder(profile: "qidong", lead: "WATER", confidential: true)
            let both = Self.array(try api.curl("GET", "/open311/v2/requests.json?service_request_id=\(plain),\(secret)"))
            #expect(both.count == 2)
            for request in both {
                #expect(request["status"] as? String == "open" && request["agency_responsible"] as? String == "石桥县自来水有限公司", "\(request)")
                let confidential = request["service_request_id"] as? String == secret
                for field in ["description", "address", "address_id", "lat", "long", "media_url"] where confidential {
                    #expect(request[field] is NSNull, "\(field) of a confidential order: \(request)")
                }
                if !confidential { #expect(request["description"] as? String == "求助", "\(request)") }
                #expect(!"\(request)".contains("王小明") && !"\(request)".contains("13912345678") && !"\(request)".contains("停水三天"))
            }

            // Revoked: refused.
            #expect(try api.hotlinectl(["open311", "key", "revoke", String(key.id)]).status == 0)
            #expect(try Self.post(api, Self.exampleFields(key: key.key)).status == 403)
            #expect(try api.hotlinectl(["open311", "key", "list"]).stdout.contains("\t石桥县政府网站\t"))

            // The rate limit: 3 a minute. Eight quick requests fall in at most two minutes, so at least one is refused.
            let limited = try Self.issueKey(api, perMinute: 3)
            let statuses = try (0..<8).map { _ in try Self.post(api, [("api_key", limited.key), ("service_code", "complaint")]) }
            let tooMany = statuses.filter { $0.status == 429 }
            #expect(!tooMany.isEmpty && statuses.filter { $0.status == 400 }.count <= 6, "\(statuses.map(\.status))")
            #expect(tooMany.allSatisfy { Int($0.headers["retry-after"] ?? "") != nil && Self.array($0).first?["code"] as? Int == 429 })

            // The submission the relay published waits in the broker's intake queue (no intake here): take
            // it out, so that no other test's intake makes an order of it.
            try api.processes.wait("the submission published", timeout: 30) {
                try api.scalar("SELECT count(*)::int8 FROM outbox WHERE routing_key = 'submission.website' AND published_at IS NULL") == 0
            }
            let purge = try Shell.run("/usr/bin/env", ["python3", "-c", """
                import pika, sys
                connection = pika.BlockingConnection(pika.URLParameters(sys.argv[1]))
                channel = connection.channel()
                try:
                    channel.queue_declare("intake", passive=True)
                    channel.queue_purge("intake")
                except pika.exceptions.ChannelClosedByBroker:
                    pass  # never declared on this broker: nothing waits in it
                connection.close()
                """, try TestServers.amqpURL()])
            #expect(purge.status == 0, "\(purge.stderr)")

            let metrics = try api.curl("GET", "/metrics").body
            let open311Lines = metrics.split(separator: "\n").filter { $0.hasPrefix("hotline_open311_submissions_total{") }
            for outcome in ["rejected", "replayed", "rateLimited", "unauthorized", "accepted"] {
                #expect(open311Lines.contains { $0.contains(#"outcome="\#(outcome)""#) }, "\(outcome): \(open311Lines)")
            }
        }
    }
}
