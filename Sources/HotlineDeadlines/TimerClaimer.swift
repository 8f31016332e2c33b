import Foundation
import HotlineContracts
import HotlineDomain
import HotlineRuntime
import HotlineStore
import Logging
import PostgresClient
import Synchronization

/// The deadline watch's loop: claims due timers in bounded batches (`Timers.claimDue`, `FOR UPDATE
/// SKIP LOCKED`, so any number of replicas run side by side) and fires each under its
/// `DeadlineRules` rule in the claim's transaction: the timer marked fired, the order's
/// transition, its events, the timers it starts and its outgoing messages, all or nothing. A crash
/// before the commit leaves the whole batch open for the next claim; after it, nothing is left.
///
/// Woken by `NOTIFY hotline_timers` (a timer written already due) and by a poll every
/// `pollInterval`; a full batch is followed at once by the next. Time comes from the injected
/// clock: a process takes the system clock, tests a `ManualClock` and call `fireDue(on:)`.
public final class TimerClaimer: ThreadLoop, @unchecked Sendable {
    // @unchecked Sendable: the configuration, clock, calendar and metrics are immutable or
    // Sendable; the profile cache and the counters are behind `Mutex`es; the connection is made
    // and used only on the loop's own thread (`run(until:)`).

    public struct Configuration: Sendable {
        public var name: String
        public var databaseURL: String
        /// Timers per claim (one transaction).
        public var batchSize = 500
        public var pollInterval: Duration = .milliseconds(500)
        /// Who the events name as their actor.
        public var actor = "deadline-watch"
        /// Fault tests only: SIGKILL after the Nth applied timer, before its batch commits.
        public var faultMidBatch: FaultTrigger? = nil
        /// How often, and how long apart, a timer whose firing fails is tried before it is given up.
        public var retry = TimerRetryPolicy()

        public init(name: String = "deadline-watch-claimer", databaseURL: String) {
            self.name = name
            self.databaseURL = databaseURL
        }
    }

    /// What one claim did.
    public struct BatchReport: Sendable, Equatable {
        public var claimed = 0
        /// Timers whose rule applied, by stored kind.
        public var fired: [String] = []
        /// Timers whose order had moved on (marked fired with a note).
        public var movedOn = 0
        /// Timers whose firing failed; they stay open until their next attempt.
        public var failed = 0
        /// Timers whose firing failed for the last allowed time: given up (`Timers.recordFailure`).
        public var gaveUp = 0
        /// Timers cancelled by an earlier firing of the same batch.
        public var skipped = 0
    }

    public let configuration: Configuration
    public let logger: Logger
    public var name: String { configuration.name }
    private let clock: any HotlineClock
    /// The working-day calendar of the system of record, read again while the worker runs.
    private let calendars: CalendarSource
    private var calendar: WorkingCalendar { calendars.current }
    private let metrics: DeadlineMetrics?
    private let profiles = Mutex<[String: PolicyProfile]>([:])
    private let state = Mutex<(ready: Bool, fired: Int)>((false, 0))

    public init(configuration: Configuration, clock: any HotlineClock, calendars: CalendarSource,
                metrics: DeadlineMetrics? = nil) {
        self.configuration = configuration
        self.clock = clock
        self.calendars = calendars
        self.metrics = metrics
        var logger = Logger(label: configuration.name)
        logger[metadataKey: "hotline.component"] = "timer-claimer"
        self.logger = logger
    }

    /// With a fixed calendar (tests).
    public convenience init(configuration: Configuration, clock: any HotlineClock, calendar: WorkingCalendar,
                            metrics: DeadlineMetrics? = nil) {
        self.init(configuration: configuration, clock: clock, calendars: CalendarSource(fixed: calendar), metrics: metrics)
    }

    /// Connected, and its last claim worked.
    public var isReady: Bool { state.withLock { $0.ready } }
    /// Timers this claimer fired under their rule, since it started.
    public var firedCount: Int { state.withLock { $0.fired } }

