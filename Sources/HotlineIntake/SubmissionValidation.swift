import Foundation
import HotlineContracts
import HotlineDomain

/// A submission intake accepted as input: every field checked and normalised. What intake then
/// does with it (repeat, cluster, scope, a work order) is the handler's business.
public struct IntakeRequest: Sendable, Equatable {
    public var submissionId: String
    public var channel: Channel
    public var receivedAt: Date
    public var citizenName: String?
    /// Required for every channel except `upperHotline` and `evaluationSystem`: the reply SMS, the
    /// revisit, repeat detection and the harassment limit all go by the phone number. A higher
    /// hotline's transfer and an evaluation-system record may come without one (the citizen stays
    /// with that system); they are the only channels where nil is allowed.
    public var phone: PhoneNumber?
    public var confidential: Bool
    public var kind: OrderKind
    /// Given, or the first 20 characters of the content.
    public var title: String
    public var content: String
    public var address: String?
    public var regionCode: String?
    public var agentId: String?
    public var outcome: AgentDecision?

    public init(submissionId: String, channel: Channel, receivedAt: Date, citizenName: String? = nil, phone: PhoneNumber?,
                confidential: Bool = false, kind: OrderKind, title: String, content: String, address: String? = nil,
                regionCode: String? = nil, agentId: String? = nil, outcome: AgentDecision? = nil) {
        self.submissionId = submissionId
        self.channel = channel
        self.receivedAt = receivedAt
        self.citizenName = citizenName
        self.phone = phone
        self.confidential = confidential
        self.kind = kind
        self.title = title
        self.content = content
        self.address = address
        self.regionCode = regionCode
        self.agentId = agentId
        self.outcome = outcome
    }
}

/// What the agent already did with the request.
public enum AgentDecision: Sendable, Equatable {
    /// 即办: answered at intake, from a knowledge-base entry and/or in the agent's words.
    case answered(kbEntryId: Int64?, answer: String?)
    /// 不予受理, with the guidance given (the standard `ScopeGuidance` text when the agent gave none).
    case notAccepted(NotAcceptedReason, guidance: String)
}

/// Every problem a submission has (`Result` needs an `Error`, which `[FieldProblem]` is not).
/// `problems` go into `SubmissionRejected.problems` as they are.
public struct SubmissionProblems: Error, Sendable, Equatable, CustomStringConvertible {
    public var problems: [FieldProblem]
    public init(_ problems: [FieldProblem]) { self.problems = problems }
    /// The problems, `; `-separated; never a field's value.
    public var description: String { problems.map(\.description).joined(separator: "; ") }
}

/// Checks a `SubmissionV1` field by field and normalises it into an `IntakeRequest`.
///
/// Every problem is reported at once, one `FieldProblem` per failing rule, named by the JSON
/// field (`citizen.phone`, `outcome.reason`, ...). Problem texts never contain the value: it may
/// be personal data. The rules are listed in `Sources/HotlineContracts/Documentation/submission-v1.md`.
public enum SubmissionValidation {
    public static let maxSubmissionIdLength = 128
    public static let maxNameLength = 50
    public static let maxTitleLength = 100
    /// A missing title is the content's first this many characters.
    public static let derivedTitleLength = 20
    public static let maxContentLength = 5000
    public static let maxAddressLength = 200
    /// How far `receivedAt` may be ahead of intake's clock (channels' clocks drift).
    public static let futureTolerance: TimeInterval = 600
    /// 2020-01-01 00:00 China time: nothing older is a live submission.
    public static let earliestReceivedAt = Date(timeIntervalSince1970: 1_577_808_000)

