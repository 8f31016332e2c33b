import Foundation
import HotlineStore
import HotlineTestSupport
import PostgresClient
import Testing

/// The workbench through HTTP only (curl against the real `hotline-api`, PostgreSQL and RabbitMQ):
/// a unit's life with an order after dispatch and the office's decisions, access by token, bad
/// input, conflicts and retries.
@Suite(.serialized) struct APIWorkbenchTests {
    /// Three weeks ago: every sign limit and return window of the profiles has passed.
    let longAgo = Date().addingTimeInterval(-21 * 86_400)

    @Test(arguments: ["qidong", "zezhou"])
    func aDispatchedOrderIsSignedReturnedRedispatchedAndSignedAgain(profile: String) throws {
        try APIServer.with { api in
            let water = try api.issue(unit: "WATER", name: "张三")
            let housing = try api.issue(unit: "HOUSING", name: "李四")
            let office = try api.issue(unit: nil, name: "赵主任")
            let number = try api.dispatchedOrder(profile: profile, lead: "WATER")

            // My orders: the unit's list has it, with its due times and what is expected next.
            let mine = try api.curl("GET", "/v1/orders?state=dispatched", token: water)
            #expect(mine.status == 200, "\(mine)")
            let listed = try #require((mine.json["orders"] as? [[String: Any]])?.first { $0["number"] as? String == number })
            #expect(listed["role"] as? String == "lead")
            #expect((listed["due"] as? [String: Any])?["replyBy"] is String)
            #expect((listed["expectedNext"] as? [[String: Any]])?.compactMap { $0["action"] as? String } == ["sign", "return", "reply"])
            #expect(try api.curl("GET", "/v1/orders", token: housing).json["orders"] as? [Any] != nil)
            #expect(try api.curl("GET", "/v1/orders", token: housing).body.contains(number) == false)

            let signed = try api.curl("POST", "/v1/orders/\(number)/sign", token: water)
            #expect(signed.status == 200, "\(signed)")
            #expect(signed.json["state"] as? String == "signed")

            // A return without what the profile requires: one problem per missing field.
            let incomplete = try api.curl("POST", "/v1/orders/\(number)/return", token: water, body: #"{"reason": "不属本单位职责"}"#)
            #expect(incomplete.status == 422, "\(incomplete)")
            #expect(incomplete.contentType.hasPrefix("application/problem+json"))
            let required = profile == "qidong" ? ["/redispatchSuggestion", "/basis", "/leaderOpinion"] : ["/basis"]
            #expect(incomplete.pointers == required)

            let returned = try api.curl("POST", "/v1/orders/\(number)/return", token: water, body: completeReturn())
            #expect(returned.status == 200, "\(returned)")
            #expect(returned.json["state"] as? String == "returnRequested")
            let request = try #require((returned.json["returnRequests"] as? [[String: Any]])?.first)
            #expect(request["basis"] as? String == "《石桥县住建局三定方案》第三条")

            // The unit may not decide its own return; the office approves it.
            #expect(try api.curl("POST", "/v1/orders/\(number)/return/approve", token: water).status == 403)
            let approved = try api.curl("POST", "/v1/orders/\(number)/return/approve", token: office)
            #expect(approved.status == 200, "\(approved)")
            #expect(approved.json["state"] as? String == "awaitingDispatch")
            // The order left the unit: it no longer sees it.
            #expect(try api.curl("GET", "/v1/orders/\(number)", token: water).status == 404)

            // Never back to the unit that returned it; by hand to another.
            let back = try api.curl("POST", "/v1/orders/\(number)/dispatch", token: office, body: #"{"lead": "WATER"}"#)
            #expect(back.status == 409, "\(back)")
            #expect(back.json["code"] as? String == "rule-dispatchToReturningUnit")
            let redispatched = try api.curl("POST", "/v1/orders/\(number)/dispatch", token: office, body: #"{"lead": "HOUSING"}"#)
            #expect(redispatched.status == 200, "\(redispatched)")
            #expect(redispatched.json["leadUnit"] as? String == "HOUSING")

            let signedAgain = try api.curl("POST", "/v1/orders/\(number)/sign", token: housing)
            #expect(signedAgain.status == 200, "\(signedAgain)")
            #expect(signedAgain.json["state"] as? String == "signed")

            // Every action's actor, person and unit, is in the order's history.
            let history = try api.curl("GET", "/v1/orders/\(number)", token: office).json["history"] as? [[String: Any]] ?? []
            func actor(_ type: String) -> [String: Any]? {
                history.last { $0["type"] as? String == type }?["actor"] as? [String: Any]
            }
            #expect(actor("signed")?["unit"] as? String == "HOUSING")
            #expect(actor("signed")?["person"] as? String == "李四")
            #expect(actor("returnRequested")?["person"] as? String == "张三")
            #expect(actor("returnApproved")?["kind"] as? String == "office")
            #expect(actor("returnApproved")?["person"] as? String == "赵主任")
            #expect(actor("dispatched")?["person"] as? String == "赵主任")
            #expect(try api.scalar("SELECT count(*) FROM events e JOIN work_orders o ON o.id = e.work_order_id WHERE o.number = \(number) AND e.actor = \("unit:WATER token:\(water.id)")") == 2)

            // Past the window a return is refused with that reason.
            let late = try api.dispatchedOrder(profile: profile, lead: "WATER", dispatchedAt: longAgo)
            let lateSign = try api.curl("POST", "/v1/orders/\(late)/sign", token: water)
            #expect(lateSign.status == 200, "\(lateSign)")
            if profile == "qidong" {
                // 附件2 一(一) 工作日24小时内签收: signing three weeks on is recorded as late, not refused.
                #expect((lateSign.json["units"] as? [[String: Any]])?.first?["signedLate"] as? Bool == true)
                #expect((signed.json["units"] as? [[String: Any]])?.first?["signedLate"] as? Bool == false)
            }
            let refused = try api.curl("POST", "/v1/orders/\(late)/return", token: water, body: completeReturn())
            #expect(refused.status == 409, "\(refused)")
            #expect(refused.json["code"] as? String == "rule-returnWindowClosed")
            #expect((refused.json["detail"] as? String)?.contains("return window ended") == true)
            #expect(refused.json["state"] as? String == "signed")
            #expect(try api.scalar("SELECT count(*) FROM order_returns r JOIN work_orders o ON o.id = r.work_order_id WHERE o.number = \(late)") == 0)
        }
    }

    @Test func aRejectedReturnKeepsTheOrderWithTheUnitAndQidongRefusesASecondReturn() throws {
        try APIServer.with { api in
            let water = try api.issue(unit: "WATER", name: "张三")
            let office = try api.issue(unit: nil, name: "赵主任")
            let number = try api.dispatchedOrder(profile: "qidong", lead: "WATER")
            #expect(try api.curl("POST", "/v1/orders/\(number)/return", token: water, body: completeReturn()).status == 200)
            let rejected = try api.curl("POST", "/v1/orders/\(number)/return/reject", token: office, body: #"{"reason": "依据不足"}"#)
            #expect(rejected.status == 200, "\(rejected)")
            #expect(rejected.json["state"] as? String == "returnRejected")
            let decision = (rejected.json["returnRequests"] as? [[String: Any]])?.first
            #expect(decision?["decision"] as? String == "rejected")
            #expect(decision?["decisionReason"] as? String == "依据不足")
            // qidong 附件2 一(二): 驳回重办工单原则上不能申请二次退件.
            let again = try api.curl("POST", "/v1/orders/\(number)/return", token: water, body: completeReturn())
            #expect(again.status == 409, "\(again)")
            #expect(again.json["code"] as? String == "rule-rejectedReturnMayNotBeReturnedAgain")
        }
    }

    @Test func everyRouteAnswers404ToAnotherUnitAnd401WithoutAValidToken() throws {
        try APIServer.with { api in
            let water = try api.issue(unit: "WATER", name: "张三")
            let market = try api.issue(unit: "MARKET", name: "钱五")
            let expired = try api.issue(unit: "WATER", name: "孙六")
            let revoked = try api.issue(unit: "WATER", name: "周七")
            try api.database.execute("UPDATE api_tokens SET expires_at = now() - interval '1 minute' WHERE id = \(expired.id)")
            #expect(try api.hotlinectl(["token", "revoke", String(revoked.id)]).status == 0)
            let number = try api.dispatchedOrder(profile: "qidong", lead: "WATER")
            let bodies = ["sign": "{}", "return": completeReturn(), "return/approve": "{}", "return/reject": "{}",
                          "dispatch": #"{"lead": "HOUSING"}"#]
            let routes = [("GET", "/v1/orders/\(number)", nil as String?)]
                + bodies.sorted { $0.key < $1.key }.map { ("POST", "/v1/orders/\(number)/\($0.key)", $0.value as String?) }
            for (method, path, body) in routes {
                let other = try api.curl(method, path, token: market, body: body)
                #expect(other.status == 404, "\(method) \(path) with another unit's token: \(other)")
                #expect(!other.body.contains(number))
                for token in [nil, expired, revoked, APIServer.Token(id: 0, value: "hl_" + String(repeating: "0", count: 64))] {
                    let answer = try api.curl(method, path, token: token, body: body)
                    #expect(answer.status == 401, "\(method) \(path) with token \(token?.id ?? -1): \(answer)")
                    #expect(answer.headers["www-authenticate"] == "Bearer")
                }
            }
            for token in [nil, expired, revoked] {
                #expect(try api.curl("GET", "/v1/orders", token: token).status == 401)
            }
            // None of it acted: the order is as dispatched, and the right unit still sees it.
            let own = try api.curl("GET", "/v1/orders/\(number)", token: water)
            #expect(own.status == 200)
            #expect(own.json["state"] as? String == "dispatched")
            #expect(own.json["version"] as? Int == 2)
            // A nonexistent order reads the same as another unit's.
            let missing = try api.curl("GET", "/v1/orders/12345-20000101-0000001", token: water)
            #expect(missing.status == 404)
            #expect(missing.json["code"] as? String == "not-found")
            #expect(missing.body == (try api.curl("GET", "/v1/orders/\(number)", token: market)).body)
        }
    }

    @Test func aConfidentialOrderShowsNoCitizenDataToItsUnit() throws {
        try APIServer.with { api in
            let water = try api.issue(unit: "WATER", name: "张三")
            let office = try api.issue(unit: nil, name: "赵主任")
            let number = try api.dispatchedOrder(profile: "qidong", lead: "WATER", confidential: true,
                                                 citizenName: "欧阳娜娜", citizenPhone: "13700001111")
            let unitView = try api.curl("GET", "/v1/orders/\(number)", token: water)
            #expect(unitView.status == 200, "\(unitView)")
            #expect(unitView.json["citizenHidden"] as? Bool == true)
            #expect(unitView.json["citizen"] is NSNull)
            #expect(!unitView.body.contains("13700001111"))
            #expect(!unitView.body.contains("欧阳娜娜"))
            #expect(!(try api.curl("GET", "/v1/orders", token: water).body.contains("13700001111")))
            let signed = try api.curl("POST", "/v1/orders/\(number)/sign", token: water)
            #expect(!signed.body.contains("13700001111"))
            let officeView = try api.curl("GET", "/v1/orders/\(number)", token: office)
            #expect((officeView.json["citizen"] as? [String: Any])?["phone"] as? String == "13700001111")
            #expect(officeView.json["citizenHidden"] as? Bool == false)
            // A non-confidential order shows the citizen to its unit.
            let open = try api.dispatchedOrder(profile: "qidong", lead: "WATER", citizenPhone: "13600002222")
            #expect((try api.curl("GET", "/v1/orders/\(open)", token: water).json["citizen"] as? [String: Any])?["phone"] as? String == "13600002222")
            // Nothing personal in the API's log: not the citizens', not the staff's names, not tokens.
            let log = api.processes.fullLog()
            for secret in ["13700001111", "13600002222", "张三", "赵主任", water.value] {
                #expect(!log.contains(secret), "the log holds personal data or a token")
            }
        }
    }

    @Test func conflictingActionsGet409WithTheOrdersCurrentState() throws {
        try APIServer.with { api in
            let zhang = try api.issue(unit: "WATER", name: "张三")
            let wang = try api.issue(unit: "WATER", name: "王五")
            let number = try api.dispatchedOrder(profile: "qidong", lead: "WATER")
            let read = try api.curl("GET", "/v1/orders/\(number)", token: zhang)
            let version = try #require(read.json["version"] as? Int)
            // Both read the same version; the first to act wins, the second hears where the order is now.
            let first = try api.curl("POST", "/v1/orders/\(number)/sign", token: zhang, headers: ["If-Match": "\"\(version)\""])
            #expect(first.status == 200, "\(first)")
            let second = try api.curl("POST", "/v1/orders/\(number)/return", token: wang, body: completeReturn(),
                                      headers: ["If-Match": "\"\(version)\""])
            #expect(second.status == 409, "\(second)")
            #expect(second.json["code"] as? String == "concurrent-update")
            #expect(second.json["state"] as? String == "signed")
            #expect(second.json["version"] as? Int == version + 1)

            // Two people signing the same order at the same moment: one signs, the other gets 409.
            let other = try api.dispatchedOrder(profile: "qidong", lead: "WATER")
            let answers = Answers()
            DispatchQueue.concurrentPerform(iterations: 2) { index in
                answers.add(try? api.curl("POST", "/v1/orders/\(other)/sign", token: index == 0 ? zhang : wang))
            }
            #expect(answers.statuses.sorted() == [200, 409], "\(answers.statuses)")
            #expect(answers.conflict?.json["state"] as? String == "signed")
            #expect(try api.scalar("SELECT count(*) FROM events e JOIN work_orders o ON o.id = e.work_order_id WHERE o.number = \(other) AND e.type = 'signed'") == 1)
        }
    }

    final class Answers: @unchecked Sendable {
        // @unchecked Sendable: `list` is guarded by `lock`.
        private let lock = NSLock()
        private var list: [APIServer.Answer?] = []
        func add(_ answer: APIServer.Answer?) { lock.withLock { list.append(answer) } }
        var statuses: [Int] { lock.withLock { list.map { $0?.status ?? -1 } } }
        var conflict: APIServer.Answer? { lock.withLock { list.compactMap { $0 }.first { $0.status == 409 } } }
    }

    @Test func aRetriedPostWithTheSameIdempotencyKeyActsOnce() throws {
        try APIServer.with { api in
            let water = try api.issue(unit: "WATER", name: "张三")
            let colleague = try api.issue(unit: "WATER", name: "王五")
            let number = try api.dispatchedOrder(profile: "zezhou", lead: "WATER")
            let key = ["Idempotency-Key": "return-\(number)"]
            let first = try api.curl("POST", "/v1/orders/\(number)/return", token: water, body: completeReturn(), headers: key)
            #expect(first.status == 200, "\(first)")
            let retry = try api.curl("POST", "/v1/orders/\(number)/return", token: water, body: completeReturn(), headers: key)
            #expect(retry.status == 200, "\(retry)")
            #expect(retry.body == first.body)
            #expect(retry.headers["idempotent-replayed"] == "true")
            #expect(try api.scalar("SELECT count(*) FROM order_returns r JOIN work_orders o ON o.id = r.work_order_id WHERE o.number = \(number)") == 1)
            #expect(try api.scalar("SELECT count(*) FROM events e JOIN work_orders o ON o.id = e.work_order_id WHERE o.number = \(number) AND e.type = 'returnRequested'") == 1)
            // The same key for another request is refused, not replayed.
            let other = try api.curl("POST", "/v1/orders/\(number)/sign", token: water, headers: key)
            #expect(other.status == 422, "\(other)")
            #expect(other.json["code"] as? String == "idempotency-key-reused")
            // Keys are per person: a colleague's same key is a request of its own (refused by the rules here).
            let colleagues = try api.curl("POST", "/v1/orders/\(number)/return", token: colleague, body: completeReturn(), headers: key)
            #expect(colleagues.status == 409, "\(colleagues)")
            // Retries racing each other act once too.
            let signing = try api.dispatchedOrder(profile: "zezhou", lead: "WATER")
            let answers = Answers()
            DispatchQueue.concurrentPerform(iterations: 3) { _ in
                answers.add(try? api.curl("POST", "/v1/orders/\(signing)/sign", token: water, headers: ["Idempotency-Key": "sign-once"]))
            }
            #expect(answers.statuses == [200, 200, 200])
            #expect(try api.scalar("SELECT count(*) FROM events e JOIN work_orders o ON o.id = e.work_order_id WHERE o.number = \(signing) AND e.type = 'signed'") == 1)
        }
    }

    @Test func badInputIsOneProblemPerFieldBoundedAndHoldsNoValue() throws {
        try APIServer.with { api in
            let water = try api.issue(unit: "WATER", name: "张三")
            let office = try api.issue(unit: nil, name: "赵主任")
            let number = try api.dispatchedOrder(profile: "qidong", lead: "WATER")
            let tooLong = String(repeating: "长", count: 2001)
            let bad = try api.curl("POST", "/v1/orders/\(number)/return", token: water,
                                   body: #"{"reason": 12, "redispatchSuggestion": "13812345678 \#(tooLong)", "basis": ["x"], "extra": {"ignored": true}}"#)
            #expect(bad.status == 422, "\(bad)")
            #expect(bad.contentType.hasPrefix("application/problem+json"))
            #expect(bad.pointers == ["/reason", "/redispatchSuggestion", "/basis", "/leaderOpinion"])
            #expect(!bad.body.contains("13812345678"))
            let dispatch = try api.curl("POST", "/v1/orders/\(number)/dispatch", token: office,
                                        body: #"{"lead": 5, "coUnits": ["OK", "no spaces allowed", 7]}"#)
            #expect(dispatch.status == 422, "\(dispatch)")
            #expect(dispatch.pointers == ["/lead", "/coUnits/1", "/coUnits/2"])
            let unknownUnits = try api.curl("POST", "/v1/orders/\(number)/dispatch", token: office,
                                            body: #"{"lead": "NOWHERE", "coUnits": ["HOUSING", "ELSEWHERE"]}"#)
            #expect(unknownUnits.status == 422, "\(unknownUnits)")
            #expect(unknownUnits.pointers == ["/lead", "/coUnits/1"])
            // Valid units, but the order is dispatched already: the rules refuse.
            let dispatchedAlready = try api.curl("POST", "/v1/orders/\(number)/dispatch", token: office, body: #"{"lead": "HOUSING"}"#)
            #expect(dispatchedAlready.status == 409, "\(dispatchedAlready)")
            #expect(dispatchedAlready.json["code"] as? String == "rule-notAllowed")
            #expect(dispatchedAlready.json["state"] as? String == "dispatched")
            #expect(try api.curl("POST", "/v1/orders/\(number)/sign", token: water, body: "not json").status == 400)
            #expect(try api.curl("POST", "/v1/orders/\(number)/sign", token: water, body: "[1, 2]").status == 400)
            let huge = try api.curl("POST", "/v1/orders/\(number)/return", token: water,
                                    body: #"{"reason": "\#(String(repeating: "x", count: 20_000))"}"#)
            #expect(huge.status == 413, "\(huge)")
            let query = try api.curl("GET", "/v1/orders?limit=0&state=bogus&dueBefore=tomorrow&after=%27%3B&other=ignored", token: water)
            #expect(query.status == 422, "\(query)")
            #expect(query.pointers == ["limit", "state", "dueBefore", "after"])
            let key = try api.curl("POST", "/v1/orders/\(number)/sign", token: water, headers: ["Idempotency-Key": String(repeating: "k", count: 101)])
            #expect(key.status == 422)
            #expect(key.pointers == ["Idempotency-Key"])
            // Nothing acted.
            #expect(try api.curl("GET", "/v1/orders/\(number)", token: water).json["state"] as? String == "dispatched")
            // A page is bounded and goes on from `next`.
            for _ in 0..<3 { _ = try api.dispatchedOrder(profile: "qidong", lead: "WATER") }
            let page = try api.curl("GET", "/v1/orders?limit=2", token: water)
            #expect((page.json["orders"] as? [Any])?.count == 2)
            let next = try #require(page.json["next"] as? String)
            let rest = try api.curl("GET", "/v1/orders?limit=100&after=\(next)", token: water)
            #expect((rest.json["orders"] as? [Any])?.count == 2)
            #expect(rest.json["next"] is NSNull)
            let overdue = try api.curl("GET", "/v1/orders?dueBefore=2000-01-01T00:00:00%2B08:00", token: water)
            #expect(overdue.status == 200)
            #expect((overdue.json["orders"] as? [Any])?.isEmpty == true)
        }
    }

    @Test func theOpenAPIDocumentIsServedAndSchemathesisFindsNoServerError() throws {
        try APIServer.with { api in
            let document = try api.curl("GET", "/openapi.json")
            #expect(document.status == 200)
            #expect(document.json["openapi"] as? String == "3.1.0")
            let paths = (document.json["paths"] as? [String: Any])?.keys.sorted() ?? []
            #expect(paths == ["/openapi.json", "/v1/assessment-records", "/v1/knowledge-base", "/v1/knowledge-base/{id}", "/v1/orders",
                              "/v1/orders/{number}", "/v1/orders/{number}/close", "/v1/orders/{number}/contribution",
                              "/v1/orders/{number}/dispatch", "/v1/orders/{number}/exclusion", "/v1/orders/{number}/exclusion/approve",
                              "/v1/orders/{number}/exclusion/reject", "/v1/orders/{number}/exempt", "/v1/orders/{number}/extension",
                              "/v1/orders/{number}/extension/approve", "/v1/orders/{number}/extension/reject",
                              "/v1/orders/{number}/feedback", "/v1/orders/{number}/hand-down", "/v1/orders/{number}/knowledge-base",
                              "/v1/orders/{number}/redo", "/v1/orders/{number}/reply", "/v1/orders/{number}/reply/review",
                              "/v1/orders/{number}/return", "/v1/orders/{number}/return/approve", "/v1/orders/{number}/return/reject",
                              "/v1/orders/{number}/revisit", "/v1/orders/{number}/sign", "/v1/orders/{number}/supervise",
                              "/v1/reports/{period}", "/v1/revisits"])
            let water = try api.issue(unit: "WATER", name: "张三")
            let office = try api.issue(unit: nil, name: "赵主任")
            let number = try api.dispatchedOrder(profile: "qidong", lead: "WATER")
            let script = TestServers.repositoryRoot.appendingPathComponent("Tests/HotlineAPITests/run_schemathesis.sh").path
            let result = try Shell.run("/bin/bash", [script, "http://127.0.0.1:\(api.port)", number, water.header, office.header])
            #expect(result.status == 0, "schemathesis: \(result.stdout.suffix(4000)) \(result.stderr.suffix(2000))")
            // Both callers' runs generated cases and every one passed.
            let summaries = result.stdout.matches(of: try Regex(#"(\d+) generated, (\d+) passed"#))
            #expect(summaries.count == 2, "\(result.stdout.suffix(2000))")
            for summary in summaries {
                #expect(summary.output[1].substring == summary.output[2].substring && Int(summary.output[1].substring ?? "") ?? 0 > 50)
            }
            // Its requests reached the API and were answered: 5xx never.
            #expect(!api.processes.fullLog().contains("request failed"))
        }
    }
}
