import Foundation
import HotlineContracts
import HotlineDomain
import HotlineIntake
import HotlineRuntime
import HotlineStore
import HotlineTestSupport
import PostgresClient
import Testing

/// Intake's scope, repeat and cluster decisions, in-process: `IntakeHandler.handle` on a test
/// database (the demo county's gazetteer), no worker process, no broker. Each test reads back what
/// the handler wrote.
@Suite(.serialized) struct IntakeDecisionTests {
    let calendar = try! WorkingCalendar.bundled()
    // Tuesday 2024-05-07 10:00 China time.
    let now = Date(timeIntervalSince1970: 1_715_047_200)
    /// 荷叶塘村, 白沙镇, 石桥县 (the demo county).
    let village = "439999102002"

    struct Run {
        let harness: HandlerHarness
        let handler: IntakeHandler
        let now: Date
        var sequence = 0

        /// Submits one phone call through the handler; returns the context (its park reason).
        @discardableResult
        mutating func submit(phone: String? = "13800138000", title: String = "停水", content: String,
                             regionCode: String? = nil, address: String? = nil, submissionId: String? = nil,
                             outcome: SubmissionV1.AgentOutcome? = nil, at offset: TimeInterval = 0, messageId: String? = nil,
                             category: String = "求助") throws -> HandlerContext {
            sequence += 1
            let at = now.addingTimeInterval(offset)
            let submission = SubmissionV1(
                submissionId: submissionId ?? "call-\(sequence)", channel: "phone", receivedAt: at.addingTimeInterval(-60),
                citizen: .init(name: "张三", phone: phone), category: category, title: title, content: content,
                address: address, regionCode: regionCode, outcome: outcome)
            let message = try HandlerHarness.message(Contracts.envelope(submission, occurredAt: at),
                                                     routingKey: SubmissionV1.routingKey(channel: "phone"), messageId: messageId)
            return try harness.handle(message, with: handler, at: at)
        }

        var connection: PostgresConnection { harness.connection }