    /// Every problem at once; `routingChannel` is the `<channel>` of the routing key
    /// `submission.<channel>` (nil if unknown).
    public static func validate(_ s: SubmissionV1, routingChannel: String?, profile: PolicyProfile,
                                now: Date) -> Result<IntakeRequest, SubmissionProblems> {
        var problems = s.readProblems
        // A field that could not be read already has its problem; its other rules are skipped.
        let unreadable = Set(s.readProblems.map(\.field))
        func problem(_ field: String, _ text: String) {
            problems.append(FieldProblem(field: field, problem: text))
        }
        func readable(_ field: String) -> Bool { !unreadable.contains(field) }

        // submissionId: kept exactly as sent (it is the channel's idempotency key).
        var submissionId: String?
        if readable("submissionId") {
            if let id = s.submissionId, !id.trimmingCharacters(in: .whitespaces).isEmpty {
                if id.count > maxSubmissionIdLength {
                    problem("submissionId", "must be at most \(maxSubmissionIdLength) characters")
                } else if id.unicodeScalars.contains(where: isControl) {
                    problem("submissionId", "must not contain control characters")
                } else {
                    submissionId = id
                }
            } else {
                problem("submissionId", "is required")
            }
        }

        var channel: Channel?
        if readable("channel") {
            if let raw = present(s.channel) {
                if let parsed = Self.channel(parsing: raw) {
                    channel = parsed
                    if let routingChannel, Self.channel(parsing: routingChannel) != parsed {
                        problem("channel", "does not match the routing key")
                    }
                } else {
                    problem("channel", "is not a known channel (\(Channel.allCases.map(\.rawValue).joined(separator: ", ")), or \(Vocabulary.bundled.channelNames.joined(separator: ", ")))")
                }
            } else {
                problem("channel", "is required")
            }
        }

        var receivedAt: Date?
        if readable("receivedAt") {
            if let at = s.receivedAt {
                if at > now.addingTimeInterval(futureTolerance) {
                    problem("receivedAt", "is more than 10 minutes after intake's clock")
                } else if at < earliestReceivedAt {
                    problem("receivedAt", "is before 2020-01-01")
                } else {
                    receivedAt = at
                }
            } else {
                problem("receivedAt", "is required")
            }
        }

        var citizenName: String?
        var phone: PhoneNumber?
        if readable("citizen") {
            if let raw = s.citizen?.name {
                let name = TextNormalisation.normaliseName(raw)
                if name.count > maxNameLength {
                    problem("citizen.name", "must be at most \(maxNameLength) characters")
                } else if !name.isEmpty {
                    citizenName = name
                }
            }
            // Unknown channel: whether a phone is required cannot be told; a given one is still checked.
            let phoneRequired = channel.map { !phoneOptionalChannels.contains($0) } ?? false
            if let raw = present(s.citizen?.phone) {
                switch PhoneNumber.parse(raw) {
                case .success(let number): phone = number
                case .failure(let phoneProblem): problem("citizen.phone", phoneProblem.description)
                }
            } else if phoneRequired {
                problem("citizen.phone", "is required for this channel (the reply SMS and the revisit go to it)")
            }
        }

        // The kind: category, urgency, class, and whether the profile takes them.
        var category: Category?
        var kindReadable = readable("category") && readable("urgency") && readable("class")
        if readable("category") {
            if let raw = present(s.category) {
                category = Category(parsing: raw)
                if category == nil {
                    problem("category", "is not a known category (\(Category.allCases.map(\.rawValue).joined(separator: ", ")), or \(Category.allCases.map(\.chineseName).joined(separator: ", ")))")
                }
            } else {
                problem("category", "is required")
            }
        }
        var urgency: Urgency?
        if readable("urgency"), let raw = present(s.urgency) {
            urgency = Urgency(parsing: raw)
            if urgency == nil {
                kindReadable = false
                problem("urgency", "is not a known urgency (\(Urgency.allCases.map(\.rawValue).joined(separator: ", ")), or \(Vocabulary.bundled.urgencyNames.joined(separator: ", ")))")
            }
        }
        var caseClass: CaseClass?
        if readable("class"), let raw = present(s.caseClass) {
            caseClass = CaseClass(parsing: raw)
            if caseClass == nil {
                kindReadable = false
                problem("class", "must be A, B, C or D (or A类–D类)")
            }
        }
        var kind: OrderKind?
        if let category {
            let candidate = OrderKind(category: category, urgency: urgency, caseClass: caseClass)
            if kindReadable {
                do {
                    _ = try Deadlines.replyRule(candidate, profile: profile)
                    kind = candidate
                } catch {
                    let (field, text) = describe(error, kind: candidate)
                    problem(field, text)
                }
            }
        }

        var content: String?
        if readable("content") {
            if let text = present(s.content) {
                if text.count > maxContentLength {
                    problem("content", "must be at most \(maxContentLength) characters")
                } else {
                    content = text
                }
            } else {
                problem("content", "is required")
            }
        }
        var title: String?
        if readable("title"), let text = present(s.title) {
            if text.count > maxTitleLength {
                problem("title", "must be at most \(maxTitleLength) characters")
            } else {
                title = text
            }
        }
        if title == nil, readable("title"), let content {
            title = String(content.prefix(derivedTitleLength)).trimmingCharacters(in: .whitespaces)
        }

        var address: String?
        if readable("address"), let text = present(s.address) {
            if text.count > maxAddressLength {
                problem("address", "must be at most \(maxAddressLength) characters")
            } else {
                address = text
            }
        }
        var regionCode: String?
        if readable("regionCode"), let code = present(s.regionCode) {
            if [6, 9, 12].contains(code.utf8.count), code.utf8.allSatisfy({ (48...57).contains($0) }) {
                regionCode = code
            } else {
                problem("regionCode", "must be 6, 9 or 12 digits (a gazetteer code)")
            }
        }
        if readable("address"), readable("regionCode"), present(s.address) == nil, present(s.regionCode) == nil {
            problem("address", "address or regionCode is required")
        }

        let agentId = readable("agentId") ? present(s.agentId) : nil

        var outcome: AgentDecision?
        if readable("outcome"), let given = s.outcome {
            if let rawKind = present(given.kind) {
                switch outcomeKind(parsing: rawKind) {
                case nil:
                    problem("outcome.kind", "must be answered (即办) or notAccepted (不予受理)")
                case .answered:
                    let answer = present(given.answer)
                    if let id = given.kbEntryId, id <= 0 {
                        problem("outcome.kbEntryId", "must be a positive id")
                    } else if given.kbEntryId == nil, answer == nil {
                        problem("outcome.answer", "is required when an answered outcome has no kbEntryId")
                    } else {
                        outcome = .answered(kbEntryId: given.kbEntryId, answer: answer)
                    }
                case .notAccepted:
                    if let raw = present(given.reason) {
                        if let reason = notAcceptedReason(parsing: raw) {
                            outcome = .notAccepted(reason, guidance: present(given.guidance) ?? ScopeGuidance.text(for: reason))
                        } else {
                            problem("outcome.reason", "is not one of the nine reasons (\(reasonsInOrder.map(\.rawValue).joined(separator: ", ")), or 1–9 in that order)")
                        }
                    } else {
                        problem("outcome.reason", "is required for a notAccepted outcome")
                    }
                }
            } else {
                problem("outcome.kind", "is required (answered or notAccepted)")
            }
        }

        guard problems.isEmpty, let submissionId, let channel, let receivedAt, let kind, let content,
              let title else {
            return .failure(SubmissionProblems(problems))
        }
        return .success(IntakeRequest(
            submissionId: submissionId, channel: channel, receivedAt: receivedAt, citizenName: citizenName, phone: phone,
            confidential: s.confidential ?? false, kind: kind, title: title, content: content, address: address,
            regionCode: regionCode, agentId: agentId, outcome: outcome))
    }