    public func run(until stop: StopFlag) throws {
        let connection = try connectPostgres(url: configuration.databaseURL, name: configuration.name, logger: logger, stop: stop)
        defer {
            state.withLock { $0.ready = false }
            connection.close()
        }
        logger.info("claimer running", metadata: ["hotline.batch": "\(configuration.batchSize)"])
        try ClaimLoop(batchSize: configuration.batchSize, pollInterval: configuration.pollInterval, channel: Timers.dueChannel)
            .run(on: connection, until: stop, logger: logger, ready: { up in state.withLock { $0.ready = up } }) {
                try fireDue(on: $0).claimed
            }
        logger.info("claimer stopped", metadata: ["hotline.count": "\(firedCount)"])
    }

    /// One claim at the clock's `now`: up to `batchSize` due timers fired in one transaction. When a
    /// timer's firing throws (not the connection), the batch is rolled back and applied again with
    /// a savepoint per timer, so one bad timer stays open without holding the others back.
    @discardableResult
    public func fireDue(on connection: PostgresConnection) throws -> BatchReport {
        let now = clock.now()
        try calendars.refreshIfDue(on: connection)
        let report: BatchReport
        do {
            report = try batch(at: now, isolated: false, on: connection)
        } catch let error where !isConnectionFailure(error) {
            logger.warning("a timer's firing failed; the batch is applied again one timer at a time",
                           metadata: ["hotline.error": "\(SafeErrors.describe(error))"])
            report = try batch(at: now, isolated: true, on: connection)
        }
        state.withLock { $0.fired += report.fired.count }
        return report
    }

    private enum Outcome { case fired, movedOn, skipped }

    private func batch(at now: Date, isolated: Bool, on connection: PostgresConnection) throws -> BatchReport {
        var observations: [(kind: String, outcome: String, lateness: Double?)] = []
        let report = try connection.withTransaction { tx in
            let timers = try Timers.claimDue(at: now, limit: configuration.batchSize, on: tx)
            var report = BatchReport(claimed: timers.count)
            observations = []
            for timer in timers {
                let lateness = now.timeIntervalSince(timer.fireAt)
                do {
                    let outcome = isolated ? try tx.withTransaction { try fire(timer, at: now, on: $0) } : try fire(timer, at: now, on: tx)
                    switch outcome {
                    case .fired:
                        report.fired.append(timer.kind)
                        observations.append((timer.kind, "fired", lateness))
                    case .movedOn:
                        report.movedOn += 1
                        observations.append((timer.kind, "movedOn", lateness))
                    case .skipped:
                        report.skipped += 1
                    }
                } catch let error where isolated && !isConnectionFailure(error) {
                    // The timer's own effects are rolled back (its savepoint); the attempt is recorded.
                    let reason = SafeErrors.describe(error)
                    let attempt = timer.attempts + 1
                    let retryAt = configuration.retry.retryAt(afterFailedAttempt: attempt, now: now)
                    try Timers.recordFailure(timer, reason: reason, retryAt: retryAt, at: now, on: tx)
                    let metadata: Logger.Metadata = [
                        "hotline.timer.id": "\(timer.id)", "hotline.timer.kind": "\(timer.kind)",
                        "hotline.timer.attempt": "\(attempt)", "hotline.error": "\(reason)"]
                    if let retryAt {
                        report.failed += 1
                        observations.append((timer.kind, "failed", nil))
                        logger.error("timer not fired; tried again at \(ChinaTime.format(retryAt))", metadata: metadata)
                    } else {
                        report.gaveUp += 1
                        observations.append((timer.kind, "gaveUp", nil))
                        logger.critical("timer given up after \(attempt) failed attempts; see hotlinectl status", metadata: metadata)
                    }
                }
                configuration.faultMidBatch?.tick()
            }
            return report
        }
        if let metrics {
            metrics.claimed(report.claimed)
            for observation in observations {
                metrics.timer(kind: observation.kind, outcome: observation.outcome, latenessSeconds: observation.lateness)
            }
        }
        return report
    }

