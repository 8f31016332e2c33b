import Foundation
import HotlineDomain
import HotlineStore
import HotlineTestSupport
import PostgresClient
import Testing

/// Supervision (督办) of the profile's kinds, exclusion (剔除) with the office's approval, and the
/// knowledge base with the entries orders marked for it owe, through HTTP only.
@Suite(.serialized) struct APISupervisionAndKnowledgeBaseTests {
    static func timers(_ api: APIServer, _ number: String, _ kind: String) throws -> [(fireAt: Date, status: String)] {
        try api.database.query("""
            SELECT t.fire_at, CASE WHEN t.cancelled_at IS NOT NULL THEN 'cancelled' WHEN t.fired_at IS NOT NULL THEN 'fired' ELSE 'open' END AS status
            FROM timers t JOIN work_orders o ON o.id = t.work_order_id WHERE o.number = \(number) AND t.kind = \(kind) ORDER BY t.id
            """).map { (try $0.decode("fire_at", as: Date.self), try $0.decode("status", as: String.self)) }
    }

    @Test func pingdingshanOnSiteSupervisionNamesTheLeaderAndStartsThePlanDueTimer() throws {
        try APIServer.with { api in
            let water = try api.issue(unit: "WATER", name: "张三")
            let office = try api.issue(unit: nil, name: "赵主任")
            let now = Date()
            let number = try api.dispatchedOrder(profile: "pingdingshan", caseClass: .B, lead: "WATER")

            #expect(try api.curl("POST", "/v1/orders/\(number)/supervise", token: water, body: #"{"kind": "onSite"}"#).status == 403)
            // The kind is one of the profile's; pingdingshan names the responsible leader (六(一)).
            let bad = try api.curl("POST", "/v1/orders/\(number)/supervise", token: office, body: #"{"kind": "meeting"}"#)
            #expect(bad.status == 422, "\(bad)")
            #expect(bad.pointers == ["/kind", "/leader"])
            #expect((bad.json["errors"] as? [[String: Any]])?.first?["detail"] as? String == "must be one of writtenNotice, onSite, key, transfer")
            #expect(!bad.body.contains("王"))

            let raised = try api.curl("POST", "/v1/orders/\(number)/supervise", token: office,
                                      body: #"{"kind": "onSite", "reason": "clusterOfCitizens", "leader": "王副局长", "note": "群众反映集中"}"#)
            #expect(raised.status == 200, "\(raised)")
            let row = try #require(try api.database.query("""
                SELECT s.kind, s.reason, s.leader_pii, s.plan_due, o.supervised, o.supervision_reason
                FROM order_supervisions s JOIN work_orders o ON o.id = s.work_order_id WHERE o.number = \(number)
                """).first)
            #expect(try row.decode("kind", as: String.self) == "onSite")
            #expect(try row.decode("leader_pii", as: String?.self) == "王副局长")
            #expect(try row.decode("supervised", as: Bool.self))
            #expect(try row.decode("supervision_reason", as: String?.self) == "clusterOfCitizens")
            // 六(二): 3个工作日内报送办理工作方案: the plan-due timer at the calendar's instant.
            let planDue = try #require(try row.decode("plan_due", as: Date?.self))
            let computed = try TimeLimit.workingDays(3).end(from: now, calendar: api.calendar)
            #expect(abs(planDue.timeIntervalSince(computed)) < 120)
            let planTimers = try Self.timers(api, number, "supervisionPlanDue")
            #expect(planTimers.count == 1)
            #expect(planTimers.first?.fireAt == planDue)
            #expect(planTimers.first?.status == "open")
            // The unit sees it on its order: the timer and the event with its kind.
            let seen = try api.curl("GET", "/v1/orders/\(number)", token: water)
            #expect((seen.json["timers"] as? [[String: Any]])?.contains { $0["kind"] as? String == "supervisionPlanDue" } == true)
            #expect((seen.json["history"] as? [[String: Any]])?.contains {
                $0["type"] as? String == "supervisionRaised" && ($0["data"] as? [String: Any])?["kind"] as? String == "onSite"
            } == true)

            // A written notice starts no plan timer.
            #expect(try api.curl("POST", "/v1/orders/\(number)/supervise", token: office,
                                 body: #"{"kind": "writtenNotice", "leader": "王副局长"}"#).status == 200)
            #expect(try Self.timers(api, number, "supervisionPlanDue").count == 1)
            #expect(try api.scalar("SELECT count(*) FROM order_supervisions s JOIN work_orders o ON o.id = s.work_order_id WHERE o.number = \(number)") == 2)
        }
    }

    @Test func baotouExclusionNeedsTheCitizensConsentAndTheOfficesApproval() throws {
        try APIServer.with { api in
            let water = try api.issue(unit: "WATER", name: "张三")
            let housing = try api.issue(unit: "HOUSING", name: "李四")
            let office = try api.issue(unit: nil, name: "赵主任")
            let number = try api.dispatchedOrder(profile: "baotou", lead: "WATER")

            // 四(二)2: 上门联系诉求人认可、提供相关剔除依据、单位主要领导审核签字.
            let incomplete = try api.curl("POST", "/v1/orders/\(number)/exclusion", token: water,
                                          body: #"{"basis": "诉求人已搬离本辖区", "citizenConsented": false}"#)
            #expect(incomplete.status == 422, "\(incomplete)")
            #expect(incomplete.pointers == ["/citizenConsented", "/leaderSignature"])
            #expect(try api.curl("POST", "/v1/orders/\(number)/exclusion", token: housing, body: "{}").status == 404)
            let asked = try api.curl("POST", "/v1/orders/\(number)/exclusion", token: water,
                                     body: #"{"basis": "诉求人已搬离本辖区", "citizenConsented": true, "leaderSignature": "刘局长"}"#)
            #expect(asked.status == 200, "\(asked)")
            let again = try api.curl("POST", "/v1/orders/\(number)/exclusion", token: water,
                                     body: #"{"basis": "诉求人已搬离本辖区", "citizenConsented": true, "leaderSignature": "刘局长"}"#)
            #expect(again.status == 409, "\(again)")
            #expect(try api.curl("POST", "/v1/orders/\(number)/exclusion/approve", token: water).status == 403)
            #expect(try api.scalar("SELECT count(*) FROM order_exclusions") == 0)
            let approved = try api.curl("POST", "/v1/orders/\(number)/exclusion/approve", token: office)
            #expect(approved.status == 200, "\(approved)")
            let exclusion = try #require(try api.database.query("""
                SELECT x.basis, x.approved_by FROM order_exclusions x JOIN work_orders o ON o.id = x.work_order_id WHERE o.number = \(number)
                """).first)
            #expect(try exclusion.decode("basis", as: String.self) == "诉求人已搬离本辖区")
            #expect(try exclusion.decode("approved_by", as: String?.self) == "office token:\(office.id)")
            // Nothing left to decide.
            let twice = try api.curl("POST", "/v1/orders/\(number)/exclusion/approve", token: office)
            #expect(twice.status == 409, "\(twice)")
            #expect(twice.json["code"] as? String == "no-exclusion-request")

            // Rejected: the order stays assessed.
            let other = try api.dispatchedOrder(profile: "baotou", lead: "WATER")
            #expect(try api.curl("POST", "/v1/orders/\(other)/exclusion", token: water,
                                 body: #"{"basis": "重复诉求", "citizenConsented": true, "leaderSignature": "刘局长"}"#).status == 200)
            let rejected = try api.curl("POST", "/v1/orders/\(other)/exclusion/reject", token: office, body: #"{"reason": "依据不足"}"#)
            #expect(rejected.status == 200, "\(rejected)")
            #expect(try api.scalar("SELECT count(*) FROM order_exclusions") == 1)
            #expect(try api.scalar("SELECT count(*) FROM exclusion_requests WHERE decision = 'rejected' AND decision_reason = '依据不足'") == 1)
        }
    }

    @Test func anOrderMarkedForTheKnowledgeBaseOwesAnEntryOneWorkingDayAfterTheReply() throws {
        try APIServer.with { api in
            let water = try api.issue(unit: "WATER", name: "张三")
            let market = try api.issue(unit: "MARKET", name: "钱五")
            let office = try api.issue(unit: nil, name: "赵主任")
            let number = try api.dispatchedOrder(profile: "qidong", lead: "WATER")

            #expect(try api.curl("POST", "/v1/orders/\(number)/knowledge-base", token: water).status == 403)
            #expect(try api.curl("POST", "/v1/orders/\(number)/knowledge-base", token: office).status == 200)
            // Owed only after the reply.
            #expect(try Self.timers(api, number, "kbEntryDue").isEmpty)
            #expect(try api.curl("POST", "/v1/orders/\(number)/sign", token: water).status == 200)
            #expect(try api.curl("POST", "/v1/orders/\(number)/reply", token: water, body: APIRevisitDecisionTests.reply).status == 200)
            let before = Date()
            #expect(try api.curl("POST", "/v1/orders/\(number)/reply/review", token: water).status == 200)
            let owed = try Self.timers(api, number, "kbEntryDue")
            #expect(owed.count == 1)
            #expect(owed.first?.status == "open")
            // 附件2 二(五)5: 工单回复后的1个工作日内.
            let due = try TimeLimit.workingDays(1).end(from: before, calendar: api.calendar)
            #expect(abs((owed.first?.fireAt ?? .distantPast).timeIntervalSince(due)) < 120)

            // Bad entries: one problem per field.
            let bad = try api.curl("POST", "/v1/knowledge-base", token: water,
                                   body: #"{"kind": "faq", "question": "", "keywords": "停水", "validUntil": "2026-13-01"}"#)
            #expect(bad.status == 422, "\(bad)")
            #expect(bad.pointers == ["/kind", "/question", "/answer", "/keywords", "/validUntil"])
            // Another unit may not settle WATER's order.
            let notTheirs = try api.curl("POST", "/v1/knowledge-base", token: market,
                                         body: #"{"kind": "qa", "question": "停水怎么办?", "answer": "拨打供水热线。", "order": "\#(number)"}"#)
            #expect(notTheirs.status == 422, "\(notTheirs)")
            #expect(notTheirs.pointers == ["/order"])

            let created = try api.curl("POST", "/v1/knowledge-base", token: water, body: #"""
                {"kind": "qa", "question": "小区停水多久能恢复?", "answer": "管网抢修一般24小时内恢复供水。", "keywords": ["停水", "抢修"],
                 "validUntil": "2027-12-31", "order": "\#(number)"}
                """#, headers: ["Idempotency-Key": "kb-1"])
            #expect(created.status == 201, "\(created)")
            let id = try #require(created.json["id"] as? Int)
            #expect(created.json["unit"] as? String == "WATER")
            #expect(created.json["order"] as? String == number)
            #expect(try Self.timers(api, number, "kbEntryDue").first?.status == "cancelled")
            // A retried POST acts once.
            let retried = try api.curl("POST", "/v1/knowledge-base", token: water, body: #"""
                {"kind": "qa", "question": "小区停水多久能恢复?", "answer": "管网抢修一般24小时内恢复供水。", "keywords": ["停水", "抢修"],
                 "validUntil": "2027-12-31", "order": "\#(number)"}
                """#, headers: ["Idempotency-Key": "kb-1"])
            #expect(retried.status == 201)
            #expect(retried.headers["idempotent-replayed"] == "true")
            #expect(try api.scalar("SELECT count(*) FROM kb_entries WHERE work_order_id IS NOT NULL") == 1)

            // Everyone reads it; only WATER (or the office) edits and retires it.
            let found = try api.curl("GET", "/v1/knowledge-base?q=%E5%81%9C%E6%B0%B4&unit=WATER", token: market)
            func ids(_ answer: APIServer.Answer) -> [Int] { (answer.json["entries"] as? [[String: Any]])?.compactMap { $0["id"] as? Int } ?? [] }
            // (The demo county's WATER has an entry of its own about 停水.)
            #expect(ids(found).contains(id))
            #expect(ids(try api.curl("GET", "/v1/knowledge-base?q=%E5%81%9C%E6%B0%B4&unit=MARKET", token: market)).isEmpty)
            let edit = #"{"kind": "qa", "question": "小区停水多久能恢复?", "answer": "抢修一般12小时内恢复供水。"}"#
            #expect(try api.curl("PUT", "/v1/knowledge-base/\(id)", token: market, body: edit).status == 403)
            let stale = try api.curl("PUT", "/v1/knowledge-base/\(id)", token: water, body: edit, headers: ["If-Match": "\"7\""])
            #expect(stale.status == 409, "\(stale)")
            let edited = try api.curl("PUT", "/v1/knowledge-base/\(id)", token: water, body: edit, headers: ["If-Match": "\"1\""])
            #expect(edited.status == 200, "\(edited)")
            #expect(edited.json["version"] as? Int == 2)
            #expect(edited.json["answer"] as? String == "抢修一般12小时内恢复供水。")
            let retired = try api.curl("DELETE", "/v1/knowledge-base/\(id)", token: water)
            #expect(retired.status == 200, "\(retired)")
            #expect(retired.json["retiredAt"] is String)
            #expect(!ids(try api.curl("GET", "/v1/knowledge-base?unit=WATER", token: water)).contains(id))
            #expect(ids(try api.curl("GET", "/v1/knowledge-base?unit=WATER&retired=true", token: water)).contains(id))
            #expect(try api.curl("PUT", "/v1/knowledge-base/\(id)", token: water, body: edit).status == 409)
            #expect(try api.curl("GET", "/v1/knowledge-base/999999", token: water).status == 404)
            #expect(try api.curl("GET", "/v1/knowledge-base").status == 401)
        }
    }
}
