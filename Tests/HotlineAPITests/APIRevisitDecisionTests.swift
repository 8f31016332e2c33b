import Foundation
import HotlineDomain
import HotlineStore
import HotlineTestSupport
import PostgresClient
import Testing

/// The office's revisit through HTTP only: the citizen's answers taken by phone, the queue of rated
/// orders waiting for a decision, and the decision: redo, exempt (closing on the unit's proof, so
/// intake answers later repeats from it), or close.
@Suite(.serialized) struct APIRevisitDecisionTests {
    static let reply = #"{"text": "经核实，管网已抢修完毕，已恢复供水。", "contactedCitizen": false}"#

    /// Dispatches an order of `profile` to WATER, signs, replies and reviews it through HTTP.
    static func repliedOrder(_ api: APIServer, profile: String, water: APIServer.Token, caseClass: CaseClass? = nil,
                             phone: String = "13912345678") throws -> String {
        let number = try api.dispatchedOrder(profile: profile, caseClass: caseClass, lead: "WATER", citizenPhone: phone)
        #expect(try api.curl("POST", "/v1/orders/\(number)/sign", token: water).status == 200)
        #expect(try api.curl("POST", "/v1/orders/\(number)/reply", token: water, body: reply).status == 200)
        let reviewed = try api.curl("POST", "/v1/orders/\(number)/reply/review", token: water)
        #expect(reviewed.json["state"] as? String == "replied", "\(reviewed)")
        return number
    }

    static func queue(_ api: APIServer, _ office: APIServer.Token) throws -> [[String: Any]] {
        try api.curl("GET", "/v1/revisits", token: office).json["orders"] as? [[String: Any]] ?? []
    }

