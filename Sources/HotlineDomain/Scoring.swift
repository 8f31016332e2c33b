import Foundation

/// How a profile scores its units. Decoded from `{"kind": "...", ...}`.
public enum ScoringScheme: Hashable, Sendable, Codable {
    case points100(Points100Scheme)
    case threeRates(ThreeRatesScheme)
    case satisfactionRanking(RankingScheme)
    /// pingdingshan 七(四): the weekly analysis and the monthly bulletin, with praise and criticism.
    case bulletin(BulletinScheme)
    /// henan: 接得更快、分得更准、办得更实 (faster answering, more accurate routing, more solid handling).
    case serviceQuality(ServiceQualityScheme)
    /// The document states no scoring scheme.
    case none

    enum CodingKeys: String, CodingKey { case kind }

    public init(from decoder: any Decoder) throws {
        let kind = try decoder.container(keyedBy: CodingKeys.self).decode(String.self, forKey: .kind)
        switch kind {
        case "points100": self = .points100(try Points100Scheme(from: decoder))
        case "threeRates": self = .threeRates(try ThreeRatesScheme(from: decoder))
        case "satisfactionRanking": self = .satisfactionRanking(try RankingScheme(from: decoder))
        case "bulletin": self = .bulletin(try BulletinScheme(from: decoder))
        case "serviceQuality": self = .serviceQuality(try ServiceQualityScheme(from: decoder))
        case "none": self = .none
        default:
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath + [CodingKeys.kind],
                debugDescription: "\"\(kind)\" is not a scoring scheme (expected points100, threeRates, satisfactionRanking, bulletin, serviceQuality or none)"))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case let .points100(s): try c.encode("points100", forKey: .kind); try s.encode(to: encoder)
        case let .threeRates(s): try c.encode("threeRates", forKey: .kind); try s.encode(to: encoder)
        case let .satisfactionRanking(s): try c.encode("satisfactionRanking", forKey: .kind); try s.encode(to: encoder)
        case let .bulletin(s): try c.encode("bulletin", forKey: .kind); try s.encode(to: encoder)
        case let .serviceQuality(s): try c.encode("serviceQuality", forKey: .kind); try s.encode(to: encoder)
        case .none: try c.encode("none", forKey: .kind)
        }
    }

    func validate(file: String) throws(DataFileError) {
        if case let .points100(s) = self {
            let total = Double(s.organisationItems.count) * s.organisationItemPoints
                + s.rates.reduce(0) { $0 + $1.weight } + s.deductions.reduce(0) { $0 + $1.cap }
            guard abs(total - 100) < 0.001 else {
                throw DataFileError(file: file, keyPath: "scoring", problem: "organisation items, rates and deduction caps add up to \(total), not 100")
            }
        }
    }
}

/// A rate a unit is scored on.
public enum RateName: String, Hashable, Sendable, Codable, CaseIterable {
    /// Received in time ÷ dispatched.
    case timelyReceipt
    /// Complaint and report orders ÷ dispatched.
    case complaintRate
    /// Closed on time ÷ dispatched (zezhou 三(二)9: 按时办结事项件数 ÷ 转办总件数).
    case onTimeCompletion
    /// Overdue (closed late + open overdue) ÷ dispatched.
    case overdueRate
    /// Satisfied ÷ dispatched.
    case satisfaction
}

/// Zezhou's 100 points (三(二)).
public struct Points100Scheme: Hashable, Sendable, Codable {
    public struct Rate: Hashable, Sendable, Codable {
        public var name: RateName
        public var weight: Double
        /// Score (1 − rate) × weight instead of rate × weight (lower is better).
        public var inverted: Bool
    }
    public struct Deduction: Hashable, Sendable, Codable {
        public var name: String
        public var each: Double
        public var cap: Double
    }
    public struct Bonus: Hashable, Sendable, Codable {
        public var name: String
        public var each: Double
    }
    public var organisationItems: [String]
    public var organisationItemPoints: Double
    public var rates: [Rate]
    public var deductions: [Deduction]
    public var bonuses: [Bonus]
    public var bonusCap: Double
    public var vetoes: [String]
    public var notes: [String]
}

/// Baotou's three rates (四(二)3).
public struct ThreeRatesScheme: Hashable, Sendable, Codable {
    public var responseOffice: Double
    public var responseCitizen: Double
    public var satisfaction: Double
    public var resolution: Double
    /// Whether "basically satisfied" counts as satisfied.
    public var basicallySatisfiedCounts: Bool
    /// Units below this resolution or satisfaction rate are supervised at the monthly meeting.
    public var supervisionBelowRate: Double
}

