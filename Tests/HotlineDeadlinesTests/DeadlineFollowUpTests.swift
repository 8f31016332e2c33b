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

/// The timers beyond sign, return and reply: first feedback, progress report, redo, extension,
/// knowledge-base entry, supervision plan and baotou's month end, around the National Day week of
/// 2026 (1–7 October holidays, Saturday 10 October a make-up working day), on a moved clock
/// against the real PostgreSQL: each fires at exactly its instant, not one second before.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct DeadlineFollowUpTests {
    let dispatchedAt = china(2026, 9, 30, 10)

    /// `assignment.overdue` messages: the timer each names.
    func overdueTimers(_ fixture: DeadlineFixture) throws -> [String] {
        try fixture.strings("""
            SELECT convert_from(body, 'UTF8')::jsonb->'data'->>'timer' FROM outbox WHERE type = 'assignment.overdue' ORDER BY id
            """)
    }

    func assignmentId(_ fixture: DeadlineFixture, _ id: UUID) throws -> Int64 {
        try fixture.scalar("SELECT id FROM assignments WHERE work_order_id = \(id) AND active AND role = 'lead'")
    }

    // MARK: henan: dispatch in 24 natural hours, major outages 2; first feedback 2 hours after signing

    @Test func henanMajorOutageDispatchAndFirstFeedbackRunInNaturalTime() throws {
        try DeadlineFixture.with { fixture in
            let outage = OrderKind(category: .help, urgency: .majorOutage)
            let (waiting, general, late, onTime) = try fixture.database.withTransaction { tx in
                // Received at 23:00 on 30 September: dispatch due at 01:00 on 1 October (a holiday).
                let waiting = try fixture.acceptedOrder(profile: "henan", kind: outage, at: china(2026, 9, 30, 23), on: tx)
                // A general order: 24 natural hours (the document's 非工作日时间可顺延 is of signing only).
                let general = try fixture.acceptedOrder(profile: "henan", kind: OrderKind(category: .help), at: dispatchedAt, on: tx)
                // Dispatched at midnight, signed at 02:00 on the holiday: first feedback due at 04:00.
                let late = try fixture.dispatchedOrder(profile: "henan", kind: outage, at: china(2026, 10, 1), on: tx)
                try fixture.apply(.sign(unit: "WATER"), to: late, profile: "henan", at: china(2026, 10, 1, 2), on: tx)
                let onTime = try fixture.dispatchedOrder(profile: "henan", kind: outage, at: china(2026, 10, 1), on: tx)
                try fixture.apply(.sign(unit: "WATER"), to: onTime, profile: "henan", at: china(2026, 10, 1, 2), on: tx)
                return (waiting, general, late, onTime)
            }
            #expect(try fixture.openTimers(waiting) == ["dispatchBy": china(2026, 10, 1, 1)])
            #expect(try fixture.openTimers(general) == ["dispatchBy": china(2026, 10, 1, 10)])
            #expect(try fixture.openTimers(late)["firstFeedback"] == china(2026, 10, 1, 4))
            // A feedback within the two hours meets it: the timer is cancelled.
            try fixture.database.withTransaction { tx in
                try fixture.apply(.feedback(unit: "WATER"), to: onTime, profile: "henan", at: china(2026, 10, 1, 3), on: tx)
            }
            #expect(try fixture.openTimers(onTime)["firstFeedback"] == nil)

            let claimer = fixture.claimer()
            try walk(fixture, claimer, ["dispatchBy": china(2026, 10, 1, 1), "firstFeedback": china(2026, 10, 1, 4)])
            try walk(fixture, claimer, ["dispatchBy": china(2026, 10, 1, 10)])
            #expect(try events(fixture, waiting) == ["overdue", "timerFired"])
            #expect(try events(fixture, general) == ["overdue", "timerFired"])
            #expect(try events(fixture, late) == ["overdue", "timerFired"])
            #expect(try events(fixture, onTime).isEmpty)
            #expect(try fixture.strings("SELECT data->>'timer' FROM events WHERE work_order_id = \(late) AND type = 'overdue'") == ["firstFeedback"])
            #expect(try overdueTimers(fixture) == ["firstFeedback"])
            #expect(try fixture.scalar("SELECT count(*) FROM outbox WHERE type = 'workorder.dispatch_overdue'") == 2)
            // The rule says which hours count, in the document's words.
            let henan = try PolicyProfile.bundled("henan")
            #expect(henan.dispatchRule(for: OrderKind(category: .help))?.limit == .naturalHours(24))
            #expect(henan.dispatchRule(for: OrderKind(category: .help))?.basis.contains("24小时内派发工单") == true)
            #expect(henan.dispatchRule(for: outage)?.limit == .naturalHours(2))
            #expect(henan.signRule(for: OrderKind(category: .help))?.limit == .workingHours(24))
        }
    }

    // MARK: pingdingshan class C: progress report and plan in 5 working days

    @Test func pingdingshanClassCOwesAProgressReportNotAReply() throws {
        try DeadlineFixture.with { fixture in
            let classC = OrderKind(category: .complaint, caseClass: .C)
            let (silent, reported) = try fixture.database.withTransaction { tx in
                (try fixture.dispatchedOrder(profile: "pingdingshan", kind: classC, at: dispatchedAt, on: tx),
                 try fixture.dispatchedOrder(profile: "pingdingshan", kind: classC, at: dispatchedAt, on: tx))
            }
            // 8, 9, 10 (Saturday, make-up), 12, 13 October: due at 24:00 on the 13th.
            let schedule = ["progressReport": china(2026, 10, 14), "reminder.0": china(2026, 10, 13), "reminder.1": china(2026, 10, 13, 20)]
            #expect(try fixture.openTimers(silent) == schedule)
            try fixture.database.withTransaction { tx in
                try fixture.apply(.sign(unit: "WATER"), to: reported, profile: "pingdingshan", at: china(2026, 10, 8, 9), on: tx)
                try fixture.apply(.feedback(unit: "WATER"), to: reported, profile: "pingdingshan", at: china(2026, 10, 12, 9), on: tx)
            }
            #expect(try fixture.openTimers(reported).isEmpty, "the progress report met the limit; the final written reply follows")
            try walk(fixture, fixture.claimer(), schedule)
            #expect(try events(fixture, silent) == ["reminded", "reminded", "overdue", "supervised", "timerFired"])
            #expect(try fixture.strings("SELECT data->>'timer' FROM events WHERE work_order_id = \(silent) AND type = 'overdue'") == ["progressReport"])
            #expect(try overdueTimers(fixture) == ["progressReport"])
            #expect(try events(fixture, reported).isEmpty)
            #expect(try WorkOrders.load(silent, on: fixture.database)?.order.supervision == .overdue)
        }
    }

    // MARK: zezhou redo: 5 working days

    @Test func zezhouRedoIsDueInFiveWorkingDays() throws {
        try DeadlineFixture.with { fixture in
            let id = try fixture.database.withTransaction { tx in
                let id = try fixture.dispatchedOrder(profile: "zezhou", kind: OrderKind(category: .help), at: dispatchedAt, on: tx)
                try fixture.apply(.sign(unit: "WATER"), to: id, profile: "zezhou", at: dispatchedAt, on: tx)
                try fixture.apply(.reply(unit: "WATER", contactedCitizen: true), to: id, profile: "zezhou", at: china(2026, 10, 8, 11), on: tx)
                try fixture.apply(.startRevisit, to: id, profile: "zezhou", at: china(2026, 10, 9, 9), on: tx)
                try fixture.apply(.rate(.dissatisfied, redoReason: nil, exemptReason: nil), to: id, profile: "zezhou",
                                  at: china(2026, 10, 9, 15), on: tx)
                return id
            }
            // 10 (make-up Saturday), 12, 13, 14, 15 October: due at 24:00 on the 15th.
            let schedule = ["redoDue": china(2026, 10, 16), "reminder.0": china(2026, 10, 15), "reminder.1": china(2026, 10, 15, 20)]
            #expect(try fixture.openTimers(id) == schedule)
            try walk(fixture, fixture.claimer(), schedule)
            #expect(try events(fixture, id) == ["reminded", "reminded", "overdue", "supervised", "timerFired"])
            #expect(try overdueTimers(fixture) == ["redoDue"])
            #expect(try WorkOrders.load(id, on: fixture.database)?.order.state == .redo)
        }
    }

    // MARK: an approved extension moves the reply-by and its reminders

    @Test func anApprovedExtensionMovesTheReplyByAndItsReminders() throws {
        try DeadlineFixture.with { fixture in
            let id = try fixture.database.withTransaction { tx in
                let id = try fixture.dispatchedOrder(profile: "qidong", kind: OrderKind(category: .help), at: dispatchedAt, on: tx)
                try fixture.apply(.sign(unit: "WATER"), to: id, profile: "qidong", at: dispatchedAt, on: tx)
                return id
            }
            #expect(try fixture.openTimers(id)["replyBy"] == china(2026, 10, 14))
            try fixture.database.withTransaction { tx in
                try fixture.apply(.requestExtension(unit: "WATER", amount: .workingDays(5), citizenConsented: false), to: id,
                                  profile: "qidong", at: china(2026, 10, 12, 9), on: tx)
                try fixture.apply(.approveExtension(amount: nil), to: id, profile: "qidong", at: china(2026, 10, 12, 11), on: tx)
            }
            // Five more working days after the 13th: 14, 15, 16, 19, 20 October.
            let schedule = ["replyBy": china(2026, 10, 21), "reminder.0": china(2026, 10, 20), "reminder.1": china(2026, 10, 20, 20),
                            "returnWindow": china(2026, 10, 9)]
            #expect(try fixture.openTimers(id) == schedule)
            #expect(try WorkOrders.load(id, on: fixture.database)?.order.assignment?.replyBy == china(2026, 10, 21))
            let claimer = fixture.claimer()
            try walk(fixture, claimer, ["returnWindow": china(2026, 10, 9)])
            // The old instants pass without a firing.
            fixture.clock.set(china(2026, 10, 14, 0, 1))
            #expect(try claimer.fireDue(on: fixture.database).claimed == 0)
            try walk(fixture, claimer, ["replyBy": china(2026, 10, 21), "reminder.0": china(2026, 10, 20), "reminder.1": china(2026, 10, 20, 20)])
            #expect(try fixture.strings("SELECT data->>'replyBy' FROM events WHERE work_order_id = \(id) AND type = 'reminded' ORDER BY id")
                    == [ChinaTime.format(china(2026, 10, 21)), ChinaTime.format(china(2026, 10, 21))])
        }
    }

    // MARK: follow-ups scheduled by other parts: KB entry, supervision plan

    @Test func kbEntryAndSupervisionPlanAreScheduledCancelledAndFired() throws {
        try DeadlineFixture.with { fixture in
            let qidong = try PolicyProfile.bundled("qidong")
            let pingdingshan = try PolicyProfile.bundled("pingdingshan")
            let (kb, kbDone, plan, noRule) = try fixture.database.withTransaction { tx in
                let kb = try fixture.dispatchedOrder(profile: "qidong", kind: OrderKind(category: .consult), at: dispatchedAt, on: tx)
                let kbDone = try fixture.dispatchedOrder(profile: "qidong", kind: OrderKind(category: .consult), at: dispatchedAt, on: tx)
                let plan = try fixture.dispatchedOrder(profile: "pingdingshan", kind: OrderKind(category: .complaint, caseClass: .B),
                                                       at: dispatchedAt, on: tx)
                let noRule = try fixture.acceptedOrder(profile: "zezhou", kind: OrderKind(category: .consult), at: dispatchedAt, on: tx)
                for id in [kb, kbDone] {
                    try fixture.apply(.reply(unit: "WATER", contactedCitizen: true), to: id, profile: "qidong", at: china(2026, 9, 30, 15), on: tx)
                }
                return (kb, kbDone, plan, noRule)
            }
            let due = try fixture.database.withTransaction { tx in
                // A reply marked for the KB: 1 working day after the reply (8 October: the holiday does not count).
                let kbAt = try Timers.schedule(.kbEntryDue, workOrder: kb, assignment: try assignmentId(fixture, kb), unit: "WATER",
                                               from: china(2026, 9, 30, 15), profile: qidong, calendar: fixture.calendar,
                                               actor: "test", at: china(2026, 9, 30, 15), on: tx)
                try Timers.schedule(.kbEntryDue, workOrder: kbDone, assignment: nil, unit: "WATER", from: china(2026, 9, 30, 15),
                                    profile: qidong, calendar: fixture.calendar, actor: "test", at: china(2026, 9, 30, 15), on: tx)
                // On-site supervision at 16:00 on 30 September: the plan is due in 3 working days (8, 9, 10 October).
                let planAt = try Timers.schedule(.supervisionPlanDue, workOrder: plan, assignment: try assignmentId(fixture, plan),
                                                 unit: "WATER", from: china(2026, 9, 30, 16), profile: pingdingshan,
                                                 calendar: fixture.calendar, actor: "test", at: china(2026, 9, 30, 16), on: tx)
                // zezhou's supervision kinds ask for no plan: nothing is written.
                let none = try Timers.schedule(.supervisionPlanDue, workOrder: noRule, assignment: nil, unit: "WATER", from: dispatchedAt,
                                               profile: try PolicyProfile.bundled("zezhou"), calendar: fixture.calendar,
                                               actor: "test", at: dispatchedAt, on: tx)
                #expect(none == nil)
                // The entry written: the KB's call site cancels the timer.
                #expect(try Timers.cancel(.kbEntryDue, workOrder: kbDone, at: china(2026, 10, 8, 9), on: tx) == 1)
                return (kbAt, planAt)
            }
            #expect(due.0 == china(2026, 10, 9))
            #expect(due.1 == china(2026, 10, 11))
            #expect(try fixture.openTimers(noRule)["supervisionPlanDue"] == nil)
            // The KB entry is owed after the reply, whatever the order became: close it first.
            try fixture.database.execute("UPDATE work_orders SET state = 'closed' WHERE id = \(kb)")
            let claimer = fixture.claimer()
            try walk(fixture, claimer, ["kbEntryDue": china(2026, 10, 9)])
            // pingdingshan class B: the supervision plan at 24:00 on the 10th, before the reply-by.
            fixture.clock.set(china(2026, 10, 11).addingTimeInterval(-1))
            #expect(try claimer.fireDue(on: fixture.database).fired.isEmpty)
            fixture.clock.set(china(2026, 10, 11))
            #expect(try claimer.fireDue(on: fixture.database).fired.contains("supervisionPlanDue"))
            #expect(try events(fixture, kb) == ["overdue"])
            #expect(try events(fixture, kbDone).isEmpty)
            #expect(try events(fixture, plan).contains("overdue"))
            #expect(try fixture.strings("SELECT data->>'timer' FROM events WHERE type = 'overdue' AND actor = 'deadline-watch' ORDER BY id")
                    == ["kbEntryDue", "supervisionPlanDue"])
            #expect(try fixture.scalar("SELECT count(*) FROM events WHERE data ? 'timerId' AND data->>'timer' IN ('kbEntryDue', 'supervisionPlanDue')") == 2)
            #expect(try overdueTimers(fixture) == ["kbEntryDue", "supervisionPlanDue"])
        }
    }

    // MARK: baotou month end

    @Test func baotouListsTheOrdersNotClearedAtMonthEnd() throws {
        try DeadlineFixture.with { fixture in
            let at = china(2026, 10, 20, 10)
            let help = OrderKind(category: .help)
            // Reply-by: 5 working days, 21, 22, 23, 26, 27 October: 24:00 on the 27th.
            let (open, replied, extended, excluded) = try fixture.database.withTransaction { tx in
                let ids = try (0..<4).map { _ in try fixture.dispatchedOrder(profile: "baotou", kind: help, at: at, on: tx) }
                try fixture.apply(.reply(unit: "WATER", contactedCitizen: true), to: ids[1], profile: "baotou", at: china(2026, 10, 23), on: tx)
                try fixture.apply(.sign(unit: "WATER"), to: ids[2], profile: "baotou", at: at, on: tx)
                try fixture.apply(.requestExtension(unit: "WATER", amount: .workingDays(5), citizenConsented: true), to: ids[2],
                                  profile: "baotou", at: china(2026, 10, 26), on: tx)
                try fixture.apply(.approveExtension(amount: nil), to: ids[2], profile: "baotou", at: china(2026, 10, 26, 12), on: tx)
                try Scores.exclude(order: ids[3], basis: "上门联系诉求人认可", approvedAt: china(2026, 10, 30), on: tx)
                return (ids[0], ids[1], ids[2], ids[3])
            }
            #expect(try fixture.openTimers(open)["monthEnd"] == china(2026, 11, 1))
            #expect(try fixture.openTimers(replied)["monthEnd"] == nil)
            // Extended to 24:00 on 3 November (28, 29, 30 October, 2, 3 November): November's list.
            #expect(try fixture.openTimers(extended)["monthEnd"] == china(2026, 12, 1))
            let claimer = fixture.claimer()
            fixture.clock.set(china(2026, 11, 1).addingTimeInterval(-1))
            #expect(try claimer.fireDue(on: fixture.database).fired.contains("monthEnd") == false)
            fixture.clock.set(china(2026, 11, 1))
            let report = try claimer.fireDue(on: fixture.database)
            #expect(report.fired == ["monthEnd"])
            #expect(report.movedOn == 1, "the excluded order")
            #expect(try Timers.monthEndList(month: "2026-10", on: fixture.database).map(\.number)
                    == [try WorkOrders.load(open, on: fixture.database)!.number])
            #expect(try Timers.monthEndList(month: "2026-10", on: fixture.database).first?.replyBy == china(2026, 10, 28))
            let listed = try Shell.run(try Shell.product("hotlinectl"), ["timers", "month-end", "2026-10", "--database-url", fixture.url])
            #expect(listed.status == 0, "\(listed)")
            #expect(listed.stdout.contains("month-end 2026-10: 1 order(s) not cleared"), "\(listed.stdout)")
            #expect(listed.stdout.contains("WATER  \(try WorkOrders.load(open, on: fixture.database)!.number)  due 2026-10-28T00:00:00+08:00"),
                    "\(listed.stdout)")
            let bad = try Shell.run(try Shell.product("hotlinectl"), ["timers", "month-end", "2026-13", "--database-url", fixture.url])
            #expect(bad.status == 2 && bad.stderr.contains("YYYY-MM"), "\(bad)")
            #expect(try fixture.strings("SELECT data->>'note' FROM timers WHERE work_order_id = \(excluded) AND kind = 'monthEnd'")
                    == ["excluded with approval (剔除)"])
            #expect(try fixture.strings("""
                SELECT convert_from(body, 'UTF8')::jsonb->'data'->>'month' FROM outbox WHERE type = 'workorder.month_end_uncleared'
                """) == ["2026-10"])
            // The month end of a profile without zero clearing: no timer.
            let other = try fixture.database.withTransaction { tx in try fixture.dispatchedOrder(profile: "qidong", kind: help, at: at, on: tx) }
            #expect(try fixture.openTimers(other)["monthEnd"] == nil)
        }
    }

    // MARK: qidong: two reminders ignored is an offence, and scoring counts it

    @Test func twoRemindersIgnoredAreRecordedAndScored() throws {
        try DeadlineFixture.with { fixture in
            let help = OrderKind(category: .help)
            let (ignored, answered) = try fixture.database.withTransaction { tx in
                (try fixture.dispatchedOrder(profile: "qidong", kind: help, at: dispatchedAt, on: tx),
                 try fixture.dispatchedOrder(profile: "qidong", kind: help, at: dispatchedAt, on: tx))
            }
            try fixture.database.withTransaction { tx in
                try fixture.apply(.sign(unit: "WATER"), to: answered, profile: "qidong", at: china(2026, 10, 8, 9), on: tx)
            }
            let claimer = fixture.claimer()
            fixture.clock.set(china(2026, 10, 13, 1))
            try claimer.fireDue(on: fixture.database)
            // After the first reminder the unit explains itself (a progress feedback): not ignored.
            try fixture.database.withTransaction { tx in
                try fixture.apply(.feedback(unit: "WATER"), to: answered, profile: "qidong", at: china(2026, 10, 13, 9), on: tx)
            }
            fixture.clock.set(china(2026, 10, 14))
            try claimer.fireDue(on: fixture.database)
            #expect(try fixture.scalar("SELECT count(*) FROM events WHERE type = 'reminded'") == 4)
            #expect(try fixture.strings("SELECT work_order_id::text FROM events WHERE type = 'offenceRecorded'") == [ignored.uuidString.lowercased()])
            #expect(try fixture.strings("SELECT data->>'reminders' FROM events WHERE type = 'offenceRecorded'") == ["2"])
            // Both are overdue; only one unit ignored two reminders.
            #expect(try fixture.scalar("SELECT count(*) FROM events WHERE type = 'overdue' AND data->>'timer' = 'replyBy'") == 2)
            let period = try #require(ScoringPeriod(year: 2026, month: 9))
            var figures = try Scores.figures(period: period, asOf: china(2026, 10, 15), on: fixture.database)
            try Scores.addOffenceFigures(from: period.start, to: period.end, asOf: china(2026, 10, 15), to: &figures, on: fixture.database)
            #expect(figures.first { $0.unit == "WATER" }?.remindersIgnored == 1)
            let cards = Scorecards.score(figures, scheme: try PolicyProfile.bundled("qidong").scoring)
            let offence = cards.first { $0.unit == "WATER" }?.figures.first { $0.name == "offence.remindersIgnored" }
            #expect(offence?.numerator == 1 && offence?.denominator == 2)
        }
    }

    // MARK: next year's calendar loaded: the new kinds are counted again

    @Test func loadingNextYearCountsTheNewKindsAgain() throws {
        try DeadlineFixture.with { fixture in
            // Monday 28 December 2026: 2027 is not loaded, so the stored calendar counts its days
            // Monday to Friday (and marks the timers so counted).
            fixture.calendar = try CalendarStore.read(on: fixture.database)
            let monday = china(2026, 12, 28, 10)
            let (classC, kb) = try fixture.database.withTransaction { tx in
                let classC = try fixture.dispatchedOrder(profile: "pingdingshan", kind: OrderKind(category: .complaint, caseClass: .C),
                                                         at: monday, on: tx)
                let kb = try fixture.dispatchedOrder(profile: "qidong", kind: OrderKind(category: .consult), at: monday, on: tx)
                try fixture.apply(.reply(unit: "WATER", contactedCitizen: true), to: kb, profile: "qidong", at: china(2026, 12, 31, 15), on: tx)
                try Timers.schedule(.kbEntryDue, workOrder: kb, assignment: nil, unit: "WATER", from: china(2026, 12, 31, 15),
                                    profile: try PolicyProfile.bundled("qidong"), calendar: fixture.calendar, actor: "test",
                                    at: china(2026, 12, 31, 15), on: tx)
                return (classC, kb)
            }
            // 29, 30, 31 December, Friday 1 and Monday 4 January; the KB entry on Friday 1 January.
            #expect(try fixture.openTimers(classC)["progressReport"] == china(2027, 1, 5))
            #expect(try fixture.openTimers(kb) == ["kbEntryDue": china(2027, 1, 2)])
            // The operator loads 2027 with New Year's Day off.
            let year2027 = HolidayArrangement(year: 2027, holidays: [LocalDate("2027-01-01")!], workdays: [])
            try fixture.database.withTransaction { tx in _ = try CalendarStore.load(year2027, actor: "test", at: china(2026, 12, 31, 16), on: tx) }
            #expect(try fixture.openTimers(classC)["progressReport"] == china(2027, 1, 6))
            #expect(try fixture.openTimers(classC)["reminder.0"] == china(2027, 1, 5))
            #expect(try WorkOrders.load(classC, on: fixture.database)?.order.assignment?.replyBy == china(2027, 1, 6))
            #expect(try fixture.openTimers(kb) == ["kbEntryDue": china(2027, 1, 5)])
            #expect(try fixture.scalar("SELECT count(*) FROM events WHERE type = 'dueTimesRecomputed'") == 2)
        }
    }

    // MARK: a timer whose firing always fails

    @Test func aTimerThatAlwaysFailsIsRetriedWithBackoffThenGivenUp() throws {
        try DeadlineFixture.with { fixture in
            let help = OrderKind(category: .help)
            let (broken, healthy) = try fixture.database.withTransaction { tx in
                (try fixture.dispatchedOrder(profile: "zezhou", kind: help, at: dispatchedAt, on: tx),
                 try fixture.dispatchedOrder(profile: "zezhou", kind: help, at: dispatchedAt, on: tx))
            }
            // The broken order's assignment cannot be read: every firing of its timers throws.
            try fixture.database.execute("UPDATE assignments SET original_limit = NULL WHERE work_order_id = \(broken)")
            let registry = PrometheusCollectorRegistry()
            let claimer = fixture.claimer(metrics: DeadlineMetrics(worker: "deadline-watch", registry: registry))
            let signBy = china(2026, 10, 8, 10)
            fixture.clock.set(signBy)
            var report = try claimer.fireDue(on: fixture.database)
            #expect(report.fired == ["signBy"], "the healthy order's timer fires beside the broken one")
            #expect(report.failed == 1 && report.gaveUp == 0)
            #expect(try fixture.strings("SELECT type FROM events WHERE work_order_id = \(healthy) AND actor = 'deadline-watch'") == ["overdue", "timerFired"])
            #expect(try Timers.status(at: signBy, on: fixture.database).retrying == 1)
            // Tried again after 30 s, 1 min, 2 min, 4 min; not before.
            var at = signBy
            for delay in [30.0, 60, 120, 240] {
                fixture.clock.set(at.addingTimeInterval(delay - 1))
                #expect(try claimer.fireDue(on: fixture.database).claimed == 0, "not before its retry time")
                at = at.addingTimeInterval(delay)
                fixture.clock.set(at)
                report = try claimer.fireDue(on: fixture.database)
                #expect(report.claimed == 1)
                #expect(report.failed + report.gaveUp == 1)
            }
            #expect(report.gaveUp == 1)
            #expect(try fixture.scalar("SELECT attempts FROM timers WHERE work_order_id = \(broken) AND kind = 'signBy'") == 5)
            // Given up: never claimed again, shown in the status and the metrics, with its reason.
            fixture.clock.set(at.addingTimeInterval(2 * 86_400))
            let later = try claimer.fireDue(on: fixture.database)
            #expect(later.claimed == 2, "the two return windows, due since; the given-up timer is not claimed")
            #expect(later.fired == ["returnWindow"] && later.failed == 1, "the broken order's return window fails on its own")
            let status = try Timers.status(at: at, on: fixture.database)
            #expect(status.givenUp == 1)
            let given = try Timers.givenUp(on: fixture.database)
            #expect(given.map(\.kind) == ["signBy"])
            #expect(given.first?.attempts == 5)
            #expect(given.first?.reason.hasSuffix("cannot be read: original limit") == true, "\(given)")
            #expect(given.first?.number == (try fixture.strings("SELECT number FROM work_orders WHERE id = \(broken)")).first)
            // What the operator on call sees.
            let number = try #require(given.first?.number)
            let shown = try Shell.run(try Shell.product("hotlinectl"), ["status", "--database-url", fixture.url, "--amqp-url", try TestServers.amqpURL()])
            #expect(shown.stdout.contains("WARNING timers given up"), "\(shown.stdout)")
            #expect(shown.stdout.contains("signBy of order \(number)"), "\(shown.stdout)")
            #expect(shown.stdout.contains("after 5 attempts: store-corrupt"), "\(shown.stdout)")
            let listed = try Shell.run(try Shell.product("hotlinectl"), ["timers", "given-up", "--database-url", fixture.url])
            #expect(listed.status == 0 && listed.stdout.contains("timers given up: 1"), "\(listed)")
            let text = registry.emitToString()
            #expect(text.contains(#"hotline_timers_total{worker="deadline-watch",kind="signBy",outcome="gaveUp"} 1"#), "\(text)")
            #expect(text.contains(#"hotline_timers_total{worker="deadline-watch",kind="signBy",outcome="failed"} 4"#))
            #expect(text.contains(#"hotline_timers_total{worker="deadline-watch",kind="signBy",outcome="fired"} 1"#))
        }
    }

    @Test func theRetryPolicyDoublesItsDelayAndGivesUp() {
        let policy = TimerRetryPolicy(maxAttempts: 4, firstDelay: 10, maxDelay: 25)
        let now = Date(timeIntervalSince1970: 1_000)
        #expect(policy.retryAt(afterFailedAttempt: 1, now: now) == now.addingTimeInterval(10))
        #expect(policy.retryAt(afterFailedAttempt: 2, now: now) == now.addingTimeInterval(20))
        #expect(policy.retryAt(afterFailedAttempt: 3, now: now) == now.addingTimeInterval(25))
        #expect(policy.retryAt(afterFailedAttempt: 4, now: now) == nil)
    }
}
