import Foundation

/// 督办: the kinds of supervision the office raises, and whether it must name the responsible leader.
public struct SupervisionRules: Hashable, Sendable, Codable {
    public struct Kind: Hashable, Sendable, Codable {
        /// A stable code (`onSite`), as the API takes it.
        public var id: String
        /// The document's name (现场督办).
        public var name: String
        /// The unit's plan is due this long after the supervision (pingdingshan 六(二): 3个工作日内…报送办理工作方案).
        public var planDue: TimeLimit?
    }
    public var kinds: [Kind]
    /// The office names the responsible leader (pingdingshan 六(一): 明确责任领导和责任人).
    public var leaderRequired: Bool
    public var basis: String

    public func kind(_ id: String) -> Kind? { kinds.first { $0.id == id } }
}

/// 剔除: what a unit's request to leave an order out of assessment carries; the office approves it.
public struct ExclusionRules: Hashable, Sendable, Codable {
    public enum Field: String, Hashable, Sendable, Codable, CaseIterable {
        /// The basis for leaving it out (剔除依据).
        case basis
        /// The citizen agreed, at a home visit (上门联系诉求人认可).
        case citizenConsent
        /// The unit's principal leader signed (单位主要领导审核签字).
        case leaderSignature
    }
    public var requires: [Field]
    public var basis: String
}

/// 知识库: what an order marked for the knowledge base obliges.
public struct KnowledgeBaseRules: Hashable, Sendable, Codable {
    /// The unit enters the Q&A within this limit after its reply (qidong 附件2 二: 1个工作日内).
    public var entryAfterReply: TimeLimit
    public var basis: String
}

extension PolicyProfile {
    /// The limit of a follow-up timer (`kbEntryDue`: the knowledge-base entry after the reply;
    /// `supervisionPlanDue`: the plan after a supervision of `supervisionKind`, or of the first
    /// kind that has one), if the profile has it.
    public func followUpLimit(_ kind: TimerKind, supervisionKind: String? = nil) -> TimeLimit? {
        switch kind {
        case .kbEntryDue: knowledgeBase?.entryAfterReply
        case .supervisionPlanDue:
            supervisionKind.map { supervision?.kind($0)?.planDue } ?? supervision?.kinds.lazy.compactMap(\.planDue).first
        default: nil
        }
    }
}