    /// Channels whose submissions may come without a phone number (see `IntakeRequest.phone`).
    public static let phoneOptionalChannels: Set<Channel> = [.upperHotline, .evaluationSystem]

    /// A channel by its code (any case) or one of its names in `Vocabulary` (热线电话, 短信, ...).
    public static func channel(parsing text: String) -> Channel? {
        Vocabulary.bundled.channel(named: TextNormalisation.normalise(text))
    }

    /// POLICIES.md §6 order: the reason "1" is `inLegalProcedure`, ..., "9" `excludedByLaw`.
    public static let reasonsInOrder: [NotAcceptedReason] = [
        .inLegalProcedure, .inPetitionChannel, .secretsOrPrivacy, .emergencyService, .militaryMatter,
        .harassmentOrNoRequest, .alreadyClosedRepeated, .outsideJurisdiction, .excludedByLaw,
    ]

    /// A reason by its code (any case) or its number 1–9 in POLICIES.md §6.
    public static func notAcceptedReason(parsing text: String) -> NotAcceptedReason? {
        let t = TextNormalisation.normalise(text)
        if let number = Int(t), (1...reasonsInOrder.count).contains(number) { return reasonsInOrder[number - 1] }
        return NotAcceptedReason.allCases.first { $0.rawValue.lowercased() == t.lowercased() }
    }

    enum OutcomeKind { case answered, notAccepted }

    static func outcomeKind(parsing text: String) -> OutcomeKind? {
        switch text.lowercased() {
        case "answered", "即办", "已答复": .answered
        case "notaccepted", "不予受理": .notAccepted
        default: nil
        }
    }

    /// The field and text for a kind the profile does not take.
    static func describe(_ error: RuleError, kind: OrderKind) -> (field: String, text: String) {
        switch error {
        case .classRequired(let profile):
            ("class", "is required: profile \(profile) sets time limits by class A–D")
        case .classNotUsed(let profile):
            ("class", "is not used by profile \(profile): give the category and urgency only")
        case .noReplyLimit(let profile, _):
            (kind.urgency == nil ? "category" : "urgency", "profile \(profile) states no time limit for \(kind.description) orders")
        default:
            ("class", error.description)
        }
    }

    /// The normalised text, or nil when absent or blank.
    static func present(_ text: String?) -> String? {
        guard let text else { return nil }
        let normalised = TextNormalisation.normalise(text)
        return normalised.isEmpty ? nil : normalised
    }

    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .control, .format: true
        default: false
        }
    }
}
