import Foundation

/// Selects the orders a rule applies to. Every key given must match; an absent key matches all.
/// `urgency: general` also matches an order with no urgency given.
public struct RuleMatch: Hashable, Sendable, Codable {
    public var categories: [Category]?
    public var urgency: Urgency?
    public var caseClass: CaseClass?

    enum CodingKeys: String, CodingKey, CaseIterable { case categories, urgency, caseClass = "class" }

    public init(categories: [Category]? = nil, urgency: Urgency? = nil, caseClass: CaseClass? = nil) {
        self.categories = categories
        self.urgency = urgency
        self.caseClass = caseClass
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.allCases.map(\.rawValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        categories = try c.decodeIfPresent([Category].self, forKey: .categories)
        urgency = try c.decodeIfPresent(Urgency.self, forKey: .urgency)
        caseClass = try c.decodeIfPresent(CaseClass.self, forKey: .caseClass)
        if let categories, categories.isEmpty {
            throw DecodingError.dataCorrupted(.init(codingPath: c.codingPath + [CodingKeys.categories],
                debugDescription: "must list at least one category (omit the key to match all)"))
        }
    }

    /// How the orders this rule selects are named in messages, e.g. "consult orders".
    public var subject: String {
        var words: [String] = []
        if let urgency { words.append(urgency.rawValue) }
        if let categories { words.append(categories.map(\.rawValue).joined(separator: "/")) }
        if let caseClass { words.append("class \(caseClass.rawValue)") }
        return words.isEmpty ? "orders" : words.joined(separator: " ") + " orders"
    }

    public func matches(_ kind: OrderKind) -> Bool {
        if let categories, !categories.contains(kind.category) { return false }
        if let urgency, urgency != (kind.urgency ?? .general) { return false }
        if let caseClass, caseClass != kind.caseClass { return false }
        return true
    }
}

/// A time limit for the orders a match selects, with the clause of the source document.
public struct LimitRule: Hashable, Sendable, Codable {
    public var match: RuleMatch
    public var limit: TimeLimit
    public var basis: String
    /// What the unit owes at the limit when it is not the final reply (pingdingshan class C).
    public var note: String?
}

/// 退件: a unit's "not ours".
public struct ReturnRules: Hashable, Sendable, Codable {
    /// How long after receipt a unit may ask to return the order; nil when the rule says "promptly"
    /// without a fixed window.
    public var window: TimeLimit?
    /// Past the window the order counts as accepted (qidong).
    public var lateReturnCountsAsAccepted: Bool
    /// Whether a unit whose return was rejected may ask to return the same order again.
    public var rejectedMayReturnAgain: Bool
    /// Returns of one order (by any unit) after which the order goes to supervision (units passing it
    /// between them, qidong 一(六)(1)); nil when the profile sets none.
    public var maxReturnsBeforeSupervision: Int?
    /// A rejected return keeps the original reply-by (qidong: 驳回重办 within the original limit).
    public var rejectedKeepsOriginalLimit: Bool
    public var basis: String
    /// What a unit's request to return must carry; nil: nothing beyond the request itself.
    public var requires: ReturnRequirements?
}

/// The parts of a return (退件) request a profile requires, with the clause that requires them.
public struct ReturnRequirements: Hashable, Sendable, Codable {
    public enum Field: String, Hashable, Sendable, Codable, CaseIterable {
        /// 退回理由
        case reason
        /// 转办建议: which unit should have the order instead.
        case redispatchSuggestion
        /// 有效依据: the legal or policy basis.
        case basis
        /// 部门领导签署意见: the unit leader's signed opinion.
        case leaderOpinion
    }
    public var fields: [Field]
    public var basis: String
}

/// 延期: how much more time the orders a match selects may get.
public struct ExtensionRule: Hashable, Sendable, Codable {
    public var match: RuleMatch
    /// False: no extension at all for these orders.
    public var allowed: Bool
    /// Most extensions per order; nil: no count stated.
    public var maxCount: Int?
    /// Most per extension; nil: no fixed amount (the office sets it, or bounded by the original limit).
    public var maxAmount: TimeLimit?
    /// All extensions together may not exceed the original limit (zezhou).
    public var mayNotExceedOriginal: Bool
    /// The office sets the new limit (pingdingshan).
    public var limitSetByOffice: Bool
    /// The citizen must consent (baotou 延时挂账).
    public var requiresCitizenConsent: Bool
    /// Extended orders are assessed separately (baotou).
    public var assessedSeparately: Bool
    public var basis: String
}

/// 重办.
public struct RedoRules: Hashable, Sendable, Codable {
    /// What sends an order back.
    public enum Trigger: String, Hashable, Sendable, Codable, CaseIterable {
        /// Any first "dissatisfied" at the revisit (zezhou).
        case firstDissatisfied
        /// "Dissatisfied" and the case is one of the profile's redo reasons (qidong §4, pingdingshan).
        case dissatisfiedWithRedoReason
    }
    public var trigger: Trigger
    /// Most redos per order; nil: none stated.
    public var maxRedos: Int?
    /// Time to reply after a redo; nil: the order's original limit, counted again from the redo.
    public var limit: TimeLimit?
    /// Redos after which the order goes to supervision; nil: none.
    public var supervisionAfterRedos: Int?
    public var basis: String
}

/// Why a dissatisfied order is sent back (qidong 附件2 一(七)2).
public enum RedoReason: String, Hashable, Sendable, Codable, CaseIterable {
    case accountToCitizenUntrue, resultUntrue, resultDoesNotAnswerRequest, noReplyRequestedResultUnclear
}

/// Why a dissatisfied order is not sent back (qidong 附件2 一(七)3).
public enum ExemptReason: String, Hashable, Sendable, Codable, CaseIterable {
    case answeredWithinRemitWithBasis, historicalMatterAlreadyAnswered, disagreesWithLegalDecision,
         verifiedImpossibleOrUnreasonable, supervisionOfficeHasRuled
}

/// 回访.
public struct RevisitRules: Hashable, Sendable, Codable {
    public var redoReasons: [RedoReason]
    public var exemptReasons: [ExemptReason]
    /// Exempt reasons for which the unit files proof, the hotline closes the order on it, and later
    /// repeats are answered at intake.
    public var closeOnProofFor: [ExemptReason]
    public var basis: String
}

/// The reply SMS.
public struct SMSTemplate: Hashable, Sendable, Codable {
    /// The prefix, with `{unit}` standing for the unit's name, e.g. `【{unit}】`.
    public var prefix: String
    /// The rating request appended after the unit's result.
    public var suffix: String
    /// Characters removed from the unit's result (besides stray whitespace).
    public var forbiddenCharacters: String
    public var basis: String
}

/// Intake limits.
public struct IntakeRules: Hashable, Sendable, Codable {
    /// Calls per phone number per day after which the caller may be restricted; nil: none set.
    public var harassmentLimitPerPhonePerDay: Int?
    /// People raising the same matter that make it a supervision case; nil: none set.
    public var clusterThreshold: Int?
    public var basis: String
}

/// A hotline centre's rules: every time limit, extension rule, SMS wording and scoring scheme.
public struct PolicyProfile: Hashable, Sendable, Codable, ValidatedDataFile {
    public var id: String
    public var name: String
    public var document: String
    /// Whether reply limits are chosen by category/urgency or by class A–D.
    public enum KeyedBy: String, Hashable, Sendable, Codable { case category, caseClass = "class" }
    public var keyedBy: KeyedBy
    public var dispatch: [LimitRule]
    public var sign: [LimitRule]
    /// First feedback after signing (henan major outages).
    public var firstFeedback: [LimitRule]
    public var reply: [LimitRule]
    public var returns: ReturnRules?
    public var extensions: [ExtensionRule]
    public var redo: RedoRules?
    /// Reminders before the reply-by, in natural hours.
    public var remindersBeforeReply: [TimeLimit]
    public var revisit: RevisitRules?
    public var sms: SMSTemplate
    public var scoring: ScoringScheme
    public var intake: IntakeRules

