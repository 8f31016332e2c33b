import Foundation
import PropertyBased
import Testing
@testable import HotlineDomain

/// The State Council's arrangements, restated here independently of the bundled file: every
/// holiday range and every make-up working day of 2020–2026.
let officialArrangements: [(year: Int, holidays: [(String, String)], workdays: [String], workingDays: Int)] = [
    (2020, [("2020-01-01", "2020-01-01"), ("2020-01-24", "2020-02-02"), ("2020-04-04", "2020-04-06"),
            ("2020-05-01", "2020-05-05"), ("2020-06-25", "2020-06-27"), ("2020-10-01", "2020-10-08")],
     ["2020-01-19", "2020-04-26", "2020-05-09", "2020-06-28", "2020-09-27", "2020-10-10"], 249),
    (2021, [("2021-01-01", "2021-01-03"), ("2021-02-11", "2021-02-17"), ("2021-04-03", "2021-04-05"),
            ("2021-05-01", "2021-05-05"), ("2021-06-12", "2021-06-14"), ("2021-09-19", "2021-09-21"),
            ("2021-10-01", "2021-10-07")],
     ["2021-02-07", "2021-02-20", "2021-04-25", "2021-05-08", "2021-09-18", "2021-09-26", "2021-10-09"], 250),
    (2022, [("2022-01-01", "2022-01-03"), ("2022-01-31", "2022-02-06"), ("2022-04-03", "2022-04-05"),
            ("2022-04-30", "2022-05-04"), ("2022-06-03", "2022-06-05"), ("2022-09-10", "2022-09-12"),
            ("2022-10-01", "2022-10-07")],
     ["2022-01-29", "2022-01-30", "2022-04-02", "2022-04-24", "2022-05-07", "2022-10-08", "2022-10-09"], 249),
    (2023, [("2023-01-01", "2023-01-02"), ("2023-01-21", "2023-01-27"), ("2023-04-05", "2023-04-05"),
            ("2023-04-29", "2023-05-03"), ("2023-06-22", "2023-06-24"), ("2023-09-29", "2023-10-06")],
     ["2023-01-28", "2023-01-29", "2023-04-23", "2023-05-06", "2023-06-25", "2023-10-07", "2023-10-08"], 249),
    (2024, [("2024-01-01", "2024-01-01"), ("2024-02-10", "2024-02-17"), ("2024-04-04", "2024-04-06"),
            ("2024-05-01", "2024-05-05"), ("2024-06-08", "2024-06-10"), ("2024-09-15", "2024-09-17"),
            ("2024-10-01", "2024-10-07")],
     ["2024-02-04", "2024-02-18", "2024-04-07", "2024-04-28", "2024-05-11", "2024-09-14", "2024-09-29", "2024-10-12"], 251),
    (2025, [("2025-01-01", "2025-01-01"), ("2025-01-28", "2025-02-04"), ("2025-04-04", "2025-04-06"),
            ("2025-05-01", "2025-05-05"), ("2025-05-31", "2025-06-02"), ("2025-10-01", "2025-10-08")],
     ["2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11"], 248),
    (2026, [("2026-01-01", "2026-01-03"), ("2026-02-15", "2026-02-23"), ("2026-04-04", "2026-04-06"),
            ("2026-05-01", "2026-05-05"), ("2026-06-19", "2026-06-21"), ("2026-09-25", "2026-09-27"),
            ("2026-10-01", "2026-10-07")],
     ["2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"], 248),
]

func date(_ text: String) -> LocalDate { LocalDate(text)! }
func instant(_ text: String) -> Date { ChinaTime.parse(text)! }
let bundledCalendar: WorkingCalendar = try! WorkingCalendar.bundled()

@Suite struct CalendarTests {
    @Test func everyOfficialHolidayIsADayOff() throws {
        for year in officialArrangements {
            for (first, last) in year.holidays {
                var day = date(first)
                while day <= date(last) {
                    #expect(try bundledCalendar.isWorkingDay(day) == false, "\(day) is a holiday")
                    day = day.adding(days: 1)
                }
            }
        }
    }

    @Test func everyMakeUpDayIsAWorkingWeekendDay() throws {
        for year in officialArrangements {
            for text in year.workdays {
                #expect(date(text).isWeekend, "\(text) falls on a weekend")
                #expect(try bundledCalendar.isWorkingDay(date(text)), "\(text) is a make-up working day")
            }
        }
    }

    /// Every other day of every year is a working day exactly when it is Monday to Friday.
    @Test func everyOtherDayFollowsTheWeek() throws {
        for year in officialArrangements {
            var special = Set(year.workdays.map(date))
            for (first, last) in year.holidays {
                var day = date(first)
                while day <= date(last) { special.insert(day); day = day.adding(days: 1) }
            }
            var day = LocalDate(year: year.year, month: 1, day: 1)!
            while day.year == year.year {
                if !special.contains(day) {
                    #expect(try bundledCalendar.isWorkingDay(day) == !day.isWeekend, "\(day)")
                }
                day = day.adding(days: 1)
            }
        }
    }

