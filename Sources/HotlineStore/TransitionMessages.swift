import Foundation
import HotlineContracts
import HotlineDomain

/// The messages that announce a transition's events to the rest of the fleet, for whoever writes
/// the transition: routing for its own dispatch, the office's and units' actions (`OrderActions`,
/// the HTTP API and `hotlinectl order`).
public enum TransitionMessages {
    /// `workorder.dispatched`, `workorder.return_approved` and `workorder.supervised` for the
    /// transition's events (other events announce nothing yet). `basis` is the dispatch's.
    public static func announcing(_ transition: Transition, of stored: StoredOrder, basis: String, at now: Date) -> [OutboxMessage] {
        var messages: [OutboxMessage] = []
        for event in transition.events {
            switch event {
            case let .dispatched(lead, coUnits, replyBy):
                let signBy = transition.starts(.signBy)
                messages.append(.event(Contracts.envelope(
                    WorkOrderDispatched(number: stored.number, leadUnit: lead, coUnits: coUnits, signBy: signBy, replyBy: replyBy,
                                        basis: basis, returns: transition.order.returnCount),
                    occurredAt: now, workOrderId: stored.id)))
            case let .returnApproved(unit):
                messages.append(.event(Contracts.envelope(
                    WorkOrderReturnApproved(number: stored.number, returnedBy: unit, returns: transition.order.returnCount),
                    occurredAt: now, workOrderId: stored.id)))
            case let .supervised(reason):
                messages.append(.event(Contracts.envelope(
                    WorkOrderSupervised(number: stored.number, reason: reason.rawValue), occurredAt: now, workOrderId: stored.id)))
            default:
                break
            }
        }
        return messages
    }

    /// `workorder.replied` for a reviewed reply (the `replied` event's transition carries no text:
    /// the reply comes from the unit's reviewed draft). The text is personal data.
    public static func replied(_ reply: WorkOrderReplied, of stored: StoredOrder, at now: Date) -> [OutboxMessage] {
        [.event(Contracts.envelope(reply, occurredAt: now, workOrderId: stored.id))]
    }
}
