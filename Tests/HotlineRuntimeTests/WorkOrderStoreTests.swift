import Foundation
import HotlineContracts
import HotlineDomain
import HotlineStore
import HotlineTestSupport
import PostgresClient
import Testing

/// The store API that writes a domain transition (state, assignments, events, timers, outbox) in
/// one transaction with optimistic concurrency on the order's version.
@Suite(.serialized) struct WorkOrderStoreTests {
    let profile = try! PolicyProfile.bundled("qidong")
    let calendar = try! WorkingCalendar.bundled()
    // Tuesday 2024-05-07 10:00 China time.
    let received = Date(timeIntervalSince1970: 1_715_047_200)

    func withStore(_ body: (PostgresConnection) throws -> Void) throws {
        try PostgresTestDatabase.with { url in
            let connection = try PostgresConnection(url: url)
            defer { connection.close() }
            try Migrator.bundled().migrate(connection)
            for code in ["WATER", "HOUSING", "POWER"] {
                try connection.execute("INSERT INTO units (code, name, level, kind) VALUES (\(code), \(code), 2, 'department')")
            }
            try body(connection)
        }
    }

    func rules(_ command: Command, _ order: WorkOrder, at now: Date) throws -> Transition {
        try Lifecycle.apply(command, to: order, now: now, profile: profile, calendar: calendar).get()
    }

    func create(_ connection: PostgresConnection, submissionId: String = "s-1") throws -> (UUID, String?) {
        let id = UUID()
        let order = WorkOrder(id: id.uuidString, kind: OrderKind(category: .help), channel: .phone, receivedAt: received)
        let created = try connection.withTransaction { tx in
            let number = try WorkOrders.reserveNumbers(receivedAt: [received], on: tx)[0]
            let new = NewWorkOrder(id: id, number: number, profile: "qidong", order: order, submissionId: submissionId, title: "停水",
                                   contentPII: "幸福小区停水", citizenPhonePII: "13800138000")
            let message = OutboxMessage.event(Contracts.envelope(
                WorkOrderReceived(number: number, submissionId: "s-1", profile: "qidong", channel: "phone", category: "help", urgency: nil,
                                  caseClass: nil, regionCode: nil, repeatOf: nil, clusterKey: nil, dispatchBy: nil),
                occurredAt: received, workOrderId: id))
            let ids = try WorkOrders.create([OrderCreation(order: new, transition: try rules(.accept, order, at: received), outbox: [message])],
                                            actor: "test", at: received, on: tx)
            return ids.contains(id) ? number : nil
        }
        return (id, created)
    }

    func count(_ connection: PostgresConnection, _ sql: SQL) throws -> Int64 {
        try connection.query(sql).first!.decode(0, as: Int64.self)
    }

    @Test func aNewOrderIsWrittenWithItsEventAndMessageAndASecondSubmissionMakesNothing() throws {
        try withStore { connection in
            let (id, number) = try create(connection)
            let numbered = try #require(number)
            #expect(numbered.hasPrefix("12345-20240507-"))
            let (_, again) = try create(connection)
            #expect(again == nil)
            #expect(try count(connection, "SELECT count(*) FROM work_orders") == 1)
            #expect(try count(connection, "SELECT count(*) FROM events WHERE work_order_id = \(id) AND type = 'accepted'") == 1)
            #expect(try count(connection, "SELECT count(*) FROM outbox WHERE type = 'workorder.received'") == 1)
            let stored = try #require(try WorkOrders.load(id, on: connection))
            #expect(stored.order.state == .awaitingDispatch)
            #expect(stored.version == 1)
            #expect(stored.number == numbered)
        }
    }

