import Foundation
import HotlineStore
import HotlineTestSupport
import PostgresClient
import Testing

/// Extensions (延期) and replies (办结/答复) through HTTP only (curl against the real `hotline-api`,
/// PostgreSQL and RabbitMQ): a dispatched order is signed, extended (refused past the profile's
/// limit), replied as a draft, reviewed, and announced as replied.
@Suite(.serialized) struct APIExtensionAndReplyTests {
    static let replyText = "您反映的幸福小区停水问题,经核实系主管道破裂,已于11月30日抢修完毕并恢复供水。"

    /// What the unit sends when it asks for `amount` working days, with every part any profile requires.
    static func extensionBody(_ days: Int) -> String {
        #"{"extension": {"amount": \#(days), "unit": "workingDays"}, "reason": "管网改造需协调施工单位", "basis": "《城镇供水条例》第二十四条", "citizenInformed": "已电话告知市民延期原因和预计完成时间", "leaderSignature": "王副局长"}"#
    }

    static let draftBody = #"{"text": "\#(replyText)", "contactedCitizen": true, "contact": {"person": "王小明", "at": "2026-11-30T10:00:00+08:00", "citizenSaid": "知道了,谢谢"}}"#

    @Test(arguments: ["qidong", "zezhou"])
    func aDispatchedOrderIsSignedExtendedRepliedReviewedAndAnnounced(profile: String) throws {
        try APIServer.with { api in
            let water = try api.issue(unit: "WATER", name: "张三")
            let reviewer = try api.issue(unit: "WATER", name: "钱科长")
            let office = try api.issue(unit: nil, name: "赵主任")
            // help: qidong 5 working days, at most twice 5 more; zezhou 7, extensions not beyond 7 in all.
            let number = try api.dispatchedOrder(profile: profile, category: .help, lead: "WATER")
            #expect(try api.curl("POST", "/v1/orders/\(number)/sign", token: water).status == 200)

            // An extension without what the profile requires: one problem per missing field.
            let incomplete = try api.curl("POST", "/v1/orders/\(number)/extension", token: water,
                                          body: #"{"extension": {"amount": 2, "unit": "workingDays"}, "reason": "情况复杂"}"#)
            #expect(incomplete.status == 422, "\(incomplete)")
            #expect(incomplete.pointers == (profile == "qidong" ? ["/basis", "/citizenInformed"] : ["/basis"]))
            let badAmount = try api.curl("POST", "/v1/orders/\(number)/extension", token: water,
                                         body: #"{"extension": {"amount": 1.5, "unit": "workingDays"}, "reason": "x", "basis": "y", "citizenInformed": "z"}"#)
            #expect(badAmount.pointers == ["/extension/amount"], "\(badAmount)")

            // Past the profile's limit for one extension: refused, naming the rule.
            let tooLong = try api.curl("POST", "/v1/orders/\(number)/extension", token: water, body: Self.extensionBody(8))
            #expect(tooLong.status == 409, "\(tooLong)")
            #expect(tooLong.json["code"] as? String == (profile == "qidong" ? "rule-extensionLimit" : "rule-extensionExceedsOriginal"))
            #expect(tooLong.json["state"] as? String == "signed")
            #expect((tooLong.json["detail"] as? String)?.contains(profile == "qidong" ? "at most 5 working days" : "original limit") == true,
                    "\(tooLong)")

            let before = try api.curl("GET", "/v1/orders/\(number)", token: water)
            let replyByBefore = try #require((before.json["due"] as? [String: Any])?["replyBy"] as? String)
            let asked = try api.curl("POST", "/v1/orders/\(number)/extension", token: water, body: Self.extensionBody(5))
            #expect(asked.status == 200, "\(asked)")
            #expect(asked.json["state"] as? String == "extensionRequested")
            // The unit does not decide its own extension.
            #expect(try api.curl("POST", "/v1/orders/\(number)/extension/approve", token: water).status == 403)
            // Only pingdingshan's office sets the amount.
            let officeAmount = try api.curl("POST", "/v1/orders/\(number)/extension/approve", token: office,
                                            body: #"{"extension": {"amount": 2, "unit": "workingDays"}}"#)
            #expect(officeAmount.status == 422, "\(officeAmount)")
            #expect(officeAmount.pointers == ["/extension"])
            let approved = try api.curl("POST", "/v1/orders/\(number)/extension/approve", token: office)
            #expect(approved.status == 200, "\(approved)")
            #expect(approved.json["state"] as? String == "extensionApproved")
            let replyByAfter = try #require((approved.json["due"] as? [String: Any])?["replyBy"] as? String)
            #expect(replyByAfter > replyByBefore, "the reply-by moved on: \(replyByBefore) → \(replyByAfter)")
            let request = try #require((approved.json["extensionRequests"] as? [[String: Any]])?.first)
            #expect(request["decision"] as? String == "approved")
            #expect(request["newReplyBy"] as? String == replyByAfter)
            #expect((request["by"] as? [String: Any])?["person"] as? String == "张三")

            // The second: qidong allows it (5 more, twice at most), zezhou does not (5 + 5 > 7).
            let second = try api.curl("POST", "/v1/orders/\(number)/extension", token: water, body: Self.extensionBody(5))
            if profile == "qidong" {
                #expect(second.status == 200, "\(second)")
                let rejected = try api.curl("POST", "/v1/orders/\(number)/extension/reject", token: office, body: #"{"reason": "理由不充分"}"#)
                #expect(rejected.status == 200, "\(rejected)")
                #expect(rejected.json["state"] as? String == "extensionRejected")
                // 最多可申请2次: the document counts applications, so a rejected one counts too.
                let third = try api.curl("POST", "/v1/orders/\(number)/extension", token: water, body: Self.extensionBody(1))
                #expect(third.status == 409, "\(third)")
                #expect(third.json["code"] as? String == "rule-extensionLimit")
                #expect((third.json["detail"] as? String)?.contains("twice") == true, "\(third)")
            } else {
                #expect(second.status == 409, "\(second)")
                #expect(second.json["code"] as? String == "rule-extensionExceedsOriginal")
            }

            // The reply: wording an SMS may not carry, one problem per field; a phone contact needs its record.
            let badWording = try api.curl("POST", "/v1/orders/\(number)/reply", token: water,
                                          body: #"{"text": "已处理  完毕★", "contactedCitizen": true}"#)
            #expect(badWording.status == 422, "\(badWording)")
            #expect(badWording.pointers == ["/contact"], "the body's shape is checked first: \(badWording)")
            let badText = try api.curl("POST", "/v1/orders/\(number)/reply", token: water, body: #"{"text": " 已处理  完毕★", "contactedCitizen": false}"#)
            #expect(badText.status == 422, "\(badText)")
            #expect(badText.pointers == ["/text"])
            let problem = (badText.json["errors"] as? [[String: Any]])?.first?["detail"] as? String ?? ""
            #expect(problem.contains("special symbols") && problem.contains("stray spaces"), "\(badText)")
            #expect(!badText.body.contains("已处理"), "a problem names the fault, never the text")
            let nul = try api.curl("POST", "/v1/orders/\(number)/reply", token: water,
                                   body: #"{"text": "已修复。", "contactedCitizen": true, "contact": {"person": "王", "at": "2026-11-30T10:00:00+08:00", "citizenSaid": "好\u0000"}}"#)
            #expect(nul.status == 422, "\(nul)")
            #expect(nul.pointers == ["/contact/citizenSaid"])

            // A draft moves nothing: the order keeps its state and version; the unit edits it until reviewed.
            let versionBefore = try #require(try api.curl("GET", "/v1/orders/\(number)", token: water).json["version"] as? Int)
            let draft = try api.curl("POST", "/v1/orders/\(number)/reply", token: water, body: #"{"text": "初稿", "contactedCitizen": false}"#)
            #expect(draft.status == 200, "\(draft)")
            #expect(draft.json["version"] as? Int == versionBefore)
            let edited = try api.curl("POST", "/v1/orders/\(number)/reply", token: water, body: Self.draftBody)
            #expect(edited.status == 200, "\(edited)")
            let replies = edited.json["replies"] as? [[String: Any]] ?? []
            #expect(replies.count == 1)
            #expect(replies.first?["status"] as? String == "draft")
            #expect(replies.first?["text"] as? String == Self.replyText)
            #expect((replies.first?["contact"] as? [String: Any])?["citizenSaid"] as? String == "知道了,谢谢")
            #expect(edited.json["state"] as? String == (profile == "qidong" ? "extensionRejected" : "extensionApproved"))
            #expect(try api.scalar("SELECT count(*) FROM outbox WHERE type = 'workorder.replied'") == 0)

            // 审核: the review submits it; the order is replied and `workorder.replied` is in the outbox.
            let reviewed = try api.curl("POST", "/v1/orders/\(number)/reply/review", token: reviewer)
            #expect(reviewed.status == 200, "\(reviewed)")
            #expect(reviewed.json["state"] as? String == "replied")
            let reply = try #require((reviewed.json["replies"] as? [[String: Any]])?.first)
            #expect(reply["status"] as? String == "reviewed")
            #expect((reply["reviewedBy"] as? [String: Any])?["person"] as? String == "钱科长")
            #expect((reply["draftedBy"] as? [String: Any])?["person"] as? String == "张三")
            let rows = try api.database.query("""
                SELECT body, message_id::text AS id FROM outbox WHERE type = 'workorder.replied'
                """)
            #expect(rows.count == 1)
            let body = try #require(rows.first).decode("body", as: Data.self)
            let envelope = try #require(try JSONSerialization.jsonObject(with: body) as? [String: Any])
            #expect(envelope["type"] as? String == "workorder.replied")
            let data = try #require(envelope["data"] as? [String: Any])
            #expect(data["number"] as? String == number)
            #expect(data["unitCode"] as? String == "WATER")
            #expect((data["unitName"] as? String)?.isEmpty == false)
            #expect(data["replyText"] as? String == Self.replyText)
            #expect(data["contactedCitizen"] as? Bool == true)
            #expect(data["confidential"] as? Bool == false)
            #expect(data["profile"] as? String == profile)
            // The API's relay publishes it (confirmed by the broker).
            try api.processes.wait("workorder.replied published", timeout: 30) {
                try api.scalar("SELECT count(*) FROM outbox WHERE type = 'workorder.replied' AND published_at IS NOT NULL") == 1
            }

            // Reviewed once: nothing left to review, and no second reply.
            let again = try api.curl("POST", "/v1/orders/\(number)/reply/review", token: water)
            #expect(again.status == 409, "\(again)")
            #expect(try api.curl("POST", "/v1/orders/\(number)/reply", token: water, body: Self.draftBody).status == 409)
            let history = (reviewed.json["history"] as? [[String: Any]] ?? []).compactMap { $0["type"] as? String }
            #expect(history.contains("extensionRequested") && history.contains("extensionApproved") && history.last == "replied", "\(history)")
            // Nothing personal in the API's log: not the reply, not the contact record.
            let log = api.processes.fullLog()
            for secret in [Self.replyText, "知道了", "王小明", "钱科长"] { #expect(!log.contains(secret), "the log holds personal data") }
        }
    }

    @Test func theProfilesOwnExtensionRulesApply() throws {
        try APIServer.with { api in
            let water = try api.issue(unit: "WATER", name: "张三")
            let office = try api.issue(unit: nil, name: "赵主任")
            // baotou 延时挂账: the citizen's consent.
            let baotou = try api.dispatchedOrder(profile: "baotou", category: .help, lead: "WATER")
            let noConsent = try api.curl("POST", "/v1/orders/\(baotou)/extension", token: water, body: APIExtensionAndReplyTests.extensionBody(2))
            #expect(noConsent.status == 409, "\(noConsent)")
            #expect(noConsent.json["code"] as? String == "rule-extensionNeedsCitizenConsent")
            let noSignature = try api.curl("POST", "/v1/orders/\(baotou)/extension", token: water,
                                           body: #"{"extension": {"amount": 2, "unit": "workingDays"}, "reason": "需协调", "citizenInformed": "上门说明", "citizenConsented": true}"#)
            #expect(noSignature.pointers == ["/leaderSignature"], "\(noSignature)")
            let consented = try api.curl("POST", "/v1/orders/\(baotou)/extension", token: water,
                                         body: #"{"extension": {"amount": 2, "unit": "workingDays"}, "reason": "需协调", "citizenInformed": "上门说明", "citizenConsented": true, "leaderSignature": "王副局长"}"#)
            #expect(consented.status == 200, "\(consented)")

            // zezhou: none for emergencies.
            let emergency = try api.dispatchedOrder(profile: "zezhou", category: .help, urgency: .emergency, lead: "WATER")
            let refused = try api.curl("POST", "/v1/orders/\(emergency)/extension", token: water, body: APIExtensionAndReplyTests.extensionBody(1))
            #expect(refused.status == 409, "\(refused)")
            #expect(refused.json["code"] as? String == "rule-extensionNotAllowed")
            #expect((refused.json["detail"] as? String)?.contains("除突发类事项外") == true)

            // qidong emergencies: once, at most 1 working day (force majeure).
            let qEmergency = try api.dispatchedOrder(profile: "qidong", category: .help, urgency: .emergency, lead: "WATER")
            #expect(try api.curl("POST", "/v1/orders/\(qEmergency)/extension", token: water, body: APIExtensionAndReplyTests.extensionBody(2)).json["code"] as? String
                    == "rule-extensionLimit")

            // pingdingshan: once; the office sets the new limit.
            let ping = try api.dispatchedOrder(profile: "pingdingshan", category: .help, caseClass: .B, lead: "WATER")
            #expect(try api.curl("POST", "/v1/orders/\(ping)/extension", token: water, body: APIExtensionAndReplyTests.extensionBody(5)).status == 200)
            let set = try api.curl("POST", "/v1/orders/\(ping)/extension/approve", token: office,
                                   body: #"{"extension": {"amount": 2, "unit": "workingDays"}}"#)
            #expect(set.status == 200, "\(set)")
            let granted = (set.json["extensionRequests"] as? [[String: Any]])?.first?["granted"] as? [String: Any]
            #expect(granted?["amount"] as? Int == 2, "\(set)")
            let twice = try api.curl("POST", "/v1/orders/\(ping)/extension", token: water, body: APIExtensionAndReplyTests.extensionBody(1))
            #expect(twice.json["code"] as? String == "rule-extensionLimit", "\(twice)")

            // A confidential order: the unit may not contact the citizen; the reply goes through the hotline.
            let secret = try api.dispatchedOrder(profile: "qidong", lead: "WATER", confidential: true)
            let contact = try api.curl("POST", "/v1/orders/\(secret)/reply", token: water, body: APIExtensionAndReplyTests.draftBody)
            #expect(contact.status == 409, "\(contact)")
            #expect(contact.json["code"] as? String == "rule-confidentialContact")
            let noContact = try api.curl("POST", "/v1/orders/\(secret)/reply", token: water,
                                         body: #"{"text": "已处理完毕。", "contactedCitizen": false}"#)
            #expect(noContact.status == 200, "\(noContact)")
            #expect(try api.curl("POST", "/v1/orders/\(secret)/reply/review", token: water).status == 200)
            let announced = try api.database.query("SELECT body FROM outbox WHERE type = 'workorder.replied'")
            let data = try announced.map { row -> [String: Any] in
                let body = try row.decode("body", as: Data.self)
                return (try JSONSerialization.jsonObject(with: body) as? [String: Any])?["data"] as? [String: Any] ?? [:]
            }
            #expect(data.count == 1)
            #expect(data.first?["confidential"] as? Bool == true)
        }
    }

    @Test func aRetriedReviewWithTheSameKeyRepliesAndAnnouncesOnce() throws {
        try APIServer.with { api in
            let water = try api.issue(unit: "WATER", name: "张三")
            let number = try api.dispatchedOrder(profile: "zezhou", lead: "WATER")
            #expect(try api.curl("POST", "/v1/orders/\(number)/reply", token: water,
                                 body: #"{"text": "已修复。", "contactedCitizen": false}"#).status == 200)
            let first = try api.curl("POST", "/v1/orders/\(number)/reply/review", token: water, headers: ["Idempotency-Key": "review-1"])
            #expect(first.status == 200, "\(first)")
            let retried = try api.curl("POST", "/v1/orders/\(number)/reply/review", token: water, headers: ["Idempotency-Key": "review-1"])
            #expect(retried.status == 200, "\(retried)")
            #expect(retried.headers["idempotent-replayed"] == "true")
            #expect(retried.body == first.body)
            #expect(try api.scalar("SELECT count(*) FROM outbox WHERE type = 'workorder.replied'") == 1)
            #expect(try api.scalar("""
                SELECT count(*) FROM events e JOIN work_orders o ON o.id = e.work_order_id WHERE o.number = \(number) AND e.type = 'replied'
                """) == 1)
            // Without the key, a second review is refused: nothing is left to review.
            #expect(try api.curl("POST", "/v1/orders/\(number)/reply/review", token: water).status == 409)
        }
    }

    @Test func theNewRoutesAnswer404ToAnotherUnit401WithoutAToken403ToTheWrongRole() throws {
        try APIServer.with { api in
            let water = try api.issue(unit: "WATER", name: "张三")
            let market = try api.issue(unit: "MARKET", name: "钱五")
            let housing = try api.issue(unit: "HOUSING", name: "孙六")
            let office = try api.issue(unit: nil, name: "赵主任")
            let number = try api.dispatchedOrder(profile: "qidong", lead: "WATER", coUnits: ["HOUSING"])
            let routes = [("extension", APIExtensionAndReplyTests.extensionBody(1)), ("extension/approve", "{}"), ("extension/reject", "{}"),
                          ("reply", APIExtensionAndReplyTests.draftBody), ("reply/review", "{}"), ("hand-down", #"{"unit": "WATER-CG"}"#),
                          ("feedback", #"{"text": "正在抢修"}"#), ("contribution", #"{"text": "已配合"}"#)]
            for (route, body) in routes {
                let path = "/v1/orders/\(number)/\(route)"
                let other = try api.curl("POST", path, token: market, body: body)
                #expect(other.status == 404, "\(path) with another unit's token: \(other)")
                let none = try api.curl("POST", path, body: body)
                #expect(none.status == 401, "\(path) without a token: \(none)")
            }
            // A co-unit sees the order but does not act for the lead; the office does not write a unit's reply.
            for (route, body) in [("extension", APIExtensionAndReplyTests.extensionBody(1)), ("reply", APIExtensionAndReplyTests.draftBody),
                                  ("reply/review", "{}"), ("hand-down", #"{"unit": "WATER-CG"}"#), ("feedback", #"{"text": "正在抢修"}"#)] {
                #expect(try api.curl("POST", "/v1/orders/\(number)/\(route)", token: housing, body: body).status == 403, "\(route)")
                #expect(try api.curl("POST", "/v1/orders/\(number)/\(route)", token: office, body: body).status == 403, "\(route)")
            }
            // None of it acted.
            let own = try api.curl("GET", "/v1/orders/\(number)", token: water)
            #expect(own.json["state"] as? String == "dispatched")
            #expect((own.json["replies"] as? [Any])?.isEmpty == true)
            #expect((own.json["extensionRequests"] as? [Any])?.isEmpty == true)
        }
    }
}
