import Foundation
import HotlineDomain
import HotlineStore
import HotlineTestSupport
import PostgresClient
import Testing

/// What `hotlinectl order show` reads, and the office's commands by number.
@Suite(.serialized) struct OrderDetailsStoreTests {
    // Tuesday 2024-05-07 10:00 China time.
    let now = Date(timeIntervalSince1970: 1_715_047_200)

    @Test func anOrdersDetailsAreItsStateUnitsTimersAndEventsInOrder() throws {
        try StoreDatabase.with { db in
            let profile = try PolicyProfile.bundled("qidong")
            let calendar = try WorkingCalendar.bundled()
            let id = UUID()
            let order = WorkOrder(id: id.uuidString, kind: OrderKind(category: .help), channel: .phone, receivedAt: now)
            let number = try WorkOrders.reserveNumbers(receivedAt: [now], on: db.connection)[0]
            let accept = try Lifecycle.apply(.accept, to: order, now: now, profile: profile, calendar: calendar).get()
            try db.connection.withTransaction { tx in
                try WorkOrders.create([OrderCreation(order: NewWorkOrder(id: id, number: number, profile: "qidong", order: order,
                                                                         submissionId: "s-1", title: "停水", contentPII: "幸福小区停水"),
                                                     transition: accept, outbox: [])], actor: "intake", at: now, on: tx)
            }
            #expect(try WorkOrders.details(number: "12345-nope", on: db.connection) == nil)
            let received = try #require(try WorkOrders.details(number: number, on: db.connection))
            #expect(received.id == id)
            #expect(received.state == "awaitingDispatch")
            #expect(received.units.isEmpty)
            #expect(received.timers.isEmpty)  // qidong gives a help order no dispatch-by limit
            #expect(received.events.map(\.type) == ["accepted"])

            let (_, dispatch) = try db.connection.withTransaction { tx in
                try OrderActions.apply(.dispatch(lead: "WATER", coUnits: []), number: number, actor: "office", at: now,
                                                  profiles: ["qidong": profile], calendar: calendar, on: tx)
            }
            let dispatched = try #require(try WorkOrders.details(number: number, on: db.connection))
            #expect(dispatched.state == dispatch.order.state.rawValue)
            #expect(dispatched.version == 2)
            #expect(dispatched.units.map(\.code) == ["WATER"])
            #expect(dispatched.units.first?.role == "lead")
            #expect(dispatched.units.first?.active == true)
            let started = dispatch.timers.compactMap { action -> String? in
                if case .start(let kind, _) = action { kind.name } else { nil }
            }
            #expect(!started.isEmpty)
            #expect(dispatched.timers.map(\.kind).sorted() == started.sorted())
            #expect(dispatched.timers.allSatisfy { !$0.fired && !$0.cancelled })
            #expect(dispatched.timers.map(\.fireAt) == dispatched.timers.map(\.fireAt).sorted())
            #expect(dispatched.events.map(\.type) == ["accepted", "dispatched"])
            #expect(dispatched.events.last?.actor == "office")
            #expect(try db.count("SELECT count(*) FROM outbox WHERE type = 'workorder.dispatched'") == 1)

            #expect(throws: OfficeAndUnitCommandError.self) {
                try OrderActions.apply(.approveReturn, number: "12345-nope", actor: "office", at: now,
                                                  profiles: ["qidong": profile], calendar: calendar, on: db.connection)
            }
        }
    }

    @Test func theOverviewCountsStatesTheOldestUndispatchedAndTheManualQueue() throws {
        try StoreDatabase.with { db in
            #expect(try WorkOrders.countsByState(on: db.connection).isEmpty)
            #expect(try WorkOrders.oldestUndispatched(on: db.connection) == nil)
            let oldest = try db.order(phone: nil, at: now.addingTimeInterval(-600))
            try db.order(phone: nil, at: now)
            try db.order(phone: nil, at: now.addingTimeInterval(-7_200), state: "closed")
            try db.order(phone: nil, at: now, state: "received")
            try db.connection.execute("UPDATE work_orders SET manual_dispatch_reason = 'no rule' WHERE id = \(oldest)")
            #expect(try WorkOrders.countsByState(on: db.connection) == ["awaitingDispatch": 2, "closed": 1, "received": 1])
            let undispatched = try #require(try WorkOrders.oldestUndispatched(on: db.connection))
            #expect(undispatched.number == oldest.uuidString)
            #expect(undispatched.receivedAt == now.addingTimeInterval(-600))
            #expect(undispatched.ageSeconds > 600)
            #expect(try WorkOrders.awaitingManualDispatchCount(on: db.connection) == 1)
        }
    }
}
