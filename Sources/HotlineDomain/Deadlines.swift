import Foundation

/// Every due instant of an order, from its profile, kind and start instant.
public struct DeadlineSet: Equatable, Sendable {
    public var profile: String
    public var kind: OrderKind
    /// When the hotline received the order (dispatch-by counts from here) and the unit got it
    /// (sign-by, return window and reply-by count from here).
    public var start: Date
    public var dispatchBy: Date?
    public var signBy: Date?
    /// First feedback due, when it counts from the start; nil when the profile sets none or it
    /// counts from signing (see `firstFeedbackAfterSigning`).
    public var firstFeedbackBy: Date?
    /// First feedback due this long after the unit signs (henan: 签收后2个小时内), known only once it
    /// has signed: `Deadlines.firstFeedbackBy(profile:kind:signedAt:calendar:)`.
    public var firstFeedbackAfterSigning: TimeLimit?
    public var returnWindowEnd: Date?
    public var replyBy: Date
    public var replyLimit: TimeLimit
    public var replyBasis: String
    /// What is owed at the reply-by when it is not the final reply (class C progress report).
    public var replyNote: String?
    public var reminders: [Date]
}

public enum Deadlines {
    /// Checks that the kind fits the profile (class for class-keyed profiles, none otherwise).
    public static func check(_ kind: OrderKind, profile: PolicyProfile) throws(RuleError) {
        switch profile.keyedBy {
        case .caseClass where kind.caseClass == nil: throw .classRequired(profile: profile.id)
        case .category where kind.caseClass != nil: throw .classNotUsed(profile: profile.id)
        default: break
        }
    }

    /// The reply limit the profile gives this kind of order; an error when it gives none.
    public static func replyRule(_ kind: OrderKind, profile: PolicyProfile) throws(RuleError) -> LimitRule {
        try check(kind, profile: profile)
        guard let rule = profile.replyRule(for: kind) else { throw .noReplyLimit(profile: profile.id, kind: kind.description) }
        return rule
    }

    static func end(_ limit: TimeLimit, _ start: Date, _ calendar: WorkingCalendar) throws(RuleError) -> Date {
        do { return try limit.end(from: start, calendar: calendar) } catch { throw .calendar(error) }
    }

    /// Every deadline for an order of `kind` received/dispatched at `start`.
    public static func compute(profile: PolicyProfile, kind: OrderKind, start: Date,
                               calendar: WorkingCalendar) throws(RuleError) -> DeadlineSet {
        let rule = try replyRule(kind, profile: profile)
        let replyBy = try end(rule.limit, start, calendar)
        var reminders: [Date] = []
        for offset in profile.remindersBeforeReply {
            let at = replyBy.addingTimeInterval(-offset.amount * 3600)
            if at > start { reminders.append(at) }
        }
        func optional(_ rule: LimitRule?) throws(RuleError) -> Date? {
            guard let rule, rule.from == nil else { return nil }
            return try end(rule.limit, start, calendar)
        }
        let feedback = profile.firstFeedbackRule(for: kind)
        return DeadlineSet(
            profile: profile.id, kind: kind, start: start,
            dispatchBy: try optional(profile.dispatchRule(for: kind)),
            signBy: try optional(profile.signRule(for: kind)),
            firstFeedbackBy: try optional(feedback),
            firstFeedbackAfterSigning: feedback?.from == .signing ? feedback?.limit : nil,
            returnWindowEnd: try profile.returns?.window.map { limit throws(RuleError) -> Date in try end(limit, start, calendar) },
            replyBy: replyBy, replyLimit: rule.limit, replyBasis: rule.basis, replyNote: rule.note,
            reminders: reminders.sorted())
    }

    /// When the first feedback is due for an order the unit signed at `signedAt`: nil when the
    /// profile sets no first feedback for this kind; a rule that counts from the start ignores
    /// `signedAt` (the same instant as `compute` gives).
    public static func firstFeedbackBy(profile: PolicyProfile, kind: OrderKind, start: Date, signedAt: Date,
                                       calendar: WorkingCalendar) throws(RuleError) -> Date? {
        guard let rule = profile.firstFeedbackRule(for: kind) else { return nil }
        return try end(rule.limit, rule.from == .signing ? signedAt : start, calendar)
    }

