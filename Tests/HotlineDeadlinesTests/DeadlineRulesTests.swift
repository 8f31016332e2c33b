import Foundation
import HotlineDeadlines
import HotlineDomain
import Testing

/// The rules without a database: each kind's rule, its basis, and the README's table.
struct DeadlineRulesTests {
    let calendar = try! WorkingCalendar.bundled()
    let profile = try! PolicyProfile.bundled("qidong")
    let at = china(2026, 9, 30, 10)

    func dispatched() throws -> WorkOrder {
        var order = WorkOrder(id: "o", kind: OrderKind(category: .help), channel: .phone, receivedAt: at)
        for command in [Command.accept, .dispatch(lead: "WATER", coUnits: [])] {
            order = try Lifecycle.apply(command, to: order, now: at, profile: profile, calendar: calendar).get().order
        }
        return order
    }

    @Test func everyRuleNamesItsSourceAndTheReadmeListsEveryKind() throws {
        let readme = try String(contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../README.md"), encoding: .utf8)
        let section = try #require(readme.components(separatedBy: "### deadline-watch").dropFirst().first?
            .components(separatedBy: "\n### ").first)
        for rule in DeadlineRules.all {
            #expect(rule.basis.contains("POLICIES.md §"), "\(rule.name)")
            #expect(rule.basis.contains("profile `"), "\(rule.name)")
            #expect(section.contains("`\(rule.name)`"), "README's deadline-watch table lacks \(rule.name)")
            #expect(section.contains("| `\(rule.kind)` |"), "README's deadline-watch table lacks \(rule.kind)")
        }
        let kinds: [TimerKind] = [.dispatchBy, .signBy, .returnWindow, .reminder(0), .replyBy, .firstFeedback, .progressReport, .redoDue,
                                  .kbEntryDue, .supervisionPlanDue, .monthEnd]
        for kind in kinds {
            #expect(DeadlineRules.all.contains(DeadlineRules.rule(for: kind)))
            #expect(TimerKind(name: kind.name) == kind)
            #expect(DeadlineMetrics.kind(kind.name) != "unknown", "\(kind.name) has its own metric dimension")
        }
        #expect(Set(DeadlineRules.all.map(\.kind)).count == DeadlineRules.all.count)
    }

