import Foundation
import HotlineContracts
import HotlineDomain
import HotlineRuntime
import HotlineSMS
import HotlineStore
import HotlineTestSupport
import PostgresClient
import Testing

/// A fresh database with the demo county, orders taken to a reviewed reply through the same
/// application layer the API uses (`OrderActions`), and the real Kannel of `ops/services`.
final class SMSFixture {
    let url: String
    let database: PostgresConnection
    let calendar = try! WorkingCalendar.bundled()
    let profiles = Dictionary(uniqueKeysWithValues: try! PolicyProfile.allBundled().map { ($0.id, $0) })

    init(url: String) throws {
        self.url = url
        database = try PostgresConnection(url: url, applicationName: "sms-test")
        try Migrator.bundled().migrate(database)
        try database.withTransaction { tx in try ReferenceData.demoCounty().write(on: tx) }
    }

    deinit { database.close() }

    /// Kannel as `ops/services env` describes it; fails loudly when it is not running.
    static func kannel() throws -> (gateway: KannelGateway.Configuration, phone: FakePhone, callbackPort: Int, secret: String) {
        let environment = ProcessInfo.processInfo.environment
        func value(_ name: String) throws -> String {
            guard let value = environment[name], !value.isEmpty else {
                throw KannelMissing(variable: name)
            }
            return value
        }
        let secret = try value("HOTLINE_SMS_SECRET")
        let port = try #require(Int(try value("HOTLINE_SMS_CALLBACK_PORT")))
        let configuration = KannelGateway.Configuration(sendsmsURL: try value("HOTLINE_KANNEL_SENDSMS_URL"), user: try value("HOTLINE_KANNEL_USER"),
                                                        password: try value("HOTLINE_KANNEL_PASSWORD"), from: "12345",
                                                        callbackURL: try value("HOTLINE_SMS_CALLBACK_URL"), secret: secret)
        return (configuration, FakePhone(directory: URL(fileURLWithPath: try value("HOTLINE_KANNEL_DIR"))), port, secret)
    }

    struct KannelMissing: Error, CustomStringConvertible {
        let variable: String
        var description: String { "\(variable) is not set: start Kannel with `ops/services up` and `eval \"$(ops/services env)\"`" }
    }

    /// A fresh mobile number no earlier test used (the fake phone's log is shared).
    static func uniquePhone() -> String {
        "139" + String(format: "%08d", Int.random(in: 0..<100_000_000))
    }

    /// An order of `profile` from `phone`, dispatched to WATER, signed, its reply `text` drafted
    /// and reviewed at `now`: `workorder.replied` waits in the outbox. Returns its number and id.
    @discardableResult
    func repliedOrder(profile: String, phone: String, text: String = "您反映的停水问题已于11月30日修复", confidential: Bool = false,
                      urgency: Urgency? = nil, at now: Date = Date()) throws -> (number: String, id: UUID) {
        let made = try database.withTransaction { tx in
            try ReviewedReplies.make(profile: profiles[profile]!, lead: "WATER", phones: [phone], confidential: confidential,
                                     urgency: urgency, text: { _ in text }, at: now, profiles: profiles, calendar: calendar, on: tx)
        }
        return (made[0].number, made[0].id)
    }

    /// The `workorder.replied` of `order` as the lane would deliver it (from the outbox).
    func repliedMessage(of order: UUID) throws -> IncomingMessage {
        for row in try database.query("SELECT message_id, body FROM outbox WHERE type = 'workorder.replied' ORDER BY id DESC") {
            let body = try row.decode("body", as: [UInt8].self)
            if try Contracts.header(of: body).workOrderId == order {
                return try HandlerHarness.message(body: body, routingKey: WorkOrderReplied.type,
                                                  messageId: try row.decode("message_id", as: UUID.self).uuidString)
            }
        }
        throw TimedOut(what: "a workorder.replied of \(order) in the outbox")
    }

    func scalar(_ sql: SQL) throws -> Int64 { try database.query(sql).first!.decode(0, as: Int64.self) }
    func text(_ sql: SQL) throws -> String? { try database.query(sql).first?.decode(0, as: String?.self) }

    /// `body` with the worker processes it starts, stopped afterwards; a failure records their logs' tails.
    static func withProcesses(_ body: (ChildProcesses) throws -> Void) throws {
        let processes = ChildProcesses()
        defer { processes.stopAll() }
        do {
            try body(processes)
        } catch {
            Issue.record("\(error)\n\(processes.logTail(lines: 40))")
            throw error
        }
    }

    /// Waits up to `timeout` seconds for `condition`, polling.
    static func wait(_ what: String, timeout: TimeInterval, _ condition: () throws -> Bool) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try condition() { return }
            Thread.sleep(forTimeInterval: 0.1)
        }
        if try condition() { return }
        throw TimedOut(what: what)
    }

    struct TimedOut: Error, CustomStringConvertible {
        let what: String
        var description: String { "timed out waiting for \(what)" }
    }
}
