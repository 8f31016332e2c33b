import Foundation

/// Hotline's pure rules: no I/O beyond loading bundled or given data files, no C, no servers.
public enum HotlineDomain {
    /// The bundle holding the module's data files (holiday arrangements, policy profiles).
    public static var resources: Bundle { Bundle.module }
}

/// A calendar date in China Standard Time (UTC+8, no daylight saving).
public struct LocalDate: Hashable, Comparable, Sendable, CustomStringConvertible, Codable {
    public let year: Int
    public let month: Int
    public let day: Int

    /// Seconds east of UTC of China Standard Time.
    public static let utcOffsetSeconds = 8 * 3600

    /// Fails when the triple is not a real date of the proleptic Gregorian calendar.
    public init?(year: Int, month: Int, day: Int) {
        guard (1...12).contains(month), day >= 1, day <= LocalDate.daysIn(month: month, year: year) else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    /// Parses `YYYY-MM-DD` (exactly that shape).
    public init?(_ text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              parts.allSatisfy({ $0.allSatisfy { $0.isASCII && $0.isNumber } }),
              let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]) else { return nil }
        self.init(year: y, month: m, day: d)
    }

    /// Days since 1970-01-01.
    public init(daysSinceEpoch z0: Int) {
        // Howard Hinnant's civil_from_days.
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        self.year = y
        self.month = m
        self.day = d
    }

    /// The local date (UTC+8) on which `instant` falls.
    public init(instant: Date) {
        let seconds = Int((instant.timeIntervalSince1970 + Double(LocalDate.utcOffsetSeconds)).rounded(.down))
        let days = seconds >= 0 ? seconds / 86400 : -((-seconds + 86399) / 86400)
        self.init(daysSinceEpoch: days)
    }

    public var daysSinceEpoch: Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = month > 2 ? month - 3 : month + 9
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// 1 = Monday ... 7 = Sunday.
    public var isoWeekday: Int {
        let w = (daysSinceEpoch + 3) % 7  // 1970-01-01 was a Thursday
        return (w < 0 ? w + 7 : w) + 1
    }

    public var isWeekend: Bool { isoWeekday >= 6 }

    public func adding(days: Int) -> LocalDate { LocalDate(daysSinceEpoch: daysSinceEpoch + days) }

    /// The instant at which this local day starts (00:00 UTC+8).
    public var startInstant: Date {
        Date(timeIntervalSince1970: Double(daysSinceEpoch * 86400 - LocalDate.utcOffsetSeconds))
    }

    /// The instant at which this local day ends (24:00 UTC+8, the next day's 00:00).
    public var endInstant: Date { adding(days: 1).startInstant }

    public var description: String {
        func pad(_ n: Int, _ w: Int) -> String { let s = String(n); return String(repeating: "0", count: max(0, w - s.count)) + s }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
    }

    public static func < (a: LocalDate, b: LocalDate) -> Bool { a.daysSinceEpoch < b.daysSinceEpoch }

    public static func isLeap(_ year: Int) -> Bool { (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 }

    public static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let date = LocalDate(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                debugDescription: "\"\(text)\" is not a date of the form YYYY-MM-DD"))
        }
        self = date
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// Formats and parses instants in ISO 8601 with the +08:00 offset.
public enum ChinaTime {
    /// `2024-05-06T09:30:00+08:00`.
    public static func format(_ instant: Date) -> String {
        let local = LocalDate(instant: instant)
        let seconds = Int((instant.timeIntervalSince1970 + Double(LocalDate.utcOffsetSeconds)).rounded(.down))
        var secOfDay = seconds % 86400
        if secOfDay < 0 { secOfDay += 86400 }
        func pad(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(local)T\(pad(secOfDay / 3600)):\(pad(secOfDay / 60 % 60)):\(pad(secOfDay % 60))+08:00"
    }

    /// Parses an ISO 8601 instant with an explicit offset (`Z`, `+08:00`, ...), or a bare
    /// `YYYY-MM-DDTHH:MM[:SS]` / `YYYY-MM-DD` read as China Standard Time.
    public static func parse(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        if let date = LocalDate(text) { return date.startInstant }
        let pieces = text.split(separator: "T", omittingEmptySubsequences: false)
        guard pieces.count == 2, let date = LocalDate(String(pieces[0])) else { return nil }
        let hms = pieces[1].split(separator: ":", omittingEmptySubsequences: false).map { Int($0) }
        guard (2...3).contains(hms.count), hms.allSatisfy({ $0 != nil }) else { return nil }
        let h = hms[0]!, m = hms[1]!, s = hms.count == 3 ? hms[2]! : 0
        guard (0..<24).contains(h), (0..<60).contains(m), (0..<60).contains(s) else { return nil }
        return date.startInstant.addingTimeInterval(Double(h * 3600 + m * 60 + s))
    }
}
