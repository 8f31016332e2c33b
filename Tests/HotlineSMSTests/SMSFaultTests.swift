import Foundation
import HotlineContracts
import HotlineDomain
import HotlineRuntime
import HotlineSMS
import HotlineStore
import HotlineTestSupport
import PostgresClient
import Testing

/// hotline-sms-reply under faults, counted afterwards in PostgreSQL and on the fake phones:
/// SIGKILL of the worker and `kill -9` of bearerbox mid-run, and the fake SMS centre away for a
/// while. Nothing is lost, duplicates never exceed the crashes, every delivery report names one
/// of our messages, and no log holds a phone number or a text.
@Suite(.serialized) struct SMSFaultTests {
    @Test func killingTheWorkerAndBearerboxLosesNothing() throws {
        try PostgresTestDatabase.with { url in
            let fixture = try SMSFixture(url: url)
            let kannel = try SMSFixture.kannel()
            defer { _ = try? Shell.services("up", "kannel") }
            try SMSFixture.withProcesses { processes in
                var worker = try SMSReplyWorkerTests.startWorker(processes, url: url)
                let count = 120
                var orders: [(phone: String, id: UUID)] = []
                for index in 0..<count {
                    let phone = SMSFixture.uniquePhone()
                    orders.append((phone, try fixture.repliedOrder(profile: "qidong", phone: phone, text: "第\(index + 1)号工单已办结").id))
                }
                func accepted() throws -> Int64 {
                    try fixture.scalar("SELECT count(*) FROM sms_messages WHERE direction = 'outbound' AND sent_at IS NOT NULL")
                }
                // Crash 1: the worker, once some went out and while the rest are on their way.
                try processes.wait("the first SMS accepted", timeout: 60) { try accepted() >= 10 }
                worker.signal(SIGKILL)
                worker.wait()
                worker = try SMSReplyWorkerTests.startWorker(processes, url: url)
                // Crash 2: bearerbox, with replies still coming in; Kannel is brought back.
                try Shell.services("kill", "bearerbox")
                for index in 0..<count {
                    let phone = SMSFixture.uniquePhone()
                    orders.append((phone, try fixture.repliedOrder(profile: "qidong", phone: phone, text: "第\(count + index + 1)号工单已办结").id))
                    if index == 20 { try Shell.services("up", "kannel") }
                }
                let total = orders.count
                try processes.wait("every SMS on a fake phone", timeout: 300) {
                    let phones = Set(try kannel.phone.received().map(\.to))
                    return orders.allSatisfy { phones.contains($0.phone) }
                }
                // The citizens answer; the worker is killed while their answers come in.
                for order in orders.prefix(60) { try kannel.phone.send(from: order.phone, text: "1") }
                worker.signal(SIGKILL)
                worker.wait()
                worker = try SMSReplyWorkerTests.startWorker(processes, url: url)
                try processes.wait("every answer applied", timeout: 180) {
                    try fixture.scalar("SELECT count(*) FROM work_orders WHERE state = 'closed'") == 60
                }

                let received = try kannel.phone.received()
                let byPhone = Dictionary(grouping: received, by: \.to)
                let lost = orders.filter { byPhone[$0.phone] == nil }.count
                let duplicates = orders.map { max(0, (byPhone[$0.phone]?.count ?? 0) - 1) }.reduce(0, +)
                #expect(lost == 0)
                #expect(duplicates <= 3, "\(duplicates) duplicates for 3 crashes")
                #expect(try fixture.scalar("SELECT count(*) FROM sms_messages WHERE direction = 'outbound'") == Int64(total))
                #expect(try fixture.scalar("SELECT count(*) FROM sms_delivery_reports WHERE sms_message_id IS NULL") == 0)
                #expect(try fixture.scalar("SELECT count(*) FROM ratings") == 60)
                #expect(try fixture.scalar("SELECT count(*) FROM sms_messages WHERE direction = 'inbound'") == 60)
                let logs = processes.fullLog() + (try SMSReplyWorkerTests.kannelLogs())
                #expect(orders.allSatisfy { !logs.contains($0.phone) }, "a log holds a phone number")
                #expect(!logs.contains("号工单已办结"), "a log holds an SMS text")
                print("sms fault test: \(total) replies, \(lost) lost, \(duplicates) duplicates, 3 crashes")
            }
        }
    }

    /// The fake SMS centre away: Kannel queues what it is given; nothing is lost when it returns.
    @Test func theFakeSMSCentreAwayAndBackLosesNothing() throws {
        try PostgresTestDatabase.with { url in
            let fixture = try SMSFixture(url: url)
            let kannel = try SMSFixture.kannel()
            defer { _ = try? Shell.services("up", "smsc") }
            try SMSFixture.withProcesses { processes in
                _ = try SMSReplyWorkerTests.startWorker(processes, url: url)
                try Shell.services("down", "smsc")
                let phones = (0..<10).map { _ in SMSFixture.uniquePhone() }
                for phone in phones { try fixture.repliedOrder(profile: "zezhou", phone: phone) }
                try processes.wait("the gateway took them", timeout: 60) {
                    try fixture.scalar("SELECT count(*) FROM sms_messages WHERE direction = 'outbound' AND sent_at IS NOT NULL") == 10
                }
                #expect(try kannel.phone.received().filter { phones.contains($0.to) }.isEmpty)
                try Shell.services("up", "smsc")
                try processes.wait("every SMS on its phone", timeout: 120) {
                    let received = Set(try kannel.phone.received().map(\.to))
                    return phones.allSatisfy(received.contains)
                }
                try processes.wait("delivered", timeout: 60) {
                    try fixture.scalar("SELECT count(*) FROM sms_messages WHERE status = 'delivered'") == 10
                }
            }
        }
    }
}