    /// Official totals: 365/366 − weekends − statutory holidays (11 days to 2024, 13 from 2025);
    /// 2020 lost two more to the Spring Festival extension.
    @Test func workingDaysPerYearMatchTheOfficialCount() throws {
        for year in officialArrangements {
            #expect(try bundledCalendar.workingDayCount(year: year.year) == year.workingDays, "\(year.year)")
        }
    }

    @Test func springFestival2020WasExtendedAndItsMakeUpDayCancelled() throws {
        #expect(try bundledCalendar.isWorkingDay(date("2020-01-31")) == false)
        #expect(try bundledCalendar.isWorkingDay(date("2020-02-01")) == false)
        #expect(try bundledCalendar.isWorkingDay(date("2020-02-02")) == false)
        #expect(try bundledCalendar.isWorkingDay(date("2020-02-03")))
    }

    @Test func outsideLoadedYearsIsAnErrorNotAGuess() throws {
        #expect(throws: CalendarError.outsideLoadedYears(date: date("2027-03-01"), loadedYears: Array(2020...2026))) {
            try bundledCalendar.isWorkingDay(date("2027-03-01"))
        }
        #expect(throws: CalendarError.self) { try bundledCalendar.addWorkingDays(5, to: date("2026-12-29")) }
        var lenient = bundledCalendar
        lenient.outsideLoadedYears = .weekdaysOnly
        #expect(try lenient.isWorkingDay(date("2027-03-01")))  // a Monday
        #expect(try lenient.isWorkingDay(date("2027-03-06")) == false)  // a Saturday
    }

    // MARK: Arithmetic

    /// Civil Code: received Friday 2024-09-13 15:00, 3 working days: Sat 14th is a make-up day (1),
    /// 15–17 Mid-Autumn, Wed 18th (2), Thu 19th (3); ends at 24:00 on the 19th.
    @Test func addWorkingDaysSkipsTheDayOfReceiptAndEndsAtMidnight() throws {
        let end = try bundledCalendar.addWorkingDays(3, to: instant("2024-09-13T15:00:00+08:00"))
        #expect(ChinaTime.format(end) == "2024-09-20T00:00:00+08:00")
        #expect(try bundledCalendar.addWorkingDays(1, to: date("2024-09-30")) == date("2024-10-08"))
        #expect(try bundledCalendar.addWorkingDays(1, to: date("2026-02-13")) == date("2026-02-14"))
        #expect(try bundledCalendar.addWorkingDays(2, to: date("2026-02-13")) == date("2026-02-24"))
    }

    @Test func addWorkingHoursCountsOnlyWorkingDays() throws {
        // Friday 2024-05-10 20:00: 4 hours left that day, Sat 11th is a make-up working day.
        let a = try bundledCalendar.addWorkingHours(24, to: instant("2024-05-10T20:00:00+08:00"))
        #expect(ChinaTime.format(a) == "2024-05-11T20:00:00+08:00")
        // Friday 2024-05-17 20:00: weekend skipped, 20 hours more on Monday.
        let b = try bundledCalendar.addWorkingHours(24, to: instant("2024-05-17T20:00:00+08:00"))
        #expect(ChinaTime.format(b) == "2024-05-20T20:00:00+08:00")
        // Received during a holiday: counting starts when the holiday ends.
        let c = try bundledCalendar.addWorkingHours(24, to: instant("2024-10-03T10:00:00+08:00"))
        #expect(ChinaTime.format(c) == "2024-10-09T00:00:00+08:00")
        let natural = try bundledCalendar.addNaturalHours(2, to: instant("2024-10-03T10:00:00+08:00"))
        #expect(ChinaTime.format(natural) == "2024-10-03T12:00:00+08:00")
        #expect(throws: CalendarError.negativeAmount(-1)) { try bundledCalendar.addWorkingHours(-1, to: Date()) }
    }

    @Test func localDatesUseChinaStandardTime() {
        // 2024-05-10T17:30Z is 2024-05-11 01:30 in Beijing.
        let at = Date(timeIntervalSince1970: 1_715_362_200)
        #expect(LocalDate(instant: at) == date("2024-05-11"))
        #expect(ChinaTime.format(at) == "2024-05-11T01:30:00+08:00")
        #expect(ChinaTime.parse("2024-05-10T17:30:00Z") == at)
        #expect(date("2024-05-11").isoWeekday == 6)
        #expect(LocalDate("2023-02-29") == nil)
        #expect(LocalDate("2024-2-1") == nil)
    }

    // MARK: Loading a year

    @Test func anotherYearLoadsFromAFile() throws {
        let json = #"{"year": 2027, "holidays": ["2027-01-01", "2027-02-08"], "workdays": ["2027-02-06"]}"#
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("hotline-2027-\(UUID()).json")
        try Data(json.utf8).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let arrangement = try HolidayArrangement.load(contentsOf: url)
        var calendar = bundledCalendar
        calendar.replace(arrangement)
        #expect(try calendar.isWorkingDay(date("2027-02-08")) == false)
        #expect(try calendar.isWorkingDay(date("2027-02-06")))
        #expect(try calendar.isWorkingDay(date("2027-02-09")))
        #expect(calendar.loadedYears == Array(2020...2027))
    }

    @Test(arguments: [
        (#"{"year": 2027, "holidays": ["2027-02-30"], "workdays": []}"#, "holidays[0]", "not a date"),
        (#"{"year": 2027, "holidays": ["2026-12-31"], "workdays": []}"#, "holidays[0]", "not in 2027"),
        (#"{"year": 2027, "holidays": [], "workdays": ["2027-02-08"]}"#, "workdays[0]", "Saturday or Sunday"),
        (#"{"year": 2027, "holidays": ["2027-02-06"], "workdays": ["2027-02-06"]}"#, "workdays[0]", "both"),
        (#"{"year": 2027, "holidays": ["2027-01-01", "2027-01-01"], "workdays": []}"#, "holidays[1]", "twice"),
        (#"{"year": 2027, "holidays": []}"#, "workdays", "missing"),
        (#"{"year": "2027", "holidays": [], "workdays": []}"#, "year", "expected a number"),
        (#"{"year": 2027, "holiday": [], "holidays": [], "workdays": []}"#, "holiday", "unknown key"),
        (#"{"year": 2027, "#, "", "not valid JSON"),
    ])
    func invalidYearFilesAreRejectedPrecisely(json: String, keyPath: String, problem: String) {
        do {
            _ = try HolidayArrangement.load(data: Data(json.utf8), file: "2027.json")
            Issue.record("accepted an invalid file")
        } catch {
            #expect(error.file == "2027.json")
            #expect(error.keyPath == keyPath)
            #expect(error.problem.contains(problem), "\(error.problem)")
        }
    }
}

/// Arbitrary dates in the loaded years, far enough from the end that additions stay inside.
let dateGen = Gen.int(in: LocalDate("2020-01-01")!.daysSinceEpoch...LocalDate("2026-06-30")!.daysSinceEpoch)
    .map { LocalDate(daysSinceEpoch: $0) }

@Suite struct CalendarPropertyTests {
    @Test func addingWorkingDaysIsMonotone() async {
        await propertyCheck(count: 500, input: dateGen, Gen.int(in: 0...40), Gen.int(in: 0...40)) { day, a, b in
            let x = try bundledCalendar.addWorkingDays(min(a, b), to: day)
            let y = try bundledCalendar.addWorkingDays(max(a, b), to: day)
            #expect(x <= y)
            // Strictly increasing, except that 0 rolls a non-working day forward to the first
            // working day after it, which is also where 1 lands.
            let working = try bundledCalendar.isWorkingDay(day)
            let rolled = min(a, b) == 0 && max(a, b) == 1 && !working
            if a != b && !rolled { #expect(x < y) }
            if max(a, b) > 0 { #expect(day < y) }
        }
    }

    @Test func addingZeroIsIdentityOnWorkingDays() async {
        await propertyCheck(count: 500, input: dateGen) { day in
            if try bundledCalendar.isWorkingDay(day) {
                #expect(try bundledCalendar.addWorkingDays(0, to: day) == day)
            } else {
                #expect(try bundledCalendar.addWorkingDays(0, to: day) > day)
            }
        }
    }

    @Test func addingIsAssociative() async {
        await propertyCheck(count: 500, input: dateGen, Gen.int(in: 1...30), Gen.int(in: 0...30)) { day, a, b in
            let once = try bundledCalendar.addWorkingDays(a + b, to: day)
            let first = try bundledCalendar.addWorkingDays(a, to: day)
            let twice = try bundledCalendar.addWorkingDays(b, to: first)
            #expect(once == twice)
        }
    }

    @Test func neverLandsOnANonWorkingDay() async {
        await propertyCheck(count: 500, input: dateGen, Gen.int(in: 0...60)) { day, n in
            let landed = try bundledCalendar.addWorkingDays(n, to: day)
            #expect(try bundledCalendar.isWorkingDay(landed))
        }
    }

    @Test func workingHoursEndOnAWorkingDayAndNeverBeforeNaturalTime() async {
        await propertyCheck(count: 500, input: dateGen, Gen.int(in: 0..<86400), Gen.int(in: 1...100)) { day, second, hours in
            let start = day.startInstant.addingTimeInterval(Double(second))
            let end = try bundledCalendar.addWorkingHours(Double(hours), to: start)
            #expect(end >= start.addingTimeInterval(Double(hours) * 3600))
            // The end instant is inside (or at the 24:00 end of) a working day.
            let endDay = LocalDate(instant: end.addingTimeInterval(-1))
            #expect(try bundledCalendar.isWorkingDay(endDay))
        }
    }
}
