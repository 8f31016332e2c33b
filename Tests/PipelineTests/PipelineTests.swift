import Foundation
import HotlineContracts
import HotlineTestSupport
import PostgresClient
import Testing

/// The intake and routing workers end to end, against the real servers, driven from outside.
@Suite(.serialized) struct PipelineTests {
    // A water outage in 人民路社区, 城关街道: WATER leads (it may hand the order down to its 城关供水所).
    static let waterOutage = "人民路社区5栋从昨天晚上开始停水，到现在还没有来水，家里老人孩子用水很困难，请尽快处理"

    @Test func aSubmissionPublishedWithPikaBecomesADispatchedOrderWithItsTimersAndEvents() throws {
        try Pipeline.with { pipeline in
            try pipeline.startBoth()
            let envelopeId = UUID()
            try pipeline.publishWithPika([
                .init(routingKey: "submission.phone", messageId: envelopeId.uuidString,
                      body: try envelopeObject(submission("pika-1", phone: "+86 139 1234 5678", category: "求助",
                                                          content: Self.waterOutage, regionCode: "439999001001"), id: envelopeId)),
            ])
            try pipeline.wait("the order dispatched", timeout: 30) {
                try pipeline.scalar("SELECT count(*) FROM work_orders WHERE state = 'dispatched'") == 1
            }
            let id = try #require(try pipeline.text("SELECT id::text FROM work_orders WHERE submission_id = 'pika-1'"))
            #expect(try pipeline.text("SELECT citizen_phone_pii FROM work_orders WHERE id::text = \(id)") == "13912345678")
            #expect(try pipeline.text("SELECT locality_code FROM work_orders WHERE id::text = \(id)") == "439999001001")
            #expect(try pipeline.text("""
                SELECT u.code FROM assignments a JOIN units u ON u.id = a.unit_id WHERE a.work_order_id::text = \(id) AND a.role = 'lead' AND a.active
                """) == "WATER")
            let timers = try pipeline.database.query("SELECT kind FROM timers WHERE work_order_id::text = \(id) AND cancelled_at IS NULL ORDER BY kind")
                .map { try $0.decode("kind", as: String.self) }
            // qidong: sign within 24 working hours, return window of 1 working day, reply-by, reminders 24 h and 4 h before.
            #expect(timers == ["reminder.0", "reminder.1", "replyBy", "returnWindow", "signBy"])
            let events = try pipeline.database.query("SELECT type FROM events WHERE work_order_id::text = \(id) ORDER BY id")
                .map { try $0.decode("type", as: String.self) }
            #expect(events == ["accepted", "dispatched"])
            try pipeline.wait("both events published", timeout: 15) {
                try pipeline.scalar("""
                    SELECT count(*) FROM outbox WHERE published_at IS NOT NULL AND type IN ('workorder.received', 'workorder.dispatched')
                    """) == 2
            }
            #expect(try pipeline.scalar("SELECT count(*) FROM inbox WHERE consumer = 'intake' AND message_id = \(envelopeId.uuidString)") == 1)
        }
    }

    @Test func everyInvalidSubmissionIsStoredAnsweredWithItsProblemsAndParked() throws {
        try Pipeline.with { pipeline in
            try pipeline.start("intake")
            var bad = submission("bad-many", phone: "12345", category: "抱怨", content: "", regionCode: "43-99")
            bad.receivedAt = nil
            var versionTwo = try envelopeObject(submission("bad-version", content: Self.waterOutage, regionCode: "439999001001"))
            versionTwo["version"] = 2
            let cases: [Pipeline.Outgoing] = [
                .init(routingKey: "submission.phone", messageId: "m-not-json", rawBody: "13812345678 call me back"),
                .init(routingKey: "submission.phone", messageId: "m-version", body: versionTwo),
                .init(routingKey: "submission.phone", messageId: "m-many", body: try envelopeObject(bad)),
                .init(routingKey: "submission.wechat", messageId: "m-channel",
                      body: try envelopeObject(submission("bad-channel", channel: "phone", content: Self.waterOutage, regionCode: "439999001001"))),
            ]
            try pipeline.publishWithPika(cases)
            try pipeline.wait("four rejections stored", timeout: 30) {
                try pipeline.scalar("SELECT count(*) FROM rejected_submissions") == 4
            }
            func reasons(_ messageId: String) throws -> String {
                try pipeline.text("SELECT reasons::text FROM rejected_submissions WHERE message_id = \(messageId)") ?? ""
            }
            #expect(try reasons("m-not-json").contains("body"))
            #expect(try reasons("m-version").contains("version 2 is not supported"))
            let many = try reasons("m-many")
            for field in ["citizen.phone", "category", "content", "regionCode", "receivedAt"] {
                #expect(many.contains("\"\(field)\""), "no problem named for \(field): \(many)")
            }
            #expect(!many.contains("12345\""), "a rejected value leaked into the reasons")
            #expect(try reasons("m-channel").contains("routing key"))
            try pipeline.wait("every rejection answered", timeout: 15) {
                try pipeline.scalar("SELECT count(*) FROM outbox WHERE type = 'submission.rejected' AND published_at IS NOT NULL") == 4
            }
            try pipeline.wait("every rejection parked", timeout: 15) {
                try pipeline.scalar("SELECT count(*) FROM parked_messages WHERE consumer = 'intake'") == 4
            }
            #expect(try pipeline.scalar("SELECT count(*) FROM work_orders") == 0)
            // Parked at once as rejections, never after going through the retry tiers.
            #expect(try pipeline.scalar("SELECT count(*) FROM parked_messages WHERE consumer = 'intake' AND reason NOT LIKE 'rejected submission%' AND reason NOT LIKE 'unreadable%'") == 0)
        }
    }

    @Test func theSameSubmissionIdTwiceMakesOneOrder() throws {
        try Pipeline.with { pipeline in
            try pipeline.startBoth()
            let twice = submission("dup-1", content: Self.waterOutage, regionCode: "439999001001")
            // Different message ids: a channel that resent after a timeout.
            try pipeline.publishWithPika([
                .init(routingKey: "submission.phone", messageId: "dup-a", body: try envelopeObject(twice)),
                .init(routingKey: "submission.phone", messageId: "dup-b", body: try envelopeObject(twice)),
            ])
            try pipeline.wait("both messages consumed", timeout: 30) {
                try pipeline.scalar("SELECT count(*) FROM inbox WHERE consumer = 'intake'") == 2
            }
            try pipeline.wait("the order dispatched", timeout: 30) {
                try pipeline.scalar("SELECT count(*) FROM work_orders WHERE state = 'dispatched'") == 1
            }
            #expect(try pipeline.scalar("SELECT count(*) FROM work_orders") == 1)
            #expect(try pipeline.scalar("SELECT count(*) FROM outbox WHERE type = 'workorder.received'") == 1)
        }
    }

    @Test func agentOutcomesAndTheJurisdictionDecideAtIntakeWithoutDispatch() throws {
        try Pipeline.with { pipeline in
            try pipeline.startBoth()
            try pipeline.publish([
                submission("scope-110", content: "楼下有人打架，已经见血了", regionCode: "439999001001",
                           outcome: .init(kind: "notAccepted", reason: "emergencyService")),
                submission("scope-kb", category: "咨询", content: "社保卡丢了怎么补办", regionCode: "439999001001",
                           outcome: .init(kind: "answered", answer: "携带身份证到县政务服务中心社保窗口办理")),
                submission("scope-far", content: Self.waterOutage, regionCode: "110101001"),
            ])
            try pipeline.wait("three orders", timeout: 30) { try pipeline.scalar("SELECT count(*) FROM work_orders") == 3 }
            #expect(try pipeline.text("SELECT state FROM work_orders WHERE submission_id = 'scope-110'") == "notAccepted")
            #expect(try pipeline.text("SELECT not_accepted_reason FROM work_orders WHERE submission_id = 'scope-110'") == "emergencyService")
            #expect(try pipeline.text("SELECT intake_answer_pii FROM work_orders WHERE submission_id = 'scope-110'")?.contains("110") == true)
            #expect(try pipeline.text("SELECT state FROM work_orders WHERE submission_id = 'scope-kb'") == "resolvedAtIntake")
            #expect(try pipeline.text("SELECT not_accepted_reason FROM work_orders WHERE submission_id = 'scope-far'") == "outsideJurisdiction")
            try pipeline.wait("answers published", timeout: 15) {
                try pipeline.scalar("""
                    SELECT count(*) FROM outbox WHERE published_at IS NOT NULL
                      AND type IN ('workorder.not_accepted', 'workorder.resolved_at_intake')
                    """) == 3
            }
            #expect(try pipeline.scalar("SELECT count(*) FROM assignments") == 0)
        }
    }

    @Test func aCallerOverTheDailyLimitIsRecordedAndLimited() throws {
        try Pipeline.with { pipeline in
            // henan limits a phone to 20 calls a day.
            try pipeline.start("intake", environment: ["HOTLINE_PROFILE": "henan"])
            let calls = (1...21).map { n in
                submission("call-\(n)", phone: "13700001111", category: "咨询", content: "第\(n)次来电询问同一件事：小区门口路灯什么时候修", regionCode: "439999101001")
            }
            try pipeline.publish(calls)
            try pipeline.wait("21 orders", timeout: 30) { try pipeline.scalar("SELECT count(*) FROM work_orders") == 21 }
            #expect(try pipeline.scalar("SELECT count(*) FROM work_orders WHERE not_accepted_reason = 'harassmentOrNoRequest'") == 1)
            #expect(try pipeline.scalar("SELECT count(*) FROM work_orders WHERE state = 'awaitingDispatch'") == 20)
        }
    }

    @Test func aRepeatFromTheSameCitizenIsLinkedAndTenCitizensMakeASupervisedCluster() throws {
        try Pipeline.with { pipeline in
            try pipeline.start("intake")
            let first = submission("rep-1", phone: "13800000001", content: "龙口村自来水发黄，有一股怪味，不敢喝", regionCode: "439999103001")
            try pipeline.publish([first])
            try pipeline.wait("first order", timeout: 30) { try pipeline.scalar("SELECT count(*) FROM work_orders") == 1 }
            let again = submission("rep-2", phone: "13800000001", content: "龙口村的自来水还是发黄有怪味，前天反映过了", regionCode: "439999103001")
            let wordings = ["龙口村自来水发黄有异味，烧开了也有味道", "我们龙口村的自来水是黄色的，还有怪味", "龙口村自来水浑浊发黄，有股味道",
                            "龙口村这几天自来水发黄，味道很怪", "自来水发黄有异味，龙口村好多户都这样", "龙口村自来水颜色发黄，有异味，请检查水质",
                            "龙口村家里的自来水发黄有怪味", "龙口村自来水又黄又有味道，没法用", "龙口村自来水发黄，怀疑水管生锈，有异味"]
            let others = wordings.enumerated().map { index, text in
                submission("clu-\(index)", phone: "1380000\(String(format: "%04d", 100 + index))", content: text, regionCode: "439999103001")
            }
            for item in [again] + others {
                // One at a time, so each sees the ones before it.
                try pipeline.publish([item])
                let count = try pipeline.scalar("SELECT count(*) FROM work_orders")
                try pipeline.wait("order \(count + 1)", timeout: 30) { try pipeline.scalar("SELECT count(*) FROM work_orders") == count + 1 }
            }
            let firstId = try #require(try pipeline.text("SELECT id::text FROM work_orders WHERE submission_id = 'rep-1'"))
            #expect(try pipeline.text("SELECT repeat_of::text FROM work_orders WHERE submission_id = 'rep-2'") == firstId)
            // 10 different citizens (the repeat caller counts once) reached qidong's threshold of 10.
            #expect(try pipeline.scalar("SELECT count(DISTINCT key) FROM cluster_members") == 1)
            #expect(try pipeline.scalar("SELECT count(*) FROM cluster_members") == 11)
            #expect(try pipeline.scalar("SELECT citizens::int8 FROM clusters") == 10)
            #expect(try pipeline.scalar("SELECT count(*) FROM clusters WHERE supervised_at IS NOT NULL") == 1)
            #expect(try pipeline.text("SELECT supervision_reason FROM work_orders WHERE submission_id = 'clu-8'") == "clusterOfCitizens")
            #expect(try pipeline.scalar("SELECT count(*) FROM outbox WHERE type = 'workorder.supervised'") == 1)
        }
    }

    @Test func aRepeatOfARequestClosedUnderAnExemptRuleIsAnsweredAtIntakeFromThatClosing() throws {
        try Pipeline.with { pipeline in
            try pipeline.startBoth()
            try pipeline.publish([submission("ex-1", phone: "13600002222", content: "要求把我家门口的国道改线绕开村子", regionCode: "439999105001")])
            try pipeline.wait("first order routed", timeout: 30) {
                try pipeline.scalar("SELECT count(*) FROM work_orders WHERE state = 'dispatched' OR manual_dispatch_reason IS NOT NULL") == 1
            }
            // The revisit closed it under qidong's exempt rule 4 (verified impossible), on the unit's proof.
            try pipeline.database.execute("""
                UPDATE work_orders SET state = 'closed', exempt_reason = 'verifiedImpossibleOrUnreasonable', closed_at = now()
                WHERE submission_id = 'ex-1'
                """)
            try pipeline.database.execute("""
                INSERT INTO assignments (work_order_id, unit_id, role, state, dispatched_at, reply_by, reply_text_pii, active)
                SELECT id, (SELECT id FROM units WHERE code = 'TRANSPORT'), 'lead', 'replied', now(), now(), '国道线位已经省级审批，无法改线。', false
                FROM work_orders WHERE submission_id = 'ex-1'
                """)
            try pipeline.publish([submission("ex-2", phone: "136 0000 2222", content: "再次要求把我家门口的国道改线，绕开村子", regionCode: "439999105001")])
            try pipeline.wait("the repeat answered", timeout: 30) { try pipeline.scalar("SELECT count(*) FROM work_orders") == 2 }
            #expect(try pipeline.text("SELECT state FROM work_orders WHERE submission_id = 'ex-2'") == "resolvedAtIntake")
            #expect(try pipeline.text("SELECT intake_answer_pii FROM work_orders WHERE submission_id = 'ex-2'") == "国道线位已经省级审批，无法改线。")
            #expect(try pipeline.text("SELECT repeat_of::text FROM work_orders WHERE submission_id = 'ex-2'")
                    == (try pipeline.text("SELECT id::text FROM work_orders WHERE submission_id = 'ex-1'")))
            try pipeline.wait("the answer published", timeout: 15) {
                try pipeline.scalar("SELECT count(*) FROM outbox WHERE type = 'workorder.resolved_at_intake' AND published_at IS NOT NULL") == 1
            }
            #expect(try pipeline.scalar("SELECT count(*) FROM assignments a JOIN work_orders o ON o.id = a.work_order_id WHERE o.submission_id = 'ex-2'") == 0)
        }
    }

    @Test func anApprovedReturnIsRedispatchedElsewhereAndRepeatedReturnsRaiseSupervision() throws {
        try Pipeline.with { pipeline in
            try pipeline.startBoth()
            // A broken street light in 荷叶塘村: the township leads (locality first), the county's urban
            // management department is the other rule's unit. (A water outage has one level-2 unit, WATER:
            // routing no longer falls back to its level-3 station.)
            try pipeline.publish([submission("ret-1", title: "路灯不亮", content: "荷叶塘村村口的路灯坏了一个多月", regionCode: "439999102002")])
            try pipeline.wait("dispatched", timeout: 30) {
                try pipeline.scalar("SELECT count(*) FROM work_orders WHERE state = 'dispatched'") == 1
            }
            let number = try #require(try pipeline.text("SELECT number FROM work_orders"))
            func lead() throws -> String? {
                try pipeline.text("SELECT u.code FROM assignments a JOIN units u ON u.id = a.unit_id WHERE a.active AND a.role = 'lead'")
            }
            #expect(try lead() == "GOV-439999102")
            let ctl = try Shell.product("hotlinectl")
            let environment = ["HOTLINE_DATABASE_URL": pipeline.databaseURL]
            func run(_ arguments: [String]) throws {
                let result = try Shell.run(ctl, arguments, environment: environment)
                guard result.status == 0 else { throw Shell.Failure(command: "hotlinectl \(arguments.joined(separator: " "))", result: result) }
            }
            // qidong 附件2 一(二): a return gives the reason, a re-dispatch suggestion, the basis and the leader's opinion.
            let returnDetails = ["--reason", "不属本单位职责", "--suggestion", "请转县住建局", "--basis", "三定方案", "--leader-opinion", "同意退回"]
            try run(["order", "return", number, "--unit", "GOV-439999102"] + returnDetails)
            try run(["order", "approve-return", number])
            try pipeline.wait("re-dispatched", timeout: 30) {
                try pipeline.scalar("SELECT count(*) FROM assignments WHERE active AND role = 'lead'") == 1
            }
            let second = try #require(try lead())
            #expect(second == "URBAN")
            #expect(try pipeline.scalar("SELECT returns_count::int8 FROM work_orders") == 1)
            try run(["order", "return", number, "--unit", second] + returnDetails)
            try run(["order", "approve-return", number])
            // qidong: the second approved return puts the order under supervision.
            #expect(try pipeline.text("SELECT supervision_reason FROM work_orders") == "returnedBetweenUnits")
            try pipeline.wait("routed again", timeout: 30) {
                try pipeline.scalar("SELECT count(*) FROM work_orders WHERE state = 'dispatched' OR manual_dispatch_reason IS NOT NULL") == 1
            }
            if let third = try lead() {
                #expect(third != "GOV-439999102" && third != second)
            }
            #expect(try pipeline.scalar("SELECT count(*) FROM outbox WHERE type = 'workorder.return_approved'") == 2)
        }
    }

    @Test func sigkillingEitherWorkerMidRunLosesAndDuplicatesNothing() throws {
        try Pipeline.with { pipeline in
            let count = 1_500
            // intake dies after its 4th committed batch (before the ack); routing after its 6th.
            try pipeline.start("intake", environment: ["HOTLINE_FAULT": "kill-after-commit:4"])
            try pipeline.start("routing", environment: ["HOTLINE_FAULT": "kill-after-commit:6"])
            let towns = ["439999001001", "439999101002", "439999102001", "439999103002", "439999104001", "439999106001"]
            let matters = ["停水了，一直没有来水", "停电好几个小时了", "工地老板拖欠工资三个月", "小区物业不作为，电梯坏了没人修",
                           "超市卖过期食品", "楼下饭店油烟太大"]
            let submissions = (0..<count).map { n in
                submission("kill-\(n)", phone: "139\(String(format: "%08d", n))", content: "\(matters[n % matters.count])（第\(n)号）",
                           regionCode: towns[n % towns.count])
            }
            try pipeline.publish(submissions)
            try pipeline.wait("intake killed by its fault point", timeout: 60) { !(pipeline.workers["intake"]?.isRunning ?? true) }
            try pipeline.start("intake")
            // Routing sees every order once intake is back, so its 6th batch surely comes.
            try pipeline.wait("routing killed by its fault point", timeout: 60) { !(pipeline.workers["routing"]?.isRunning ?? true) }
            try pipeline.start("routing")
            try pipeline.wait("every submission routed", timeout: 120) {
                try pipeline.scalar("SELECT count(*) FROM work_orders WHERE state = 'dispatched' OR manual_dispatch_reason IS NOT NULL") == count
            }
            // Lost: none. Duplicated effects: none.
            #expect(try pipeline.scalar("SELECT count(*) FROM work_orders") == count)
            #expect(try pipeline.scalar("SELECT count(DISTINCT submission_id) FROM work_orders") == count)
            #expect(try pipeline.scalar("SELECT count(*) FROM events WHERE type = 'accepted'") == count)
            #expect(try pipeline.scalar("""
                SELECT count(*) FROM (SELECT work_order_id FROM events WHERE type IN ('dispatched', 'manualDispatchNeeded')
                                      GROUP BY work_order_id HAVING count(*) > 1) d
                """) == 0)
            #expect(try pipeline.scalar("""
                SELECT count(*) FROM (SELECT work_order_id FROM assignments WHERE role = 'lead' GROUP BY work_order_id HAVING count(*) > 1) d
                """) == 0)
            #expect(try pipeline.scalar("SELECT count(*) FROM outbox WHERE type = 'workorder.received'") == count)
            #expect(try pipeline.scalar("SELECT count(*) FROM parked_messages") == 0)
        }
    }
}
