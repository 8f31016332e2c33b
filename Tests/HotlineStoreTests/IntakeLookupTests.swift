import Foundation
import HotlineContracts
import HotlineDomain
import HotlineStore
import HotlineTestSupport
import PostgresClient
import Testing

/// The store's operations for intake, each against a real database: every test fails (never
/// skips) without `HOTLINE_DATABASE_URL`.
@Suite(.serialized) struct IntakeLookupStoreTests {
    // Tuesday 2024-05-07 10:00 China time.
    let now = Date(timeIntervalSince1970: 1_715_047_200)
    let hour: TimeInterval = 3_600

    @Test func dailyCallsCountEachPhonesOrdersOfItsChinaDay() throws {
        try StoreDatabase.with { db in
            let today = LocalDate(instant: now)
            try db.order(phone: "13800000001", at: today.startInstant)                   // 00:00 China time: today
            try db.order(phone: "13800000001", at: now)
            try db.order(phone: "13800000001", at: today.startInstant.addingTimeInterval(-1), state: "closed") // yesterday
            try db.order(phone: "13800000001", at: today.endInstant)                     // tomorrow
            try db.order(phone: "13800000002", at: now, state: "notAccepted")
            let keys = [PhoneDay(phonePII: "13800000001", day: today), PhoneDay(phonePII: "13800000002", day: today),
                        PhoneDay(phonePII: "13800000001", day: today.adding(days: -1)), PhoneDay(phonePII: "13900000000", day: today)]
            let calls = try Citizens.dailyCalls(keys, on: db.connection)
            #expect(calls == [keys[0]: 2, keys[1]: 1, keys[2]: 1, keys[3]: 0])
            #expect(try Citizens.dailyCalls([], on: db.connection).isEmpty)
        }
    }

    @Test func numbersAreReservedBeforeTheInsertInTheOrderGivenByChinaDay() throws {
        try StoreDatabase.with { db in
            // 2024-05-06 16:30 UTC is 2024-05-07 00:30 in China.
            let lateUTC = Date(timeIntervalSince1970: 1_715_013_000)
            let numbers = try WorkOrders.reserveNumbers(receivedAt: [lateUTC, now.addingTimeInterval(-86_400)], on: db.connection)
            #expect(numbers == ["12345-20240507-0000001", "12345-20240506-0000002"])
            let more = try WorkOrders.reserveNumbers(receivedAt: [now], on: db.connection)
            #expect(more == ["12345-20240507-0000003"])
            #expect(try WorkOrders.reserveNumbers(receivedAt: [], on: db.connection).isEmpty)
            #expect(WorkOrders.number(receivedAt: now, sequence: 123_456_789) == "12345-20240507-123456789")
        }
    }

    @Test func existingOrdersAreFoundBySubmissionAndByNumber() throws {
        try StoreDatabase.with { db in
            let id = try db.order(phone: nil, at: now, channel: "web")
            let key = SubmissionKey(channel: "web", submissionId: id.uuidString)
            let other = SubmissionKey(channel: "phone", submissionId: id.uuidString)
            let found = try WorkOrders.existing([key, other], on: db.connection)
            #expect(found.count == 1)
            #expect(found[key]?.id == id)
            #expect(found[key]?.state == "awaitingDispatch")
            #expect(try WorkOrders.find(channel: "web", submissionId: id.uuidString, on: db.connection)?.number == id.uuidString)
            #expect(try WorkOrders.find(channel: "phone", submissionId: id.uuidString, on: db.connection) == nil)
            #expect(try WorkOrders.ids(numbers: [id.uuidString, "12345-nope"], on: db.connection) == [id.uuidString: id])
        }
    }

    @Test func openOrdersOfEachPhoneAreTheOpenOnesInTheWindowOldestFirst() throws {
        try StoreDatabase.with { db in
            let a = "13800000001", b = "13800000002"
            let old = try db.order(phone: a, at: now.addingTimeInterval(-10 * hour))
            let newer = try db.order(phone: a, at: now.addingTimeInterval(-1 * hour), shingles: nil, text: "停电 小区停电")
            try db.order(phone: a, at: now.addingTimeInterval(-2 * hour), state: "closed")
            try db.order(phone: a, at: now.addingTimeInterval(-3 * hour), state: "notAccepted")
            try db.order(phone: a, at: now.addingTimeInterval(-40 * hour))               // before the window
            let bs = try db.order(phone: b, at: now.addingTimeInterval(-5 * hour))
            let open = try WorkOrders.openOrders(ofPhones: [a, b, a, "13900000000"], receivedAfter: now.addingTimeInterval(-24 * hour),
                                                 limit: 5, on: db.connection)
            #expect(open[a]?.map(\.orderId) == [old, newer])
            #expect(open[b]?.map(\.orderId) == [bs])
            #expect(open["13900000000"] == nil)
            // The text is read only for an order stored without its matter.
            #expect(open[a]?[0].textPII == nil && open[a]?[0].shingles == [1, 2, 3])
            #expect(open[a]?[1].textPII == " 停电 小区停电" && open[a]?[1].shingles == nil)
            let limited = try WorkOrders.openOrders(ofPhones: [a], receivedAfter: now.addingTimeInterval(-24 * hour), limit: 1, on: db.connection)
            #expect(limited[a]?.map(\.orderId) == [old])
        }
    }

