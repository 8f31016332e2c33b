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
    /// What the unit owes at the limit when it is not the final reply (pingdingshan class C,
    /// baotou's 办结或反馈).
    public var note: String?
    /// What the limit counts from; absent: the order's start (see `DeadlineSet.start`).
    public var from: Anchor?
    /// A reply limit a progress feedback (反馈) within it satisfies (baotou 办结或反馈; pingdingshan
    /// class C 回复前期处理情况及办理计划); the final reply follows. Absent: only the reply does.
    public var satisfiedByFeedback: Bool?
    /// A reply limit that asks for a progress report and plan, not the final reply (pingdingshan
    /// class C 5个工作日内…回复前期处理情况及办理计划, 待事项办结后以书面形式回复): its timer is
    /// `progressReport` instead of `replyBy`. Absent: false.
    public var progressReport: Bool?

    /// What a limit counts from besides the order's start.
    public enum Anchor: String, Hashable, Sendable, Codable {
        /// The unit's signing (henan: 签收后2个小时内反馈初步办理意见); only for first feedback.
        case signing
    }

    public init(match: RuleMatch, limit: TimeLimit, basis: String, note: String? = nil, from: Anchor? = nil,
                satisfiedByFeedback: Bool? = nil) {
        self.match = match
        self.limit = limit
        self.basis = basis
        self.note = note
        self.from = from
        self.satisfiedByFeedback = satisfiedByFeedback
        self.progressReport = nil
    }
}

/// The deadline watch's rules beyond the time limits: what is owed after a reply or a
/// supervision, baotou's month-end list and qidong's ignored reminders. Absent parts: the profile
/// has no such rule.
public struct DeadlineWatchRules: Hashable, Sendable, Codable {
    /// A limit counted from the action that starts it, with the clause it comes from.
    public struct FollowUp: Hashable, Sendable, Codable {
        public var limit: TimeLimit
        public var basis: String
    }
    /// A rule that needs no value beyond its clause.
    public struct Clause: Hashable, Sendable, Codable {
        public var basis: String
    }
    /// Reminders ignored that make an offence (qidong 四 1 两次催办仍不回复).
    public struct IgnoredReminders: Hashable, Sendable, Codable {
        public var count: Int
        public var basis: String
    }

    /// Orders due in a month listed at its end unless replied, extended or excluded (`monthEnd`).
    public var monthEndClearing: Clause?
    /// The reply limit passed after this many reminders without a reply: an offence recorded.
    public var remindersIgnored: IgnoredReminders?

    /// 24:00 (China time) on the last day of the month in which a period due at `due` ends: a
    /// period ending at 24:00 on 31 October belongs to October.
    public static func monthEnd(of due: Date) -> Date {
        let last = LocalDate(instant: due.addingTimeInterval(-1))
        let next = last.month == 12 ? LocalDate(year: last.year + 1, month: 1, day: 1)! : LocalDate(year: last.year, month: last.month + 1, day: 1)!
        return next.startInstant
    }
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
    /// Most extension requests per order, granted or not (the documents count applications:
    /// qidong 附件2 一(四)2 最多可申请2次, pingdingshan 五(六) 只能提出1次延期申请); nil: no count stated.
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

/// The parts of an extension (延期) request a profile requires, with the clause that requires them.
/// The amount asked for is always required (it is what the rules limit).
public struct ExtensionRequirements: Hashable, Sendable, Codable {
    public enum Field: String, Hashable, Sendable, Codable, CaseIterable {
        /// 延期理由
        case reason
        /// 延期依据
        case basis
        /// 与市民解释沟通情况: what the citizen was told.
        case citizenInformed
        /// 单位分管领导审核签字: the unit leader's signature (baotou 延时挂账).
        case leaderSignature
    }
    public var fields: [Field]
    public var basis: String
}

/// 重办.
public struct RedoRules: Hashable, Sendable, Codable {
    /// What sends an order back.
    public enum Trigger: String, Hashable, Sendable, Codable, CaseIterable {
        /// Any first "dissatisfied" at the revisit (zezhou).
        case firstDissatisfied
        /// "Dissatisfied" and the case is one of the profile's redo reasons (qidong §4).
        case dissatisfiedWithRedoReason
        /// The revisit finds one of the profile's redo reasons, whatever the rating (pingdingshan
        /// 五(五): 对回访中发现办理结果不属实的事项, 发回责任单位重新办理).
        case redoReasonFound
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
    /// Sending and the revisit it starts: confidential prefix, quiet hours, retries, the wait for
    /// an answer, which ratings close the order (`SMSRevisit.swift`).
    public var delivery: SMSDeliveryPolicy
}

/// Intake limits.
public struct IntakeRules: Hashable, Sendable, Codable {
    /// Calls per phone number per day after which the caller may be restricted; nil: none set.
    public var harassmentLimitPerPhonePerDay: Int?
    /// People raising the same matter that make it a supervision case; nil: none set.
    public var clusterThreshold: Int?
    /// How a cluster's size is counted against `clusterThreshold`.
    public var clusterCounting: ClusterCountingRule
    /// How far back intake looks for repeats, clusters and exempt closings.
    public var windows: IntakeWindows
    /// How many stored orders intake compares a new one with.
    public var scan: IntakeScan
    public var basis: String

