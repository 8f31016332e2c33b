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
}

extension StatusReport {
    mutating func readTimers(_ db: PostgresConnection) throws {
        let now = Date()
        let status = try Timers.status(at: now, on: db)
        timers = TimerState(due: status.due, pending: status.pending, oldestLate: status.oldestLate,
                            oldestLateSeconds: status.oldestLate.map { now.timeIntervalSince($0) },
                            overdueAssignments: status.overdueAssignments)
    }

    var timersText: String {
        guard let timers else { return "timers: unavailable\n" }
        var text = "timers: \(timers.due) due, \(timers.pending) pending; overdue assignments: \(timers.overdueAssignments)\n"
        if let oldest = timers.oldestLate, let seconds = timers.oldestLateSeconds {
            text += "  oldest late timer: due \(ChinaTime.format(oldest)), \(Self.age(seconds)) late\n"
        } else {
            text += "  oldest late timer: none\n"
        }
        return text
    }
}
