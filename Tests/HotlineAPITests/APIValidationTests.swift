import Foundation
import HotlineDomain
@testable import HotlineAPI
import HotlineStore
import Testing

/// The API's pure parts: reading bodies and queries field by field, writing JSON, what comes next.
@Suite struct APIValidationTests {
    @Test func aReturnBodyNamesEveryMissingOrWrongFieldOnceAndIgnoresUnknownOnes() throws {
        let qidong = try PolicyProfile.bundled("qidong")
        let body = Data(#"{"reason": "  ", "basis": 3, "leaderOpinion": "同意", "whatever": [1]}"#.utf8)
        #expect(throws: APIError.invalid([FieldProblem("/reason", "must not be blank"),
                                          FieldProblem("/redispatchSuggestion", "is required"),
                                          FieldProblem("/basis", "must be a string")],
                                         detail: "a return must carry what the profile requires (\(qidong.returns!.requires!.basis))")) {
            try ActionBodies.returnRequest(body, profile: qidong)
        }
        let zezhou = try PolicyProfile.bundled("zezhou")
        let request = try ActionBodies.returnRequest(Data(#"{"reason": "r", "basis": "b", "extra": {}}"#.utf8), profile: zezhou)
        #expect(request == ReturnRequest(reason: "r", basis: "b"))
        #expect(zezhou.returns?.requires?.fields == [.reason, .basis])
        #expect(qidong.returns?.requires?.fields == [.reason, .redispatchSuggestion, .basis, .leaderOpinion])
        #expect(try PolicyProfile.bundled("pingdingshan").returns?.requires?.fields == [.reason, .basis])
    }

    @Test func anythingButAJSONObjectIsAMalformedBody() {
        for text in ["[]", "\"x\"", "{", "12"] {
            #expect(throws: APIError.self) { try ActionBodies.empty(Data(text.utf8)) }
        }
        #expect(throws: Never.self) { try ActionBodies.empty(Data()) }
        #expect(throws: Never.self) { try ActionBodies.empty(Data(" \n".utf8)) }
    }

    @Test func aListQueryIsReadParameterByParameter() throws {
        let query = try ListQuery([("state", "signed,awaitingDispatch"), ("dueBefore", "2026-12-01T18:00:00+08:00"), ("limit", "7"),
                                   ("after", "12345-20261130-0000001"), ("unknown", "x")])
        #expect(query.states == ["signed", "awaitingDispatch"])
        #expect(query.limit == 7)
        #expect(query.dueBefore.map(ChinaTime.format) == "2026-12-01T18:00:00+08:00")
        #expect(throws: APIError.self) { try ListQuery([("limit", "101")]) }
        #expect(throws: APIError.self) { try ListQuery([("state", "signed,")]) }
        #expect(try ListQuery([]).limit == Limits.defaultPage)
    }

    @Test func jsonTextEscapesWhatMustBeEscapedAndKeepsKeyOrder() {
        let value = JSON.object([("b", .string("引号\"\\\n\u{01}")), ("a", .array([.int(1), .bool(false), .null, .raw("{\"x\":1}")]))])
        #expect(value.text == #"{"b":"引号\"\\\n\u0001","a":[1,false,null,{"x":1}]}"#)
        let parsed = try? JSONSerialization.jsonObject(with: value.data) as? [String: Any]
        #expect(parsed?["b"] as? String == "引号\"\\\n\u{01}")
    }

    @Test func whatComesNextFollowsTheStateAndTheReturnWindow() {
        let now = Date()
        var order = OrderSummary(number: "n", title: "t", profile: "qidong", category: "help", confidential: false, state: "dispatched",
                                 version: 2, receivedAt: now, role: "lead", leadUnit: "WATER", dispatchedAt: now,
                                 signBy: now + 3600, returnWindowEndsAt: now + 7200, replyBy: now + 86_400)
        let unit = ApiCaller(tokenId: 1, role: .unit, unit: "WATER", personNamePII: "张三")
        #expect(ExpectedNext.steps(order, caller: unit, now: now).map(\.action) == ["sign", "return", "reply"])
        #expect(ExpectedNext.steps(order, caller: unit, now: now + 10_000).map(\.action) == ["sign", "reply"])
        order.state = "returnRequested"
        #expect(ExpectedNext.steps(order, caller: unit, now: now).map(\.by) == ["office", "office"])
        // A co-unit has nothing to do while a return is asked; otherwise it contributes to the lead until it replies.
        order.role = "co"
        #expect(ExpectedNext.steps(order, caller: unit, now: now).isEmpty)
        order.state = "signed"
        #expect(ExpectedNext.steps(order, caller: unit, now: now).map(\.action) == ["contribute"])
        order.state = "replied"
        #expect(ExpectedNext.steps(order, caller: unit, now: now).isEmpty)
        order.role = "sub"
        order.state = "signed"
        #expect(ExpectedNext.steps(order, caller: unit, now: now).map(\.by) == ["sub"])
    }

    @Test func theOpenAPIDocumentIsBundledAndNamesEveryRoute() throws {
        let document = try #require(try JSONSerialization.jsonObject(with: OpenAPIDocument.data) as? [String: Any])
        #expect(document["openapi"] as? String == "3.1.0")
        let paths = try #require(document["paths"] as? [String: Any])
        #expect(paths.count == 30)
    }
}
