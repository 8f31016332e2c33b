import Foundation

/// A channel's submission, version 1: what an agent console, the website, an app, WeChat, the
/// mayor's mailbox, the SMS gateway or another system publishes to `hotline.intake` with routing
/// key `submission.<channel>`, inside the usual envelope (`type` "submission", `version` 1).
///
/// Field by field, with an example, in `Sources/HotlineContracts/Documentation/submission-v1.md`.
///
/// Every field is read leniently: a field of the wrong JSON type is kept as a problem, not a
/// decoding failure, so a bad submission is answered with **every** problem it has at once.
/// Intake validates and normalises what is here (see `HotlineIntake`).
public struct SubmissionV1: MessageContract, Equatable {
    public static let type = "submission"
    public static let version = 1

    /// The channel's own id for this submission: the idempotency key (with the channel).
    public var submissionId: String?
    /// `phone`, `sms`, `website`, `app`, `wechat`, `mayorMailbox`, `evaluationSystem`,
    /// `upperHotline`, or a Chinese name (热线电话, 短信, 网站, 微信, 市长信箱, ...).
    public var channel: String?
    /// When the channel received it (ISO 8601 instant).
    public var receivedAt: Date?
    public var citizen: Citizen?
    /// The citizen asked that their identity be kept from the units (保密).
    public var confidential: Bool?
    /// 诉求类型: consult/help/suggestion/criticism/complaint/report or 咨询/求助/建议/意见/批评/投诉/举报.
    public var category: String?
    /// Urgency (emergency, majorOutage, basicLiving, general, complex or their Chinese names).
    public var urgency: String?
    /// Class A–D (class-keyed profiles such as pingdingshan).
    public var caseClass: String?
    public var title: String?
    public var content: String?
    public var address: String?
    /// A gazetteer code (`regions.code`): a county, township, street or village.
    public var regionCode: String?
    public var agentId: String?
    /// What the agent already did with the request, if anything.
    public var outcome: AgentOutcome?

    /// Problems found while reading (a field of the wrong JSON type); never the field's value.
    public var readProblems: [FieldProblem] = []

    public struct Citizen: Codable, Sendable, Equatable {
        public var name: String?
        public var phone: String?
        public init(name: String? = nil, phone: String? = nil) {
            self.name = name
            self.phone = phone
        }
    }

    /// The agent's outcome at intake.
    public struct AgentOutcome: Codable, Sendable, Equatable {
        /// `answered` (即办, resolved at intake) or `notAccepted` (不予受理).
        public var kind: String?
        /// answered: the knowledge-base entry the answer came from.
        public var kbEntryId: Int64?
        /// answered: what the citizen was told.
        public var answer: String?
        /// notAccepted: one of the nine reason codes (POLICIES.md §6).
        public var reason: String?
        /// notAccepted: the guidance the citizen was given; intake supplies a standard text when absent.
        public var guidance: String?

        public init(kind: String?, kbEntryId: Int64? = nil, answer: String? = nil, reason: String? = nil, guidance: String? = nil) {
            self.kind = kind
            self.kbEntryId = kbEntryId
            self.answer = answer
            self.reason = reason
            self.guidance = guidance
        }
    }

    enum CodingKeys: String, CodingKey {
        case submissionId, channel, receivedAt, citizen, confidential, category, urgency
        case caseClass = "class"
        case title, content, address, regionCode, agentId, outcome
    }

    public init(submissionId: String?, channel: String?, receivedAt: Date?, citizen: Citizen?, confidential: Bool? = nil,
                category: String?, urgency: String? = nil, caseClass: String? = nil, title: String?, content: String?,
                address: String? = nil, regionCode: String? = nil, agentId: String? = nil, outcome: AgentOutcome? = nil) {
        self.submissionId = submissionId
        self.channel = channel
        self.receivedAt = receivedAt
        self.citizen = citizen
        self.confidential = confidential
        self.category = category
        self.urgency = urgency
        self.caseClass = caseClass
        self.title = title
        self.content = content
        self.address = address
        self.regionCode = regionCode
        self.agentId = agentId
        self.outcome = outcome
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        var problems: [FieldProblem] = []
        func field<T: Decodable>(_ key: CodingKeys, _ type: T.Type, expected: String) -> T? {
            do {
                return try c.decodeIfPresent(type, forKey: key)
            } catch {
                problems.append(FieldProblem(field: key.stringValue, problem: "must be \(expected)"))
                return nil
            }
        }
        submissionId = field(.submissionId, String.self, expected: "a string")
        channel = field(.channel, String.self, expected: "a string")
        receivedAt = field(.receivedAt, Date.self, expected: "an ISO 8601 instant, e.g. 2026-11-21T09:30:00+08:00")
        citizen = field(.citizen, Citizen.self, expected: "an object with string fields name and phone")
        confidential = field(.confidential, Bool.self, expected: "true or false")
        category = field(.category, String.self, expected: "a string")
        urgency = field(.urgency, String.self, expected: "a string")
        caseClass = field(.caseClass, String.self, expected: "a string")
        title = field(.title, String.self, expected: "a string")
        content = field(.content, String.self, expected: "a string")
        address = field(.address, String.self, expected: "a string")
        regionCode = field(.regionCode, String.self, expected: "a string")
        agentId = field(.agentId, String.self, expected: "a string")
        outcome = field(.outcome, AgentOutcome.self, expected: "an object (kind, kbEntryId, answer, reason, guidance)")
        readProblems = problems
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(submissionId, forKey: .submissionId)
        try c.encodeIfPresent(channel, forKey: .channel)
        try c.encodeIfPresent(receivedAt, forKey: .receivedAt)
        try c.encodeIfPresent(citizen, forKey: .citizen)
        try c.encodeIfPresent(confidential, forKey: .confidential)
        try c.encodeIfPresent(category, forKey: .category)
        try c.encodeIfPresent(urgency, forKey: .urgency)
        try c.encodeIfPresent(caseClass, forKey: .caseClass)
        try c.encodeIfPresent(title, forKey: .title)
        try c.encodeIfPresent(content, forKey: .content)
        try c.encodeIfPresent(address, forKey: .address)
        try c.encodeIfPresent(regionCode, forKey: .regionCode)
        try c.encodeIfPresent(agentId, forKey: .agentId)
        try c.encodeIfPresent(outcome, forKey: .outcome)
    }

    /// The routing key a channel publishes with.
    public static func routingKey(channel: String) -> String { "submission.\(channel)" }
}

/// One problem with one field of an input. `problem` never contains the field's value.
public struct FieldProblem: Codable, Sendable, Equatable, CustomStringConvertible {
    public var field: String
    public var problem: String
    public init(field: String, problem: String) {
        self.field = field
        self.problem = problem
    }
    public var description: String { "\(field): \(problem)" }
}