        func order(_ submissionId: String) throws -> PostgresRow {
            try #require(try connection.query("""
                SELECT id, number, state, not_accepted_reason, repeat_of, cluster_key, supervision_reason, intake_answer_pii
                FROM work_orders WHERE submission_id = \(submissionId)
                """).first)
        }

        func messages(_ type: String) throws -> [[UInt8]] {
            try connection.query("SELECT body FROM outbox WHERE type = \(type) ORDER BY id").map { try $0.decode("body", as: [UInt8].self) }
        }

        func count(_ sql: SQL) throws -> Int { try connection.query(sql).first!.decode(0, as: Int.self) }
    }

    func run(_ profile: PolicyProfile, _ body: (inout Run) throws -> Void) throws {
        try PostgresTestDatabase.with { url in
            let harness = try HandlerHarness(url: url, consumer: "intake")
            try harness.connection.withTransaction { tx in try ReferenceData.demoCounty().write(on: tx) }
            var run = Run(harness: harness, handler: IntakeHandler(profile: profile, calendar: calendar, gazetteer: .gazetteer(maxAge: .zero)),
                          now: now)
            try body(&run)
        }
    }

    func qidong(threshold: Int? = nil, counting: ClusterCounting? = nil, dailyLimit: Int? = nil) throws -> PolicyProfile {
        var profile = try PolicyProfile.bundled("qidong")
        if let threshold { profile.intake.clusterThreshold = threshold }
        if let counting { profile.intake.clusterCounting.rule = counting }
        if let dailyLimit { profile.intake.harassmentLimitPerPhonePerDay = dailyLimit }
        return profile
    }

    // MARK: - Scope

    @Test func anAcceptedOrderAnnouncesItselfWithTheNumberTakenBeforeTheInsert() throws {
        try run(try qidong()) { run in
            try run.submit(content: "荷叶塘村停水一天了", regionCode: village)
            let row = try run.order("call-1")
            #expect(try row.decode("state", as: String.self) == "awaitingDispatch")
            let received = try #require(try run.messages(WorkOrderReceived.type).first)
            let envelope = try Contracts.decode(WorkOrderReceived.self, from: received)
            #expect(envelope.data.number == (try row.decode("number", as: String.self)))
            #expect(envelope.data.number.hasPrefix("12345-20240507-"))
            #expect(envelope.workOrderId == (try row.decode("id", as: UUID.self)))
            #expect(envelope.data.regionCode == village)
            // The same submission again makes nothing.
            try run.submit(content: "荷叶塘村停水一天了", regionCode: village, submissionId: "call-1")
            #expect(try run.count("SELECT count(*) FROM work_orders") == 1)
            #expect(try run.messages(WorkOrderReceived.type).count == 1)
        }
    }

    @Test func aRegionOutsideTheGazetteerIsNotAccepted() throws {
        try run(try qidong()) { run in
            try run.submit(content: "长沙岳麓区停水", regionCode: "430104")
            let row = try run.order("call-1")
            #expect(try row.decode("state", as: String.self) == "notAccepted")
            #expect(try row.decode("not_accepted_reason", as: String?.self) == NotAcceptedReason.outsideJurisdiction.rawValue)
            let answer = try Contracts.decode(WorkOrderNotAccepted.self, from: try #require(try run.messages(WorkOrderNotAccepted.type).first))
            #expect(answer.data.decidedBy == "jurisdiction")
            #expect(answer.data.number == (try row.decode("number", as: String.self)))
            #expect(try run.messages(WorkOrderReceived.type).isEmpty)
        }
    }

    @Test func aCallerOverTheDailyLimitIsNotAccepted() throws {
        try run(try qidong(dailyLimit: 2)) { run in
            try run.submit(content: "荷叶塘村停水", regionCode: village)
            try run.submit(title: "噪音", content: "楼下广场舞噪音太大", regionCode: village)
            try run.submit(title: "路灯", content: "村口路灯坏了", regionCode: village)
            try run.submit(phone: "13900139000", title: "路灯", content: "村口路灯坏了", regionCode: village)
            #expect(try run.order("call-2").decode("state", as: String.self) == "awaitingDispatch")
            #expect(try run.order("call-3").decode("not_accepted_reason", as: String?.self) == NotAcceptedReason.harassmentOrNoRequest.rawValue)
            #expect(try run.order("call-4").decode("state", as: String.self) == "awaitingDispatch")
            // The next day counts afresh.
            try run.submit(title: "路灯", content: "村口路灯坏了", regionCode: village, at: 86_400)
            #expect(try run.order("call-5").decode("state", as: String.self) == "awaitingDispatch")
        }
    }

    @Test func theAgentsOwnOutcomeDecides() throws {
        try run(try qidong()) { run in
            try run.submit(content: "咨询社保卡办理", regionCode: village, outcome: .init(kind: "answered", answer: "带身份证到政务中心办理"))
            #expect(try run.order("call-1").decode("state", as: String.self) == "resolvedAtIntake")
            #expect(try run.messages(WorkOrderResolvedAtIntake.type).count == 1)
        }
    }

    @Test func aRepeatOfAnExemptClosingIsAnsweredFromIt() throws {
        try run(try qidong()) { run in
            try run.submit(content: "荷叶塘村自来水管道老化要求全部更换", regionCode: village)
            let closed = try run.order("call-1").decode("id", as: UUID.self)
            try run.connection.execute("""
                UPDATE work_orders SET state = 'closed', exempt_reason = 'verifiedImpossibleOrUnreasonable' WHERE id = \(closed)
                """)
            try run.connection.execute("""
                INSERT INTO assignments (work_order_id, unit_id, role, state, dispatched_at, reply_text_pii)
                SELECT \(closed), id, 'lead', 'replied', \(now), '已列入明年改造计划' FROM units WHERE code = 'WATER'
                """)
            try run.submit(content: "荷叶塘村自来水管道老化，要求全部更换新管", regionCode: village, at: 3_600)
            let row = try run.order("call-2")
            #expect(try row.decode("state", as: String.self) == "resolvedAtIntake")
            #expect(try row.decode("repeat_of", as: UUID?.self) == closed)
            #expect(try row.decode("intake_answer_pii", as: String?.self) == "已列入明年改造计划")
            let answer = try Contracts.decode(WorkOrderResolvedAtIntake.self, from: try #require(try run.messages(WorkOrderResolvedAtIntake.type).first))
            #expect(answer.data.basis == "exemptRepeat")
            #expect(answer.data.answeredFrom == closed)
            // Another phone's same matter is not answered from it.
            try run.submit(phone: "13900139000", content: "荷叶塘村自来水管道老化，要求全部更换新管", regionCode: village, at: 7_200)
            #expect(try run.order("call-3").decode("state", as: String.self) == "awaitingDispatch")
        }
    }

    // MARK: - Repeats

    @Test func theSameMatterFromTheSamePhoneIsLinkedToItsFirstOpenOrder() throws {
        try run(try qidong()) { run in
            try run.submit(content: "荷叶塘村停水一天了，什么时候来水", regionCode: village)
            try run.submit(title: "噪音", content: "村口工地晚上施工噪音扰民", regionCode: village, at: 600)
            try run.submit(content: "荷叶塘村还是停水，一天没水了", regionCode: village, at: 3_600)
            let first = try run.order("call-1").decode("id", as: UUID.self)
            #expect(try run.order("call-2").decode("repeat_of", as: UUID?.self) == nil)
            #expect(try run.order("call-3").decode("repeat_of", as: UUID?.self) == first)
            let received = try run.messages(WorkOrderReceived.type).map { try Contracts.decode(WorkOrderReceived.self, from: $0).data }
            #expect(received.map(\.repeatOf) == [nil, nil, first])
            // Past the profile's repeat window (30 days), it is a new matter again.
            try run.submit(content: "荷叶塘村停水一天了，什么时候来水", regionCode: village, at: 31 * 86_400)
            #expect(try run.order("call-4").decode("repeat_of", as: UUID?.self) == nil)
        }
    }

    // MARK: - Clusters

    /// Citizens A, B, then A again about the same matter in one village: three person-times,
    /// two citizens. At a threshold of 3, person-times (qidong, 同一事项10人次以上) supervise the
    /// third order and announce it once; distinct citizens do not.
    @Test func personTimesCountTheSameCitizenTwiceAndDistinctCitizensOnce() throws {
        for counting in ClusterCounting.allCases {
            try run(try qidong(threshold: 3, counting: counting)) { run in
                try run.submit(phone: "13800000001", content: "荷叶塘村停水一天了，什么时候来水", regionCode: village)
                try run.submit(phone: "13800000002", content: "荷叶塘村停水了，家里没水做饭", regionCode: village, at: 600)
                try run.submit(phone: "13800000001", content: "荷叶塘村还是停水，一天没水了", regionCode: village, at: 1_200)
                let first = try run.order("call-1").decode("id", as: UUID.self)
                for call in ["call-2", "call-3"] {
                    #expect(try run.order(call).decode("cluster_key", as: String?.self) == first.uuidString)
                }
                let supervised = try run.order("call-3").decode("supervision_reason", as: String?.self)
                let announcements = try run.messages(WorkOrderSupervised.type).map { try Contracts.decode(WorkOrderSupervised.self, from: $0).data }
                switch counting {
                case .personTimes:
                    #expect(supervised == SupervisionReason.clusterOfCitizens.rawValue)
                    #expect(announcements.count == 1)
                    #expect(announcements.first?.citizens == 3)
                    #expect(announcements.first?.clusterKey == first.uuidString)
                    #expect(try run.count("SELECT count(*) FROM clusters WHERE supervised_at IS NOT NULL") == 1)
                    // A later member is supervised too, without a second announcement.
                    try run.submit(phone: "13800000003", content: "荷叶塘村停水，请尽快恢复供水", regionCode: village, at: 1_800)
                    #expect(try run.order("call-4").decode("supervision_reason", as: String?.self) == SupervisionReason.clusterOfCitizens.rawValue)
                    #expect(try run.messages(WorkOrderSupervised.type).count == 1)
                case .distinctCitizens:
                    #expect(supervised == nil)
                    #expect(announcements.isEmpty)
                    #expect(try run.count("SELECT count(*) FROM clusters") == 0)
                    // A third citizen tips it.
                    try run.submit(phone: "13800000003", content: "荷叶塘村停水，请尽快恢复供水", regionCode: village, at: 1_800)
                    #expect(try run.order("call-4").decode("supervision_reason", as: String?.self) == SupervisionReason.clusterOfCitizens.rawValue)
                    #expect(try run.messages(WorkOrderSupervised.type).count == 1)
                }
            }
        }
    }

    @Test func anotherMatterOrAnotherPlaceOrAnOldOrderMakesNoCluster() throws {
        try run(try qidong(threshold: 2)) { run in
            try run.submit(phone: "13800000001", content: "荷叶塘村停水一天了", regionCode: village)
            try run.submit(phone: "13800000002", title: "噪音", content: "荷叶塘村工地夜间施工噪音", regionCode: village, at: 600)
            try run.submit(phone: "13800000003", content: "新屋村停水一天了", regionCode: "439999102003", at: 900)
            // Past the profile's cluster window (72 hours).
            try run.submit(phone: "13800000004", content: "荷叶塘村停水一天了", regionCode: village, at: 73 * 3_600)
            #expect(try run.count("SELECT count(*) FROM work_orders WHERE cluster_key IS NOT NULL") == 0)
            #expect(try run.count("SELECT count(*) FROM cluster_members") == 0)
        }
    }

    // MARK: - Rejections

    @Test func anInvalidSubmissionIsStoredAndAnsweredOnceAndParked() throws {
        try run(try qidong()) { run in
            let context = try run.submit(phone: "12345", content: "", messageId: "m-1")
            #expect(context.parkReason?.hasPrefix("rejected submission") == true)
            #expect(context.parkReason?.contains("12345") == false)
            #expect(try run.count("SELECT count(*) FROM rejected_submissions WHERE message_id = 'm-1'") == 1)
            let answer = try Contracts.decode(SubmissionRejected.self, from: try #require(try run.messages(SubmissionRejected.type).first))
            #expect(answer.data.problems.map(\.field).contains("citizen.phone"))
            // Redelivered: nothing more.
            try run.submit(phone: "12345", content: "", submissionId: "call-1", messageId: "m-1")
            #expect(try run.count("SELECT count(*) FROM rejected_submissions") == 1)
            #expect(try run.messages(SubmissionRejected.type).count == 1)
            #expect(try run.count("SELECT count(*) FROM work_orders") == 0)
        }
    }
}
