import Foundation
import HotlineStore
import HotlineTestSupport
import PostgresClient
import Testing

/// Progress feedback (反馈) through HTTP only: baotou's limits are 办结或反馈, pingdingshan class C
/// reports progress and a plan within 5 working days, henan's major outages owe a first feedback
/// within 2 hours after signing.
@Suite(.serialized) struct APIFeedbackTests {
    static func timer(_ answer: APIServer.Answer, _ kind: String) -> String? {
        (answer.json["timers"] as? [[String: Any]])?.last { $0["kind"] as? String == kind }?["status"] as? String
    }

    @Test func aFeedbackWithinTheLimitMeetsItWhereTheProfileSaysSo() throws {
        try APIServer.with { api in
            let water = try api.issue(unit: "WATER", name: "张三")
            // baotou 四(二)2: 一般诉求……5个工作日内办结或反馈.
            let baotou = try api.dispatchedOrder(profile: "baotou", category: .help, lead: "WATER")
            let unsigned = try api.curl("POST", "/v1/orders/\(baotou)/feedback", token: water, body: #"{"text": "正在协调抢修"}"#)
            #expect(unsigned.status == 409, "feedback comes after signing: \(unsigned)")
            #expect(try api.curl("POST", "/v1/orders/\(baotou)/sign", token: water).status == 200)
            #expect(try api.curl("POST", "/v1/orders/\(baotou)/feedback", token: water, body: "{}").pointers == ["/text"])
            let fed = try api.curl("POST", "/v1/orders/\(baotou)/feedback", token: water, body: #"{"text": "已联系施工单位, 预计三日内修复"}"#)
            #expect(fed.status == 200, "\(fed)")
            let entry = (fed.json["feedback"] as? [[String: Any]])?.first
            #expect(entry?["satisfiesReplyLimit"] as? Bool == true)
            #expect((entry?["by"] as? [String: Any])?["person"] as? String == "张三")
            #expect(Self.timer(fed, "replyBy") == "cancelled", "the limit is met: no overdue at the reply-by")
            #expect((fed.json["history"] as? [[String: Any]])?.last?["type"] as? String == "fedBack")
            // The final result follows.
            #expect(try api.curl("POST", "/v1/orders/\(baotou)/reply", token: water,
                                 body: #"{"text": "已修复。", "contactedCitizen": false}"#).status == 200)
            #expect(try api.curl("POST", "/v1/orders/\(baotou)/reply/review", token: water).json["state"] as? String == "replied")

            // pingdingshan 四 C类: 5个工作日内回复前期处理情况及办理计划.
            let classC = try api.dispatchedOrder(profile: "pingdingshan", category: .complaint, caseClass: .C, lead: "WATER")
            #expect(try api.curl("POST", "/v1/orders/\(classC)/sign", token: water).status == 200)
            let planned = try api.curl("POST", "/v1/orders/\(classC)/feedback", token: water,
                                       body: #"{"text": "已完成现场勘查", "plan": "12月底前完成管网改造"}"#)
            #expect(planned.status == 200, "\(planned)")
            #expect((planned.json["feedback"] as? [[String: Any]])?.first?["plan"] as? String == "12月底前完成管网改造")
            #expect((planned.json["feedback"] as? [[String: Any]])?.first?["satisfiesReplyLimit"] as? Bool == true)
            #expect(Self.timer(planned, "progressReport") == "cancelled", "class C's limit is a progress-report timer, met")

            // qidong: only the reply meets the limit; a feedback is recorded, the reply-by runs on.
            let qidong = try api.dispatchedOrder(profile: "qidong", category: .help, lead: "WATER")
            #expect(try api.curl("POST", "/v1/orders/\(qidong)/sign", token: water).status == 200)
            let recorded = try api.curl("POST", "/v1/orders/\(qidong)/feedback", token: water, body: #"{"text": "正在处理"}"#)
            #expect(recorded.status == 200, "\(recorded)")
            #expect((recorded.json["feedback"] as? [[String: Any]])?.first?["satisfiesReplyLimit"] as? Bool == false)
            #expect((recorded.json["feedback"] as? [[String: Any]])?.first?["firstFeedbackDue"] is NSNull)
            #expect(Self.timer(recorded, "replyBy") == "pending")
        }
    }

    @Test func henansMajorOutageOwesAFirstFeedbackWithinTwoHoursAfterSigning() throws {
        try APIServer.with { api in
            let water = try api.issue(unit: "WATER", name: "张三")
            let outage = try api.dispatchedOrder(profile: "henan", category: .help, urgency: .majorOutage, lead: "WATER")
            let signed = try api.curl("POST", "/v1/orders/\(outage)/sign", token: water)
            #expect(signed.status == 200, "\(signed)")
            let signedAt = try #require((signed.json["units"] as? [[String: Any]])?.first?["signedAt"] as? String)
            // Signing started the deadline watch's first-feedback timer; the feedback cancels it.
            #expect(Self.timer(signed, "firstFeedback") == "pending", "\(signed.json["timers"] ?? "")")
            let fed = try api.curl("POST", "/v1/orders/\(outage)/feedback", token: water, body: #"{"text": "抢修队伍已到场"}"#)
            #expect(fed.status == 200, "\(fed)")
            #expect(Self.timer(fed, "firstFeedback") == "cancelled")
            let entry = try #require((fed.json["feedback"] as? [[String: Any]])?.first)
            // 签收后2个小时内反馈初步办理意见: due two hours after the signing, met by this feedback.
            let due = try #require((entry["firstFeedbackDue"] as? String).flatMap(ChinaTimeParse.parse))
            #expect(due.timeIntervalSince(try #require(ChinaTimeParse.parse(signedAt))) == 7_200)
            #expect(entry["firstFeedbackOnTime"] as? Bool == true)
            #expect(entry["satisfiesReplyLimit"] as? Bool == false)
        }
    }
}

/// `2026-11-30T09:00:00+08:00` as the API writes instants.
enum ChinaTimeParse {
    static func parse(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)
    }
}

/// Co-units (会办) send their contribution to the lead unit, through HTTP only.
@Suite(.serialized) struct APIContributionTests {
    @Test func aCoUnitsContributionReachesTheLeadUnit() throws {
        try APIServer.with { api in
            let water = try api.issue(unit: "WATER", name: "张三")
            let housing = try api.issue(unit: "HOUSING", name: "孙六")
            let urban = try api.issue(unit: "URBAN", name: "周七")
            let office = try api.issue(unit: nil, name: "赵主任")
            let number = try api.dispatchedOrder(profile: "qidong", lead: "WATER", coUnits: ["HOUSING", "URBAN"])
            let listed = (try api.curl("GET", "/v1/orders", token: housing).json["orders"] as? [[String: Any]])?.first { $0["number"] as? String == number }
            #expect((listed?["expectedNext"] as? [[String: Any]])?.compactMap { $0["action"] as? String } == ["contribute"])
            #expect(try api.curl("POST", "/v1/orders/\(number)/contribution", token: housing, body: "{}").pointers == ["/text"])
            let sent = try api.curl("POST", "/v1/orders/\(number)/contribution", token: housing,
                                    body: #"{"text": "小区二次供水设施由物业负责, 已责令物业配合抢修"}"#)
            #expect(sent.status == 200, "\(sent)")
            #expect(try api.curl("POST", "/v1/orders/\(number)/contribution", token: urban, body: #"{"text": "已协调占道施工审批"}"#).status == 200)
            // The lead and the office see both; a co-unit sees its own.
            let lead = try api.curl("GET", "/v1/orders/\(number)", token: water)
            let seen = (lead.json["contributions"] as? [[String: Any]] ?? [])
            #expect(seen.compactMap { $0["unit"] as? String } == ["HOUSING", "URBAN"], "\(lead)")
            #expect(seen.first?["to"] as? String == "WATER")
            #expect(seen.first?["text"] as? String == "小区二次供水设施由物业负责, 已责令物业配合抢修")
            #expect(((seen.first?["by"] as? [String: Any])?["person"] as? String) == "孙六")
            #expect((try api.curl("GET", "/v1/orders/\(number)", token: office).json["contributions"] as? [Any])?.count == 2)
            #expect((try api.curl("GET", "/v1/orders/\(number)", token: urban).json["contributions"] as? [[String: Any]])?
                .compactMap { $0["unit"] as? String } == ["URBAN"])
            #expect((lead.json["history"] as? [[String: Any]])?.last?["type"] as? String == "contributed")
            // The lead does not contribute to itself, nor the office; after the reply nothing more comes.
            #expect(try api.curl("POST", "/v1/orders/\(number)/contribution", token: water, body: #"{"text": "x"}"#).status == 403)
            #expect(try api.curl("POST", "/v1/orders/\(number)/contribution", token: office, body: #"{"text": "x"}"#).status == 403)
            #expect(try api.curl("POST", "/v1/orders/\(number)/reply", token: water,
                                 body: #"{"text": "已修复。", "contactedCitizen": false}"#).status == 200)
            #expect(try api.curl("POST", "/v1/orders/\(number)/reply/review", token: water).status == 200)
            let late = try api.curl("POST", "/v1/orders/\(number)/contribution", token: housing, body: #"{"text": "补充"}"#)
            #expect(late.status == 409, "\(late)")
            #expect(late.json["state"] as? String == "replied")
        }
    }
}