    /// Fires one claimed timer in `tx`.
    private func fire(_ timer: DueTimer, at now: Date, on tx: PostgresConnection) throws -> Outcome {
        guard let kind = TimerKind(name: timer.kind) else {
            try Timers.markFired(timer, at: now, note: "unknown timer kind", on: tx)
            return .movedOn
        }
        guard let stored = try WorkOrders.load(timer.workOrderId, forUpdate: true, on: tx) else {
            try Timers.markFired(timer, at: now, note: "work order not found", on: tx)
            return .movedOn
        }
        let profile = try profile(stored.profile)
        let facts = try facts(for: kind, timer: timer, stored: stored, profile: profile, at: now, on: tx)
        switch DeadlineRules.fire(kind, dueAt: timer.fireAt, order: stored.order, now: now, profile: profile, calendar: calendar,
                                  facts: facts) {
        case .movedOn(let note):
            return try Timers.markFired(timer, at: now, note: note, on: tx) ? .movedOn : .skipped
        case let .fire(transition, effects, rule):
            guard try Timers.markFired(timer, at: now, on: tx) else { return .skipped }
            let (events, outbox) = Self.announce(effects, timer: timer, stored: stored, rule: rule, at: now)
            try Timers.applyFiring(timer, to: stored, transition: transition, events: events, outbox: outbox,
                                   actor: configuration.actor, at: now, on: tx)
            if effects.contains(.revisitUnanswered) {
                try PhoneRevisits.enqueue(stored.id, reason: "revisitUnanswered", smsMessageId: try Timers.smsMessageId(of: timer, on: tx),
                                          at: now, on: tx)
            }
            return .fired
        }
    }

    /// What the rule of `kind` needs from the store beyond the order, read only for the kinds
    /// that use it.
    private func facts(for kind: TimerKind, timer: DueTimer, stored: StoredOrder, profile: PolicyProfile, at now: Date,
                       on tx: PostgresConnection) throws -> TimerFacts {
        var facts = TimerFacts(unit: timer.unit)
        switch kind {
        case .replyBy, .progressReport, .redoDue:
            if profile.deadlineWatch?.remindersIgnored != nil, let assignment = stored.order.assignment, assignment.state != .replied {
                facts.remindersIgnored = try Timers.remindersIgnored(workOrder: stored.id, replyBy: assignment.replyBy, on: tx)
            }
        case .monthEnd:
            facts.excluded = try Timers.isExcluded(workOrder: stored.id, at: now, on: tx)
        default:
            break
        }
        return facts
    }

