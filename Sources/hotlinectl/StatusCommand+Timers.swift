import Foundation
import HotlineDomain
import HotlineStore
import PostgresClient

/// The deadline watch's part of `hotlinectl status`: timers due and not yet fired, the oldest
/// of them, and lead assignments past their reply-by without a reply.
struct TimerState: Encodable {
    /// Open timers whose fire time has passed (the deadline watch has not fired them yet).
    var due: Int
    /// Open timers still to come.
    var pending: Int
    var oldestLate: Date?
    var oldestLateSeconds: Double?
    var overdueAssignments: Int
    /// Open timers whose last firing failed, waiting for their next attempt.
    var retrying: Int = 0
    /// Timers the deadline watch gave up on, and the latest of them with their reasons.
    var givenUp: Int = 0
    var latestGivenUp: [GivenUp] = []

    struct GivenUp: Encodable {
        var id: Int64
        var number: String
        var kind: String
        var fireAt: Date
        var givenUpAt: Date
        var attempts: Int
        var reason: String
    }
}

extension StatusReport {
    mutating func readTimers(_ db: PostgresConnection) throws {
        let now = Date()
        let status = try Timers.status(at: now, on: db)
        timers = TimerState(due: status.due, pending: status.pending, oldestLate: status.oldestLate,
                            oldestLateSeconds: status.oldestLate.map { now.timeIntervalSince($0) },
                            overdueAssignments: status.overdueAssignments, retrying: status.retrying, givenUp: status.givenUp)
        if status.givenUp > 0 {
            timers?.latestGivenUp = try Timers.givenUp(limit: 5, on: db).map {
                TimerState.GivenUp(id: $0.id, number: $0.number, kind: $0.kind, fireAt: $0.fireAt, givenUpAt: $0.givenUpAt,
                                   attempts: $0.attempts, reason: $0.reason)
            }
        }
    }

    var timersText: String {
        guard let timers else { return "timers: unavailable\n" }
        var text = "timers: \(timers.due) due, \(timers.pending) pending; overdue assignments: \(timers.overdueAssignments)\n"
        if let oldest = timers.oldestLate, let seconds = timers.oldestLateSeconds {
            text += "  oldest late timer: due \(ChinaTime.format(oldest)), \(Self.age(seconds)) late\n"
        } else {
            text += "  oldest late timer: none\n"
        }
        if timers.retrying > 0 { text += "  timers whose firing failed, waiting to be tried again: \(timers.retrying)\n" }
        if timers.givenUp > 0 {
            text += "  WARNING timers given up (their firing kept failing; fix the cause, then look at each order): \(timers.givenUp)\n"
            for timer in timers.latestGivenUp {
                text += "    timer \(timer.id) \(timer.kind) of order \(timer.number), due \(ChinaTime.format(timer.fireAt)), "
                    + "given up \(ChinaTime.format(timer.givenUpAt)) after \(timer.attempts) attempts: \(timer.reason)\n"
            }
        }
        return text
    }
}
