import Foundation

/// A time limit: an amount and how it is counted.
public enum TimeLimit: Hashable, Sendable, Codable, CustomStringConvertible {
    /// N working days, Civil Code convention (receipt day not counted; ends 24:00 of the Nth).
    case workingDays(Int)
    /// N hours, counting only time on working days.
    case workingHours(Double)
    /// N hours of natural time: holidays are no excuse.
    case naturalHours(Double)
    /// At once: due the moment the order arrives (holidays are no excuse).
    case atOnce

    public enum Unit: String, CaseIterable, Codable, Sendable { case workingDays, workingHours, naturalHours, atOnce }

    public var unit: Unit {
        switch self {
        case .workingDays: .workingDays
        case .workingHours: .workingHours
        case .naturalHours: .naturalHours
        case .atOnce: .atOnce
        }
    }

    /// The amount in its unit (0 for `atOnce`).
    public var amount: Double {
        switch self {
        case let .workingDays(n): Double(n)
        case let .workingHours(h), let .naturalHours(h): h
        case .atOnce: 0
        }
    }

    /// True when the limit ignores holidays and weekends.
    public var isNaturalTime: Bool { unit == .naturalHours || unit == .atOnce }

    /// The instant the limit ends when it starts at `start`.
    public func end(from start: Date, calendar: WorkingCalendar) throws(CalendarError) -> Date {
        switch self {
        case let .workingDays(n): try calendar.addWorkingDays(n, to: start)
        case let .workingHours(h): try calendar.addWorkingHours(h, to: start)
        case let .naturalHours(h): try calendar.addNaturalHours(h, to: start)
        case .atOnce: start
        }
    }

    public var description: String {
        func number(_ value: Double) -> String {
            value == value.rounded() ? String(Int(value)) : String(value)
        }
        switch self {
        case let .workingDays(n): return n == 1 ? "1 working day" : "\(n) working days"
        case let .workingHours(h): return "\(number(h)) working hours"
        case let .naturalHours(h): return "\(number(h)) hours (natural time)"
        case .atOnce: return "at once"
        }
    }

    /// A limit of the same unit as `self` and `other`, added; nil when units differ.
    public func plus(_ other: TimeLimit) -> TimeLimit? {
        switch (self, other) {
        case let (.workingDays(a), .workingDays(b)): .workingDays(a + b)
        case let (.workingHours(a), .workingHours(b)): .workingHours(a + b)
        case let (.naturalHours(a), .naturalHours(b)): .naturalHours(a + b)
        default: nil
        }
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case amount, unit }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.allCases.map(\.rawValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let unitText = try c.decode(String.self, forKey: .unit)
        guard let unit = Unit(rawValue: unitText) else {
            throw DecodingError.dataCorrupted(.init(codingPath: c.codingPath + [CodingKeys.unit],
                debugDescription: "\"\(unitText)\" is not a unit (expected one of: \(Unit.allCases.map(\.rawValue).joined(separator: ", ")))"))
        }
        if unit == .atOnce {
            guard !c.contains(.amount) else {
                throw DecodingError.dataCorrupted(.init(codingPath: c.codingPath + [CodingKeys.amount],
                    debugDescription: "a limit of unit atOnce takes no amount"))
            }
            self = .atOnce
            return
        }
        let amount = try c.decode(Double.self, forKey: .amount)
        guard amount > 0, amount.isFinite else {
            throw DecodingError.dataCorrupted(.init(codingPath: c.codingPath + [CodingKeys.amount],
                debugDescription: "must be a positive number (got \(amount))"))
        }
        switch unit {
        case .workingDays:
            guard amount == amount.rounded() else {
                throw DecodingError.dataCorrupted(.init(codingPath: c.codingPath + [CodingKeys.amount],
                    debugDescription: "working days must be a whole number (got \(amount))"))
            }
            self = .workingDays(Int(amount))
        case .workingHours: self = .workingHours(amount)
        case .naturalHours: self = .naturalHours(amount)
        case .atOnce: self = .atOnce
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(unit.rawValue, forKey: .unit)
        switch self {
        case let .workingDays(n): try c.encode(n, forKey: .amount)
        case let .workingHours(h), let .naturalHours(h): try c.encode(h, forKey: .amount)
        case .atOnce: break
        }
    }
}