    /// The deadline watch's events and messages for a firing. Exactly one event per fired timer
    /// carries its id (`timerId`): `reminded`, `returnWindowClosed`, or `timerFired` beside the
    /// domain's `overdue` / `supervised`. Message ids derive from the timer, so a second firing
    /// could not even publish twice (`outbox.message_id` is unique).
    static func announce(_ effects: [DeadlineEffect], timer: DueTimer, stored: StoredOrder, rule: String,
                         at now: Date) -> ([TimerEventRecord], [OutboxMessage]) {
        let id = String(timer.id)
        let unit = stored.order.assignment?.leadUnit ?? ""
        var events: [TimerEventRecord] = []
        var outbox: [OutboxMessage] = []
        func message<P: MessageContract>(_ payload: P, tag: UInt8) {
            outbox.append(.event(Contracts.envelope(payload, id: messageId(timer: timer.id, tag: tag), occurredAt: now,
                                                    workOrderId: stored.id)))
        }
        for effect in effects {
            switch effect {
            case let .reminded(index, replyBy):
                events.append(TimerEventRecord(type: "reminded", data: [
                    "timerId": id, "rule": rule, "reminder": String(index), "unit": unit, "replyBy": ChinaTime.format(replyBy)]))
                message(AssignmentReminded(number: stored.number, unit: unit, reminder: index, replyBy: replyBy, timerId: timer.id), tag: 1)
            case .returnWindowClosed(let accepted):
                events.append(TimerEventRecord(type: "returnWindowClosed", data: [
                    "timerId": id, "rule": rule, "unit": unit, "countsAsAccepted": String(accepted)]))
            case .signOverdue(let dueAt):
                message(AssignmentOverdue(number: stored.number, unit: unit, timer: "signBy", dueAt: dueAt, timerId: timer.id), tag: 2)
            case .replyOverdue(let dueAt):
                message(AssignmentOverdue(number: stored.number, unit: unit, timer: "replyBy", dueAt: dueAt, timerId: timer.id), tag: 3)
            case .supervised(let reason):
                message(WorkOrderSupervised(number: stored.number, reason: reason.rawValue), tag: 4)
            case .dispatchOverdue(let dueAt):
                message(WorkOrderDispatchOverdue(number: stored.number, dueAt: dueAt, timerId: timer.id), tag: 5)
            case let .limitOverdue(kind, owing, dueAt):
                // The domain writes `overdue` for the order's own limits; the follow-ups are the watch's.
                if kind == .kbEntryDue || kind == .supervisionPlanDue {
                    events.append(TimerEventRecord(type: "overdue", data: [
                        "timerId": id, "rule": rule, "timer": kind.name, "unit": owing, "dueAt": ChinaTime.format(dueAt)]))
                }
                message(AssignmentOverdue(number: stored.number, unit: owing, timer: kind.name, dueAt: dueAt, timerId: timer.id), tag: 6)
            case .remindersIgnored(let reminders):
                // qidong 四 1 两次催办仍不回复: recorded for the unit's assessment (`Scores.figures`).
                events.append(TimerEventRecord(type: "offenceRecorded", data: [
                    "offence": "remindersIgnored", "unit": unit, "reminders": String(reminders), "rule": rule]))
            case let .monthEndUncleared(month, replyBy):
                events.append(TimerEventRecord(type: "monthEndUncleared", data: [
                    "timerId": id, "rule": rule, "unit": unit, "month": month, "replyBy": ChinaTime.format(replyBy)]))
                message(WorkOrderMonthEndUncleared(number: stored.number, unit: unit, month: month, replyBy: replyBy, timerId: timer.id),
                        tag: 7)
            case .revisitUnanswered:
                events.append(TimerEventRecord(type: "revisitUnanswered", data: ["timerId": id, "rule": rule]))
            }
        }
        if !events.contains(where: { $0.data["timerId"] != nil }) {
            events.append(TimerEventRecord(type: "timerFired", data: ["timerId": id, "rule": rule, "kind": timer.kind]))
        }
        return (events, outbox)
    }

    /// A message id made from the timer's id and the message's tag (RFC 9562 version 8 layout).
    static func messageId(timer: Int64, tag: UInt8) -> UUID {
        let id = UInt64(bitPattern: timer)
        var bytes: [UInt8] = [0x74, 0x69, 0x6d, 0x72, tag, 0, 0x80, 0]  // "timr", tag, version 8
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: id >> UInt64(shift))) }
        bytes[8] = (bytes[8] & 0x3f) | 0x80  // variant; timer ids stay far below 2^62
        return UUID(uuid: (bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                           bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]))
    }

    private func profile(_ id: String) throws -> PolicyProfile {
        if let known = profiles.withLock({ $0[id] }) { return known }
        let loaded = try PolicyProfile.bundled(id)
        profiles.withLock { $0[id] = loaded }
        return loaded
    }
}

/// How often, and how long apart, the claimer tries a timer whose firing fails (its order row
/// unreadable, a rule that throws) before giving it up: a named, replaceable policy. The delays
/// double from `firstDelay` up to `maxDelay`; the `maxAttempts`-th failure gives the timer up.
public struct TimerRetryPolicy: Sendable, Equatable {
    public var maxAttempts: Int
    public var firstDelay: TimeInterval
    public var maxDelay: TimeInterval

    /// Five attempts: again after 30 s, 1 min, 2 min and 4 min, then given up (ours: long enough to
    /// ride out a lock or a deploy, short enough that the operator hears of it within minutes).
    public init(maxAttempts: Int = 5, firstDelay: TimeInterval = 30, maxDelay: TimeInterval = 3_600) {
        self.maxAttempts = max(1, maxAttempts)
        self.firstDelay = firstDelay
        self.maxDelay = maxDelay
    }

    /// When to try again after the `attempt`-th failure (1 = the first), or nil: give up.
    public func retryAt(afterFailedAttempt attempt: Int, now: Date) -> Date? {
        guard attempt < maxAttempts else { return nil }
        let delay = min(maxDelay, firstDelay * pow(2, Double(max(0, attempt - 1))))
        return now.addingTimeInterval(delay)
    }
}