    @Test func dispatchWritesAssignmentsTimersAndEventsAndReadsBackTheSameOrder() throws {
        try withStore { connection in
            let (id, _) = try create(connection)
            let stored = try #require(try WorkOrders.load(id, on: connection))
            let transition = try rules(.dispatch(lead: "WATER", coUnits: ["HOUSING"]), stored.order, at: received)
            try connection.withTransaction { tx in
                try WorkOrders.apply(transition, to: stored, actor: "routing", at: received, outbox: [], basis: "test rule", on: tx)
            }
            let reread = try #require(try WorkOrders.load(id, on: connection))
            #expect(reread.version == 2)
            #expect(reread.order == transition.order)
            #expect(try count(connection, "SELECT count(*) FROM assignments WHERE work_order_id = \(id) AND role = 'lead'") == 1)
            #expect(try count(connection, "SELECT count(*) FROM assignments WHERE work_order_id = \(id) AND role = 'co'") == 1)
            // qidong: sign-by, return window, reply-by and two reminders.
            let kinds = try connection.query("SELECT kind FROM timers WHERE work_order_id = \(id) AND cancelled_at IS NULL ORDER BY kind")
                .map { try $0.decode("kind", as: String.self) }
            #expect(kinds == ["reminder.0", "reminder.1", "replyBy", "returnWindow", "signBy"])
            let replyBy = try connection.query("SELECT fire_at FROM timers WHERE work_order_id = \(id) AND kind = 'replyBy'").first!
                .decode("fire_at", as: Date.self)
            #expect(abs(replyBy.timeIntervalSince(reread.order.assignment!.replyBy)) < 0.001)
        }
    }

    @Test func aStaleReadCannotOverwriteANewerVersion() throws {
        try withStore { connection in
            let (id, _) = try create(connection)
            let first = try #require(try WorkOrders.load(id, on: connection))
            let stale = first
            try connection.withTransaction { tx in
                try WorkOrders.apply(try rules(.dispatch(lead: "WATER", coUnits: []), first.order, at: received), to: first,
                                     actor: "a", at: received, outbox: [], on: tx)
            }
            let events = try count(connection, "SELECT count(*) FROM events WHERE work_order_id = \(id)")
            #expect(throws: WorkOrderStoreError.concurrentUpdate(number: stale.number, readAt: 1)) {
                try connection.withTransaction { tx in
                    try WorkOrders.apply(try rules(.dispatch(lead: "POWER", coUnits: []), stale.order, at: received), to: stale,
                                         actor: "b", at: received, outbox: [], on: tx)
                }
            }
            #expect(try count(connection, "SELECT count(*) FROM events WHERE work_order_id = \(id)") == events)
            #expect(try WorkOrders.load(id, on: connection)?.order.assignment?.leadUnit == "WATER")
        }
    }

    @Test func anApprovedReturnRetiresTheAssignmentAndTheUnitNeverGetsTheOrderBack() throws {
        try withStore { connection in
            let (id, _) = try create(connection)
            var stored = try #require(try WorkOrders.load(id, on: connection))
            let steps: [Command] = [.dispatch(lead: "WATER", coUnits: []), .requestReturn(unit: "WATER"), .approveReturn]
            for command in steps {
                let transition = try rules(command, stored.order, at: received.addingTimeInterval(600))
                try connection.withTransaction { tx in
                    try WorkOrders.apply(transition, to: stored, actor: "t", at: received, outbox: [], on: tx)
                }
                stored = try #require(try WorkOrders.load(id, on: connection))
            }
            #expect(stored.order.state == .awaitingDispatch)
            #expect(stored.order.returnedBy == ["WATER"])
            #expect(stored.order.assignment == nil)
            #expect(try count(connection, "SELECT count(*) FROM assignments WHERE work_order_id = \(id) AND active") == 0)
            #expect(try count(connection, "SELECT count(*) FROM timers WHERE work_order_id = \(id) AND cancelled_at IS NULL AND kind = 'replyBy'") == 0)
            #expect(throws: RuleError.dispatchToReturningUnit(unit: "WATER")) {
                try Lifecycle.apply(.dispatch(lead: "WATER", coUnits: []), to: stored.order, now: received, profile: profile,
                                    calendar: calendar).get()
            }
        }
    }
}
