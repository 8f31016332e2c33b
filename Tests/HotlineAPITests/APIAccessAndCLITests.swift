import Foundation
import HotlineStore
import HotlineTestSupport
import PostgresClient
import Testing

/// Co-units, the admin CLI on the same application layer as the API, and how tokens are kept.
@Suite(.serialized) struct APIAccessAndCLITests {
    @Test func aCoUnitSeesTheOrderButOnlyTheLeadActs() throws {
        try APIServer.with { api in
            let housing = try api.issue(unit: "HOUSING", name: "李四")
            let water = try api.issue(unit: "WATER", name: "张三")
            let number = try api.dispatchedOrder(profile: "qidong", lead: "WATER", coUnits: ["HOUSING"])
            let listed = (try api.curl("GET", "/v1/orders", token: housing).json["orders"] as? [[String: Any]])?.first
            #expect(listed?["number"] as? String == number)
            #expect(listed?["role"] as? String == "co")
            // A co-unit's part is its contribution to the lead (会办), nothing of the lead's.
            #expect((listed?["expectedNext"] as? [[String: Any]])?.compactMap { $0["action"] as? String } == ["contribute"])
            for (path, body) in [("sign", "{}"), ("return", completeReturn())] {
                let answer = try api.curl("POST", "/v1/orders/\(number)/\(path)", token: housing, body: body)
                #expect(answer.status == 403, "\(path): \(answer)")
                #expect((answer.json["detail"] as? String)?.contains("WATER") == true)
            }
            #expect(try api.curl("POST", "/v1/orders/\(number)/sign", token: water).status == 200)
            // Counted by route and status, beside the runtime's metrics.
            let metrics = try api.curl("GET", "/metrics").body
            #expect(metrics.contains(#"hotline_api_requests_total{worker="api",route="sign",status="403"} 1"#), "\(metrics.prefix(3000))")
            #expect(metrics.contains(#"hotline_api_requests_total{worker="api",route="sign",status="200"} 1"#))
            #expect(metrics.contains(#"hotline_api_request_seconds_count{worker="api",route="list"} 1"#))
        }
    }