/// Qidong's monthly ranking (四).
public struct RankingScheme: Hashable, Sendable, Codable {
    /// The lowest ranked units flagged each month.
    public var flagBottom: Int
    public var basicallySatisfiedCounts: Bool
}

/// pingdingshan 七(四) 「周分析、月通报」: the bulletin's figures per unit, and who is praised
/// (表扬) or criticised (批评). The document names no threshold: every number here is ours, said so
/// in `basis`.
public struct BulletinScheme: Hashable, Sendable, Codable {
    public struct Praise: Hashable, Sendable, Codable {
        /// At least this many orders assessed (a unit with one good order is not praised).
        public var minOrders: Int
        public var minOnTimeRate: Double
        public var minSatisfactionRate: Double
        /// At most this many overdue orders.
        public var maxOverdue: Int
    }
    public struct Criticism: Hashable, Sendable, Codable {
        /// Criticised when the on-time rate is below this, or
        public var belowOnTimeRate: Double
        /// the satisfaction rate is below this, or
        public var belowSatisfactionRate: Double
        /// it has at least this many overdue orders.
        public var overdueAtLeast: Int
    }
    public var praise: Praise
    public var criticism: Criticism
    /// Whether 基本满意 counts as satisfied.
    public var basicallySatisfiedCounts: Bool
    public var basis: String
}

/// henan's evaluation 「推动热线接得更快、分得更准、办得更实」: the figures behind each of the three, no
/// points (the document gives no weights).
public struct ServiceQualityScheme: Hashable, Sendable, Codable {
    /// Whether 基本满意 counts as satisfied.
    public var basicallySatisfiedCounts: Bool
    public var basis: String
}

/// A unit's counts for one assessment period. Orders approved for exclusion (剔除) are not counted.
public struct UnitPeriodCounts: Hashable, Sendable {
    public var unit: String
    public var dispatched = 0
    public var receivedInTime = 0
    public var complaintOrders = 0
    public var closedOnTime = 0
    public var closedLate = 0
    public var openOverdue = 0
    public var revisited = 0
    public var satisfied = 0
    public var basicallySatisfied = 0
    public var dissatisfied = 0
    /// Baotou: accepted in time (office's view) and citizen contacted in time (citizen's view).
    public var acceptedInTime = 0
    public var contactedInTime = 0
    /// Citizen says the problem was solved.
    public var solved = 0
    /// Organisation items (by name) the unit lacks.
    public var missingOrganisationItems: Set<String> = []
    /// Deduction incidents by name.
    public var incidents: [String: Int] = [:]
    /// Bonus events by name.
    public var bonusEvents: [String: Int] = [:]
    /// Veto items found.
    public var vetoes: [String] = []

    public init(unit: String) { self.unit = unit }

    public var closed: Int { closedOnTime + closedLate }
    public var overdue: Int { closedLate + openOverdue }

    /// Closed on time ÷ every order dispatched in the period (zezhou 三(二)9: 按时办结事项件数 ÷
    /// 转办总件数): an order still open, late or not, does not count as on time. Nil when nothing
    /// was dispatched.
    public var onTimeCompletionRate: Double? {
        dispatched == 0 ? nil : Double(closedOnTime) / Double(dispatched)
    }

    func rate(_ name: RateName) -> Double? {
        func ratio(_ a: Int, _ b: Int) -> Double? { b == 0 ? nil : Double(a) / Double(b) }
        switch name {
        case .timelyReceipt: return ratio(receivedInTime, dispatched)
        case .complaintRate: return ratio(complaintOrders, dispatched)
        case .onTimeCompletion: return onTimeCompletionRate
        case .overdueRate: return ratio(overdue, dispatched)
        case .satisfaction: return ratio(satisfied, dispatched)
        }
    }
}

/// Rounds to two decimals, half away from zero.
public func roundTo2(_ value: Double) -> Double { (value * 100).rounded(.toNearestOrAwayFromZero) / 100 }

public struct ScoreLine: Hashable, Sendable {
    public var item: String
    public var points: Double
}

public struct Points100Result: Hashable, Sendable {
    public var lines: [ScoreLine]
    public var base: Double
    public var bonus: Double
    public var total: Double
    public var vetoed: Bool
    public var vetoes: [String]
    public var notes: [String]
}