    enum CodingKeys: String, CodingKey, CaseIterable {
        case id, name, document, keyedBy, dispatch, sign, firstFeedback, reply, returns, extensions, redo,
             remindersBeforeReply, revisit, sms, scoring, intake
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.allCases.map(\.rawValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        name = try c.decode(String.self, forKey: .name)
        document = try c.decode(String.self, forKey: .document)
        keyedBy = try c.decode(KeyedBy.self, forKey: .keyedBy)
        dispatch = try c.decode([LimitRule].self, forKey: .dispatch)
        sign = try c.decode([LimitRule].self, forKey: .sign)
        firstFeedback = try c.decode([LimitRule].self, forKey: .firstFeedback)
        reply = try c.decode([LimitRule].self, forKey: .reply)
        returns = try c.decodeIfPresent(ReturnRules.self, forKey: .returns)
        extensions = try c.decode([ExtensionRule].self, forKey: .extensions)
        redo = try c.decodeIfPresent(RedoRules.self, forKey: .redo)
        remindersBeforeReply = try c.decode([TimeLimit].self, forKey: .remindersBeforeReply)
        revisit = try c.decodeIfPresent(RevisitRules.self, forKey: .revisit)
        sms = try c.decode(SMSTemplate.self, forKey: .sms)
        scoring = try c.decode(ScoringScheme.self, forKey: .scoring)
        intake = try c.decode(IntakeRules.self, forKey: .intake)
    }

