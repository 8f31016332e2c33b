import Foundation

/// How a profile sends its reply SMS and runs the revisit it starts (the profile's `sms.delivery`).
/// The documents give only qidong's wording: everything here is ours unless `basis` says otherwise.
public struct SMSDeliveryPolicy: Hashable, Sendable, Codable {
    /// The prefix of a confidential order's SMS: the hotline's own name, never the unit's.
    public var confidentialPrefix: String
    public var quietHours: QuietHours?
    /// How long the revisit waits for the citizen's answer before the phone-revisit queue (natural hours).
    public var revisitWait: TimeLimit
    /// Ratings that close the order at once; any other leaves it `rated` for the revisit staff
    /// (unless the profile's redo rule sent it back).
    public var closeOnRatings: [Rating]
    /// Attempts through the gateway before the message goes to the phone-revisit queue.
    public var maxAttempts: Int
    /// The waits between attempts; the last repeats.
    public var retryDelaysSeconds: [Int]
    public var basis: String
}

/// No SMS between `from` and `until` (China time, wrapping midnight), except for the urgencies named.
public struct QuietHours: Hashable, Sendable, Codable {
    public var from: String
    public var until: String
    public var exceptUrgencies: [Urgency]

    public init(from: String, until: String, exceptUrgencies: [Urgency]) {
        self.from = from
        self.until = until
        self.exceptUrgencies = exceptUrgencies
    }

    /// China Standard Time: the hotlines' clock (POLICIES.md §10).
    static let chinaTime: TimeZone = TimeZone(secondsFromGMT: 8 * 3600)!

    static func minutes(_ text: String) -> Int? {
        let parts = text.split(separator: ":")
        guard parts.count == 2, let h = Int(parts[0]), let m = Int(parts[1]), (0..<24).contains(h), (0..<60).contains(m) else { return nil }
        return h * 60 + m
    }

    /// When a message written at `now` may go out: `now`, or the end of the quiet hours it falls in.
    public func sendAt(_ now: Date, urgency: Urgency?) -> Date {
        if let urgency, exceptUrgencies.contains(urgency) { return now }
        guard let start = Self.minutes(from), let end = Self.minutes(until), start != end else { return now }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = Self.chinaTime
        let parts = calendar.dateComponents([.hour, .minute], from: now)
        let minute = (parts.hour ?? 0) * 60 + (parts.minute ?? 0)
        let quiet = start < end ? (minute >= start && minute < end) : (minute >= start || minute < end)
        guard quiet else { return now }
        let dayStart = calendar.startOfDay(for: now)
        var release = dayStart.addingTimeInterval(TimeInterval(end * 60))
        if release <= now { release = calendar.date(byAdding: .day, value: 1, to: dayStart)!.addingTimeInterval(TimeInterval(end * 60)) }
        return release
    }
}

extension SMSDeliveryPolicy {
    /// The wait before attempt `attempt + 1` after `attempt` failed ones, or nil when the message has
    /// had its attempts.
    public func retryDelay(afterAttempts attempts: Int) -> TimeInterval? {
        guard attempts < maxAttempts, !retryDelaysSeconds.isEmpty else { return nil }
        return TimeInterval(retryDelaysSeconds[min(max(attempts - 1, 0), retryDelaysSeconds.count - 1)])
    }

    /// The revisit's wait in seconds (natural hours; any other unit is read as hours).
    public var revisitWaitSeconds: TimeInterval { TimeInterval(revisitWait.amount) * 3600 }
}

/// What the citizen's SMS says, read without guessing.
public enum CitizenAnswer: Hashable, Sendable {
    /// A clear rating; `remark` is what they wrote beside it (personal data), empty when nothing.
    case rating(Rating, remark: String)
    /// 退订: no more SMS to this phone.
    case optOut
    /// Not clearly a rating: stored and put in front of the revisit staff.
    case unclear

