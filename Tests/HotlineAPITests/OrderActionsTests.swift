import Foundation
import HotlineDomain
import HotlineStore
import HotlineTestSupport
import PostgresClient
import Testing

/// The application layer under the API and `hotlinectl order`, in process against PostgreSQL.
@Suite(.serialized) struct OrderActionsTests {
    /// Two people sign at once: the second waits for the first's lock and must then see the order
    /// signed (before `OrderActions` locked the row by a statement of its own, the waiting
    /// `SELECT … FOR NO KEY UPDATE OF o` re-read the order's row but not the joined assignment,
    /// and both signed).
    @Test func aSecondActionWaitingForTheFirstSeesWhatTheFirstCommitted() throws {
        try PostgresTestDatabase.with { url in
            let setup = try APIServer(databaseURL: url)
            defer { setup.stop() }
            let number = try setup.dispatchedOrder(profile: "qidong", lead: "WATER")
            let first = try PostgresConnection(url: url)
            defer { first.close() }
            let profiles = setup.profiles, calendar = setup.calendar
            try first.execute("BEGIN")
            _ = try OrderActions.perform(.sign(unit: "WATER"), number: number, actor: "unit:WATER token:1", at: Date(),
                                         profiles: profiles, calendar: calendar, on: first)
            let outcome = Outcome()
            let waiting = Thread {
                do {
                    // The second person's connection, owned by this thread for its life.
                    let second = try PostgresConnection(url: url)
                    defer { second.close() }
                    _ = try second.withTransaction { tx in
                        try OrderActions.perform(.sign(unit: "WATER"), number: number, actor: "unit:WATER token:2", at: Date(),
                                                 profiles: profiles, calendar: calendar, on: tx)
                    }
                    outcome.set("signed")
                } catch OfficeAndUnitCommandError.refused(_, let rule) {
                    outcome.set("refused: \(rule)")
                } catch {
                    outcome.set("failed: \(type(of: error))")
                }
            }
            waiting.start()
            // Commit once the second is waiting on the order's lock (or, if it is slow, before it reads).
            let probe = try PostgresConnection(url: url)
            defer { probe.close() }
            for _ in 0..<100 {
                let waits = try probe.query("SELECT count(*) FROM pg_locks WHERE NOT granted").first!.decode(0, as: Int64.self)
                if waits > 0 { break }
                Thread.sleep(forTimeInterval: 0.05)
            }
            try first.execute("COMMIT")
            while outcome.value == nil { Thread.sleep(forTimeInterval: 0.02) }
            #expect(outcome.value == "refused: cannot sign an order that is signed")
            #expect(try setup.scalar("SELECT count(*) FROM events e JOIN work_orders o ON o.id = e.work_order_id WHERE o.number = \(number) AND e.type = 'signed'") == 1)
        }
    }

    @Test func aStaleVersionIsAConcurrentUpdateAndWritesNothing() throws {
        try PostgresTestDatabase.with { url in
            let setup = try APIServer(databaseURL: url)
            defer { setup.stop() }
            let number = try setup.dispatchedOrder(profile: "zezhou", lead: "WATER")
            #expect(throws: WorkOrderStoreError.concurrentUpdate(number: number, readAt: 1)) {
                try setup.database.withTransaction { tx in
                    try OrderActions.perform(.sign(unit: "WATER"), number: number, actor: "t", expectedVersion: 1, at: Date(),
                                             profiles: setup.profiles, calendar: setup.calendar, on: tx)
                }
            }
            let outcome = try setup.database.withTransaction { tx in
                try OrderActions.perform(.sign(unit: "WATER"), number: number, actor: "t", expectedVersion: 2, at: Date(),
                                         profiles: setup.profiles, calendar: setup.calendar, on: tx)
            }
            #expect(outcome.version == 3)
            #expect(outcome.transition?.order.stateName == "signed")
        }
    }

    final class Outcome: @unchecked Sendable {
        // @unchecked Sendable: `text` is guarded by `lock`.
        private let lock = NSLock()
        private var text: String?
        func set(_ value: String) { lock.withLock { text = value } }
        var value: String? { lock.withLock { text } }
    }
}