    /// Intake looks up one submission at a time; a one-key lookup must keep its prepared plan
    /// (`KeyRows`): over `unnest` of an array PostgreSQL re-planned it on every call.
    @Test func aOneKeyLookupKeepsItsPreparedPlanAndAgreesWithTheBatchedForm() throws {
        try StoreDatabase.with { db in
            let a = "13800000001", b = "13800000002"
            let order = try db.order(phone: a, at: now.addingTimeInterval(-1 * hour))
            for _ in 0..<8 {
                let one = try WorkOrders.openOrders(ofPhones: [a], receivedAfter: now.addingTimeInterval(-24 * hour), limit: 5, on: db.connection)
                #expect(one[a]?.map(\.orderId) == [order])
            }
            let both = try WorkOrders.openOrders(ofPhones: [a, b], receivedAfter: now.addingTimeInterval(-24 * hour), limit: 5, on: db.connection)
            #expect(both[a]?.map(\.orderId) == [order] && both[b] == nil)
            let plans = try db.connection.query("""
                SELECT generic_plans, custom_plans FROM pg_prepared_statements
                WHERE statement LIKE '%FROM (VALUES ($1::text)) AS p(phone)%' AND statement LIKE '%state NOT IN%'
                  AND statement NOT LIKE '%pg_prepared_statements%'
                """)
            #expect(plans.count == 1)
            // The first five executions are custom plans in any case; the rest reuse the generic one.
            #expect(try plans.first?.decode("generic_plans", as: Int.self) ?? 0 >= 3)
        }
    }

    @Test func exemptClosingsAreClosedUnderTheReasonsNewestFirstWithTheLeadsReply() throws {
        try StoreDatabase.with { db in
            let a = "13800000001"
            let older = try db.order(phone: a, at: now.addingTimeInterval(-48 * hour), state: "closed", exemptReason: "verifiedImpossibleOrUnreasonable")
            let newer = try db.order(phone: a, at: now.addingTimeInterval(-24 * hour), state: "closed", exemptReason: "verifiedImpossibleOrUnreasonable")
            try db.order(phone: a, at: now.addingTimeInterval(-12 * hour), state: "closed", exemptReason: "supervisionOfficeHasRuled")
            try db.order(phone: a, at: now.addingTimeInterval(-6 * hour), state: "closed")
            try db.connection.execute("""
                INSERT INTO assignments (work_order_id, unit_id, role, state, dispatched_at, reply_text_pii)
                SELECT \(newer), id, 'lead', 'replied', \(now), '已核实, 无法办理' FROM units WHERE code = 'WATER'
                """)
            let found = try WorkOrders.exemptClosings(ofPhones: [a], reasons: [.verifiedImpossibleOrUnreasonable],
                                                      receivedAfter: now.addingTimeInterval(-72 * hour), limit: 5, on: db.connection)
            #expect(found[a]?.map(\.matter.orderId) == [newer, older])
            #expect(found[a]?.map(\.answerPII) == ["已核实, 无法办理", nil])
            let recent = try WorkOrders.exemptClosings(ofPhones: [a], reasons: [.verifiedImpossibleOrUnreasonable],
                                                       receivedAfter: now.addingTimeInterval(-30 * hour), limit: 5, on: db.connection)
            #expect(recent[a]?.map(\.matter.orderId) == [newer])
            #expect(try WorkOrders.exemptClosings(ofPhones: [a], reasons: [], receivedAfter: .distantPast, limit: 5, on: db.connection).isEmpty)
        }
    }

    @Test func rejectedSubmissionsAreStoredOncePerMessageId() throws {
        try StoreDatabase.with { db in
            let problems = [FieldProblem(field: "phone", problem: "not a phone number")]
            func rejected(_ messageId: String?) -> RejectedSubmission {
                RejectedSubmission(channel: "web", submissionId: nil, messageId: messageId, problems: problems,
                                   payloadPII: Array("{\"x\": 1}".utf8), receivedAt: now)
            }
            #expect(try RejectedSubmissions.store([rejected("m-1"), rejected(nil)], on: db.connection) == [true, true])
            #expect(try RejectedSubmissions.store([rejected("m-1"), rejected("m-2"), rejected(nil)], on: db.connection) == [false, true, true])
            #expect(try RejectedSubmissions.count(on: db.connection) == 4)
            let row = try #require(try db.connection.query("""
                SELECT channel, submission_id, payload_pii, reasons->0->>'field' AS field, received_at FROM rejected_submissions
                WHERE message_id = 'm-1'
                """).first)
            #expect(try row.decode("channel", as: String?.self) == "web")
            #expect(try row.decode("submission_id", as: String?.self) == nil)
            #expect(try row.decode("payload_pii", as: [UInt8].self) == Array("{\"x\": 1}".utf8))
            #expect(try row.decode("field", as: String.self) == "phone")
            #expect(try row.decode("received_at", as: Date.self) == now)
        }
    }
}
