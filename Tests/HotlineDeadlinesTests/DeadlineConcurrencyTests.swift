import Foundation
import HotlineContracts
import HotlineDeadlines
import HotlineDomain
import HotlineRuntime
import HotlineStore
import HotlineTestSupport
import PostgresClient
import Testing

/// Every due timer fires once: two claimers side by side, and a `hotline-deadline-watch` process
/// SIGKILLed mid-batch and restarted. Effects are counted in PostgreSQL afterwards: each fired
/// timer is named by exactly one event (`timerId`), and its messages have ids made from it.
@Suite(.serialized, .timeLimit(.minutes(10)))
struct DeadlineConcurrencyTests {
    static let orders = 2_000
    /// Per qidong help order, unsigned and unreplied: signBy, returnWindow, two reminders, replyBy.
    static let timersPerOrder = 5
    /// Messages per order: signBy and replyBy overdue, two reminders, supervision.
    static let messagesPerOrder = 5

    /// 2,000 qidong orders dispatched before the National Day holiday: 10,000 timers, all due by
    /// 20 October 2026.
    static func dispatchOrders(_ fixture: DeadlineFixture) throws {
        try fixture.database.withTransaction { tx in
            for _ in 0..<orders {
                try fixture.dispatchedOrder(profile: "qidong", kind: OrderKind(category: .help), at: china(2026, 9, 30, 10), on: tx)
            }
        }
        #expect(try fixture.scalar("SELECT count(*) FROM timers WHERE fired_at IS NULL AND cancelled_at IS NULL")
                == Int64(orders * timersPerOrder))
    }

    /// The effects, counted: nothing lost, nothing twice.
    static func expectEveryTimerFiredOnce(_ fixture: DeadlineFixture) throws {
        let total = Int64(orders * timersPerOrder)
        #expect(try fixture.scalar("SELECT count(*) FROM timers WHERE fired_at IS NULL AND cancelled_at IS NULL") == 0)
        #expect(try fixture.scalar("SELECT count(*) FROM timers WHERE fired_at IS NOT NULL") == total)
        #expect(try fixture.scalar("SELECT count(*) FROM events WHERE data ? 'timerId'") == total)
        #expect(try fixture.scalar("SELECT count(DISTINCT data->>'timerId') FROM events WHERE data ? 'timerId'") == total)
        #expect(try fixture.scalar("SELECT count(*) FROM events WHERE type = 'supervised'") == Int64(orders))
        #expect(try fixture.scalar("SELECT count(*) FROM events WHERE type = 'overdue'") == Int64(orders * 2))
        #expect(try fixture.scalar("SELECT count(*) FROM outbox") == Int64(orders * messagesPerOrder))
        #expect(try fixture.scalar("SELECT count(*) FROM work_orders WHERE supervised") == Int64(orders))
    }

    @Test func twoClaimersFireTenThousandDueTimersWithNoDoubleEffect() throws {
        try DeadlineFixture.with(clock: china(2026, 10, 20)) { fixture in
            try Self.dispatchOrders(fixture)
            let fired = ClaimerCounts()
            DispatchQueue.concurrentPerform(iterations: 2) { index in
                do {
                    let connection = try PostgresConnection(url: fixture.url, applicationName: "claimer-\(index)")
                    defer { connection.close() }
                    let claimer = fixture.claimer(batchSize: 100)
                    var idle = 0
                    while idle < 20 {
                        let report = try claimer.fireDue(on: connection)
                        fired.add(index, report.fired.count)
                        if report.claimed == 0 { idle += 1; Thread.sleep(forTimeInterval: 0.01) } else { idle = 0 }
                    }
                } catch {
                    Issue.record("claimer \(index): \(error)")
                }
            }
            let counts = fired.values
            #expect(counts.values.reduce(0, +) == Self.orders * Self.timersPerOrder)
            // Both did part of the work (otherwise this test would not show anything about two).
            #expect(counts.count == 2 && counts.values.allSatisfy { $0 > 0 }, "\(counts)")
            try Self.expectEveryTimerFiredOnce(fixture)
        }
    }

    @Test func aWorkerKilledMidBatchLosesAndDuplicatesNothingOnRestart() throws {
        try DeadlineFixture.with { fixture in
            try Self.dispatchOrders(fixture)
            let processes = ChildProcesses()
            defer { processes.stopAll() }
            let environment = ["HOTLINE_DATABASE_URL": fixture.url, "HOTLINE_AMQP_URL": try TestServers.amqpURL(),
                               "HOTLINE_PROFILE": "qidong"]
            let executable = try Shell.product("hotline-deadline-watch")
            // Batches of 500: the 1,250th timer is the 250th of the third batch.
            let killed = try processes.start(executable, [], environment: environment.merging(["HOTLINE_FAULT": "kill-mid-batch:1250"]) { $1 },
                                             name: "deadline-watch-killed")
            try processes.wait("the fault to kill the worker", timeout: 120) { !killed.isRunning }
            #expect(killed.terminatingSignal == SIGKILL, "\(processes.logTail())")
            // Two batches committed, the third rolled back whole.
            #expect(try fixture.scalar("SELECT count(*) FROM timers WHERE fired_at IS NOT NULL") == 1_000)
            #expect(try fixture.scalar("SELECT count(*) FROM events WHERE data ? 'timerId'") == 1_000)

            let restarted = try processes.start(executable, [], environment: environment, name: "deadline-watch-restarted")
            try processes.wait("every timer fired", timeout: 240) {
                guard restarted.isRunning else { throw WorkerDied(log: processes.logTail()) }
                return try fixture.scalar("SELECT count(*) FROM timers WHERE fired_at IS NULL AND cancelled_at IS NULL") == 0
            }
            // Its relay publishes every message once committed.
            try processes.wait("outbox published", timeout: 120) {
                try fixture.scalar("SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0
            }
            // Its endpoint: ready, and its own counters. The killed worker fired the first 1,000
            // timers, all sign-by (every order was dispatched at the same instant): the restarted
            // one fired the rest.
            let port = try #require(processes.fullLog().matches(of: /"hotline.http.port":"(\d+)"/).last.flatMap { Int($0.1) })
            let ready = try Shell.run("/usr/bin/curl", ["-s", "-m", "5", "http://127.0.0.1:\(port)/readyz"])
            #expect(ready.stdout == "ready\n")
            let metrics = try Shell.run("/usr/bin/curl", ["-s", "-m", "5", "http://127.0.0.1:\(port)/metrics"]).stdout
            for (kind, count) in [("signBy", 1_000), ("returnWindow", 2_000), ("reminder", 4_000), ("replyBy", 2_000)] {
                #expect(metrics.contains(#"hotline_timers_total{worker="deadline-watch",kind="\#(kind)",outcome="fired"} \#(count)"#),
                        "\(kind): \(metrics)")
            }
            #expect(metrics.contains("hotline_timer_claim_batch_size_count"))
            processes.stopAll()
            #expect(restarted.exitStatus == 0, "\(processes.logTail())")
            try Self.expectEveryTimerFiredOnce(fixture)
        }
    }
}

/// Counts per claimer, from two threads.
final class ClaimerCounts: @unchecked Sendable {
    // @unchecked Sendable: `counts` is only touched under `lock`.
    private let lock = NSLock()
    private var counts: [Int: Int] = [:]
    func add(_ index: Int, _ count: Int) { lock.withLock { counts[index, default: 0] += count } }
    var values: [Int: Int] { lock.withLock { counts } }
}

struct WorkerDied: Error, CustomStringConvertible {
    let log: String
    var description: String { "hotline-deadline-watch died\n\(log)" }
}
