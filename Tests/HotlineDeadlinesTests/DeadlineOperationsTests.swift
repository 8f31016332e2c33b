import Foundation
import HotlineContracts
import HotlineDeadlines
import HotlineDomain
import HotlineRuntime
import HotlineStore
import HotlineTestSupport
import PostgresClient
import Prometheus
import Testing

/// What operators see and what wakes the claimer.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct DeadlineOperationsTests {
    @Test func statusShowsTimersDueOverdueAssignmentsAndTheOldestLateTimer() throws {
        try DeadlineFixture.with { fixture in
            let id = try fixture.database.withTransaction { tx in
                try fixture.dispatchedOrder(profile: "qidong", kind: OrderKind(category: .help), at: china(2026, 9, 30, 10), on: tx)
            }
            // The order's five timers are long due (nothing fired them); one more is still to come.
            try fixture.database.execute("INSERT INTO timers (work_order_id, kind, fire_at) VALUES (\(id), 'reminder.7', now() + interval '1 day')")
            let arguments = ["status", "--database-url", fixture.url, "--amqp-url", try TestServers.amqpURL()]
            let json = try Shell.run(try Shell.product("hotlinectl"), arguments + ["--json"])
            #expect(json.status == 0, "\(json.stderr)")
            let report = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
            let timers = try #require(report?["timers"] as? [String: Any], "\(json.stdout)")
            #expect(timers["due"] as? Int == 5)
            #expect(timers["pending"] as? Int == 1)
            #expect(timers["overdueAssignments"] as? Int == 1)
            // The oldest late timer is the sign-by, due 8 October 2026 at 10:00 China time.
            #expect(timers["oldestLate"] as? String == "2026-10-08T02:00:00Z")
            let text = try Shell.run(try Shell.product("hotlinectl"), arguments)
            #expect(text.stdout.contains("timers: 5 due, 1 pending; overdue assignments: 1"), "\(text.stdout)")
            #expect(text.stdout.contains("oldest late timer: due \(ChinaTime.format(china(2026, 10, 8, 10)))"), "\(text.stdout)")
        }
    }

    /// A timer whose firing throws (here: its order names a profile this build does not know) stays
    /// open and is counted `failed`; the rest of its batch fires.
    @Test func aTimerThatCannotFireStaysOpenWithoutHoldingBackItsBatch() throws {
        try DeadlineFixture.with(clock: china(2026, 10, 20)) { fixture in
            let (good, bad) = try fixture.database.withTransaction { tx in
                (try fixture.dispatchedOrder(profile: "qidong", kind: OrderKind(category: .help), at: china(2026, 9, 30, 10), on: tx),
                 try fixture.dispatchedOrder(profile: "qidong", kind: OrderKind(category: .help), at: china(2026, 9, 30, 10), on: tx))
            }
            try fixture.database.execute("UPDATE work_orders SET profile = 'atlantis' WHERE id = \(bad)")
            let registry = PrometheusCollectorRegistry()
            let report = try fixture.claimer(metrics: DeadlineMetrics(worker: "deadline-watch", registry: registry)).fireDue(on: fixture.database)
            #expect(report.claimed == 10)
            #expect(report.fired.count == 5)
            #expect(report.failed == 5)
            #expect(try fixture.openTimers(good).isEmpty)
            #expect(try fixture.openTimers(bad).count == 5)
            #expect(try fixture.scalar("SELECT count(*) FROM events WHERE work_order_id = \(bad) AND actor = 'deadline-watch'") == 0)
            #expect(registry.emitToString().contains(#"hotline_timers_total{worker="deadline-watch",kind="replyBy",outcome="failed"} 1"#))
        }
    }

    /// A worker holding an order (routing dispatching it, a unit replying) is never made to wait by
    /// a claim: the claim skips the order's timers without locking them, so the worker's own timer
    /// updates go through while the claim's transaction is still open.
    @Test func aClaimSkipsTheTimersOfAnOrderSomeoneHoldsWithoutLockingThem() throws {
        try DeadlineFixture.with(clock: china(2026, 10, 20)) { fixture in
            let id = try fixture.database.withTransaction { tx in
                try fixture.dispatchedOrder(profile: "qidong", kind: OrderKind(category: .help), at: china(2026, 9, 30, 10), on: tx)
            }
            let worker = try PostgresConnection(url: fixture.url, applicationName: "holder")
            defer { worker.close() }
            try worker.withTransaction { held in
                _ = try WorkOrders.load(id, forUpdate: true, on: held)
                try fixture.database.withTransaction { claim in
                    #expect(try Timers.claimDue(at: fixture.clock.now(), limit: 500, on: claim).isEmpty)
                    try held.execute("SET LOCAL lock_timeout = '2s'")
                    #expect(try held.execute("UPDATE timers SET cancelled_at = now() WHERE work_order_id = \(id)") == 5)
                }
            }
        }
    }

    /// With a two-minute poll, only the NOTIFY from migration 0010 can fire a timer written already
    /// due within the minute this test waits.
    @Test func aTimerWrittenAlreadyDueWakesTheClaimer() throws {
        try DeadlineFixture.with { fixture in
            let id = try fixture.database.withTransaction { tx in
                try fixture.dispatchedOrder(profile: "qidong", kind: OrderKind(category: .help), at: china(2026, 9, 30, 10), on: tx)
            }
            var configuration = TimerClaimer.Configuration(databaseURL: fixture.url)
            configuration.pollInterval = .seconds(120)
            let claimer = TimerClaimer(configuration: configuration, clock: SystemClock(), calendar: fixture.calendar)
            let stop = StopFlag()
            let finished = DispatchSemaphore(value: 0)
            let thread = Thread {
                do { try claimer.run(until: stop) } catch { Issue.record("claimer: \(error)") }
                finished.signal()
            }
            thread.start()
            defer {
                stop.raise()
                // The loop notices the stop after its wait; wake it.
                _ = try? fixture.database.execute("NOTIFY hotline_timers")
                finished.wait()
            }
            let processes = ChildProcesses()
            // The first claim fires the order's five long-due timers.
            try processes.wait("the due timers fired", timeout: 60) { claimer.isReady && claimer.firedCount == 5 }
            let assignment = try fixture.scalar("SELECT id FROM assignments WHERE work_order_id = \(id) AND role = 'lead'")
            try fixture.database.execute("""
                INSERT INTO timers (work_order_id, assignment_id, kind, fire_at) VALUES (\(id), \(assignment), 'reminder.5', now())
                """)
            try processes.wait("the new timer fired", timeout: 60) {
                try fixture.scalar("SELECT count(*) FROM timers WHERE kind = 'reminder.5' AND fired_at IS NOT NULL") == 1
            }
            #expect(claimer.firedCount == 6)
        }
    }
}
