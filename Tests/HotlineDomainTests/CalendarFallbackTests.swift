import Foundation
import Testing
@testable import HotlineDomain

/// A year's arrangement checked for every problem at once, and deadlines that count Monday to
/// Friday past the loaded years: marked with their rule, and counted again once the year is loaded.
@Suite struct CalendarFallbackTests {
    /// The bundled years (to 2026), Monday to Friday after them, as a worker counts.
    var lenient: WorkingCalendar {
        var calendar = bundledCalendar
        calendar.outsideLoadedYears = .weekdaysOnly
        return calendar
    }

    /// 2027 with New Year's Day (a Friday) off.
    let year2027 = HolidayArrangement(year: 2027, holidays: [date("2027-01-01")], workdays: [])

    @Test func everyProblemOfAnArrangementIsNamedInFileOrder() {
        let arrangement = HolidayArrangement(
            year: 2027,
            holidays: [date("2027-01-01"), date("2026-12-31"), date("2027-01-01")],
            workdays: [date("2027-01-04"), date("2027-01-01"), date("2027-02-06"), date("2027-02-06"), date("2028-01-01")])
        let problems = arrangement.problems(file: "2027.json").map(\.description)
        #expect(problems == [
            "2027.json: holidays[1]: 2026-12-31 is not in 2027",
            "2027.json: holidays[2]: 2027-01-01 is listed twice",
            "2027.json: workdays[0]: 2027-01-04 is a weekday; a make-up working day (调休) must fall on a Saturday or Sunday",
            "2027.json: workdays[1]: 2027-01-01 is listed both as a holiday and as a make-up working day",
            "2027.json: workdays[3]: 2027-02-06 is listed twice",
            "2027.json: workdays[4]: 2028-01-01 is not in 2027",
        ])
        #expect(throws: DataFileError.self) { try arrangement.validate(file: "2027.json") }
        #expect(year2027.problems(file: "2027.json").isEmpty)
    }

    @Test func aDispatchWhoseReplyByFallsInAnUnloadedYearMarksItsTimersWithTheirRule() throws {
        // Monday 2026-12-28 10:00, qidong help: 5 working days, reminders 24 h and 4 h before.
        let at = instant("2026-12-28T10:00:00+08:00")
        let order = WorkOrder(id: "WO-1", kind: OrderKind(category: .help), channel: .phone, receivedAt: at)
        let accepted = try Lifecycle.apply(.accept, to: order, now: at, profile: profile("qidong"), calendar: lenient).get()
        let dispatched = try Lifecycle.apply(.dispatch(lead: "住建局", coUnits: []), to: accepted.order, now: at,
                                             profile: profile("qidong"), calendar: lenient).get()
        // Dec 29, 30, 31, then Friday Jan 1 and Monday Jan 4 counted as working days.
        #expect(fmt(dispatched.starts(.replyBy)) == "2027-01-05T00:00:00+08:00")
        #expect(Set(dispatched.weekdayFallbacks.keys) == [.replyBy, .reminder(0), .reminder(1)])
        let replyBy = try #require(dispatched.weekdayFallbacks[.replyBy])
        #expect(replyBy == WeekdayFallback(rule: DueRule(from: at, limit: .workingDays(5)), year: 2027))
        let fourHours: TimeInterval = 4 * 3600
        #expect(dispatched.weekdayFallbacks[.reminder(1)]?.rule.before == fourHours)
        // Sign-by (24 working hours) and the return window end in 2026: not marked.
        #expect(dispatched.starts(.signBy) != nil && dispatched.weekdayFallbacks[.signBy] == nil)

        // Once 2027 is loaded, the same rules count New Year's Day off.
        var loaded = lenient
        loaded.replace(year2027)
        let again = try replyBy.rule.due(calendar: loaded)
        #expect(fmt(again.at) == "2027-01-06T00:00:00+08:00")
        #expect(again.weekdayFallbackYear == nil)
        let reminder = try #require(dispatched.weekdayFallbacks[.reminder(1)])
        #expect(fmt(try reminder.rule.due(calendar: loaded).at) == "2027-01-05T20:00:00+08:00")
        let withYear = try Lifecycle.apply(.dispatch(lead: "住建局", coUnits: []), to: accepted.order, now: at,
                                           profile: profile("qidong"), calendar: loaded).get()
        #expect(withYear.weekdayFallbacks.isEmpty)
        #expect(withYear.starts(.replyBy) == again.at)
    }

    @Test func aCalendarThatRefusesUnloadedYearsNeverFallsBack() {
        let end = instant("2027-03-01T00:00:00+08:00")
        #expect(bundledCalendar.weekdayFallbackYear(from: instant("2026-12-28T10:00:00+08:00"), to: end) == nil)
        #expect(lenient.weekdayFallbackYear(from: instant("2026-12-28T10:00:00+08:00"), to: end) == 2027)
        // A period ending at 24:00 on 31 December counted no day of the next year.
        #expect(lenient.weekdayFallbackYear(from: instant("2026-12-28T10:00:00+08:00"),
                                            to: instant("2027-01-01T00:00:00+08:00")) == nil)
    }

    @Test func anExtensionsRuleCountsFromTheLastDayOfThePeriod() throws {
        // Due at 24:00 on Thursday 2024-05-09; one more working day ends at 24:00 on Friday.
        let due = instant("2024-05-10T00:00:00+08:00")
        let rule = DueRule.extending(due, by: .workingDays(1))
        #expect(fmt(try rule.due(calendar: bundledCalendar).at) == "2024-05-11T00:00:00+08:00")
        #expect(try rule.due(calendar: bundledCalendar).at == Deadlines.extend(due, by: .workingDays(1), bundledCalendar))
        #expect(try DueRule.extending(due, by: .workingHours(8)).due(calendar: bundledCalendar).at
                == Deadlines.extend(due, by: .workingHours(8), bundledCalendar))
    }
}