    enum CodingKeys: String, CodingKey, CaseIterable {
        case harassmentLimitPerPhonePerDay, clusterThreshold, clusterCounting, windows, scan, basis
    }

    public init(harassmentLimitPerPhonePerDay: Int? = nil, clusterThreshold: Int? = nil, clusterCounting: ClusterCountingRule,
                windows: IntakeWindows, scan: IntakeScan, basis: String) {
        self.harassmentLimitPerPhonePerDay = harassmentLimitPerPhonePerDay
        self.clusterThreshold = clusterThreshold
        self.clusterCounting = clusterCounting
        self.windows = windows
        self.scan = scan
        self.basis = basis
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.allCases.map(\.rawValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        harassmentLimitPerPhonePerDay = try c.decodeIfPresent(Int.self, forKey: .harassmentLimitPerPhonePerDay)
        clusterThreshold = try c.decodeIfPresent(Int.self, forKey: .clusterThreshold)
        clusterCounting = try c.decode(ClusterCountingRule.self, forKey: .clusterCounting)
        windows = try c.decode(IntakeWindows.self, forKey: .windows)
        scan = try c.decode(IntakeScan.self, forKey: .scan)
        basis = try c.decode(String.self, forKey: .basis)
    }
}

/// What a cluster counts towards its threshold.
public enum ClusterCounting: String, Hashable, Sendable, Codable, CaseIterable {
    /// Every order of the cluster counts (人次): one citizen calling twice counts twice.
    case personTimes
    /// Citizens (distinct phone numbers) count (人): one citizen calling twice counts once.
    case distinctCitizens
}

public struct ClusterCountingRule: Hashable, Sendable, Codable {
    public var rule: ClusterCounting
    public var basis: String

    public init(rule: ClusterCounting, basis: String) {
        self.rule = rule
        self.basis = basis
    }
}

/// Intake's look-back windows, in natural hours.
public struct IntakeWindows: Hashable, Sendable, Codable {
    /// How far back an open order from the same phone about the same matter makes a repeat.
    public var repeatRequest: TimeLimit
    /// How far back the same matter from other citizens in the same place counts towards a cluster.
    public var cluster: TimeLimit
    /// How far back a request closed under an exempt revisit rule answers a repeat.
    public var exemptRepeat: TimeLimit
    public var basis: String

    public init(repeatRequest: TimeLimit, cluster: TimeLimit, exemptRepeat: TimeLimit, basis: String) {
        self.repeatRequest = repeatRequest
        self.cluster = cluster
        self.exemptRepeat = exemptRepeat
        self.basis = basis
    }
}

/// How many stored orders intake reads and compares: bounded work per submission, whatever the
/// volume of a phone or a place.
public struct IntakeScan: Hashable, Sendable, Codable {
    /// Open orders of the same phone compared for a repeat (oldest first).
    public var repeatCandidates: Int
    /// Exempt closings of the same phone compared (newest first).
    public var exemptRepeatCandidates: Int
    /// Newest orders of the place read for cluster candidates.
    public var clusterPlaceOrders: Int
    /// Of those, orders of the same lexicon matter compared (newest first).
    public var clusterCandidates: Int
    public var basis: String

