import Foundation
import Testing
@testable import HotlineDomain

func profile(_ id: String) -> PolicyProfile { try! PolicyProfile.bundled(id) }

/// Monday 2024-05-06 10:00 in Beijing: the week has a make-up working Saturday (May 11).
let monday = instant("2024-05-06T10:00:00+08:00")

func fmt(_ date: Date?) -> String? { date.map(ChinaTime.format) }

func deadlines(_ id: String, _ category: Category, urgency: Urgency? = nil, caseClass: CaseClass? = nil,
               at start: Date = monday) throws -> DeadlineSet {
    try Deadlines.compute(profile: profile(id), kind: OrderKind(category: category, urgency: urgency, caseClass: caseClass),
                          start: start, calendar: bundledCalendar)
}

/// Runs commands in order, failing the test on the first error.
@discardableResult
func run(_ commands: [(Command, Date)], on order: WorkOrder, _ id: String) throws -> (WorkOrder, [Event], [TimerAction]) {
    var current = order
    var events: [Event] = []
    var timers: [TimerAction] = []
    for (command, now) in commands {
        let transition = try Lifecycle.apply(command, to: current, now: now, profile: profile(id), calendar: bundledCalendar).get()
        current = transition.order
        events += transition.events
        timers += transition.timers
    }
    return (current, events, timers)
}

/// An order of `kind` dispatched to unit "住建局" at `at` under profile `id`.
func dispatchedOrder(_ id: String, _ kind: OrderKind, at: Date = monday, confidential: Bool = false) throws -> WorkOrder {
    let order = WorkOrder(id: "WO-1", kind: kind, channel: .phone, confidential: confidential, receivedAt: at)
    return try run([(.accept, at), (.dispatch(lead: "住建局", coUnits: ["水务局"]), at)], on: order, id).0
}

func expectError(_ expected: RuleError, _ result: Result<Transition, LifecycleError>,
                 sourceLocation: SourceLocation = #_sourceLocation) {
    switch result {
    case .success: Issue.record("expected \(expected), the command was allowed", sourceLocation: sourceLocation)
    case let .failure(error): #expect(error == expected, sourceLocation: sourceLocation)
    }
}

func apply(_ command: Command, _ order: WorkOrder, _ id: String, at now: Date = monday) -> Result<Transition, LifecycleError> {
    Lifecycle.apply(command, to: order, now: now, profile: profile(id), calendar: bundledCalendar)
}