    @Test func afterAPostgreSQLRestartTheAPIAnswersAgainWithoutARestartOfItsOwn() throws {
        try APIServer.with { api in
            let water = try api.issue(unit: "WATER", name: "张三")
            let number = try api.dispatchedOrder(profile: "qidong", lead: "WATER")
            // Every pooled connection has been used once before the restart.
            for _ in 0..<6 { #expect(try api.curl("GET", "/v1/orders", token: water).status == 200) }
            api.database.close()
            try PostgresServer.restartImmediately()
            // While it comes back an answer is 200 or 503 (never another 5xx); then 200 again.
            var statuses: [Int] = []
            try api.processes.wait("the API answering after the restart", timeout: 60) {
                let status = try api.curl("GET", "/v1/orders/\(number)", token: water).status
                statuses.append(status)
                return status == 200
            }
            #expect(statuses.allSatisfy { $0 == 200 || $0 == 503 }, "\(statuses)")
            let signed = try api.curl("POST", "/v1/orders/\(number)/sign", token: water)
            #expect(signed.status == 200, "\(signed)")
            #expect(api.processes.children.allSatisfy { $0.isRunning })
        }
    }

    @Test func hotlinectlActsThroughTheSameApplicationLayerAsTheAPI() throws {
        try APIServer.with { api in
            let office = try api.issue(unit: nil, name: "赵主任")
            let number = try api.dispatchedOrder(profile: "qidong", lead: "WATER")
            // qidong: a return without what 附件2 一(二) requires is refused, naming what is missing.
            let bare = try api.hotlinectl(["order", "return", number, "--unit", "WATER", "--reason", "不属本单位职责"])
            #expect(bare.status == 2)
            #expect(bare.stderr.contains("redispatchSuggestion, basis, leaderOpinion"), "\(bare.stderr)")
            #expect(bare.stderr.contains("附件2 一(二)"))
            let complete = try api.hotlinectl(["order", "return", number, "--unit", "WATER", "--reason", "不属本单位职责",
                                               "--suggestion", "转住建局", "--basis", "三定方案", "--leader-opinion", "同意"])
            #expect(complete.status == 0, "\(complete.stderr)")
            let seen = try api.curl("GET", "/v1/orders/\(number)", token: office)
            #expect(seen.json["state"] as? String == "returnRequested")
            let request = (seen.json["returnRequests"] as? [[String: Any]])?.first
            #expect(request?["basis"] as? String == "三定方案")
            #expect((request?["by"] as? [String: Any])?["unit"] as? String == "WATER")
            #expect(try api.hotlinectl(["order", "approve-return", number]).status == 0)
            #expect(try api.hotlinectl(["order", "dispatch", number, "--lead", "HOUSING"]).status == 0)
            let dispatched = try api.curl("GET", "/v1/orders/\(number)", token: office)
            #expect(dispatched.json["leadUnit"] as? String == "HOUSING")
            #expect((dispatched.json["returnRequests"] as? [[String: Any]])?.first?["decision"] as? String == "approved")
            // The API then refuses what the CLI already did: one implementation, one state.
            let again = try api.curl("POST", "/v1/orders/\(number)/return/approve", token: office)
            #expect(again.status == 409)
            #expect(again.json["state"] as? String == "dispatched")

            // Extensions too: what qidong 附件2 一(四) requires, the profile's limit, the office's decision.
            let other = try api.dispatchedOrder(profile: "qidong", lead: "WATER")
            let bareExtension = try api.hotlinectl(["order", "extend", other, "--unit", "WATER", "--days", "2", "--reason", "情况复杂"])
            #expect(bareExtension.status == 2)
            #expect(bareExtension.stderr.contains("basis, citizenInformed"), "\(bareExtension.stderr)")
            let details = ["--reason", "情况复杂", "--basis", "《条例》", "--informed", "已电话告知"]
            let tooLong = try api.hotlinectl(["order", "extend", other, "--unit", "WATER", "--days", "6"] + details)
            #expect(tooLong.status == 2)
            #expect(tooLong.stderr.contains("at most 5 working days"), "\(tooLong.stderr)")
            #expect(try api.hotlinectl(["order", "extend", other, "--unit", "WATER", "--days", "2"] + details).status == 0)
            #expect(try api.hotlinectl(["order", "approve-extension", other, "--days", "1"]).stderr.contains("the office approves or rejects it"))
            #expect(try api.hotlinectl(["order", "approve-extension", other]).status == 0)
            let extended = try api.curl("GET", "/v1/orders/\(other)", token: office)
            #expect(extended.json["state"] as? String == "extensionApproved")
            #expect((extended.json["extensionRequests"] as? [[String: Any]])?.first?["citizenInformed"] as? String == "已电话告知")
        }
    }

    @Test func aTokenIsStoredOnlyAsAHashAndIssuingChecksItsArguments() throws {
        try APIServer.with { api in
            let token = try api.issue(unit: "WATER", name: "张三")
            #expect(token.value.count == 67)
            #expect(try api.scalar("SELECT count(*) FROM api_tokens WHERE token_hash = sha256(convert_to(\(token.value), 'UTF8'))") == 1)
            #expect(try api.scalar("SELECT count(*) FROM api_tokens WHERE position(\(token.value) IN row(api_tokens.*)::text) > 0") == 0)
            // Each issue makes a new token.
            #expect(try api.issue(unit: "WATER", name: "张三").value != token.value)
            for arguments in [["--unit", "NOWHERE", "--name", "x"], ["--office", "--unit", "WATER", "--name", "x"], ["--name", "x"],
                              ["--unit", "WATER", "--name", "x", "--days", "0"], ["--unit", "WATER", "--name", " "]] {
                let result = try api.hotlinectl(["token", "issue"] + arguments)
                #expect(result.status == 2, "token issue \(arguments): \(result.stderr)")
                #expect(!result.stdout.contains("token: "))
            }
            #expect(try api.hotlinectl(["token", "revoke", "999999"]).status == 2)
            #expect(try api.hotlinectl(["token", "revoke", String(token.id)]).status == 0)
            #expect(try api.curl("GET", "/v1/orders", token: token).status == 401)
            #expect(try api.hotlinectl(["token", "list"]).stdout.contains("\(token.id)\tWATER\t张三\t"))
        }
    }
}