    @Test func timersOfAnOrderThatMovedOnDoNothing() throws {
        let order = try dispatched()
        let signed = try Lifecycle.apply(.sign(unit: "WATER"), to: order, now: at, profile: profile, calendar: calendar).get().order
        #expect(DeadlineRules.fire(.signBy, dueAt: at, order: signed, now: at, profile: profile, calendar: calendar)
                == .movedOn(note: "the unit signed"))
        let asked = try Lifecycle.apply(.requestReturn(unit: "WATER"), to: order, now: at, profile: profile, calendar: calendar).get().order
        #expect(DeadlineRules.fire(.returnWindow, dueAt: at, order: asked, now: at, profile: profile, calendar: calendar)
                == .movedOn(note: "a return asked within the window waits for the office"))
        #expect(DeadlineRules.fire(.dispatchBy, dueAt: at, order: order, now: at, profile: profile, calendar: calendar)
                == .movedOn(note: "order is dispatched, no longer waiting for dispatch"))
        let replied = try Lifecycle.apply(.reply(unit: "WATER", contactedCitizen: true), to: order, now: at, profile: profile,
                                          calendar: calendar).get().order
        for kind in [TimerKind.signBy, .returnWindow, .reminder(1), .replyBy] {
            #expect(DeadlineRules.fire(kind, dueAt: at, order: replied, now: at, profile: profile, calendar: calendar)
                    == .movedOn(note: "the unit replied"))
        }
    }

    @Test func replyByPassedSupervisesOnceAndRemindersChangeNothingInTheOrder() throws {
        let order = try dispatched()
        guard case let .fire(transition, effects, rule) = DeadlineRules.fire(.replyBy, dueAt: at, order: order, now: at,
                                                                             profile: profile, calendar: calendar) else {
            Issue.record("replyBy did not fire")
            return
        }
        #expect(rule == "replyByPassed")
        #expect(transition.events == [.overdue(.replyBy), .supervised(.overdue)])
        #expect(effects == [.replyOverdue(dueAt: at), .supervised(.overdue)])
        // Already supervised (for another reason): overdue, but no second supervision.
        guard case let .fire(_, again, _) = DeadlineRules.fire(.replyBy, dueAt: at, order: transition.order, now: at,
                                                               profile: profile, calendar: calendar) else {
            Issue.record("replyBy did not fire")
            return
        }
        #expect(again == [.replyOverdue(dueAt: at)])
        guard case let .fire(reminder, reminded, _) = DeadlineRules.fire(.reminder(1), dueAt: at, order: order, now: at,
                                                                         profile: profile, calendar: calendar) else {
            Issue.record("the reminder did not fire")
            return
        }
        #expect(reminder.order == order && reminder.events.isEmpty && reminder.timers.isEmpty)
        #expect(reminded == [.reminded(index: 1, replyBy: order.assignment!.replyBy)])
    }

    /// baotou's month end: a period ending at 24:00 on the month's last day belongs to that month.
    @Test func theMonthEndOfAReplyByIsTheEndOfTheMonthItsPeriodEndsIn() {
        #expect(DeadlineWatchRules.monthEnd(of: china(2026, 11, 1)) == china(2026, 11, 1))
        #expect(DeadlineWatchRules.monthEnd(of: china(2026, 11, 1, 0, 1)) == china(2026, 12, 1))
        #expect(DeadlineWatchRules.monthEnd(of: china(2026, 12, 31, 20)) == china(2027, 1, 1))
        #expect(DeadlineRules.month(endingAt: china(2026, 11, 1)) == "2026-10")
        #expect(DeadlineRules.month(endingAt: china(2027, 1, 1)) == "2026-12")
    }

    @Test func followUpsOfAnOrderThatMovedOnDoNothingButAKBEntryIsOwedAfterTheReply() throws {
        let replied = try Lifecycle.apply(.reply(unit: "WATER", contactedCitizen: true), to: try dispatched(), now: at, profile: profile,
                                          calendar: calendar).get().order
        for kind in [TimerKind.firstFeedback, .progressReport, .redoDue, .supervisionPlanDue, .monthEnd] {
            #expect(DeadlineRules.fire(kind, dueAt: at, order: replied, now: at, profile: profile, calendar: calendar)
                    == .movedOn(note: "the unit replied"), "\(kind.name)")
        }
        guard case let .fire(_, effects, rule) = DeadlineRules.fire(.kbEntryDue, dueAt: at, order: replied, now: at, profile: profile,
                                                                    calendar: calendar, facts: TimerFacts(unit: "WATER")) else {
            Issue.record("kbEntryDue did not fire")
            return
        }
        #expect(rule == "kbEntryDuePassed")
        #expect(effects == [.limitOverdue(.kbEntryDue, unit: "WATER", dueAt: at)])
        // Two reminders ignored: an offence beside the overdue mark (qidong only).
        guard case let .fire(_, offence, _) = DeadlineRules.fire(.replyBy, dueAt: at, order: try dispatched(), now: at, profile: profile,
                                                                 calendar: calendar, facts: TimerFacts(remindersIgnored: 2)) else {
            Issue.record("replyBy did not fire")
            return
        }
        #expect(offence == [.replyOverdue(dueAt: at), .supervised(.overdue), .remindersIgnored(reminders: 2)])
        guard case let .fire(_, once, _) = DeadlineRules.fire(.replyBy, dueAt: at, order: try dispatched(), now: at, profile: profile,
                                                              calendar: calendar, facts: TimerFacts(remindersIgnored: 1)) else {
            Issue.record("replyBy did not fire")
            return
        }
        #expect(once == [.replyOverdue(dueAt: at), .supervised(.overdue)])
    }
}
