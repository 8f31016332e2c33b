import Foundation

// The deadline watch's events on `hotline.events` (routing key = type). Like every event, they
// carry codes, numbers and instants, never personal data.

/// A reminder before the lead unit's reply-by (system supervision, 系统督办): the unit has not
/// replied and the due time is near.
public struct AssignmentReminded: MessageContract, Equatable {
    public static let type = "assignment.reminded"
    public static let version = 1
    public var number: String
    /// The lead unit's code.
    public var unit: String
    /// Which of the profile's reminders (0 = the first, furthest from the due time).
    public var reminder: Int
    public var replyBy: Date
    /// The timer that fired (`timers.id`): one message per timer.
    public var timerId: Int64

    public init(number: String, unit: String, reminder: Int, replyBy: Date, timerId: Int64) {
        self.number = number
        self.unit = unit
        self.reminder = reminder
        self.replyBy = replyBy
        self.timerId = timerId
    }
}

/// The lead unit missed a time limit: `signBy` (late receipt), `replyBy`, `progressReport` or
/// `redoDue` (overdue; the order stays overdue in the figures even when replied later),
/// `firstFeedback`, `kbEntryDue` or `supervisionPlanDue` (what it owed did not come).
public struct AssignmentOverdue: MessageContract, Equatable {
    public static let type = "assignment.overdue"
    public static let version = 1
    public var number: String
    public var unit: String
    /// The timer kind that passed (`signBy`, `replyBy`, …).
    public var timer: String
    /// When the limit passed.
    public var dueAt: Date
    public var timerId: Int64

    public init(number: String, unit: String, timer: String, dueAt: Date, timerId: Int64) {
        self.number = number
        self.unit = unit
        self.timer = timer
        self.dueAt = dueAt
        self.timerId = timerId
    }
}

/// An order still waits for dispatch past its dispatch-by time: an alert to the office.
public struct WorkOrderDispatchOverdue: MessageContract, Equatable {
    public static let type = "workorder.dispatch_overdue"
    public static let version = 1
    public var number: String
    public var dueAt: Date
    public var timerId: Int64

    public init(number: String, dueAt: Date, timerId: Int64) {
        self.number = number
        self.dueAt = dueAt
        self.timerId = timerId
    }
}

/// baotou's month-end zero clearing (每月清零): an order whose reply-by fell in the month is
/// neither replied, nor extended with approval, nor excluded with approval at the month's end:
/// listed for the office.
public struct WorkOrderMonthEndUncleared: MessageContract, Equatable {
    public static let type = "workorder.month_end_uncleared"
    public static let version = 1
    public var number: String
    /// The lead unit's code.
    public var unit: String
    /// The month, `YYYY-MM` (China time).
    public var month: String
    public var replyBy: Date
    public var timerId: Int64

    public init(number: String, unit: String, month: String, replyBy: Date, timerId: Int64) {
        self.number = number
        self.unit = unit
        self.month = month
        self.replyBy = replyBy
        self.timerId = timerId
    }
}
