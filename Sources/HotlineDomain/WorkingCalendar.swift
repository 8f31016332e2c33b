import Foundation

/// One year's State Council holiday arrangement: the days off and the weekend days made working
/// days (调休). Published each winter for the following year.
public struct HolidayArrangement: Codable, Hashable, Sendable, ValidatedDataFile {
    public var year: Int
    /// Days off (statutory holidays and the days joined to them), as announced.
    public var holidays: [LocalDate]
    /// Saturdays and Sundays made working days (调休).
    public var workdays: [LocalDate]

    public init(year: Int, holidays: [LocalDate], workdays: [LocalDate]) {
        self.year = year
        self.holidays = holidays
        self.workdays = workdays
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case year, holidays, workdays }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.allCases.map(\.rawValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        year = try c.decode(Int.self, forKey: .year)
        holidays = try c.decode([LocalDate].self, forKey: .holidays)
        workdays = try c.decode([LocalDate].self, forKey: .workdays)
    }

    /// Checks the arrangement's meaning: dates in its year, no duplicates, no day both off and
    /// working, make-up days on weekends. `keyPath` prefixes the key paths of errors.
    public func validate(file: String) throws(DataFileError) {
        try validate(file: file, keyPath: "")
    }

    /// `validate(file:)` for an arrangement inside a larger file, its errors' key paths under `prefix`.
    public func validate(file: String, keyPath prefix: String) throws(DataFileError) {
        if let first = problems(file: file, keyPath: prefix).first { throw first }
    }

    /// Every problem of the arrangement, in file order (empty when it is valid): dates outside its
    /// year, a date listed twice, a day both off and working, a make-up working day on a weekday.
    /// `hotlinectl calendar load` prints them all, one line each.
    public func problems(file: String, keyPath prefix: String = "") -> [DataFileError] {
        func at(_ key: String) -> String { prefix.isEmpty ? key : "\(prefix).\(key)" }
        guard (1949...2200).contains(year) else {
            return [DataFileError(file: file, keyPath: at("year"), problem: "\(year) is not a plausible year")]
        }
        var found: [DataFileError] = []
        var seen = Set<LocalDate>()
        for (index, date) in holidays.enumerated() {
            let path = at("holidays[\(index)]")
            if date.year != year {
                found.append(DataFileError(file: file, keyPath: path, problem: "\(date) is not in \(year)"))
            } else if !seen.insert(date).inserted {
                found.append(DataFileError(file: file, keyPath: path, problem: "\(date) is listed twice"))
            }
        }
        var seenWork = Set<LocalDate>()
        for (index, date) in workdays.enumerated() {
            let path = at("workdays[\(index)]")
            if date.year != year {
                found.append(DataFileError(file: file, keyPath: path, problem: "\(date) is not in \(year)"))
            } else if seen.contains(date) {
                found.append(DataFileError(file: file, keyPath: path, problem: "\(date) is listed both as a holiday and as a make-up working day"))
            } else if !seenWork.insert(date).inserted {
                found.append(DataFileError(file: file, keyPath: path, problem: "\(date) is listed twice"))
            } else if !date.isWeekend {
                found.append(DataFileError(file: file, keyPath: path, problem: "\(date) is a weekday; a make-up working day (调休) must fall on a Saturday or Sunday"))
            }
        }
        return found
    }
}

/// Why a calendar question has no answer.
public enum CalendarError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The date lies in a year whose arrangement is not loaded. The calendar does not guess.
    case outsideLoadedYears(date: LocalDate, loadedYears: [Int])
    /// A negative number of days or hours.
    case negativeAmount(Double)

    public var description: String {
        switch self {
        case let .outsideLoadedYears(date, years):
            let loaded = years.isEmpty ? "none" : years.count > 1 && years.last! - years.first! == years.count - 1
                ? "\(years.first!)–\(years.last!)" : years.map(String.init).joined(separator: ", ")
            return "\(date) is in \(date.year), whose holiday arrangement is not loaded (loaded years: \(loaded)); load it with `hotlinectl calendar load FILE`"
        case let .negativeAmount(amount):
            return "an amount of working time must not be negative (got \(amount))"
        }
    }
}

/// China's working-day calendar: Monday to Friday, minus the State Council's holidays, plus its
/// make-up working days, for the years whose arrangement is loaded. Dates outside those years are
/// an error unless `outsideLoadedYears` is explicitly `.weekdaysOnly`.
public struct WorkingCalendar: Sendable {
    /// What to do for a date in a year without a loaded arrangement.
    public enum OutsideLoadedYears: Sendable {
        /// Throw `CalendarError.outsideLoadedYears` (the default).
        case error
        /// Treat Monday to Friday as working days (holidays unknown). Only on explicit request.
        case weekdaysOnly
    }

    public private(set) var arrangements: [Int: HolidayArrangement]
    public var outsideLoadedYears: OutsideLoadedYears
    private var holidaySet: Set<LocalDate>
    private var workdaySet: Set<LocalDate>

    public init(arrangements: [HolidayArrangement], outsideLoadedYears: OutsideLoadedYears = .error) {
        self.arrangements = [:]
        self.outsideLoadedYears = outsideLoadedYears
        self.holidaySet = []
        self.workdaySet = []
        for arrangement in arrangements { replace(arrangement) }
    }