    @Test func qidongDissatisfiedAtThePhoneRevisitWaitsForTheOfficeWhichRedoesIt() throws {
        try APIServer.with { api in
            let water = try api.issue(unit: "WATER", name: "张三")
            let office = try api.issue(unit: nil, name: "赵主任")
            let number = try Self.repliedOrder(api, profile: "qidong", water: water)

            // The unit may not record the revisit; a rating must be one of the three.
            #expect(try api.curl("POST", "/v1/orders/\(number)/revisit", token: water, body: #"{"rating": "dissatisfied"}"#).status == 403)
            let bad = try api.curl("POST", "/v1/orders/\(number)/revisit", token: office, body: #"{"rating": "3", "problemSolved": "no"}"#)
            #expect(bad.status == 422, "\(bad)")
            #expect(bad.pointers == ["/rating", "/problemSolved"])

            // The citizen, by phone: dissatisfied, not solved, contacted in time. qidong redoes only
            // for one of its redo reasons, so the order waits for the office's decision.
            let rated = try api.curl("POST", "/v1/orders/\(number)/revisit", token: office,
                                     body: #"{"rating": "dissatisfied", "problemSolved": false, "contactedInTime": true}"#)
            #expect(rated.status == 200, "\(rated)")
            #expect(rated.json["state"] as? String == "rated")
            let rating = try api.database.query("""
                SELECT r.rating, r.source, r.problem_solved, r.contacted_in_time, r.recorded_by
                FROM ratings r JOIN work_orders o ON o.id = r.work_order_id WHERE o.number = \(number)
                """)
            #expect(rating.count == 1)
            #expect(try rating.first?.decode("rating", as: String.self) == "dissatisfied")
            #expect(try rating.first?.decode("source", as: String.self) == "phone")
            #expect(try rating.first?.decode("problem_solved", as: Bool?.self) == false)
            #expect(try rating.first?.decode("contacted_in_time", as: Bool?.self) == true)
            #expect(try rating.first?.decode("recorded_by", as: String?.self) == "office token:\(office.id)")

            // The queue: the office sees it with the profile's reasons; a unit may not read it.
            let waiting = try #require(try Self.queue(api, office).first { $0["number"] as? String == number })
            #expect(waiting["rating"] as? String == "dissatisfied")
            #expect(waiting["problemSolved"] as? Bool == false)
            #expect((waiting["redoReasons"] as? [String])?.contains("resultUntrue") == true)
            #expect((waiting["exemptReasons"] as? [String])?.count == 5)
            #expect(try api.curl("GET", "/v1/revisits", token: water).status == 403)

            // A redo names one of the profile's reasons.
            let noReason = try api.curl("POST", "/v1/orders/\(number)/redo", token: office, body: "{}")
            #expect(noReason.status == 422, "\(noReason)")
            #expect(noReason.pointers == ["/reason"])
            let redone = try api.curl("POST", "/v1/orders/\(number)/redo", token: office,
                                      body: #"{"reason": "resultDoesNotAnswerRequest", "note": "未回应停水补偿"}"#)
            #expect(redone.status == 200, "\(redone)")
            #expect(redone.json["state"] as? String == "redo")
            #expect(try api.scalar("SELECT redo_count FROM work_orders WHERE number = \(number)") == 1)
            #expect(try api.scalar("""
                SELECT count(*) FROM order_revisit_decisions d JOIN work_orders o ON o.id = d.work_order_id
                WHERE o.number = \(number) AND d.decision = 'redo' AND d.reason = 'resultDoesNotAnswerRequest'
                """) == 1)
            // A new limit, counted from the redo (the redo's own timer, `redoDue`), and the unit replies again.
            #expect(try api.scalar("""
                SELECT count(*) FROM timers t JOIN work_orders o ON o.id = t.work_order_id
                WHERE o.number = \(number) AND t.kind = 'redoDue' AND t.fired_at IS NULL AND t.cancelled_at IS NULL
                """) == 1)
            #expect(!(try Self.queue(api, office).contains { $0["number"] as? String == number }))
            #expect(try api.curl("POST", "/v1/orders/\(number)/reply", token: water, body: Self.reply).status == 200)
            #expect(try api.curl("POST", "/v1/orders/\(number)/reply/review", token: water).json["state"] as? String == "replied")
            let history = try api.curl("GET", "/v1/orders/\(number)", token: office).json["history"] as? [[String: Any]] ?? []
            #expect(history.contains { $0["type"] as? String == "redone" && ($0["actor"] as? [String: Any])?["person"] as? String == "赵主任" })
        }
    }

    @Test func anExemptionClosesOnTheUnitsProofAndIntakeWouldAnswerARepeatFromIt() throws {
        try APIServer.with { api in
            let water = try api.issue(unit: "WATER", name: "张三")
            let office = try api.issue(unit: nil, name: "赵主任")
            let number = try Self.repliedOrder(api, profile: "qidong", water: water, phone: "13800001111")
            #expect(try api.curl("POST", "/v1/orders/\(number)/revisit", token: office, body: #"{"rating": "dissatisfied"}"#).status == 200)

            // One of the profile's five reasons; the first four close on the unit's proof.
            let unknown = try api.curl("POST", "/v1/orders/\(number)/exempt", token: office, body: #"{"reason": "citizenIsWrong"}"#)
            #expect(unknown.status == 422, "\(unknown)")
            #expect(unknown.pointers == ["/reason"])
            let noProof = try api.curl("POST", "/v1/orders/\(number)/exempt", token: office, body: #"{"reason": "answeredWithinRemitWithBasis"}"#)
            #expect(noProof.status == 422, "\(noProof)")
            #expect(noProof.pointers == ["/proof"])
            let exempt = try api.curl("POST", "/v1/orders/\(number)/exempt", token: office,
                                      body: #"{"reason": "answeredWithinRemitWithBasis", "proof": "《石桥县供水条例》第十二条书面答复"}"#)
            #expect(exempt.status == 200, "\(exempt)")
            #expect(exempt.json["state"] as? String == "closed")
            #expect(try api.database.query("SELECT exempt_reason FROM work_orders WHERE number = \(number)").first?
                .decode("exempt_reason", as: String?.self) == "answeredWithinRemitWithBasis")

            // Intake's lookup finds the closing, with the unit's reply as the answer for a repeat.
            let closings = try WorkOrders.exemptClosings(ofPhones: ["13800001111"], reasons: [.answeredWithinRemitWithBasis],
                                                         receivedAfter: Date().addingTimeInterval(-86_400), limit: 5, on: api.database)
            #expect(closings["13800001111"]?.count == 1)
            #expect(closings["13800001111"]?.first?.answerPII == "经核实，管网已抢修完毕，已恢复供水。")

            // A satisfied order is not exempted, and a closed one takes no further decision.
            let satisfied = try Self.repliedOrder(api, profile: "qidong", water: water)
            #expect(try api.curl("POST", "/v1/orders/\(satisfied)/revisit", token: office, body: #"{"rating": "satisfied"}"#).status == 200)
            let refused = try api.curl("POST", "/v1/orders/\(satisfied)/exempt", token: office,
                                       body: #"{"reason": "supervisionOfficeHasRuled"}"#)
            #expect(refused.status == 409, "\(refused)")
            #expect(refused.json["code"] as? String == "rule-revisitDecisionNotWarranted")
            #expect(refused.json["state"] as? String == "rated")
            #expect(!(try Self.queue(api, office).contains { $0["number"] as? String == satisfied }))
            let closed = try api.curl("POST", "/v1/orders/\(satisfied)/close", token: office, body: "{}")
            #expect(closed.status == 200, "\(closed)")
            #expect(closed.json["state"] as? String == "closed")
            #expect(try api.curl("POST", "/v1/orders/\(number)/redo", token: office, body: #"{"reason": "resultUntrue"}"#).status == 409)
        }
    }

    @Test func pingdingshanRedoesAnUntrueResultWhateverTheRating() throws {
        try APIServer.with { api in
            let water = try api.issue(unit: "WATER", name: "张三")
            let office = try api.issue(unit: nil, name: "赵主任")
            let number = try Self.repliedOrder(api, profile: "pingdingshan", water: water, caseClass: .B)
            // The citizen is satisfied; the revisit finds the result untrue (五(五)).
            let rated = try api.curl("POST", "/v1/orders/\(number)/revisit", token: office, body: #"{"rating": "satisfied"}"#)
            #expect(rated.json["state"] as? String == "rated", "\(rated)")
            #expect(try Self.queue(api, office).contains { $0["number"] as? String == number })
            // pingdingshan lists only 结果不属实.
            let other = try api.curl("POST", "/v1/orders/\(number)/redo", token: office, body: #"{"reason": "accountToCitizenUntrue"}"#)
            #expect(other.status == 422, "\(other)")
            let redone = try api.curl("POST", "/v1/orders/\(number)/redo", token: office, body: #"{"reason": "resultUntrue"}"#)
            #expect(redone.status == 200, "\(redone)")
            #expect(redone.json["state"] as? String == "redo")

            // zezhou redoes a first dissatisfied rating at once (二(二)4), and only once.
            let zezhou = try Self.repliedOrder(api, profile: "zezhou", water: water)
            let first = try api.curl("POST", "/v1/orders/\(zezhou)/revisit", token: office, body: #"{"rating": "dissatisfied"}"#)
            #expect(first.json["state"] as? String == "redo", "\(first)")
            #expect(try api.curl("POST", "/v1/orders/\(zezhou)/reply", token: water, body: Self.reply).status == 200)
            #expect(try api.curl("POST", "/v1/orders/\(zezhou)/reply/review", token: water).status == 200)
            let second = try api.curl("POST", "/v1/orders/\(zezhou)/revisit", token: office, body: #"{"rating": "dissatisfied"}"#)
            #expect(second.json["state"] as? String == "rated", "\(second)")
            let again = try api.curl("POST", "/v1/orders/\(zezhou)/redo", token: office, body: "{}")
            #expect(again.status == 409, "\(again)")
            #expect(again.json["code"] as? String == "rule-redoLimitReached")
        }
    }
}
