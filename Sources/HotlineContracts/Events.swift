import Foundation

// The domain events on `hotline.events` (routing key = type). Each announces a fact already
// committed in PostgreSQL; consumers read the system of record for anything more. No event carries
// personal data (names, phones, addresses, text): only ids, codes and times — except
// `workorder.replied`, whose `replyText` is the unit's result the SMS sends to the citizen (a
// field named as personal data: log it masked, never in an error).

/// A submission intake could not accept as input: every problem, by field.
public struct SubmissionRejected: MessageContract, Equatable {
    public static let type = "submission.rejected"
    public static let version = 1
    public var channel: String?
    public var submissionId: String?
    /// The rejected message's id (the AMQP message id or the envelope id).
    public var messageId: String
    public var problems: [FieldProblem]

    public init(channel: String?, submissionId: String?, messageId: String, problems: [FieldProblem]) {
        self.channel = channel
        self.submissionId = submissionId
        self.messageId = messageId
        self.problems = problems
    }
}

/// A work order was created and waits for dispatch.
public struct WorkOrderReceived: MessageContract, Equatable {
    public static let type = "workorder.received"
    public static let version = 1
    public var number: String
    /// The channel's own id of the submission this order came from.
    public var submissionId: String
    public var profile: String
    public var channel: String
    public var category: String
    public var urgency: String?
    public var caseClass: String?
    public var regionCode: String?
    /// An earlier open order from the same citizen about the same matter.
    public var repeatOf: UUID?
    /// Orders from many citizens about the same matter in the same area share this key.
    public var clusterKey: String?
    public var dispatchBy: Date?

    public init(number: String, submissionId: String, profile: String, channel: String, category: String, urgency: String?,
                caseClass: String?, regionCode: String?, repeatOf: UUID?, clusterKey: String?, dispatchBy: Date?) {
        self.number = number
        self.submissionId = submissionId
        self.profile = profile
        self.channel = channel
        self.category = category
        self.urgency = urgency
        self.caseClass = caseClass
        self.regionCode = regionCode
        self.repeatOf = repeatOf
        self.clusterKey = clusterKey
        self.dispatchBy = dispatchBy
    }
}

/// A work order intake did not accept (不予受理), with the reason code and the guidance given.
public struct WorkOrderNotAccepted: MessageContract, Equatable {
    public static let type = "workorder.not_accepted"
    public static let version = 1
    public var number: String
    public var channel: String
    /// The channel's own id of the submission this order came from.
    public var submissionId: String
    /// One of the nine reason codes (POLICIES.md §6).
    public var reason: String
    /// The guidance the citizen is given (e.g. "紧急求助请拨打110、119、120、122").
    public var guidance: String
    /// `agent` when the agent decided; `jurisdiction` or `harassmentLimit` when intake did.
    public var decidedBy: String

    public init(number: String, channel: String, submissionId: String, reason: String, guidance: String, decidedBy: String) {
        self.number = number
        self.channel = channel
        self.submissionId = submissionId
        self.reason = reason
        self.guidance = guidance
        self.decidedBy = decidedBy
    }
}

/// A work order answered at intake (即办), never dispatched.
public struct WorkOrderResolvedAtIntake: MessageContract, Equatable {
    public static let type = "workorder.resolved_at_intake"
    public static let version = 1
    public var number: String
    public var channel: String
    /// The channel's own id of the submission this order came from.
    public var submissionId: String
    /// `agent` (the agent answered, maybe from the knowledge base) or `exemptRepeat` (a repeat of a
    /// request closed under an exempt revisit rule, answered from that closing).
    public var basis: String
    public var kbEntryId: Int64?
    /// exemptRepeat: the closed order whose answer was given.
    public var answeredFrom: UUID?

    public init(number: String, channel: String, submissionId: String, basis: String, kbEntryId: Int64?, answeredFrom: UUID?) {
        self.number = number
        self.channel = channel
        self.submissionId = submissionId
        self.basis = basis
        self.kbEntryId = kbEntryId
        self.answeredFrom = answeredFrom
    }
}

/// A work order was dispatched to its lead unit (and co-units).
public struct WorkOrderDispatched: MessageContract, Equatable {
    public static let type = "workorder.dispatched"
    public static let version = 1
    public var number: String
    /// Unit codes.
    public var leadUnit: String
    public var coUnits: [String]
    public var signBy: Date?
    public var replyBy: Date
    /// Why this unit: the rule or the locality that decided.
    public var basis: String
    /// 0 for the first dispatch; n after the n-th approved return.
    public var returns: Int

