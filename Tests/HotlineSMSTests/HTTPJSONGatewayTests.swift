import Foundation
import HotlineDomain
import HotlineRuntime
@testable import HotlineSMS
import HotlineStore
import HotlineTestSupport
import PostgresClient
import Testing

/// The second adapter against a small fake provider (a Python HTTP server started by the test): the
/// request carries the signature, the template and the text as its parameter; a throttled answer is
/// tried again after the profile's backoff; a refused number fails into the phone-revisit queue.
@Suite(.serialized) struct HTTPJSONGatewayTests {
    static let provider = #"""
    import http.server, json, sys
    log = open(sys.argv[2], "a")
    seen = set()
    class H(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            ok = self.headers.get("Authorization") == "Bearer test-key"
            phone = body["PhoneNumbers"]
            if not ok: answer = {"Code": "InvalidAccessKeyId.NotFound"}
            elif phone.endswith("0000"): answer = {"Code": "isv.MOBILE_NUMBER_ILLEGAL"}
            elif phone not in seen: seen.add(phone); answer = {"Code": "isv.BUSINESS_LIMIT_CONTROL"}
            else: answer = {"Code": "OK", "BizId": "biz-" + body["OutId"]}
            log.write(json.dumps({"body": body, "answer": answer["Code"]}, ensure_ascii=False) + "\n"); log.flush()
            data = json.dumps(answer).encode()
            self.send_response(200); self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data))); self.end_headers(); self.wfile.write(data)
        def log_message(self, *a): pass
    server = http.server.HTTPServer(("127.0.0.1", 0), H)
    print(server.server_address[1], flush=True)
    server.serve_forever()
    """#

    @Test func theJSONProviderTakesTheTextAsATemplateParameter() throws {
        try PostgresTestDatabase.with { url in
            let fixture = try SMSFixture(url: url)
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("fake-provider-\(UUID().uuidString.prefix(8))")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let script = directory.appendingPathComponent("provider.py"), requests = directory.appendingPathComponent("requests.jsonl")
            let portFile = directory.appendingPathComponent("port")
            try Self.provider.write(to: script, atomically: true, encoding: .utf8)
            let child = try Shell.start("/usr/bin/python3", [script.path, "0", requests.path], stdout: portFile.path,
                                        stderr: directory.appendingPathComponent("stderr").path)
            defer { child.signal(SIGKILL); child.wait() }
            var port = 0
            try SMSFixture.wait("the fake provider", timeout: 20) {
                port = Int(((try? String(contentsOf: portFile, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
                return port > 0
            }
            let gateway = HTTPJSONGateway(configuration: .init(url: "http://127.0.0.1:\(port)/sms", accessKey: "test-key",
                                                               signName: "石桥县12345热线", templateCode: "SMS_REPLY_001",
                                                               callbackURL: "http://127.0.0.1:1", secret: "not-used-here"))
            let now = SMSRulesTests.china("2026-12-01T10:00:00")
            let harness = try HandlerHarness(url: url, consumer: "sms-reply")
            let good = try fixture.repliedOrder(profile: "qidong", phone: "13911112222", at: now)
            let refused = try fixture.repliedOrder(profile: "qidong", phone: "13911110000", at: now)
            for order in [good, refused] {
                try harness.handle(try fixture.repliedMessage(of: order.id),
                                   with: ReplyHandler(profiles: fixture.profiles, calendars: CalendarSource(fixed: fixture.calendar)), at: now)
            }
            let clock = ManualClock(now)
            let sender = SMSSender(configuration: .init(databaseURL: url), gateway: gateway, clock: clock, profiles: fixture.profiles)
            #expect(try sender.sendDue(on: harness.connection) == SMSSender.BatchReport(claimed: 2, accepted: 0, retrying: 1, failed: 1))
            #expect(try sender.sendDue(on: harness.connection).claimed == 0)
            clock.advance(by: 30)
            #expect(try sender.sendDue(on: harness.connection) == SMSSender.BatchReport(claimed: 1, accepted: 1, retrying: 0, failed: 0))

            #expect(try fixture.text("SELECT status FROM sms_messages WHERE work_order_id = \(good.id)") == "accepted")
            #expect(try fixture.text("SELECT gateway_id FROM sms_messages WHERE work_order_id = \(good.id)")?.hasPrefix("biz-") == true)
            #expect(try fixture.text("SELECT status FROM sms_messages WHERE work_order_id = \(refused.id)") == "failed")
            #expect(try fixture.scalar("SELECT count(*) FROM phone_revisits WHERE work_order_id = \(refused.id) AND reason = 'smsFailed'") == 1)

            let lines = try String(contentsOf: requests, encoding: .utf8).split(separator: "\n")
            let last = try #require(try JSONSerialization.jsonObject(with: Data(lines.last!.utf8)) as? [String: Any])
            let body = try #require(last["body"] as? [String: Any])
            #expect(body["SignName"] as? String == "石桥县12345热线")
            #expect(body["TemplateCode"] as? String == "SMS_REPLY_001")
            let parameters = try #require(try JSONSerialization.jsonObject(with: Data((body["TemplateParam"] as? String ?? "").utf8)) as? [String: String])
            #expect(parameters["content"] == "【石桥县自来水有限公司】您反映的停水问题已于11月30日修复。请回复数字对成员单位的办理结果进行评价:1满意;2基本满意;3不满意")
        }
    }
}
