import Foundation
import HotlineContracts
import HotlineDomain
import HotlineRuntime
import HotlineSMS
import HotlineStore
import HotlineTestSupport
import PostgresClient
import Testing

/// hotline-sms-reply as the real executable, with its outbox relay, lane, sender and callbacks,
/// against the real PostgreSQL, RabbitMQ and Kannel (bearerbox, smsbox, fakesmsc) of `ops/services`.
@Suite(.serialized) struct SMSReplyWorkerTests {
    /// Starts the worker on the callback port Kannel's configuration names; waits until ready.
    static func startWorker(_ processes: ChildProcesses, url: String, extra: [String: String] = [:]) throws -> Shell.Child {
        let kannel = try SMSFixture.kannel()
        let child = try processes.start(try Shell.product("hotline-sms-reply"), [], environment: [
            "HOTLINE_DATABASE_URL": url, "HOTLINE_AMQP_URL": try TestServers.amqpURL(),
            "HOTLINE_HTTP_PORT": String(kannel.callbackPort), "HOTLINE_PREFETCH": "50",
            // The test runs at any hour; quiet hours have their own test on a moved clock.
            "HOTLINE_SMS_QUIET_HOURS": "off",
        ].merging(extra) { _, new in new }, name: "hotline-sms-reply")
        try processes.wait("hotline-sms-reply ready", timeout: 90) {
            guard child.isRunning else { throw Died(log: processes.logTail(lines: 40)) }
            let answer = try Shell.run("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "2",
                                                         "http://127.0.0.1:\(kannel.callbackPort)/readyz"])
            return answer.stdout == "200"
        }
        return child
    }

    struct Died: Error, CustomStringConvertible {
        let log: String
        var description: String { "hotline-sms-reply exited\n\(log)" }
    }

    /// The "done when": a reply reviewed through the application layer reaches the fake
    /// phone with the profile's exact wording, Chinese intact, and is reported delivered; the
    /// citizen's ３ comes back through Kannel: zezhou redoes, qidong waits for the staff. No phone
    /// number or text appears in the worker's log or Kannel's.
    @Test func aReplyReachesThePhoneAndTheCitizensThreeComesBackThroughKannel() throws {
        try PostgresTestDatabase.with { url in
            let fixture = try SMSFixture(url: url)
            try SMSFixture.withProcesses { processes in
                _ = try Self.startWorker(processes, url: url)
                let kannel = try SMSFixture.kannel()
                let zezhouPhone = SMSFixture.uniquePhone(), qidongPhone = SMSFixture.uniquePhone()
                let result = "您反映的路灯不亮问题已于12月1日修复"
                let zezhou = try fixture.repliedOrder(profile: "zezhou", phone: zezhouPhone, text: result)
                let qidong = try fixture.repliedOrder(profile: "qidong", phone: qidongPhone, text: result, confidential: true)

                try processes.wait("both SMS on the fake phones", timeout: 60) {
                    try !kannel.phone.received(by: zezhouPhone).isEmpty && !kannel.phone.received(by: qidongPhone).isEmpty
                }
                #expect(try kannel.phone.received(by: zezhouPhone).map(\.text)
                        == ["【石桥县自来水有限公司】\(result)。请回复数字对成员单位的办理结果进行评价:1满意;2基本满意;3不满意"])
                #expect(try kannel.phone.received(by: qidongPhone).map(\.text)
                        == ["【祁东12345热线】\(result)。请回复数字对成员单位的办理结果进行评价:1满意;2基本满意;3不满意"])
                try processes.wait("delivery reports", timeout: 60) {
                    try fixture.scalar("SELECT count(*) FROM sms_messages WHERE direction = 'outbound' AND status = 'delivered'") == 2
                }

                try kannel.phone.send(from: zezhouPhone, text: "３")
                try kannel.phone.send(from: qidongPhone, text: "3 还是不亮")
                try processes.wait("both answers applied", timeout: 60) {
                    try fixture.text("SELECT state FROM work_orders WHERE id = \(zezhou.id)") == "redo"
                        && fixture.text("SELECT state FROM work_orders WHERE id = \(qidong.id)") == "rated"
                }
                #expect(try fixture.text("SELECT raw_reply_pii FROM ratings WHERE work_order_id = \(qidong.id)") == "3 还是不亮")
                #expect(try fixture.scalar("SELECT count(*) FROM sms_delivery_reports WHERE sms_message_id IS NULL") == 0)

                let logs = processes.fullLog() + (try Self.kannelLogs())
                for secret in [zezhouPhone, qidongPhone, result, "还是不亮"] {
                    #expect(!logs.contains(secret), "a log holds personal data unmasked")
                }
                #expect(logs.contains("citizen's SMS received"))
            }
        }
    }

    /// What a newcomer types: `hotlinectl sms reply-as` answers through the fake SMS centre,
    /// `hotlinectl sms log` shows both ways masked, `hotlinectl status` has the SMS lines.
    @Test func hotlinectlAnswersAsACitizenAndShowsTheLogMasked() throws {
        try PostgresTestDatabase.with { url in
            let fixture = try SMSFixture(url: url)
            try SMSFixture.withProcesses { processes in
                _ = try Self.startWorker(processes, url: url)
                let kannel = try SMSFixture.kannel()
                let phone = SMSFixture.uniquePhone()
                let order = try fixture.repliedOrder(profile: "qidong", phone: phone)
                try processes.wait("the SMS on the fake phone", timeout: 60) { try !kannel.phone.received(by: phone).isEmpty }
                func hotlinectl(_ arguments: String...) throws -> Shell.Result {
                    try Shell.run(try Shell.product("hotlinectl"), arguments, environment: ["HOTLINE_DATABASE_URL": url])
                }
                let sent = try hotlinectl("sms", "reply-as", "--phone", phone, "--text", "满意！谢谢")
                #expect(sent.status == 0, "\(sent.stderr)")
                try processes.wait("the order closed", timeout: 60) {
                    try fixture.text("SELECT state FROM work_orders WHERE id = \(order.id)") == "closed"
                }
                let log = try hotlinectl("sms", "log")
                #expect(log.status == 0)
                #expect(log.stdout.contains(Masking.phone(phone)) && !log.stdout.contains(phone))
                #expect(!log.stdout.contains("谢谢") && !log.stdout.contains("停水"))
                #expect(log.stdout.contains("\tin\t") && log.stdout.contains("\tout\t") && log.stdout.contains("rating"))
                let bad = try hotlinectl("sms", "reply-as", "--phone", "12345", "--text", "1")
                #expect(bad.status == 2 && bad.stderr.contains("--phone"))
                let status = try hotlinectl("status")
                #expect(status.stdout.contains("sms out:"), "\(status.stdout)")
            }
        }
    }

    /// bearerbox's and smsbox's own logs (not the fake phone's screen, which is the handset).
    static func kannelLogs() throws -> String {
        let directory = try SMSFixture.kannel().phone.directory
        return ["bearerbox.log", "smsbox.log", "bearerbox.out", "smsbox.out"].map {
            (try? String(contentsOf: directory.appendingPathComponent($0), encoding: .utf8)) ?? ""
        }.joined(separator: "\n")
    }
}