    public init(number: String, leadUnit: String, coUnits: [String], signBy: Date?, replyBy: Date, basis: String, returns: Int) {
        self.number = number
        self.leadUnit = leadUnit
        self.coUnits = coUnits
        self.signBy = signBy
        self.replyBy = replyBy
        self.basis = basis
        self.returns = returns
    }
}

/// No rule was confident: the order waits in the office's manual-dispatch queue.
public struct WorkOrderNeedsManualDispatch: MessageContract, Equatable {
    public static let type = "workorder.needs_manual_dispatch"
    public static let version = 1
    public var number: String
    public var reason: String

    public init(number: String, reason: String) {
        self.number = number
        self.reason = reason
    }
}

/// The office approved a unit's return: routing re-dispatches, never to that unit.
public struct WorkOrderReturnApproved: MessageContract, Equatable {
    public static let type = "workorder.return_approved"
    public static let version = 1
    public var number: String
    /// The unit code that returned it.
    public var returnedBy: String
    /// Approved returns of this order so far.
    public var returns: Int

    public init(number: String, returnedBy: String, returns: Int) {
        self.number = number
        self.returnedBy = returnedBy
        self.returns = returns
    }
}

/// An order was put under supervision (督办).
public struct WorkOrderSupervised: MessageContract, Equatable {
    public static let type = "workorder.supervised"
    public static let version = 1
    public var number: String
    /// A `SupervisionReason` code (returnedBetweenUnits, clusterOfCitizens, overdue, ...).
    public var reason: String
    /// clusterOfCitizens: the cluster and how many citizens raised it.
    public var clusterKey: String?
    public var citizens: Int?

    public init(number: String, reason: String, clusterKey: String? = nil, citizens: Int? = nil) {
        self.number = number
        self.reason = reason
        self.clusterKey = clusterKey
        self.citizens = citizens
    }
}

/// A unit's reply (办结/答复) was reviewed (审核) and submitted: the SMS worker sends it to the citizen
/// (qidong 附件2 一(五)4: 审核后即发送短信) with the profile's prefix and rating request, unless the
/// order is confidential (the hotline's revisit staff reply from it).
public struct WorkOrderReplied: MessageContract, Equatable {
    public static let type = "workorder.replied"
    public static let version = 1
    public var number: String
    /// The replying unit's code and name (the SMS prefix names the unit).
    public var unitCode: String
    public var unitName: String
    /// **Personal data**: the result the unit wrote for the citizen, checked for wording (no stray
    /// spaces or special symbols). Never logged unmasked.
    public var replyText: String
    /// The unit told the citizen by phone (the contact record is kept with the reply in PostgreSQL).
    public var contactedCitizen: Bool
    /// 保密: the unit may not contact the citizen; the hotline replies from this result.
    public var confidential: Bool
    /// The order's policy profile (its SMS template).
    public var profile: String
    public var repliedAt: Date

    public init(number: String, unitCode: String, unitName: String, replyText: String, contactedCitizen: Bool,
                confidential: Bool, profile: String, repliedAt: Date) {
        self.number = number
        self.unitCode = unitCode
        self.unitName = unitName
        self.replyText = replyText
        self.contactedCitizen = contactedCitizen
        self.confidential = confidential
        self.profile = profile
        self.repliedAt = repliedAt
    }
}

/// The citizen rated the unit's result by SMS (their words stay in PostgreSQL, personal data):
/// `outcome` is what the profile did with it: `closed`, `redone` (sent back to the unit), or
/// `awaitingDecision` (left `rated` for the revisit staff: qidong's redo or exempt).
public struct WorkOrderRated: MessageContract, Equatable {
    public static let type = "workorder.rated"
    public static let version = 1
    public var number: String
    /// `satisfied`, `basicallySatisfied`, `dissatisfied`.
    public var rating: String
    /// `sms`.
    public var source: String
    public var outcome: String
    public var ratedAt: Date

    public init(number: String, rating: String, source: String, outcome: String, ratedAt: Date) {
        self.number = number
        self.rating = rating
        self.source = source
        self.outcome = outcome
        self.ratedAt = ratedAt
    }
}
