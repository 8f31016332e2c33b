import Foundation

/// Why the rules do not allow what was asked. Descriptions name rules and units, never citizens.
public enum RuleError: Error, Equatable, Sendable, CustomStringConvertible {
    case calendar(CalendarError)
    /// The profile keys limits by class A–D and none was given.
    case classRequired(profile: String)
    /// A class was given to a profile that does not use classes.
    case classNotUsed(profile: String)
    case noReplyLimit(profile: String, kind: String)
    case extensionsNotProvided(profile: String, subject: String)
    case extensionNotAllowed(subject: String, basis: String)
    /// Too many extensions, or one too long: "consult orders may be extended once, by at most 3 working days".
    case extensionLimit(subject: String, maxCount: Int?, maxAmount: TimeLimit?)
    case extensionExceedsOriginal(requestedTotal: TimeLimit, original: TimeLimit)
    case extensionUnitMismatch(requested: TimeLimit, expected: TimeLimit.Unit)
    case extensionNeedsCitizenConsent
    case extensionAfterDue(dueAt: Date)
    case returnsNotProvided(profile: String)
    /// `countsAsAccepted`: the profile takes a late return as acceptance (qidong 一(二) 视为受理).
    case returnWindowClosed(endedAt: Date, countsAsAccepted: Bool)
    case rejectedReturnMayNotBeReturnedAgain
    case redoNotProvided(profile: String)
    case redoLimitReached(maxRedos: Int)
    /// The office's revisit decision (redo or exempt) does not fit the rating and the profile.
    case revisitDecisionNotWarranted(why: String)
    case confidentialContact
    case wrongUnit(expected: String)
    /// An order goes back to a unit whose return of it was approved.
    case dispatchToReturningUnit(unit: String)
    case notAllowed(command: String, state: String)

    public var description: String {
        switch self {
        case let .calendar(error): return error.description
        case let .classRequired(profile): return "profile \(profile) sets time limits by class A–D: give --class"
        case let .classNotUsed(profile): return "profile \(profile) does not use classes A–D: give a category and urgency"
        case let .noReplyLimit(profile, kind): return "profile \(profile) states no reply limit for \(kind)"
        case let .extensionsNotProvided(profile, subject): return "profile \(profile) provides no extension for \(subject)"
        case let .extensionNotAllowed(subject, basis): return "\(subject) may not be extended (\(basis))"
        case let .extensionLimit(subject, maxCount, maxAmount):
            var text = "\(subject) may be extended"
            if let maxCount { text += maxCount == 1 ? " once" : maxCount == 2 ? " twice" : " \(maxCount) times" }
            if let maxAmount { text += (maxCount == nil ? "" : ",") + " by at most \(maxAmount)" + (maxCount ?? 1 > 1 ? " each time" : "") }
            return text
        case let .extensionExceedsOriginal(total, original):
            return "extensions may not exceed the original limit: \(total) in all asked, the original limit is \(original)"
        case let .extensionUnitMismatch(requested, expected):
            return "an extension must be given in \(expected.rawValue), not \(requested)"
        case .extensionNeedsCitizenConsent: return "an extension (延时挂账) needs the citizen's consent"
        case let .extensionAfterDue(due): return "an extension must be asked before the due time (\(ChinaTime.format(due)))"
        case let .returnsNotProvided(profile): return "profile \(profile) provides no return (退件) procedure"
        case let .returnWindowClosed(end, accepted):
            return "the return window ended at \(ChinaTime.format(end)); "
                + (accepted ? "the order counts as accepted" : "a return is no longer taken and the unit keeps the order")
        case .rejectedReturnMayNotBeReturnedAgain: return "a rejected return may not be returned again"
        case let .redoNotProvided(profile): return "profile \(profile) provides no redo (重办)"
        case let .redoLimitReached(max): return "an order may be redone at most \(max == 1 ? "once" : "\(max) times")"
        case let .revisitDecisionNotWarranted(why): return why
        case .confidentialContact: return "the unit must not contact the citizen of a confidential order; the hotline replies from the unit's result"
        case let .wrongUnit(expected): return "only the lead unit \(expected) may do this"
        case let .dispatchToReturningUnit(unit): return "unit \(unit) returned this order and may not receive it again"
        case let .notAllowed(command, state): return "cannot \(command) an order that is \(state)"
        }
    }
}
