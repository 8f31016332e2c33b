import Foundation

/// Someone asked for a period to be scored now (`hotlinectl score --request`, or any system on
/// `hotline.events`, routing key `scoring.requested`). `hotline-scoring`, staying up, consumes it
/// from its queue `scoring` and scores the period in the same transaction as the message's inbox
/// record: a request is applied once, a rerun of a period replaces its unpublished run. Codes only,
/// no personal data.
public struct ScoringRequested: MessageContract, Equatable {
    public static let type = "scoring.requested"
    public static let version = 1
    /// The month, `YYYY-MM` (China time).
    public var period: String
    /// The profile to score under; nil: the worker's own.
    public var profile: String?
    /// Who asked (an operator's name or a system's), for the log.
    public var requestedBy: String?

    public init(period: String, profile: String? = nil, requestedBy: String? = nil) {
        self.period = period
        self.profile = profile
        self.requestedBy = requestedBy
    }
}
