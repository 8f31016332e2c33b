import Foundation
import HotlineDomain
import PostgresClient

/// What a unit's return (退件) request says. Which parts are required is the profile's
/// (`ReturnRules.requires`); every part given is kept with the request.
public struct ReturnRequest: Sendable, Equatable {
    public var reason: String?
    public var redispatchSuggestion: String?
    public var basis: String?
    public var leaderOpinion: String?

    public init(reason: String? = nil, redispatchSuggestion: String? = nil, basis: String? = nil, leaderOpinion: String? = nil) {
        self.reason = reason
        self.redispatchSuggestion = redispatchSuggestion
        self.basis = basis
        self.leaderOpinion = leaderOpinion
    }

    public func value(_ field: ReturnRequirements.Field) -> String? {
        switch field {
        case .reason: reason
        case .redispatchSuggestion: redispatchSuggestion
        case .basis: basis
        case .leaderOpinion: leaderOpinion
        }
    }

    /// The fields `requirements` asks for that are missing or blank.
    public func missing(_ requirements: ReturnRequirements?) -> [ReturnRequirements.Field] {
        (requirements?.fields ?? []).filter { (value($0) ?? "").trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }
    }
}

/// A person's action on one order, as the HTTP API and `hotlinectl order` both perform it.
public enum OrderAction: Sendable, Equatable {
    case sign(unit: String)
    case requestReturn(unit: String, ReturnRequest)
    case approveReturn
    case rejectReturn(reason: String?)
    case dispatch(lead: String, coUnits: [String])

    /// The domain's command for it.
    var command: Command {
        switch self {
        case .sign(let unit): .sign(unit: unit)
        case .requestReturn(let unit, _): .requestReturn(unit: unit)
        case .approveReturn: .approveReturn
        case .rejectReturn: .rejectReturn
        case let .dispatch(lead, coUnits): .dispatch(lead: lead, coUnits: coUnits)
        }
    }
}

/// A return request that lacks what the profile requires; names the fields and the clause.
public struct ReturnIncomplete: Error, Equatable, CustomStringConvertible {
    public var missing: [ReturnRequirements.Field]
    public var basis: String
    public var description: String {
        "a return must give \(missing.map(\.rawValue).joined(separator: ", ")) (\(basis))"
    }
}

/// The outcome of an action: the order as it was read and the transition written.
public struct ActionOutcome: Sendable {
    public var before: StoredOrder
    public var transition: Transition
    /// The order's version after the action.
    public var version: Int { before.version + 1 }
}

/// The application layer of a person's action: one transaction (the caller's) that checks the
/// version the person saw, applies the domain's rules and the profile through the one command
/// path (`OfficeAndUnitCommands.perform`), and keeps what the action carries beyond the rules (a
/// return's reason and basis, the office's decision).
public enum OrderActions {
    /// Performs `action` on order `number` as `actor`. `expectedVersion` is the version the person
    /// acted on (HTTP `If-Match`); a newer one throws `WorkOrderStoreError.concurrentUpdate`.
    public static func perform(_ action: OrderAction, number: String, actor: String, expectedVersion: Int? = nil, at now: Date,
                               profiles: [String: PolicyProfile], calendar: WorkingCalendar,
                               on connection: PostgresConnection) throws -> ActionOutcome {
        // The order's row is locked by a statement of its own before the command reads it: a
        // `SELECT … FOR NO KEY UPDATE OF o` that joins the assignments and has to wait for another
        // transaction's lock re-reads the order's row but not the joined assignment rows, so two
        // people signing at once both saw "dispatched" and both signed. Read after the lock is
        // held, the command sees what the other committed.
        let current = try connection.query("""
            SELECT version FROM work_orders WHERE number = \(number) FOR NO KEY UPDATE
            """).first?.decode("version", as: Int.self)
        guard let current else { throw OfficeAndUnitCommandError.noSuchOrder(number) }
        if let expectedVersion, current != expectedVersion {
            throw WorkOrderStoreError.concurrentUpdate(number: number, readAt: expectedVersion)
        }
        let (stored, transition) = try command(action.command, number: number, actor: actor, at: now, profiles: profiles,
                                               calendar: calendar, on: connection)
        switch action {
        case let .requestReturn(unit, request):
            let requirements = profiles[stored.profile]?.returns?.requires
            let missing = request.missing(requirements)
            if !missing.isEmpty { throw ReturnIncomplete(missing: missing, basis: requirements?.basis ?? "") }
            try connection.execute("""
                INSERT INTO order_returns (work_order_id, unit_id, actor, reason, redispatch_suggestion, basis, leader_opinion, requested_at)
                VALUES (\(stored.id), (SELECT id FROM units WHERE code = \(unit)), \(actor), \(request.reason),
                        \(request.redispatchSuggestion), \(request.basis), \(request.leaderOpinion), \(now))
                """)
        case .approveReturn, .rejectReturn:
            let reason: String? = if case .rejectReturn(let reason) = action { reason } else { nil }
            try connection.execute("""
                UPDATE order_returns SET decision = \(action == .approveReturn ? "approved" : "rejected"),
                    decision_reason = \(reason), decided_by = \(actor), decided_at = \(now)
                WHERE work_order_id = \(stored.id) AND decision IS NULL
                """)
        case .sign, .dispatch:
            break
        }
        return ActionOutcome(before: stored, transition: transition)
    }

    /// The one call into the command path (`OfficeAndUnitCommands`), so that it can be re-pointed here.
    private static func command(_ command: Command, number: String, actor: String, at now: Date,
                                profiles: [String: PolicyProfile], calendar: WorkingCalendar,
                                on connection: PostgresConnection) throws -> (StoredOrder, Transition) {
        try OfficeAndUnitCommands.perform(command, number: number, actor: actor, at: now, profiles: profiles, calendar: calendar, on: connection)
    }
}