    public init(repeatCandidates: Int, exemptRepeatCandidates: Int, clusterPlaceOrders: Int, clusterCandidates: Int, basis: String) {
        self.repeatCandidates = repeatCandidates
        self.exemptRepeatCandidates = exemptRepeatCandidates
        self.clusterPlaceOrders = clusterPlaceOrders
        self.clusterCandidates = clusterCandidates
        self.basis = basis
    }
}

extension TimeLimit {
    /// The limit as seconds of natural time; nil unless it is counted in natural hours.
    public var naturalSeconds: TimeInterval? {
        if case let .naturalHours(hours) = self { hours * 3_600 } else { nil }
    }
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
    /// What a unit's extension request must carry; nil: only the amount asked for.
    public var extensionRequires: ExtensionRequirements?
    public var redo: RedoRules?
    /// Reminders before the reply-by, in natural hours.
    public var remindersBeforeReply: [TimeLimit]
    /// Where the reminders come from (ours where the document sets no time).
    public var remindersBasis: String
    public var revisit: RevisitRules?
    public var sms: SMSTemplate
    public var scoring: ScoringScheme
    public var intake: IntakeRules
    /// Follow-up limits, the month-end list and ignored reminders; nil: none of them.
    public var deadlineWatch: DeadlineWatchRules?
    /// 督办 kinds; nil: the profile names none.
    public var supervision: SupervisionRules?
    /// 剔除 requests; nil: only a basis is asked for.
    public var exclusion: ExclusionRules?
    /// 知识库 entries owed by orders marked for it.
    public var knowledgeBase: KnowledgeBaseRules?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case id, name, document, keyedBy, dispatch, sign, firstFeedback, reply, returns, extensions, extensionRequires, redo,
             remindersBeforeReply, remindersBasis, revisit, sms, scoring, intake, deadlineWatch
        case supervision, exclusion, knowledgeBase
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
        extensionRequires = try c.decodeIfPresent(ExtensionRequirements.self, forKey: .extensionRequires)
        redo = try c.decodeIfPresent(RedoRules.self, forKey: .redo)
        remindersBeforeReply = try c.decode([TimeLimit].self, forKey: .remindersBeforeReply)
        remindersBasis = try c.decode(String.self, forKey: .remindersBasis)
        revisit = try c.decodeIfPresent(RevisitRules.self, forKey: .revisit)
        sms = try c.decode(SMSTemplate.self, forKey: .sms)
        scoring = try c.decode(ScoringScheme.self, forKey: .scoring)
        intake = try c.decode(IntakeRules.self, forKey: .intake)
        deadlineWatch = try c.decodeIfPresent(DeadlineWatchRules.self, forKey: .deadlineWatch)
        supervision = try c.decodeIfPresent(SupervisionRules.self, forKey: .supervision)
        exclusion = try c.decodeIfPresent(ExclusionRules.self, forKey: .exclusion)
        knowledgeBase = try c.decodeIfPresent(KnowledgeBaseRules.self, forKey: .knowledgeBase)
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
        for (name, rules) in [("dispatch", dispatch), ("sign", sign), ("reply", reply)] {
            for (index, rule) in rules.enumerated() where rule.from == .signing {
                throw fail("\(name)[\(index)].from", "only firstFeedback rules count from signing")
            }
        }
        for (name, rules) in [("dispatch", dispatch), ("sign", sign), ("firstFeedback", firstFeedback)] {
            for (index, rule) in rules.enumerated() where rule.satisfiedByFeedback != nil {
                throw fail("\(name)[\(index)].satisfiedByFeedback", "only reply rules can be met by a progress feedback")
            }
        }
        for (name, rules) in [("dispatch", dispatch), ("sign", sign), ("firstFeedback", firstFeedback)] {
            for (index, rule) in rules.enumerated() where rule.progressReport != nil {
                throw fail("\(name)[\(index)].progressReport", "only reply rules can ask for a progress report")
            }
        }
        if let watch = deadlineWatch {
            for (path, basis) in [("monthEndClearing", watch.monthEndClearing?.basis), ("remindersIgnored", watch.remindersIgnored?.basis)]
                where basis?.isEmpty == true {
                throw fail("deadlineWatch.\(path).basis", "must quote the clause it comes from (or say the value is ours)")
            }
            if let count = watch.remindersIgnored?.count, count < 1 { throw fail("deadlineWatch.remindersIgnored.count", "must be at least 1") }
        }
        if let requires = extensionRequires, requires.basis.isEmpty {
            throw fail("extensionRequires.basis", "name the clause that requires these parts")
        }
        if !remindersBeforeReply.isEmpty, remindersBasis.isEmpty {
            throw fail("remindersBasis", "name the clause the reminders come from, or say they are ours")
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
        if let supervision {
            if supervision.kinds.isEmpty { throw fail("supervision.kinds", "name at least one kind (omit supervision for none)") }
            if Set(supervision.kinds.map(\.id)).count != supervision.kinds.count { throw fail("supervision.kinds", "ids must be unique") }
            if supervision.basis.isEmpty { throw fail("supervision.basis", "name the clause the kinds come from") }
        }
        if let exclusion, exclusion.basis.isEmpty { throw fail("exclusion.basis", "name the clause, or say the rule is ours") }
        if let knowledgeBase, knowledgeBase.basis.isEmpty { throw fail("knowledgeBase.basis", "name the clause, or say the rule is ours") }
        if let redo, let max = redo.maxRedos, max < 1 {
            throw fail("redo.maxRedos", "must be at least 1 (omit redo for none)")
        }
        if let redo, redo.trigger != .firstDissatisfied, revisit?.redoReasons.isEmpty ?? true {
            throw fail("revisit.redoReasons", "redo.trigger \(redo.trigger.rawValue) needs at least one redo reason")
        }
        guard sms.prefix.contains("{unit}") else { throw fail("sms.prefix", "must contain {unit}") }
        guard !sms.suffix.isEmpty else { throw fail("sms.suffix", "must not be empty") }
        if let n = intake.clusterThreshold, n < 2 { throw fail("intake.clusterThreshold", "must be at least 2") }
        if let n = intake.harassmentLimitPerPhonePerDay, n < 1 { throw fail("intake.harassmentLimitPerPhonePerDay", "must be at least 1") }
        for (path, window) in [("repeatRequest", intake.windows.repeatRequest), ("cluster", intake.windows.cluster),
                               ("exemptRepeat", intake.windows.exemptRepeat)] {
            guard let seconds = window.naturalSeconds, seconds > 0 else {
                throw fail("intake.windows.\(path)", "must be a positive amount of naturalHours")
            }
        }
        for (path, n) in [("repeatCandidates", intake.scan.repeatCandidates), ("exemptRepeatCandidates", intake.scan.exemptRepeatCandidates),
                          ("clusterPlaceOrders", intake.scan.clusterPlaceOrders), ("clusterCandidates", intake.scan.clusterCandidates)] where n < 1 {
            throw fail("intake.scan.\(path)", "must be at least 1")
        }
        if intake.scan.clusterCandidates > intake.scan.clusterPlaceOrders {
            throw fail("intake.scan.clusterCandidates", "cannot exceed clusterPlaceOrders (the candidates are taken from those orders)")
        }
        for (path, basis) in [("clusterCounting", intake.clusterCounting.basis), ("windows", intake.windows.basis), ("scan", intake.scan.basis)]
            where basis.isEmpty {
            throw fail("intake.\(path).basis", "must say where the value comes from (or that it is the project's choice)")
        }
        try scoring.validate(file: file)
    }

    // MARK: Loading

    /// The names of the bundled profiles, derived from the files themselves: every
    /// `Resources/profiles/<id>.json` is one, in the order of their source documents (`document`,
    /// 000 qidong … 004 henan; a file whose `document` cannot be read sorts last, and loading it
    /// names its problem).
    public static let bundledIDs: [String] = {
        let urls = (HotlineDomain.resources.urls(forResourcesWithExtension: "json", subdirectory: "profiles") ?? []).map { $0 as URL }
        struct Document: Decodable { var document: String? }
        let entries = urls.map { url -> (id: String, document: String) in
            let document = (try? Data(contentsOf: url)).flatMap { try? JSONDecoder().decode(Document.self, from: $0) }?.document
            return (url.deletingPathExtension().lastPathComponent, document ?? "\u{10FFFF}")
        }
        return entries.sorted { ($0.document, $0.id) < ($1.document, $1.id) }.map(\.id)
    }()

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
