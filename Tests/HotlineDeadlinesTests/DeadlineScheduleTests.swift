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

/// Orders dispatched on Wednesday 30 September 2026 at 10:00 (China time), the last working day
/// before the National Day holiday: 1–7 October are holidays and Saturday 10 October is a make-up
/// working day (holidays.json, 2026). The claimer runs in-process on a `ManualClock`; each timer
/// must fire at exactly the instant the profile and the calendar give: not one second before.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct DeadlineScheduleTests {
    let dispatchedAt = china(2026, 9, 30, 10)

    func messages(_ fixture: DeadlineFixture) throws -> [String] {
        try fixture.strings("SELECT type FROM outbox ORDER BY id")
    }

    @Test func qidongHelpOrderBeforeNationalDay() throws {
        try DeadlineFixture.with { fixture in
            let id = try fixture.database.withTransaction { tx in
                try fixture.dispatchedOrder(profile: "qidong", kind: OrderKind(category: .help), at: dispatchedAt, on: tx)
            }
            // Sign: 24 working hours (14 h on 30 September, 10 h on 8 October). Return window: 1
            // working day (8 October). Reply: 5 working days, 8, 9, 10 (Saturday, make-up), 12, 13
            // October, ending at 24:00 on the 13th. Reminders 24 h and 4 h before it.
            let schedule = [
                "signBy": china(2026, 10, 8, 10), "returnWindow": china(2026, 10, 9),
                "reminder.0": china(2026, 10, 13), "reminder.1": china(2026, 10, 13, 20), "replyBy": china(2026, 10, 14),
            ]
            #expect(try fixture.openTimers(id) == schedule)
            let claimer = fixture.claimer()
            try walk(fixture, claimer, schedule)

            // Two reminders ignored (qidong 四 1 两次催办仍不回复): recorded beside the overdue mark.
            #expect(try events(fixture, id) == ["overdue", "timerFired", "returnWindowClosed", "reminded", "reminded",
                                                "overdue", "supervised", "offenceRecorded", "timerFired"])
            #expect(try fixture.strings("SELECT data->>'timer' FROM events WHERE work_order_id = \(id) AND type = 'overdue' ORDER BY id")
                    == ["signBy", "replyBy"])
            #expect(try messages(fixture) == ["assignment.overdue", "assignment.reminded", "assignment.reminded",
                                              "assignment.overdue", "workorder.supervised"])
            let stored = try #require(try WorkOrders.load(id, on: fixture.database))
            #expect(stored.order.supervision == .overdue)
            #expect(try fixture.openTimers(id).isEmpty)
            // Each fired timer is named by exactly one event.
            #expect(try fixture.scalar("SELECT count(DISTINCT data->>'timerId') FROM events WHERE data ? 'timerId'") == 5)
            #expect(try fixture.scalar("SELECT count(*) FROM events WHERE data ? 'timerId'") == 5)
            #expect(try fixture.strings("SELECT data->>'countsAsAccepted' FROM events WHERE type = 'returnWindowClosed'") == ["true"])
            // After the window the unit may no longer return the order: it counts as accepted.
            let refused = Lifecycle.apply(.requestReturn(unit: "WATER"), to: stored.order, now: china(2026, 10, 9, 9),
                                          profile: try PolicyProfile.bundled("qidong"), calendar: fixture.calendar)
            #expect(throws: RuleError.returnWindowClosed(endedAt: china(2026, 10, 9), countsAsAccepted: true)) { try refused.get() }
            // Status: nothing left due, one assignment overdue.
            let status = try Timers.status(at: fixture.clock.now(), on: fixture.database)
            #expect(status == TimerStatus(due: 0, pending: 0, oldestLate: nil, overdueAssignments: 1))
        }
    }

    @Test func zezhouHelpOrderBeforeNationalDay() throws {
        try DeadlineFixture.with { fixture in
            let id = try fixture.database.withTransaction { tx in
                try fixture.dispatchedOrder(profile: "zezhou", kind: OrderKind(category: .help), at: dispatchedAt, on: tx)
            }
            // Sign: 24 working hours (ours: the document names "received in time" without a limit),
            // 14 h on 30 September and 10 h on 8 October. Return window: 2 working days (8, 9
            // October). Reply: 7 working days, 8, 9, 10, 12, 13, 14, 15 October, ending at 24:00 on the 15th.
            let schedule = [
                "signBy": china(2026, 10, 8, 10), "returnWindow": china(2026, 10, 10), "reminder.0": china(2026, 10, 15),
                "reminder.1": china(2026, 10, 15, 20), "replyBy": china(2026, 10, 16),
            ]
            #expect(try fixture.openTimers(id) == schedule)
            try walk(fixture, fixture.claimer(), schedule)
            #expect(try events(fixture, id) == ["overdue", "timerFired", "returnWindowClosed", "reminded", "reminded", "overdue",
                                                "supervised", "timerFired"])
            #expect(try messages(fixture) == ["assignment.overdue", "assignment.reminded", "assignment.reminded", "assignment.overdue",
                                              "workorder.supervised"])
            #expect(try fixture.strings("SELECT data->>'countsAsAccepted' FROM events WHERE type = 'returnWindowClosed'") == ["false"])
            let stored = try #require(try WorkOrders.load(id, on: fixture.database))
            #expect(stored.order.supervision == .overdue)
            let refused = Lifecycle.apply(.requestReturn(unit: "WATER"), to: stored.order, now: china(2026, 10, 10, 9),
                                          profile: try PolicyProfile.bundled("zezhou"), calendar: fixture.calendar)
            #expect(throws: RuleError.returnWindowClosed(endedAt: china(2026, 10, 10), countsAsAccepted: false)) { try refused.get() }
        }
    }

    @Test func henanOrdersBeforeNationalDayOneDispatchedOneWaiting() throws {
        try DeadlineFixture.with { fixture in
            let (dispatched, waiting) = try fixture.database.withTransaction { tx in
                let dispatched = try fixture.dispatchedOrder(profile: "henan", kind: OrderKind(category: .complaint), at: dispatchedAt, on: tx)
                let id = UUID()
                let order = WorkOrder(id: id.uuidString, kind: OrderKind(category: .help), channel: .phone, receivedAt: dispatchedAt)
                let number = try WorkOrders.reserveNumbers(receivedAt: [dispatchedAt], on: tx)[0]
                try WorkOrders.create([OrderCreation(order: NewWorkOrder(id: id, number: number, profile: "henan", order: order,
                                                                         submissionId: "waiting", title: "路灯", contentPII: "路灯不亮"),
                                                     transition: try fixture.rules(.accept, order, profile: "henan", at: dispatchedAt),
                                                     outbox: [])],
                                      actor: "test", at: dispatchedAt, on: tx)
                return (dispatched, id)
            }
            // Dispatch: 24 natural hours (不能直接答复的,24小时内派发工单: no postponement); sign: 24
            // working hours, non-working time not counted (承办单位应当在接到工单24小时内签收(非工作日时间可顺延):
            // 14 h on 30 September, 10 h on 8 October). Complaint: 10 working days, 8–10, 12–16, 19, 20 October.
            #expect(try fixture.openTimers(waiting) == ["dispatchBy": china(2026, 10, 1, 10)])
            let schedule = [
                "signBy": china(2026, 10, 8, 10), "reminder.0": china(2026, 10, 20),
                "reminder.1": china(2026, 10, 20, 20), "replyBy": china(2026, 10, 21),
            ]
            #expect(try fixture.openTimers(dispatched) == schedule)
            let claimer = fixture.claimer()
            try walk(fixture, claimer, ["dispatchBy": china(2026, 10, 1, 10)])
            try walk(fixture, claimer, schedule)
            #expect(try events(fixture, waiting) == ["overdue", "timerFired"])
            #expect(try messages(fixture).sorted() == ["assignment.overdue", "assignment.overdue", "assignment.reminded",
                                                       "assignment.reminded", "workorder.dispatch_overdue", "workorder.supervised"])
            #expect(try events(fixture, dispatched) == ["overdue", "timerFired", "reminded", "reminded", "overdue", "supervised", "timerFired"])
        }
    }

    @Test func baotouGeneralAndEmergencyOrdersAcrossTheHoliday() throws {
        try DeadlineFixture.with { fixture in
            let (general, emergency) = try fixture.database.withTransaction { tx in
                (try fixture.dispatchedOrder(profile: "baotou", kind: OrderKind(category: .help), at: dispatchedAt, on: tx),
                 try fixture.dispatchedOrder(profile: "baotou", kind: OrderKind(category: .help, urgency: .emergency),
                                             at: china(2026, 9, 30, 23), on: tx))
            }
            // General: sign in 24 working hours (ours), reply in 5 working days (to 24:00 on 13
            // October), one reminder an hour before. Emergency: sign in half an hour (ours), reply in 2
            // hours in natural time: the holiday is no excuse. Both are due in October: October's
            // month-end list (每月清零) at 24:00 on the 31st.
            #expect(try fixture.openTimers(general) == ["signBy": china(2026, 10, 8, 10), "reminder.0": china(2026, 10, 13, 23),
                                                        "replyBy": china(2026, 10, 14), "monthEnd": china(2026, 11, 1)])
            #expect(try fixture.openTimers(emergency) == ["signBy": china(2026, 9, 30, 23, 30), "reminder.0": china(2026, 10, 1),
                                                          "replyBy": china(2026, 10, 1, 1), "monthEnd": china(2026, 11, 1)])
            try walk(fixture, fixture.claimer(), [
                "signBy": china(2026, 9, 30, 23, 30), "reminder.0": china(2026, 10, 1), "replyBy": china(2026, 10, 1, 1),
            ])
            try walk(fixture, fixture.claimer(), ["signBy": china(2026, 10, 8, 10)])
            fixture.clock.set(china(2026, 10, 13, 23).addingTimeInterval(-1))
            #expect(try fixture.claimer().fireDue(on: fixture.database).fired.isEmpty)
            try walk(fixture, fixture.claimer(), ["reminder.0": china(2026, 10, 13, 23), "replyBy": china(2026, 10, 14)])
            #expect(try events(fixture, emergency) == ["overdue", "timerFired", "reminded", "overdue", "supervised", "timerFired"])
            #expect(try events(fixture, general) == ["overdue", "timerFired", "reminded", "overdue", "supervised", "timerFired"])
        }
    }

    @Test func aSignedAndRepliedOrdersRemainingTimersDoNothing() throws {
        try DeadlineFixture.with { fixture in
            let id = try fixture.database.withTransaction { tx in
                let id = try fixture.dispatchedOrder(profile: "qidong", kind: OrderKind(category: .help), at: dispatchedAt, on: tx)
                try fixture.apply(.sign(unit: "WATER"), to: id, profile: "qidong", at: dispatchedAt.addingTimeInterval(3600), on: tx)
                try fixture.apply(.reply(unit: "WATER", contactedCitizen: true), to: id, profile: "qidong",
                                  at: china(2026, 10, 9, 15), on: tx)
                return id
            }
            // The reply cancelled every timer of the order; a timer a transition did not cancel (written
            // by an older version, or racing the reply) must still do nothing: reopen them all.
            #expect(try fixture.openTimers(id).isEmpty)
            try fixture.database.execute("UPDATE timers SET cancelled_at = NULL WHERE work_order_id = \(id)")
            let eventsBefore = try fixture.scalar("SELECT count(*) FROM events WHERE work_order_id = \(id)")
            let version = try #require(try WorkOrders.load(id, on: fixture.database)).version
            fixture.clock.set(china(2026, 10, 20))
            let report = try fixture.claimer().fireDue(on: fixture.database)
            #expect(report.claimed == 5)
            #expect(report.fired.isEmpty)
            #expect(report.movedOn == 5)
            #expect(try fixture.scalar("SELECT count(*) FROM events WHERE work_order_id = \(id)") == eventsBefore)
            #expect(try fixture.scalar("SELECT count(*) FROM outbox") == 0)
            #expect(try WorkOrders.load(id, on: fixture.database)?.version == version)
            #expect(try fixture.openTimers(id).isEmpty)
            #expect(try fixture.strings("SELECT DISTINCT data->>'note' FROM timers WHERE work_order_id = \(id)") == ["the unit replied"])
        }
    }

    @Test func aSignedOrderIsNotLateForReceiptButIsRemindedAndOverdue() throws {
        try DeadlineFixture.with { fixture in
            let id = try fixture.database.withTransaction { tx in
                let id = try fixture.dispatchedOrder(profile: "qidong", kind: OrderKind(category: .consult), at: dispatchedAt, on: tx)
                try fixture.apply(.sign(unit: "WATER"), to: id, profile: "qidong", at: china(2026, 10, 8, 9), on: tx)
                return id
            }
            // Consult: 3 working days, 8, 9, 10 October.
            #expect(try fixture.openTimers(id) == ["returnWindow": china(2026, 10, 9), "reminder.0": china(2026, 10, 10),
                                                   "reminder.1": china(2026, 10, 10, 20), "replyBy": china(2026, 10, 11)])
            let registry = PrometheusCollectorRegistry()
            let claimer = fixture.claimer(metrics: DeadlineMetrics(worker: "deadline-watch", registry: registry))
            try walk(fixture, claimer, ["returnWindow": china(2026, 10, 9), "reminder.0": china(2026, 10, 10),
                                        "reminder.1": china(2026, 10, 10, 20), "replyBy": china(2026, 10, 11)])
            #expect(try events(fixture, id) == ["returnWindowClosed", "reminded", "reminded", "overdue", "supervised", "offenceRecorded",
                                                "timerFired"])
            let text = registry.emitToString()
            #expect(text.contains(#"hotline_timers_total{worker="deadline-watch",kind="reminder",outcome="fired"} 2"#), "\(text)")
            #expect(text.contains(#"hotline_timers_total{worker="deadline-watch",kind="replyBy",outcome="fired"} 1"#))
            #expect(text.contains("hotline_timer_lateness_seconds_count"))
        }
    }

    /// The claim reads an index range on `fire_at` over open timers, however many are pending or fired.
    @Test func theClaimIsAnIndexRangeOnTheDueTime() throws {
        try DeadlineFixture.with { fixture in
            let order = try fixture.database.withTransaction { tx in
                try fixture.dispatchedOrder(profile: "qidong", kind: OrderKind(category: .help), at: dispatchedAt, on: tx)
            }
            // 200,000 timers not yet due and 50,000 fired ones beside the order's own.
            try fixture.database.execute("""
                INSERT INTO timers (work_order_id, kind, fire_at)
                SELECT \(order), 'reminder.9', timestamptz '2027-01-01' + g * interval '1 second' FROM generate_series(1, 200000) g
                """)
            try fixture.database.execute("""
                INSERT INTO timers (work_order_id, kind, fire_at, fired_at)
                SELECT \(order), 'reminder.9', timestamptz '2026-01-01' + g * interval '1 second', now() FROM generate_series(1, 50000) g
                """)
            try fixture.database.execute("ANALYZE timers")
            let plan = try Timers.explainClaim(at: china(2026, 10, 20), limit: 500, on: fixture.database).joined(separator: "\n")
            #expect(plan.contains("Index Scan using timers_due on timers"), "\(plan)")
            #expect(plan.contains("Index Cond: (fire_at <="), "\(plan)")
            #expect(!plan.contains("Seq Scan on timers"), "\(plan)")
            #expect(plan.contains("LockRows"), "\(plan)")
        }
    }
}
