import Foundation
import HotlineContracts
import HotlineDomain
import HotlineRuntime
import HotlineStore
import Logging
import PostgresClient

/// What became of one citizen's SMS.
public struct AnswerReceipt: Sendable, Equatable {
    public var messageId: Int64
    /// `rating`, `optOut`, `unclear`, `unmatched`.
    public var interpretation: String
    public var rating: Rating?
    /// The order it answered, when it matched a pending revisit.
    public var orderNumber: String?
    /// `closed`, `redone`, `awaitingDecision` for a rating.
    public var outcome: String?
}

/// A citizen's SMS, stored first and read in the same transaction: matched to the phone's pending
/// revisit (several pending: the most recent revisit SMS), read without guessing
/// (`CitizenAnswer.read`), and a clear rating applied to the order under its profile
/// (`RevisitRating`: the lifecycle's `rate` with the profile's redo rule, then `close` for the
/// ratings the profile closes on). Unclear answers and replies from phones with no pending revisit
/// are stored for the revisit staff (`hotlinectl sms log --to-look-at`), never answered or guessed.
/// 退订 is kept for every later message to the phone.
public struct AnswerInterpreter: Sendable {
    public let profiles: [String: PolicyProfile]
    public let calendars: CalendarSource
    public let metrics: SMSMetrics?
    public var actor = "sms-reply"

    public init(profiles: [String: PolicyProfile], calendars: CalendarSource, metrics: SMSMetrics? = nil) {
        self.profiles = profiles
        self.calendars = calendars
        self.metrics = metrics
    }

    /// Stores and reads one SMS in the caller's transaction.
    public func receive(from rawPhone: String, text: String, gatewayTime: String?, at now: Date,
                        on connection: PostgresConnection) throws -> AnswerReceipt {
        let phone = MobileNumber.canonical(rawPhone) ?? rawPhone
        let id = try SMSMessages.storeInbound(phone: phone, body: text, gatewayTime: gatewayTime, at: now, on: connection)
        let pending = try SMSMessages.pendingRevisit(phone: phone, on: connection)
        var receipt = AnswerReceipt(messageId: id, interpretation: "unmatched")
        defer { metrics?.received(receipt.interpretation) }
        switch CitizenAnswer.read(text) {
        case .optOut:
            try SMSMessages.optOut(phone, messageId: id, at: now, on: connection)
            if let pending {
                try PhoneRevisits.enqueue(pending.workOrderId, reason: "optedOut", smsMessageId: pending.smsMessageId, at: now, on: connection)
            }
            receipt.interpretation = "optOut"
        case .unclear:
            receipt.interpretation = pending == nil ? "unmatched" : "unclear"
        case .rating(let rating, _):
            guard let pending, let stored = try WorkOrders.load(pending.workOrderId, forUpdate: true, on: connection),
                  let profile = profiles[stored.profile] else { break }
            switch RevisitRating.apply(rating, to: stored.order, now: now, profile: profile, calendar: calendars.current) {
            case .failure:
                // The order moved on between the match and the lock: the staff look at it.
                receipt.interpretation = "unclear"
            case .success(let transition):
                let outcome = switch transition.order.state {
                case .closed: "closed"
                case .redo: "redone"
                default: "awaitingDecision"
                }
                let rated = OutboxMessage.event(Contracts.envelope(
                    WorkOrderRated(number: stored.number, rating: rating.rawValue, source: "sms", outcome: outcome, ratedAt: now),
                    occurredAt: now, workOrderId: stored.id))
                try WorkOrders.apply(transition, to: stored, actor: actor, at: now,
                                     outbox: [rated] + TransitionMessages.announcing(transition, of: stored, basis: "revisit", at: now),
                                     on: connection)
                try SMSMessages.recordRating(rating, order: stored.id, words: text, at: now, on: connection)
                receipt.interpretation = "rating"
                receipt.rating = rating
                receipt.orderNumber = stored.number
                receipt.outcome = outcome
            }
        }
        try SMSMessages.interpret(id, as: receipt.interpretation, rating: receipt.rating, order: pending?.workOrderId,
                                  replyTo: pending?.smsMessageId, at: now, on: connection)
        return receipt
    }
}