    /// The years with a loaded arrangement, ascending.
    public var loadedYears: [Int] { arrangements.keys.sorted() }

    /// Adds a year's arrangement, replacing any already loaded for that year.
    public mutating func replace(_ arrangement: HolidayArrangement) {
        if let old = arrangements[arrangement.year] {
            holidaySet.subtract(old.holidays)
            workdaySet.subtract(old.workdays)
        }
        arrangements[arrangement.year] = arrangement
        holidaySet.formUnion(arrangement.holidays)
        workdaySet.formUnion(arrangement.workdays)
    }

    /// The bundled arrangements, 2020–2026.
    public static func bundled() throws(DataFileError) -> WorkingCalendar {
        let file = "<bundled>/holidays.json"
        guard let url = HotlineDomain.resources.url(forResource: "holidays", withExtension: "json") else {
            throw DataFileError(file: file, keyPath: "", problem: "missing from the module's resources")
        }
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw DataFileError(file: file, keyPath: "", problem: "cannot be read")
        }
        return try load(bundleData: data, file: file)
    }

    struct BundleFile: Decodable {
        var source: String
        var years: [HolidayArrangement]
    }

    /// Reads a file of several years (`{"source": "...", "years": [{"year": ..., ...}, ...]}`).
    public static func load(bundleData data: Data, file: String) throws(DataFileError) -> WorkingCalendar {
        let bundle: BundleFile
        do { bundle = try JSONDecoder().decode(BundleFile.self, from: data) } catch {
            throw DataFileError.from(error, file: file)
        }
        var years = Set<Int>()
        for (index, arrangement) in bundle.years.enumerated() {
            try arrangement.validate(file: file, keyPath: "years[\(index)]")
            guard years.insert(arrangement.year).inserted else {
                throw DataFileError(file: file, keyPath: "years[\(index)].year", problem: "\(arrangement.year) appears twice")
            }
        }
        return WorkingCalendar(arrangements: bundle.years)
    }

    // MARK: Questions

    /// The first year from `start`'s local date to the day before `end` (the days a limit counted
    /// between them) whose arrangement is not loaded, when this calendar counts such years Monday
    /// to Friday; nil when every year is loaded (or the calendar refuses unloaded years).
    public func weekdayFallbackYear(from start: Date, to end: Date) -> Int? {
        guard outsideLoadedYears == .weekdaysOnly else { return nil }
        let first = LocalDate(instant: start).year
        let last = max(first, LocalDate(instant: end.addingTimeInterval(-1)).year)
        return (first...last).first { arrangements[$0] == nil }
    }


    public func isWorkingDay(_ date: LocalDate) throws(CalendarError) -> Bool {
        if arrangements[date.year] == nil {
            switch outsideLoadedYears {
            case .error: throw .outsideLoadedYears(date: date, loadedYears: loadedYears)
            case .weekdaysOnly: return !date.isWeekend
            }
        }
        if workdaySet.contains(date) { return true }
        if holidaySet.contains(date) { return false }
        return !date.isWeekend
    }

    /// The number of working days in a loaded year.
    public func workingDayCount(year: Int) throws(CalendarError) -> Int {
        var count = 0
        var date = LocalDate(year: year, month: 1, day: 1)!
        while date.year == year {
            if try isWorkingDay(date) { count += 1 }
            date = date.adding(days: 1)
        }
        return count
    }

    /// The `n`th working day after `date` (the date itself not counted). For `n == 0`, `date` when it
    /// is a working day, otherwise the next working day.
    public func addWorkingDays(_ n: Int, to date: LocalDate) throws(CalendarError) -> LocalDate {
        guard n >= 0 else { throw .negativeAmount(Double(n)) }
        var current = date
        if n == 0 {
            while try !isWorkingDay(current) { current = current.adding(days: 1) }
            return current
        }
        var remaining = n
        while remaining > 0 {
            current = current.adding(days: 1)
            if try isWorkingDay(current) { remaining -= 1 }
        }
        return current
    }

    /// Civil Code arts. 201 and 203: the day of receipt is not counted, and the period ends at 24:00
    /// (the next local midnight) of the `n`th working day after it. `n == 0` returns `instant`.
    public func addWorkingDays(_ n: Int, to instant: Date) throws(CalendarError) -> Date {
        guard n != 0 else { return instant }
        return try addWorkingDays(n, to: LocalDate(instant: instant)).endInstant
    }

    /// Adds `hours` of working time: only time that falls on working days counts.
    public func addWorkingHours(_ hours: Double, to instant: Date) throws(CalendarError) -> Date {
        guard hours >= 0, hours.isFinite else { throw .negativeAmount(hours) }
        var remaining = (hours * 3600).rounded()
        var cursor = instant
        var day = LocalDate(instant: instant)
        while remaining > 0 {
            if try isWorkingDay(day) {
                let available = day.endInstant.timeIntervalSince(cursor)
                if remaining <= available { return cursor.addingTimeInterval(remaining) }
                remaining -= available
            }
            day = day.adding(days: 1)
            cursor = day.startInstant
        }
        return cursor
    }

    /// Adds natural (calendar) time: holidays are no excuse.
    public func addNaturalHours(_ hours: Double, to instant: Date) throws(CalendarError) -> Date {
        guard hours >= 0, hours.isFinite else { throw .negativeAmount(hours) }
        return instant.addingTimeInterval((hours * 3600).rounded())
    }
}
