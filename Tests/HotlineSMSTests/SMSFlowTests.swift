import Foundation
import HotlineContracts
import HotlineDeadlines
import HotlineDomain
import HotlineRuntime
@testable import HotlineSMS
import HotlineStore
import HotlineTestSupport
import PostgresClient
import Testing

/// The SMS worker's parts in-process against PostgreSQL and the real Kannel of `ops/services`:
/// the reply handler, the sender on a moved clock, the answer interpreter, the unanswered revisit.
@Suite(.serialized) struct SMSFlowTests {
    static func sender(_ fixture: SMSFixture, clock: any HotlineClock) throws -> SMSSender {
        var gateway = try SMSFixture.kannel().gateway
        // No worker listens in these tests: their delivery reports go nowhere rather than to a
        // later test's worker.
        gateway.callbackURL = "http://127.0.0.1:9"
        return SMSSender(configuration: .init(databaseURL: fixture.url), gateway: KannelGateway(configuration: gateway),
                         clock: clock, profiles: fixture.profiles)
    }

    static func handler(_ fixture: SMSFixture) -> ReplyHandler {
        ReplyHandler(profiles: fixture.profiles, calendars: CalendarSource(fixed: fixture.calendar))
    }

    /// 23:10 China time: the reply SMS is stored but held; at 23:30 nothing goes; at 08:00 it goes
    /// and reaches the phone with the profile's exact wording, Chinese intact.
    @Test func quietHoursHoldAnSMSUntilMorningOnAMovedClock() throws {
        try PostgresTestDatabase.with { url in
            let fixture = try SMSFixture(url: url)
            let phone = SMSFixture.uniquePhone()
            let evening = SMSRulesTests.china("2026-11-30T23:10:00")
            let order = try fixture.repliedOrder(profile: "qidong", phone: phone, at: evening)
            let harness = try HandlerHarness(url: url, consumer: "sms-reply")
            try harness.handle(try fixture.repliedMessage(of: order.id), with: Self.handler(fixture), at: evening)
            #expect(try fixture.text("SELECT state FROM work_orders WHERE id = \(order.id)") == "revisitPending")

            let clock = ManualClock(SMSRulesTests.china("2026-11-30T23:30:00"))
            let sender = try Self.sender(fixture, clock: clock)
            #expect(try sender.sendDue(on: harness.connection).claimed == 0)
            clock.set(SMSRulesTests.china("2026-12-01T08:00:00"))
            let report = try sender.sendDue(on: harness.connection)
            #expect(report == SMSSender.BatchReport(claimed: 1, accepted: 1, retrying: 0, failed: 0))

            let phoneBook = try SMSFixture.kannel().phone
            try SMSFixture.wait("the SMS on the fake phone", timeout: 30) { try !phoneBook.received(by: phone).isEmpty }
            let received = try phoneBook.received(by: phone)
            #expect(received.map(\.text) == ["【石桥县自来水有限公司】您反映的停水问题已于11月30日修复。请回复数字对成员单位的办理结果进行评价:1满意;2基本满意;3不满意"])
            #expect(received.first?.from == "12345")
            // The revisit waits 48 hours from the moment it went out.
            #expect(try fixture.scalar("""
                SELECT count(*) FROM timers WHERE work_order_id = \(order.id) AND kind = 'revisitUnanswered'
                  AND fire_at = \(SMSRulesTests.china("2026-12-03T08:00:00"))
                """) == 1)
        }
    }

    /// The same reply delivered twice makes one SMS; a confidential order's SMS never names the unit.
    @Test func oneSMSPerReviewedReplyAndConfidentialUnderTheHotlinesName() throws {
        try PostgresTestDatabase.with { url in
            let fixture = try SMSFixture(url: url)
            let now = SMSRulesTests.china("2026-12-01T10:00:00")
            let order = try fixture.repliedOrder(profile: "qidong", phone: SMSFixture.uniquePhone(), confidential: true, at: now)
            let harness = try HandlerHarness(url: url, consumer: "sms-reply")
            let message = try fixture.repliedMessage(of: order.id)
            try harness.handle(message, with: Self.handler(fixture), at: now)
            try harness.handle(message, with: Self.handler(fixture), at: now)
            #expect(try fixture.scalar("SELECT count(*) FROM sms_messages WHERE work_order_id = \(order.id)") == 1)
            let body = try #require(try fixture.text("SELECT body_pii FROM sms_messages WHERE work_order_id = \(order.id)"))
            #expect(body.hasPrefix("【祁东12345热线】"))
            #expect(!body.contains("自来水"))
        }
    }

    /// Answers read in the transaction that stores them: a rating drives the profile's rule, an
    /// unclear answer and a stranger's reply wait for the staff, 退订 holds for the next SMS.
    @Test func answersDriveTheLifecycleByProfileAndNothingIsGuessed() throws {
        try PostgresTestDatabase.with { url in
            let fixture = try SMSFixture(url: url)
            let now = SMSRulesTests.china("2026-12-01T10:00:00")
            let harness = try HandlerHarness(url: url, consumer: "sms-reply")
            let interpreter = AnswerInterpreter(profiles: fixture.profiles, calendars: CalendarSource(fixed: fixture.calendar))
            func replied(_ profile: String, _ phone: String) throws -> (number: String, id: UUID) {
                let order = try fixture.repliedOrder(profile: profile, phone: phone, at: now)
                try harness.handle(try fixture.repliedMessage(of: order.id), with: Self.handler(fixture), at: now)
                return order
            }
            func answer(_ phone: String, _ text: String) throws -> AnswerReceipt {
                try harness.connection.withTransaction { try interpreter.receive(from: "+86" + phone, text: text, gatewayTime: nil,
                                                                                 at: now.addingTimeInterval(600), on: $0) }
            }
            func state(_ id: UUID) throws -> String? { try fixture.text("SELECT state FROM work_orders WHERE id = \(id)") }

            // zezhou: the first dissatisfied is redone within 5 working days.
            let zezhouPhone = SMSFixture.uniquePhone()
            let zezhou = try replied("zezhou", zezhouPhone)
            let redo = try answer(zezhouPhone, "３")
            #expect(redo.interpretation == "rating" && redo.rating == .dissatisfied && redo.outcome == "redone")
            #expect(try state(zezhou.id) == "redo")
            #expect(try fixture.scalar("SELECT count(*) FROM ratings WHERE work_order_id = \(zezhou.id) AND rating = 'dissatisfied' AND source = 'sms'") == 1)

            // qidong: dissatisfied waits for the revisit staff's decision; the words are kept.
            let qidongPhone = SMSFixture.uniquePhone()
            let qidong = try replied("qidong", qidongPhone)
            #expect(try answer(qidongPhone, "不满意，路灯还是不亮").outcome == "awaitingDecision")
            #expect(try state(qidong.id) == "rated")
            #expect(try fixture.text("SELECT raw_reply_pii FROM ratings WHERE work_order_id = \(qidong.id)") == "不满意，路灯还是不亮")
            #expect(try fixture.scalar("SELECT count(*) FROM outbox WHERE type = 'workorder.rated'") == 2)

            // Satisfied closes; the revisit timer is cancelled with the rating.
            let happyPhone = SMSFixture.uniquePhone()
            let happy = try replied("qidong", happyPhone)
            #expect(try answer(happyPhone, "满意！谢谢").outcome == "closed")
            #expect(try state(happy.id) == "closed")

            // pingdingshan: a dissatisfied rating waits for the staff (they check for an untrue result).
            let pdsPhone = SMSFixture.uniquePhone()
            let pds = try replied("pingdingshan", pdsPhone)
            #expect(try answer(pdsPhone, "3 还是没人管").outcome == "awaitingDecision")
            #expect(try state(pds.id) == "rated")

            // Unclear: stored, listed, the order still waits.
            let unclearPhone = SMSFixture.uniquePhone()
            let unclear = try replied("qidong", unclearPhone)
            #expect(try answer(unclearPhone, "什么时候修好").interpretation == "unclear")
            #expect(try state(unclear.id) == "revisitPending")
            // A phone with no pending revisit: stored and listed, not answered.
            #expect(try answer(SMSFixture.uniquePhone(), "1").interpretation == "unmatched")
            let toLookAt = try SMSMessages.toLookAt(limit: 10, on: harness.connection)
            #expect(Set(toLookAt.compactMap(\.interpretation)) == ["unclear", "unmatched"])

            // Several pending for one phone: the most recent revisit takes the answer.
            let twicePhone = SMSFixture.uniquePhone()
            let older = try replied("qidong", twicePhone)
            let newer = try fixture.repliedOrder(profile: "qidong", phone: twicePhone, at: now.addingTimeInterval(60))
            try harness.handle(try fixture.repliedMessage(of: newer.id), with: Self.handler(fixture), at: now.addingTimeInterval(60))
            #expect(try answer(twicePhone, "1").orderNumber == newer.number)
            #expect(try state(older.id) == "revisitPending")

            // 退订: the next reply SMS to that phone is not sent; the order goes to the phone revisit.
            #expect(try answer(twicePhone, "退订").interpretation == "optOut")
            let later = try fixture.repliedOrder(profile: "qidong", phone: twicePhone, at: now.addingTimeInterval(120))
            try harness.handle(try fixture.repliedMessage(of: later.id), with: Self.handler(fixture), at: now.addingTimeInterval(120))
            #expect(try fixture.text("SELECT status FROM sms_messages WHERE work_order_id = \(later.id) AND direction = 'outbound'") == "optedOut")
            #expect(try fixture.scalar("SELECT count(*) FROM phone_revisits WHERE work_order_id = \(later.id) AND reason = 'optedOut'") == 1)
        }
    }

    /// Sent, not answered within the profile's wait: the deadline watch puts the order in the
    /// phone-revisit queue. Answered in time: the timer was cancelled and nothing is queued.
    @Test func anUnansweredRevisitGoesToThePhoneRevisitQueue() throws {
        try PostgresTestDatabase.with { url in
            let fixture = try SMSFixture(url: url)
            let now = SMSRulesTests.china("2026-12-01T10:00:00")
            let harness = try HandlerHarness(url: url, consumer: "sms-reply")
            let silent = try fixture.repliedOrder(profile: "qidong", phone: SMSFixture.uniquePhone(), at: now)
            try harness.handle(try fixture.repliedMessage(of: silent.id), with: Self.handler(fixture), at: now)
            let clock = ManualClock(now)
            #expect(try Self.sender(fixture, clock: clock).sendDue(on: harness.connection).accepted == 1)

            let claimer = TimerClaimer(configuration: .init(databaseURL: url), clock: clock, calendar: fixture.calendar)
            clock.advance(by: 47 * 3600)
            try claimer.fireDue(on: harness.connection)
            #expect(try fixture.scalar("SELECT count(*) FROM phone_revisits") == 0)
            clock.advance(by: 2 * 3600)
            try claimer.fireDue(on: harness.connection)
            #expect(try fixture.scalar("""
                SELECT count(*) FROM phone_revisits p JOIN sms_messages m ON m.id = p.sms_message_id
                WHERE p.work_order_id = \(silent.id) AND p.reason = 'revisitUnanswered' AND m.direction = 'outbound'
                """) == 1)
            #expect(try fixture.scalar("SELECT count(*) FROM events WHERE work_order_id = \(silent.id) AND type = 'revisitUnanswered'") == 1)
        }
    }
}