public enum Scoring {
    /// Zezhou-style 100 points: organisation items, rates to two decimals, capped deductions, a capped
    /// bonus, vetoes. A rate with no orders behind it scores its full weight (noted).
    public static func points100(_ counts: UnitPeriodCounts, scheme: Points100Scheme) -> Points100Result {
        var lines: [ScoreLine] = []
        var notes = scheme.notes
        for item in scheme.organisationItems {
            lines.append(ScoreLine(item: item, points: counts.missingOrganisationItems.contains(item) ? 0 : scheme.organisationItemPoints))
        }
        for rate in scheme.rates {
            let points: Double
            if let value = counts.rate(rate.name) {
                points = roundTo2((rate.inverted ? 1 - value : value) * rate.weight)
            } else {
                points = rate.weight
                notes.append("\(rate.name.rawValue): no orders in the period, full \(rate.weight) points")
            }
            lines.append(ScoreLine(item: rate.name.rawValue, points: points))
        }
        for deduction in scheme.deductions {
            let lost = min(deduction.cap, Double(counts.incidents[deduction.name] ?? 0) * deduction.each)
            lines.append(ScoreLine(item: deduction.name, points: roundTo2(deduction.cap - lost)))
        }
        var bonus = 0.0
        for item in scheme.bonuses { bonus += Double(counts.bonusEvents[item.name] ?? 0) * item.each }
        bonus = min(bonus, scheme.bonusCap)
        let base = roundTo2(lines.reduce(0) { $0 + $1.points })
        let vetoes = counts.vetoes.filter { scheme.vetoes.contains($0) }
        return Points100Result(lines: lines, base: base, bonus: roundTo2(bonus), total: roundTo2(base + bonus),
                               vetoed: !vetoes.isEmpty, vetoes: vetoes, notes: notes)
    }

    public struct ThreeRatesResult: Hashable, Sendable {
        public var response: Double
        public var satisfaction: Double
        public var resolution: Double
        public var total: Double
        public var satisfactionRate: Double?
        public var resolutionRate: Double?
        /// Resolution or satisfaction rate below the profile's threshold: supervised at the meeting.
        public var supervisedAtMeeting: Bool
    }

    /// Baotou's three rates: response (office + citizen), satisfaction, resolution.
    public static func threeRates(_ counts: UnitPeriodCounts, scheme: ThreeRatesScheme) -> ThreeRatesResult {
        func ratio(_ a: Int, _ b: Int) -> Double? { b == 0 ? nil : Double(a) / Double(b) }
        let office = ratio(counts.acceptedInTime, counts.dispatched) ?? 1
        let citizen = ratio(counts.contactedInTime, counts.dispatched) ?? 1
        let satisfiedCount = counts.satisfied + (scheme.basicallySatisfiedCounts ? counts.basicallySatisfied : 0)
        let satisfactionRate = ratio(satisfiedCount, counts.revisited)
        let resolutionRate = ratio(counts.solved, counts.revisited)
        let response = roundTo2(office * scheme.responseOffice + citizen * scheme.responseCitizen)
        let satisfaction = roundTo2((satisfactionRate ?? 1) * scheme.satisfaction)
        let resolution = roundTo2((resolutionRate ?? 1) * scheme.resolution)
        let supervised = (satisfactionRate.map { $0 < scheme.supervisionBelowRate } ?? false)
            || (resolutionRate.map { $0 < scheme.supervisionBelowRate } ?? false)
        return ThreeRatesResult(response: response, satisfaction: satisfaction, resolution: resolution,
                                total: roundTo2(response + satisfaction + resolution),
                                satisfactionRate: satisfactionRate, resolutionRate: resolutionRate,
                                supervisedAtMeeting: supervised)
    }

    public struct RankedUnit: Hashable, Sendable {
        public var unit: String
        public var rank: Int
        public var satisfactionRate: Double
        public var flagged: Bool
    }

    /// Monthly satisfaction ranking, best first; the bottom `flagBottom` units are flagged. Units
    /// with no revisited orders are not ranked.
    public static func satisfactionRanking(_ units: [UnitPeriodCounts], scheme: RankingScheme) -> [RankedUnit] {
        let rated = units.filter { $0.revisited > 0 }.map { counts -> (String, Double) in
            let good = counts.satisfied + (scheme.basicallySatisfiedCounts ? counts.basicallySatisfied : 0)
            return (counts.unit, roundTo2(Double(good) / Double(counts.revisited) * 100) / 100)
        }.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
        return rated.enumerated().map { index, entry in
            RankedUnit(unit: entry.0, rank: index + 1, satisfactionRate: entry.1,
                       flagged: index >= rated.count - scheme.flagBottom)
        }
    }
}
