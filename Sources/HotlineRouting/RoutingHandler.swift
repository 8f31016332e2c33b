import Foundation
import HotlineContracts
import HotlineDomain
import HotlineRuntime
import HotlineStore
import Logging
import PostgresClient

/// The routing worker's handler: `workorder.received` and `workorder.return_approved` in; the
/// order dispatched to its lead unit and co-units (assignments, sign-by / return-window /
/// reply-by / reminder timers from the profile and the calendar, events, `workorder.dispatched`),
/// or left for the office with `workorder.needs_manual_dispatch` when no rule is confident — all
/// in the lane's batch transaction. An approved return is never dispatched back to a unit that
/// returned the order.
public struct RoutingHandler: MessageHandler {
    public let profiles: [String: PolicyProfile]
    /// The working-day calendar of the system of record, read again while the worker runs.
    public let calendars: CalendarSource
    public var calendar: WorkingCalendar { calendars.current }
    let reference: ReferenceCache<RoutingTable>

    /// `profiles` by id: an order is dispatched under the profile it was received under.
    public init(profiles: [PolicyProfile], calendars: CalendarSource, reference: ReferenceCache<RoutingTable> = .routingTable()) {
        self.profiles = Dictionary(uniqueKeysWithValues: profiles.map { ($0.id, $0) })
        self.calendars = calendars
        self.reference = reference
    }

    /// With a fixed calendar (tests).
    public init(profiles: [PolicyProfile], calendar: WorkingCalendar, reference: ReferenceCache<RoutingTable> = .routingTable()) {
        self.init(profiles: profiles, calendars: CalendarSource(fixed: calendar), reference: reference)
    }

    public func handle(_ message: IncomingMessage, context: HandlerContext) throws {
        let orderId: UUID?
        switch message.type {
        case WorkOrderReceived.type:
            orderId = try message.decode(WorkOrderReceived.self).workOrderId
        case WorkOrderReturnApproved.type:
            orderId = try message.decode(WorkOrderReturnApproved.self).workOrderId
        default:
            throw InvalidMessage(reason: "routing does not handle \(message.type) messages")
        }
        guard let orderId else { throw InvalidMessage(reason: "\(message.type) without a workOrderId") }
        try route(orderId, context: context)
    }

    /// Dispatches the order if it still waits for dispatch; anything else (already dispatched by
    /// an earlier delivery, or by the office by hand) is left alone.
    public func route(_ orderId: UUID, context: HandlerContext) throws {
        let tx = context.connection
        try calendars.refreshIfDue(on: tx)
        // Read without a lock: the dispatch writes through `WorkOrders.apply`, whose version check
        // refuses it (`concurrentUpdate`, the batch applied again one message at a time, where the
        // order is read anew and found dispatched) when anyone changed the order since this read:
        // the office dispatching by hand, another lane given the same order. A lock first would
        // cost every dispatch a statement for a race that hardly ever happens.
        guard let stored = try WorkOrders.load(orderId, on: tx) else {
            // The event is only published after the order's transaction committed, so this is a
            // foreign or corrupt message, not a race.
            throw InvalidMessage(reason: "no work order \(orderId)")
        }
        guard stored.order.state == .awaitingDispatch else {
            context.logger.info("work order \(stored.number) is \(stored.order.stateName); nothing to route")
            return
        }
        guard let profile = profiles[stored.profile] else {
            throw InvalidMessage(reason: "work order \(stored.number) has unknown profile \(stored.profile)")
        }
        let input = RoutingInput(category: stored.order.kind.category, urgency: stored.order.kind.urgency, title: stored.title,
                                 content: stored.contentPII, regionCode: stored.localityCode ?? stored.regionCode,
                                 address: stored.addressPII)
        let table = try reference.value(on: tx)
        switch table.decide(input, excluding: Set(stored.order.returnedBy)) {
        case let .dispatch(lead, coUnits, basis):
            switch Lifecycle.apply(.dispatch(lead: lead, coUnits: coUnits), to: stored.order, now: context.now,
                                   profile: profile, calendar: calendar) {
            case .success(let transition):
                try dispatch(stored, transition, basis: basis, context: context)
            case .failure(let error):
                // The rules refuse this dispatch (e.g. the profile gives no limit for the kind):
                // a person must decide, so the office gets it rather than a retry loop.
                try needsManual(stored, reason: "the rules refuse dispatch to \(lead): \(error)", context: context)
            }
        case let .manual(reason):
            try needsManual(stored, reason: reason, context: context)
        }
    }

    func dispatch(_ stored: StoredOrder, _ transition: Transition, basis: String, context: HandlerContext) throws {
        try WorkOrders.apply(transition, to: stored, actor: "routing", at: context.now,
                             outbox: TransitionMessages.announcing(transition, of: stored, basis: basis, at: context.now),
                             basis: basis, on: context.connection)
        context.logger.info("work order dispatched", metadata: [
            "hotline.work_order.number": "\(stored.number)", "hotline.unit": "\(transition.order.assignment?.leadUnit ?? "-")"])
    }

    func needsManual(_ stored: StoredOrder, reason: String, context: HandlerContext) throws {
        let event = Contracts.envelope(WorkOrderNeedsManualDispatch(number: stored.number, reason: reason),
                                       occurredAt: context.now, workOrderId: stored.id)
        try WorkOrders.awaitManualDispatch(stored, reason: reason, actor: "routing", at: context.now,
                                           outbox: [.event(event)], on: context.connection)
        context.logger.info("work order needs manual dispatch", metadata: ["hotline.work_order.number": "\(stored.number)"])
    }
}

extension ReferenceCache where Value == RoutingTable {
    /// The routing table: regions, units and active rules (not the knowledge base, which routing
    /// does not use).
    public static func routingTable(maxAge: Duration = .seconds(30)) -> ReferenceCache<RoutingTable> {
        ReferenceCache(maxAge: maxAge) { connection in RoutingTable(try ReferenceData.load(on: connection, knowledgeBase: false)) }
    }
}
