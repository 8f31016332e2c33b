import Foundation
import HotlineContracts
import HotlineDomain
import PostgresClient

/// Why an office or unit command on an order was refused: the rules said no, or the order is not there.
public enum OfficeAndUnitCommandError: Error, CustomStringConvertible {
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
/// timers and messages, in the caller's transaction. The CLI calls it; the HTTP API will.
/// (The workers write their own transitions; they share only `TransitionMessages`.)
public enum OfficeAndUnitCommands {
    public static func perform(_ command: Command, number: String, actor: String, at now: Date,
                               profiles: [String: PolicyProfile], calendar: WorkingCalendar,
                               on connection: PostgresConnection) throws -> (StoredOrder, Transition) {
        guard let id = try WorkOrders.ids(numbers: [number], on: connection)[number],
              let stored = try WorkOrders.load(id, forUpdate: true, on: connection) else {
            throw OfficeAndUnitCommandError.noSuchOrder(number)
        }
        guard let profile = profiles[stored.profile] else { throw OfficeAndUnitCommandError.unknownProfile(stored.profile) }
        let transition: Transition
        switch Lifecycle.apply(command, to: stored.order, now: now, profile: profile, calendar: calendar) {
        case .success(let value): transition = value
        case .failure(let error): throw OfficeAndUnitCommandError.refused(number: number, error)
        }
        let basis: String? = if case .dispatch = command { "dispatched by hand (\(actor))" } else { nil }
        try WorkOrders.apply(transition, to: stored, actor: actor, at: now,
                             outbox: TransitionMessages.announcing(transition, of: stored, basis: basis ?? "", at: now),
                             basis: basis, on: connection)
        return (stored, transition)
    }
}