    /// Checks what decoding cannot: every order kind has a reply limit, reminders are in natural
    /// hours, the SMS template names the unit, and so on.
    public func validate(file: String) throws(DataFileError) {
        func fail(_ path: String, _ problem: String) -> DataFileError { DataFileError(file: file, keyPath: path, problem: problem) }
        guard !id.isEmpty, id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) else {
            throw fail("id", "must be a non-empty ASCII name (letters, digits, '-')")
        }
        switch keyedBy {
        case .category:
            for category in Category.allCases where !reply.contains(where: { $0.match.matches(OrderKind(category: category)) }) {
                throw fail("reply", "no rule gives a reply limit for \(category.rawValue) orders of general urgency")
            }
        case .caseClass:
            for caseClass in CaseClass.allCases where !reply.contains(where: { $0.match.caseClass == caseClass }) {
                throw fail("reply", "no rule gives a reply limit for class \(caseClass.rawValue)")
            }
        }
        for (index, rule) in (dispatch + sign + firstFeedback + reply).enumerated() where rule.basis.isEmpty {
            throw fail("rules[\(index)].basis", "every rule names the clause of its source document")
        }
        for (index, rule) in extensions.enumerated() {
            if !rule.allowed && (rule.maxCount != nil || rule.maxAmount != nil) {
                throw fail("extensions[\(index)]", "a rule with allowed false must not give maxCount or maxAmount")
            }
            if let count = rule.maxCount, count < 1 {
                throw fail("extensions[\(index)].maxCount", "must be at least 1 (use allowed: false for none)")
            }
        }
        for (index, reminder) in remindersBeforeReply.enumerated() where reminder.unit != .naturalHours {
            throw fail("remindersBeforeReply[\(index)].unit", "reminders are offsets in naturalHours before the reply-by")
        }
        if let returns, let max = returns.maxReturnsBeforeSupervision, max < 1 {
            throw fail("returns.maxReturnsBeforeSupervision", "must be at least 1")
        }
        if let redo, let max = redo.maxRedos, max < 1 {
            throw fail("redo.maxRedos", "must be at least 1 (omit redo for none)")
        }
        if let redo, redo.trigger == .dissatisfiedWithRedoReason, revisit?.redoReasons.isEmpty ?? true {
            throw fail("revisit.redoReasons", "redo.trigger dissatisfiedWithRedoReason needs at least one redo reason")
        }
        guard sms.prefix.contains("{unit}") else { throw fail("sms.prefix", "must contain {unit}") }
        guard !sms.suffix.isEmpty else { throw fail("sms.suffix", "must not be empty") }
        if let n = intake.clusterThreshold, n < 2 { throw fail("intake.clusterThreshold", "must be at least 2") }
        if let n = intake.harassmentLimitPerPhonePerDay, n < 1 { throw fail("intake.harassmentLimitPerPhonePerDay", "must be at least 1") }
        try scoring.validate(file: file)
    }

    // MARK: Loading

    /// The names of the bundled profiles.
    public static let bundledIDs = ["qidong", "baotou", "zezhou", "pingdingshan", "henan"]

    /// A bundled profile by name.
    public static func bundled(_ id: String) throws(DataFileError) -> PolicyProfile {
        let file = "<bundled>/profiles/\(id).json"
        guard bundledIDs.contains(id),
              let url = HotlineDomain.resources.url(forResource: id, withExtension: "json", subdirectory: "profiles") else {
            throw DataFileError(file: file, keyPath: "", problem: "no such bundled profile (known: \(bundledIDs.joined(separator: ", ")))")
        }
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw DataFileError(file: file, keyPath: "", problem: "cannot be read") }
        let profile = try load(data: data, file: file)
        guard profile.id == id else { throw DataFileError(file: file, keyPath: "id", problem: "is \(profile.id), expected \(id)") }
        return profile
    }

    /// Every bundled profile.
    public static func allBundled() throws(DataFileError) -> [PolicyProfile] {
        var profiles: [PolicyProfile] = []
        for id in bundledIDs { profiles.append(try bundled(id)) }
        return profiles
    }

    // MARK: Lookup

    static func first(_ rules: [LimitRule], _ kind: OrderKind) -> LimitRule? {
        rules.first { $0.match.matches(kind) }
    }

    public func replyRule(for kind: OrderKind) -> LimitRule? { Self.first(reply, kind) }
    public func signRule(for kind: OrderKind) -> LimitRule? { Self.first(sign, kind) }
    public func dispatchRule(for kind: OrderKind) -> LimitRule? { Self.first(dispatch, kind) }
    public func firstFeedbackRule(for kind: OrderKind) -> LimitRule? { Self.first(firstFeedback, kind) }
    public func extensionRule(for kind: OrderKind) -> ExtensionRule? { extensions.first { $0.match.matches(kind) } }
}