    /// Checks an extension request against the profile and returns the new reply-by.
    /// `previous` are the extensions already granted; `original` the order's reply limit;
    /// `earlierRequests` the requests already made, granted or not (`maxCount` counts requests).
    public static func extendedReplyBy(profile: PolicyProfile, kind: OrderKind, currentReplyBy: Date,
                                       requested: TimeLimit, previous: [TimeLimit], original: TimeLimit,
                                       citizenConsented: Bool, earlierRequests: Int = 0,
                                       calendar: WorkingCalendar) throws(RuleError) -> Date {
        try check(kind, profile: profile)
        guard let rule = profile.extensionRule(for: kind) else {
            throw .extensionsNotProvided(profile: profile.id, subject: "\(kind.description) orders")
        }
        let subject = rule.match.subject == "orders" ? "\(kind.category.rawValue) orders" : rule.match.subject
        guard rule.allowed else { throw .extensionNotAllowed(subject: subject, basis: rule.basis) }
        if rule.requiresCitizenConsent && !citizenConsented { throw .extensionNeedsCitizenConsent }
        if let maxCount = rule.maxCount, max(previous.count, earlierRequests) >= maxCount {
            throw .extensionLimit(subject: subject, maxCount: rule.maxCount, maxAmount: rule.maxAmount)
        }
        if let maxAmount = rule.maxAmount {
            guard requested.unit == maxAmount.unit else { throw .extensionUnitMismatch(requested: requested, expected: maxAmount.unit) }
            if requested.amount > maxAmount.amount {
                throw .extensionLimit(subject: subject, maxCount: rule.maxCount, maxAmount: rule.maxAmount)
            }
        }
        if rule.mayNotExceedOriginal {
            var total = requested
            for earlier in previous {
                guard let sum = total.plus(earlier) else { throw .extensionUnitMismatch(requested: earlier, expected: requested.unit) }
                total = sum
            }
            guard total.unit == original.unit else { throw .extensionUnitMismatch(requested: requested, expected: original.unit) }
            if total.amount > original.amount { throw .extensionExceedsOriginal(requestedTotal: total, original: original) }
        }
        guard requested != .atOnce else { throw .extensionUnitMismatch(requested: requested, expected: original.unit) }
        return try extend(currentReplyBy, by: requested, calendar)
    }

    /// A due instant moved on by `limit`. Working days continue from the last day of the current
    /// period: a period ending at 24:00 on Thursday extended by 1 working day ends at 24:00 on Friday.
    static func extend(_ due: Date, by limit: TimeLimit, _ calendar: WorkingCalendar) throws(RuleError) -> Date {
        guard case let .workingDays(n) = limit else { return try end(limit, due, calendar) }
        let lastDay = LocalDate(instant: due.addingTimeInterval(-1))
        do { return try calendar.addWorkingDays(n, to: lastDay).endInstant } catch { throw .calendar(error) }
    }

    /// The reply-by of a redo that starts at `redoAt`: the profile's redo limit, or the order's
    /// original limit counted again.
    public static func redoReplyBy(profile: PolicyProfile, kind: OrderKind, redoAt: Date,
                                   calendar: WorkingCalendar) throws(RuleError) -> Date {
        try end(try redoLimit(profile: profile, kind: kind), redoAt, calendar)
    }

    /// The limit a redo runs under: the profile's redo limit, or the order's original limit.
    public static func redoLimit(profile: PolicyProfile, kind: OrderKind) throws(RuleError) -> TimeLimit {
        guard let redo = profile.redo else { throw .redoNotProvided(profile: profile.id) }
        if let redoLimit = redo.limit { return redoLimit }
        return try replyRule(kind, profile: profile).limit
    }
}

/// How a timer's instant was computed: `limit` counted from `from`, less `before` seconds (a
/// reminder before the reply-by). Kept on a timer whose count fell back to Monday–Friday, so that
/// loading the missing year's arrangement computes it again.
public struct DueRule: Hashable, Sendable {
    public var from: Date
    public var limit: TimeLimit
    public var before: TimeInterval

    public init(from: Date, limit: TimeLimit, before: TimeInterval = 0) {
        self.from = from
        self.limit = limit
        self.before = before
    }

    /// The rule an extension by `limit` of a period due at `due` follows (`Deadlines.extend`):
    /// working days continue from the period's last day (the second before `due`).
    public static func extending(_ due: Date, by limit: TimeLimit) -> DueRule {
        if case .workingDays = limit { return DueRule(from: due.addingTimeInterval(-1), limit: limit) }
        return DueRule(from: due, limit: limit)
    }

    /// The instant under `calendar`, and the first year counted Monday to Friday for want of its
    /// arrangement (nil when the count used only loaded years, or ran in natural time).
    public func due(calendar: WorkingCalendar) throws(CalendarError) -> (at: Date, weekdayFallbackYear: Int?) {
        let end = try limit.end(from: from, calendar: calendar)
        let year = limit.isNaturalTime ? nil : calendar.weekdayFallbackYear(from: from, to: end)
        return (end.addingTimeInterval(-before), year)
    }
}

/// A timer whose instant counted Monday to Friday for `year`, whose arrangement was not loaded.
public struct WeekdayFallback: Hashable, Sendable {
    public var rule: DueRule
    public var year: Int

    public init(rule: DueRule, year: Int) {
        self.rule = rule
        self.year = year
    }
}
