import Foundation
import HotlineStore
import HotlineTestSupport
import PostgresClient
import Testing

/// The three-level network (pingdingshan 一(四); POLICIES.md §11) through HTTP only: the
/// office dispatches to a level-2 unit, which hands the order down to one of its level-3 units; the
/// level-3 unit replies to the level-2 unit, which reviews and replies to the hotline.
@Suite(.serialized) struct APIThreeLevelTests {
    @Test func aPingdingshanOrderGoesOfficeLevel2Level3Level2Office() throws {
        try APIServer.with { api in
            let office = try api.issue(unit: nil, name: "赵主任")
            let water = try api.issue(unit: "WATER", name: "张三")
            let station = try api.issue(unit: "WATER-CG", name: "刘站长")
            let otherStation = try api.issue(unit: "WATER-SQ", name: "陈站长")
            let number = try api.acceptedOrder(profile: "pingdingshan", category: .help, caseClass: .B)

            // Office → level 2.
            let dispatched = try api.curl("POST", "/v1/orders/\(number)/dispatch", token: office, body: #"{"lead": "WATER"}"#)
            #expect(dispatched.status == 200, "\(dispatched)")
            #expect(dispatched.json["leadUnit"] as? String == "WATER")
            // Level 3 sees nothing before it is handed the order.
            #expect(try api.curl("GET", "/v1/orders/\(number)", token: station).status == 404)
            // Level 2 signs, then hands down; not before it signed, and only to a level-3 unit under it.
            let early = try api.curl("POST", "/v1/orders/\(number)/hand-down", token: water, body: #"{"unit": "WATER-CG"}"#)
            #expect(early.status == 409, "\(early)")
            #expect(try api.curl("POST", "/v1/orders/\(number)/sign", token: water).status == 200)
            for wrong in ["POWER-CG", "HOUSING", "WATER"] {
                let refused = try api.curl("POST", "/v1/orders/\(number)/hand-down", token: water, body: #"{"unit": "\#(wrong)"}"#)
                #expect(refused.status == 422, "\(wrong): \(refused)")
                #expect(refused.pointers == ["/unit"])
            }
            #expect(try api.curl("POST", "/v1/orders/\(number)/hand-down", token: office, body: #"{"unit": "WATER-CG"}"#).status == 403)
            let handed = try api.curl("POST", "/v1/orders/\(number)/hand-down", token: water, body: #"{"unit": "WATER-CG"}"#)
            #expect(handed.status == 200, "\(handed)")
            // The level-2 unit stays the lead.
            #expect(handed.json["leadUnit"] as? String == "WATER")
            #expect(handed.json["state"] as? String == "signed")
            let parts = handed.json["units"] as? [[String: Any]] ?? []
            #expect(parts.contains { $0["unit"] as? String == "WATER-CG" && $0["role"] as? String == "sub" && $0["active"] as? Bool == true })
            #expect(try api.curl("POST", "/v1/orders/\(number)/hand-down", token: water, body: #"{"unit": "WATER-SQ"}"#).status == 409)

            // Level 3: the order is in its list; it replies to level 2, it does not act for the lead.
            let mine = try api.curl("GET", "/v1/orders", token: station)
            let listed = (mine.json["orders"] as? [[String: Any]])?.first { $0["number"] as? String == number }
            #expect(listed?["role"] as? String == "sub", "\(mine)")
            #expect(try api.curl("GET", "/v1/orders/\(number)", token: otherStation).status == 404)
            #expect(try api.curl("POST", "/v1/orders/\(number)/sign", token: station).status == 403)
            #expect(try api.curl("POST", "/v1/orders/\(number)/extension", token: station,
                                 body: APIExtensionAndReplyTests.extensionBody(1)).status == 403)
            let stationText = "经现场核查,主管道破裂已于今日修复,已恢复供水。"
            let draft = try api.curl("POST", "/v1/orders/\(number)/reply", token: station,
                                     body: #"{"text": "\#(stationText)", "contactedCitizen": false}"#)
            #expect(draft.status == 200, "\(draft)")
            let subReplied = try api.curl("POST", "/v1/orders/\(number)/reply/review", token: station)
            #expect(subReplied.status == 200, "\(subReplied)")
            // Level 3 → level 2: the order is not replied to the hotline, nothing is announced.
            #expect(subReplied.json["state"] as? String == "signed")
            #expect(try api.scalar("SELECT count(*) FROM outbox WHERE type = 'workorder.replied'") == 0)
            #expect(try api.curl("POST", "/v1/orders/\(number)/reply/review", token: station).status == 409)

            // Level 2 reads the level-3 reply addressed to it, reviews and replies to the hotline.
            let view = try api.curl("GET", "/v1/orders/\(number)", token: water)
            let fromStation = (view.json["replies"] as? [[String: Any]])?.first { $0["unit"] as? String == "WATER-CG" }
            #expect(fromStation?["to"] as? String == "WATER", "\(view)")
            #expect(fromStation?["status"] as? String == "reviewed")
            #expect(fromStation?["text"] as? String == stationText)
            let history = (view.json["history"] as? [[String: Any]] ?? []).compactMap { $0["type"] as? String }
            #expect(history.suffix(2) == ["handedDown", "subReplied"], "\(history)")
            let finalText = "您反映的停水问题,经城关供水所现场核查,主管道破裂已于今日修复并恢复供水。"
            #expect(try api.curl("POST", "/v1/orders/\(number)/reply", token: water,
                                 body: #"{"text": "\#(finalText)", "contactedCitizen": false}"#).status == 200)
            let replied = try api.curl("POST", "/v1/orders/\(number)/reply/review", token: water)
            #expect(replied.status == 200, "\(replied)")
            #expect(replied.json["state"] as? String == "replied")

            // Level 2 → office: the hotline hears the level-2 unit's reply.
            let rows = try api.database.query("SELECT body FROM outbox WHERE type = 'workorder.replied'")
            #expect(rows.count == 1)
            let body = try #require(rows.first).decode("body", as: Data.self)
            let data = (try JSONSerialization.jsonObject(with: body) as? [String: Any])?["data"] as? [String: Any]
            #expect(data?["unitCode"] as? String == "WATER")
            #expect(data?["replyText"] as? String == finalText)
            #expect(data?["profile"] as? String == "pingdingshan")
            // Every step's actor is in the history.
            let actors = (replied.json["history"] as? [[String: Any]] ?? []).compactMap { entry -> String? in
                guard let type = entry["type"] as? String, let actor = entry["actor"] as? [String: Any] else { return nil }
                return "\(type):\(actor["unit"] as? String ?? actor["kind"] as? String ?? "")"
            }
            #expect(actors.suffix(5) == ["dispatched:office", "signed:WATER", "handedDown:WATER", "subReplied:WATER-CG", "replied:WATER"],
                    "\(actors)")
        }
    }
}