    /// Reads a reply: a leading digit 1–3 (half- or full-width, or 一/二/三 standing alone), or the
    /// words 满意 / 基本满意 / 不满意 (非常满意 is 满意); 退订 (or TD) opts out. Two different ratings
    /// in one reply, or none, are unclear. Digits later in the text are the citizen's words
    /// ("3 已经5天了" is dissatisfied).
    public static func read(_ text: String) -> CitizenAnswer {
        let normalized = text.precomposedStringWithCompatibilityMapping.trimmingCharacters(in: .whitespacesAndNewlines)
        let bare = normalized.filter { !$0.isWhitespace && !$0.isPunctuation && !$0.isSymbol }
        if bare == "退订" || bare.uppercased() == "TD" { return .optOut }
        var answers = Set<Rating>()
        var rest = Substring(normalized)
        var remark = Substring(text.trimmingCharacters(in: .whitespacesAndNewlines))
        // A leading answer: a digit, or a Chinese numeral followed by nothing or punctuation/space.
        if let first = rest.first {
            let digit: Rating? = switch first {
            case "1": .satisfied
            case "2": .basicallySatisfied
            case "3": .dissatisfied
            case "一": .satisfied
            case "二": .basicallySatisfied
            case "三": .dissatisfied
            default: nil
            }
            let next = rest.dropFirst().first
            let standsAlone = next.map { !$0.isNumber && ($0.isWhitespace || $0.isPunctuation || $0.isSymbol || first.isASCII) } ?? true
            if let digit, standsAlone {
                answers.insert(digit)
                rest = rest.dropFirst()
                remark = remark.dropFirst()
            } else if first.isASCII, first.isNumber {
                return .unclear   // "12", "5天了": not an answer to read
            }
        }
        answers.formUnion(SMSText.ratingWords(in: String(rest)))
        guard answers.count == 1, let rating = answers.first else { return .unclear }
        return .rating(rating, remark: String(remark).trimmingCharacters(in: .whitespacesAndNewlines.union(.punctuationCharacters)))
    }
}

/// The reply SMS of a work order: qidong's wording from the profile, or under the hotline's own
/// name when the order is confidential (the unit is never named to the citizen).
public enum ReplySMS {
    public static func text(template: SMSTemplate, unitName: String, result: String, confidential: Bool) -> String {
        var template = template
        if confidential { template.prefix = template.delivery.confidentialPrefix }
        return SMSText.render(template: template, unitName: unitName, result: result)
    }
}

/// What a citizen's rating does to an order in `revisitPending`: the lifecycle's `rate` (which
/// applies the profile's redo rule), then `close` when the order is left `rated` with a rating the
/// profile closes on. Anything else waits in `rated` for the revisit staff.
public enum RevisitRating {
    public static func apply(_ rating: Rating, to order: WorkOrder, now: Date, profile: PolicyProfile,
                             calendar: WorkingCalendar) -> Result<Transition, RuleError> {
        let rated = Lifecycle.apply(.rate(rating, redoReason: nil, exemptReason: nil), to: order, now: now, profile: profile, calendar: calendar)
        guard case .success(let transition) = rated, transition.order.state == .rated,
              profile.sms.delivery.closeOnRatings.contains(rating) else { return rated }
        return Lifecycle.apply(.close, to: transition.order, now: now, profile: profile, calendar: calendar).map(transition.then)
    }
}

/// Mobile numbers as the gateway gives them (`+8613912345678`, `8613912345678`, `13912345678`)
/// in the canonical form intake stores (`13912345678`); nil when it is not a mainland mobile.
public enum MobileNumber {
    public static func canonical(_ raw: String) -> String? {
        var digits = raw.precomposedStringWithCompatibilityMapping.filter(\.isASCII).filter(\.isNumber)
        if digits.count == 13, digits.hasPrefix("86") { digits.removeFirst(2) }
        if digits.count == 15, digits.hasPrefix("0086") { digits.removeFirst(4) }
        guard digits.count == 11, digits.hasPrefix("1"), let second = digits.dropFirst().first, ("3"..."9").contains(second) else { return nil }
        return String(digits)
    }
}

/// What a delivery report carries back to name our message: its id and a check made from the id
/// and the handset (FNV-1a, 32 bits, hex), so a stray report (another database's ids, a report
/// retried long after) never settles the wrong message.
public enum DeliveryReportKey {
    public static func check(id: Int64, phone: String) -> String {
        var hash: UInt32 = 0x811c9dc5
        for byte in "\(id):\(phone)".utf8 {
            hash ^= UInt32(byte)
            hash = hash &* 0x01000193
        }
        return String(format: "%08x", hash)
    }
}
