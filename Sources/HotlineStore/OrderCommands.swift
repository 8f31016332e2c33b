import Foundation
import HotlineContracts
import HotlineDomain
import PostgresClient

/// Why an office or unit command on an order was refused: the rules said no, or the order is not there.
public enum OrderCommandError: Error, CustomStringConvertible {
    case noSuchOrder(String)
    case unknownProfile(String)
    case refused(number: String, RuleError)

    public var description: String {
        switch self {
        case .noSuchOrder(let number): "no work order numbered \(number)"
        case .unknownProfile(let profile): "unknown profile \(profile)"
        case let .refused(number, error): "work order \(number): \(error)"
        }
    }
}

/// A person's command on one order (the office approving a return, dispatching by hand; a unit
/// asking to return): load, apply the domain rules, write the transition with its events,
/// timers and messages, in the caller's transaction. The HTTP API will call the same.
public enum OrderCommands {
    public static func perform(_ command: Command, number: String, actor: String, at now: Date,
                               profiles: [String: PolicyProfile], calendar: WorkingCalendar,
                               on connection: PostgresConnection) throws -> (StoredOrder, Transition) {
        guard let id = try connection.query("SELECT id FROM work_orders WHERE number = \(number)").first?.decode("id", as: UUID.self),
              let stored = try WorkOrders.load(id, forUpdate: true, on: connection) else {
            throw OrderCommandError.noSuchOrder(number)
        }
        guard let profile = profiles[stored.profile] else { throw OrderCommandError.unknownProfile(stored.profile) }
        let transition: Transition
        switch Lifecycle.apply(command, to: stored.order, now: now, profile: profile, calendar: calendar) {
        case .success(let value): transition = value
        case .failure(let error): throw OrderCommandError.refused(number: number, error)
        }
        let basis: String? = if case .dispatch = command { "dispatched by hand (\(actor))" } else { nil }
        try WorkOrders.apply(transition, to: stored, actor: actor, at: now,
                             outbox: messages(for: transition, of: stored, basis: basis ?? "", at: now),
                             basis: basis, on: connection)
        return (stored, transition)
    }

    /// The messages that announce a transition's events to the rest of the fleet.
    public static func messages(for transition: Transition, of stored: StoredOrder, basis: String, at now: Date) -> [OutboxMessage] {
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
}
