import Foundation

/// Where a work order is.
public enum OrderState: String, Hashable, Sendable, Codable, CaseIterable {
    case received, notAccepted, resolvedAtIntake, awaitingDispatch, dispatched, revisitPending, rated, redo, closed
    // While dispatched, the assignment's own state tells signed / return / extension / replied.
}

/// Where the lead unit's assignment is.
public enum AssignmentState: String, Hashable, Sendable, Codable, CaseIterable {
    case dispatched, signed, returnRequested, returnApproved, returnRejected,
         extensionRequested, extensionApproved, extensionRejected, replied
}

/// Why an order is under supervision (督办).
public enum SupervisionReason: String, Hashable, Sendable, Codable, CaseIterable {
    case returnedBetweenUnits, repeatedRedo, overdue, clusterOfCitizens, leadershipAssignment, mediaExposure, other
}

/// Why intake does not accept a request (henan; pingdingshan 三).
public enum NotAcceptedReason: String, Hashable, Sendable, Codable, CaseIterable {
    case inLegalProcedure, inPetitionChannel, secretsOrPrivacy, emergencyService, militaryMatter,
         harassmentOrNoRequest, alreadyClosedRepeated, outsideJurisdiction, excludedByLaw
}

/// The lead unit's part of an order.
public struct Assignment: Hashable, Sendable {
    public var leadUnit: String
    public var coUnits: [String]
    public var dispatchedAt: Date
    public var state: AssignmentState
    /// The reply limit the order was dispatched with.
    public var originalLimit: TimeLimit
    public var replyBy: Date
    public var returnWindowEnd: Date?
    /// Extensions granted so far.
    public var extensions: [TimeLimit]
    /// Asked but not yet decided.
    public var pendingExtension: TimeLimit?
    /// This unit's return of this order was rejected.
    public var returnRejected: Bool

    public init(leadUnit: String, coUnits: [String], dispatchedAt: Date, state: AssignmentState, originalLimit: TimeLimit,
                replyBy: Date, returnWindowEnd: Date?, extensions: [TimeLimit], pendingExtension: TimeLimit?, returnRejected: Bool) {
        self.leadUnit = leadUnit
        self.coUnits = coUnits
        self.dispatchedAt = dispatchedAt
        self.state = state
        self.originalLimit = originalLimit
        self.replyBy = replyBy
        self.returnWindowEnd = returnWindowEnd
        self.extensions = extensions
        self.pendingExtension = pendingExtension
        self.returnRejected = returnRejected
    }
}

/// A work order as the rules see it. Personal data (phone, name, text) lives elsewhere.
public struct WorkOrder: Hashable, Sendable {
    public var id: String
    public var kind: OrderKind
    public var channel: Channel
    public var confidential: Bool
    public var receivedAt: Date
    public var state: OrderState
    public var assignment: Assignment?
    public var notAcceptedReason: NotAcceptedReason?
    /// Returns approved for this order, across units.
    public var returnCount: Int
    public var redoCount: Int
    public var rating: Rating?
    public var supervision: SupervisionReason?
    /// Units whose return of this order was approved: it is never dispatched back to them.
    public var returnedBy: [String] = []

    public init(id: String, kind: OrderKind, channel: Channel, confidential: Bool = false, receivedAt: Date) {
        self.id = id
        self.kind = kind
        self.channel = channel
        self.confidential = confidential
        self.receivedAt = receivedAt
        self.state = .received
        self.returnCount = 0
        self.redoCount = 0
    }

    /// The state as one word, for messages: the assignment's state while dispatched.
    public var stateName: String {
        if state == .dispatched, let assignment { return assignment.state.rawValue }
        return state.rawValue
    }
}

/// What someone asks the order to do.
public enum Command: Hashable, Sendable {
    case accept
    case refuse(NotAcceptedReason)
    case resolveAtIntake
    case dispatch(lead: String, coUnits: [String])
    case sign(unit: String)
    case requestReturn(unit: String)
    case approveReturn
    case rejectReturn
    /// `earlierRequests`: extension requests already made on this order, granted or not (the
    /// documents count applications: qidong 最多可申请2次, pingdingshan 只能提出1次延期申请).
    case requestExtension(unit: String, amount: TimeLimit, citizenConsented: Bool, earlierRequests: Int = 0)
    /// `amount` set by the office (pingdingshan); nil grants what was asked.
    case approveExtension(amount: TimeLimit?)
    case rejectExtension
    case reply(unit: String, contactedCitizen: Bool)
    /// A progress feedback (反馈) of the lead unit, short of the final reply.
    case feedback(unit: String)
    case startRevisit
    case rate(Rating, redoReason: RedoReason?, exemptReason: ExemptReason?)
    /// The office's decision on a rated order (its revisit staff, qidong 附件2 一(七)2): send it
    /// back to the lead unit (重办) for `reason`, as the profile's redo trigger allows.
    case redo(reason: RedoReason?)
    /// The office's decision on a dissatisfied order not to redo it (qidong 附件2 一(七)3): it
    /// closes under `reason`, one of the profile's exempt reasons.
    case exempt(ExemptReason)
    case close
    case supervise(SupervisionReason)
    /// A timer fired (from the deadline watch).
    case deadlinePassed(TimerKind)

    public var name: String {
        switch self {
        case .accept: "accept"
        case .refuse: "refuse"
        case .resolveAtIntake: "resolve at intake"
        case .dispatch: "dispatch"
        case .sign: "sign"
        case .requestReturn: "return"
        case .approveReturn: "approve the return of"
        case .rejectReturn: "reject the return of"
        case .requestExtension: "extend"
        case .approveExtension: "approve an extension of"
        case .rejectExtension: "reject an extension of"
        case .reply: "reply to"
        case .feedback: "give feedback on"
        case .startRevisit: "revisit"
        case .rate: "rate"
        case .redo: "redo"
        case .exempt: "exempt"
        case .close: "close"
        case .supervise: "supervise"
        case .deadlinePassed: "time out"
        }
    }
}

/// A deadline timer the deadline watch keeps.
public enum TimerKind: Hashable, Sendable, Codable {
    case dispatchBy, signBy, returnWindow, replyBy, reminder(Int)
    /// First feedback due after signing (henan major outages).
    case firstFeedback
    /// The reply-by of a limit that asks for a progress report and plan, not the final reply
    /// (pingdingshan class C; `LimitRule.progressReport`).
    case progressReport
    /// The reply-by of a redone order (zezhou 5 working days; elsewhere the original limit again).
    case redoDue
    /// A knowledge-base entry owed after a reply marked for the KB (qidong 1 working day).
    case kbEntryDue
    /// A handling plan owed after on-site supervision (pingdingshan 3 working days).
    case supervisionPlanDue
    /// The end of the month the reply-by falls in (baotou's zero clearing, 每月清零).
    case monthEnd
    /// The revisit SMS went out and the citizen has not answered within the profile's wait
    /// (`sms.delivery.revisitWait`): the order goes to the phone-revisit queue.
    case revisitUnanswered

    /// The kinds that stand for the reply limit of the lead unit: one of them runs at a time.
    public static let replyLimits: [TimerKind] = [.replyBy, .progressReport, .redoDue]

    /// The name stored in `timers.kind`: `dispatchBy`, `signBy`, `returnWindow`, `replyBy`, `reminder.0`, ….
    public var name: String {
        switch self {
        case .dispatchBy: "dispatchBy"
        case .signBy: "signBy"
        case .returnWindow: "returnWindow"
        case .replyBy: "replyBy"
        case .reminder(let index): "reminder.\(index)"
        case .firstFeedback: "firstFeedback"
        case .progressReport: "progressReport"
        case .redoDue: "redoDue"
        case .kbEntryDue: "kbEntryDue"
        case .supervisionPlanDue: "supervisionPlanDue"
        case .monthEnd: "monthEnd"
        case .revisitUnanswered: "revisitUnanswered"
        }
    }

    public init?(name: String) {
        switch name {
        case "dispatchBy": self = .dispatchBy
        case "signBy": self = .signBy
        case "returnWindow": self = .returnWindow
        case "replyBy": self = .replyBy
        case "firstFeedback": self = .firstFeedback
        case "progressReport": self = .progressReport
        case "redoDue": self = .redoDue
        case "kbEntryDue": self = .kbEntryDue
        case "supervisionPlanDue": self = .supervisionPlanDue
        case "monthEnd": self = .monthEnd
        case "revisitUnanswered": self = .revisitUnanswered
        default:
            guard name.hasPrefix("reminder."), let index = Int(name.dropFirst("reminder.".count)), index >= 0 else { return nil }
            self = .reminder(index)
        }
    }
}

public enum TimerAction: Hashable, Sendable {
    case start(TimerKind, at: Date)
    case cancel(TimerKind)
}

/// A fact to append to the order's history.
public enum Event: Hashable, Sendable {
    case accepted, notAccepted(NotAcceptedReason), resolvedAtIntake
    case dispatched(lead: String, coUnits: [String], replyBy: Date)
    case signed(unit: String)
    case returnRequested(unit: String), returnApproved(unit: String), returnRejected(unit: String)
    case extensionRequested(TimeLimit), extensionApproved(newReplyBy: Date), extensionRejected
    case replied(unit: String, late: Bool)
    /// A progress feedback; `satisfiesReplyLimit` when the profile's reply limit takes it (办结或反馈)
    /// and it came within the limit.
    case fedBack(unit: String, satisfiesReplyLimit: Bool)
    case revisitStarted
    case rated(Rating), redone(replyBy: Date)
    /// Dissatisfied but not redone, for `reason` (qidong 附件2 一(七)3); the order closes.
    case exempted(ExemptReason)
    case closed
    case supervised(SupervisionReason)
    case overdue(TimerKind)
}

/// The outcome of a command: the new order, the events to append and the timers to change.
public struct Transition: Hashable, Sendable {
    public var order: WorkOrder
    public var events: [Event]
    public var timers: [TimerAction]
    /// The started timers whose instant counted Monday to Friday for a year without a loaded
    /// arrangement: the store marks them, and loading that year computes them again.
    public var weekdayFallbacks: [TimerKind: WeekdayFallback]

    public init(order: WorkOrder, events: [Event], timers: [TimerAction], weekdayFallbacks: [TimerKind: WeekdayFallback] = [:]) {
        self.order = order
        self.events = events
        self.timers = timers
        self.weekdayFallbacks = weekdayFallbacks
    }

    /// When this transition starts the timer `kind`, if it does.
    public func starts(_ kind: TimerKind) -> Date? {
        timers.lazy.compactMap { action -> Date? in
            if case .start(kind, let at) = action { at } else { nil }
        }.first
    }

    /// This transition followed by `next` (which was computed from this one's order).
    public func then(_ next: Transition) -> Transition {
        Transition(order: next.order, events: events + next.events, timers: timers + next.timers,
                   weekdayFallbacks: weekdayFallbacks.merging(next.weekdayFallbacks) { _, later in later })
    }
}

public typealias LifecycleError = RuleError

public enum Lifecycle {
    /// Applies `command` to `order` at `now` under `profile`.
    public static func apply(_ command: Command, to order: WorkOrder, now: Date, profile: PolicyProfile,
                             calendar: WorkingCalendar) -> Result<Transition, LifecycleError> {
        do throws(RuleError) {
            return .success(try transition(command, order, now, profile, calendar))
        } catch {
            return .failure(error)
        }
    }

    static func transition(_ command: Command, _ order: WorkOrder, _ now: Date, _ profile: PolicyProfile,
                           _ calendar: WorkingCalendar) throws(RuleError) -> Transition {
        var next = order
        var events: [Event] = []
        var timers: [TimerAction] = []
        var fallbacks: [TimerKind: WeekdayFallback] = [:]
        let refused = RuleError.notAllowed(command: command.name, state: order.stateName)
        // The reply limit's timer (whichever of `TimerKind.replyLimits` runs) and its reminders.
        let replyTimers = TimerKind.replyLimits.map(TimerAction.cancel)
            + profile.remindersBeforeReply.indices.map { TimerAction.cancel(.reminder($0)) }

        func requireLead(_ unit: String) throws(RuleError) -> Assignment {
            guard order.state == .dispatched || order.state == .redo, let assignment = order.assignment else { throw refused }
            guard assignment.leadUnit == unit else { throw .wrongUnit(expected: assignment.leadUnit) }
            return assignment
        }
        /// Starts the timer `kind` at `rule`'s instant, remembering the rule when the count fell
        /// back to Monday–Friday.
        @discardableResult
        func startTimer(_ kind: TimerKind, _ rule: DueRule) throws(RuleError) -> Date {
            let due: (at: Date, weekdayFallbackYear: Int?)
            do { due = try rule.due(calendar: calendar) } catch { throw .calendar(error) }
            timers.append(.start(kind, at: due.at))
            if let year = due.weekdayFallbackYear { fallbacks[kind] = WeekdayFallback(rule: rule, year: year) }
            return due.at
        }
        /// Starts the reply limit's timer `kind` (`rule`), the profile's reminders before it and,
        /// where the profile clears each month (baotou), the end of the month it falls in; returns
        /// the reply-by.
        @discardableResult
        func startReplyTimers(_ rule: DueRule, from start: Date, as kind: TimerKind) throws(RuleError) -> Date {
            let replyBy = try startTimer(kind, rule)
            for (index, offset) in profile.remindersBeforeReply.enumerated() {
                var reminder = rule
                reminder.before = offset.amount * 3600
                if replyBy.addingTimeInterval(-reminder.before) > start { try startTimer(.reminder(index), reminder) }
            }
            if profile.deadlineWatch?.monthEndClearing != nil {
                timers += [.cancel(.monthEnd), .start(.monthEnd, at: DeadlineWatchRules.monthEnd(of: replyBy))]
            }
            return replyBy
        }
        /// The reply limit's timer for the order as it stands: a redone order's `redoDue`, a
        /// progress-report limit's `progressReport` (pingdingshan class C), else `replyBy`.
        func replyTimerKind(_ order: WorkOrder) -> TimerKind {
            if order.state == .redo { return .redoDue }
            return profile.replyRule(for: order.kind)?.progressReport == true ? .progressReport : .replyBy
        }
        func supervise(_ reason: SupervisionReason) {
            if next.supervision == nil {
                next.supervision = reason
                events.append(.supervised(reason))
            }
        }
        /// 重办: back to the lead unit with a new reply-by (`Deadlines.redoReplyBy`, started with its rule).
        func sendBackForRedo(_ redo: RedoRules) throws(RuleError) {
            // `Deadlines.redoReplyBy`, started with its rule.
            let replyBy = try startReplyTimers(DueRule(from: now, limit: Deadlines.redoLimit(profile: profile, kind: order.kind)),
                                               from: now, as: .redoDue)
            next.state = .redo
            next.redoCount += 1
            next.assignment?.state = .signed
            next.assignment?.replyBy = replyBy
            events.append(.redone(replyBy: replyBy))
            if let limit = redo.supervisionAfterRedos, next.redoCount >= limit { supervise(.repeatedRedo) }
        }

        switch command {
        case .accept:
            guard order.state == .received else { throw refused }
            try Deadlines.check(order.kind, profile: profile)
            next.state = .awaitingDispatch
            events.append(.accepted)
            // Dispatch-by counts from receipt (henan: within 24 working hours; 2 hours for major outages).
            if let rule = profile.dispatchRule(for: order.kind) {
                try startTimer(.dispatchBy, DueRule(from: order.receivedAt, limit: rule.limit))
            }

        case let .refuse(reason):
            guard order.state == .received else { throw refused }
            next.state = .notAccepted
            next.notAcceptedReason = reason
            events.append(.notAccepted(reason))

        case .resolveAtIntake:
            guard order.state == .received || order.state == .awaitingDispatch else { throw refused }
            next.state = .resolvedAtIntake
            events.append(.resolvedAtIntake)

        case let .dispatch(lead, coUnits):
            guard order.state == .awaitingDispatch else { throw refused }
            if let unit = ([lead] + coUnits).first(where: order.returnedBy.contains) { throw .dispatchToReturningUnit(unit: unit) }
            let deadlines = try Deadlines.compute(profile: profile, kind: order.kind, start: now, calendar: calendar)
            next.state = .dispatched
            next.assignment = Assignment(leadUnit: lead, coUnits: coUnits, dispatchedAt: now, state: .dispatched,
                                         originalLimit: deadlines.replyLimit, replyBy: deadlines.replyBy,
                                         returnWindowEnd: deadlines.returnWindowEnd, extensions: [],
                                         pendingExtension: nil, returnRejected: false)
            events.append(.dispatched(lead: lead, coUnits: coUnits, replyBy: deadlines.replyBy))
            timers.append(.cancel(.dispatchBy))
            // The same limits `Deadlines.compute` counted, from the same instant.
            if let rule = profile.signRule(for: order.kind) { try startTimer(.signBy, DueRule(from: now, limit: rule.limit)) }
            if let window = profile.returns?.window { try startTimer(.returnWindow, DueRule(from: now, limit: window)) }
            try startReplyTimers(DueRule(from: now, limit: deadlines.replyLimit), from: now, as: replyTimerKind(next))
            if let rule = profile.firstFeedbackRule(for: order.kind), rule.from == nil {
                try startTimer(.firstFeedback, DueRule(from: now, limit: rule.limit))
            }

        case let .sign(unit):
            var assignment = try requireLead(unit)
            guard assignment.state == .dispatched else { throw refused }
            assignment.state = .signed
            next.assignment = assignment
            events.append(.signed(unit: unit))
            timers.append(.cancel(.signBy))
            // henan: 承办单位须在签收后2个小时内反馈初步办理意见.
            if let rule = profile.firstFeedbackRule(for: order.kind), rule.from == .signing {
                try startTimer(.firstFeedback, DueRule(from: now, limit: rule.limit))
            }

        case let .requestReturn(unit):
            var assignment = try requireLead(unit)
            guard order.state == .dispatched else { throw refused }
            guard let returns = profile.returns else { throw .returnsNotProvided(profile: profile.id) }
            if assignment.returnRejected && !returns.rejectedMayReturnAgain { throw .rejectedReturnMayNotBeReturnedAgain }
            guard [.dispatched, .signed, .returnRejected, .extensionRejected, .extensionApproved].contains(assignment.state) else { throw refused }
            if let end = assignment.returnWindowEnd, now > end, returns.lateReturnCountsAsAccepted || returns.window != nil {
                throw .returnWindowClosed(endedAt: end, countsAsAccepted: returns.lateReturnCountsAsAccepted)
            }
            assignment.state = .returnRequested
            next.assignment = assignment
            events.append(.returnRequested(unit: unit))

        case .approveReturn:
            guard order.state == .dispatched, let assignment = order.assignment, assignment.state == .returnRequested else { throw refused }
            next.assignment = nil
            next.state = .awaitingDispatch
            next.returnCount += 1
            next.returnedBy.append(assignment.leadUnit)
            events.append(.returnApproved(unit: assignment.leadUnit))
            timers += [.cancel(.signBy), .cancel(.returnWindow), .cancel(.firstFeedback), .cancel(.monthEnd)] + replyTimers
            if let max = profile.returns?.maxReturnsBeforeSupervision, next.returnCount >= max {
                supervise(.returnedBetweenUnits)
            }

        case .rejectReturn:
            guard order.state == .dispatched, var assignment = order.assignment, assignment.state == .returnRequested else { throw refused }
            assignment.state = .returnRejected
            assignment.returnRejected = true
            next.assignment = assignment
            events.append(.returnRejected(unit: assignment.leadUnit))
            if profile.returns?.rejectedKeepsOriginalLimit == false {
                // The unit starts over from the rejection.
                timers += replyTimers
                next.assignment?.replyBy = try startReplyTimers(DueRule(from: now, limit: assignment.originalLimit), from: now,
                                                                as: replyTimerKind(order))
            }

        case let .requestExtension(unit, amount, consented, earlierRequests):
            var assignment = try requireLead(unit)
            guard [.dispatched, .signed, .returnRejected, .extensionApproved, .extensionRejected].contains(assignment.state) else { throw refused }
            guard now < assignment.replyBy else { throw .extensionAfterDue(dueAt: assignment.replyBy) }
            // Checked now so the unit hears at once what the profile does not allow.
            _ = try Deadlines.extendedReplyBy(profile: profile, kind: order.kind, currentReplyBy: assignment.replyBy,
                                              requested: amount, previous: assignment.extensions,
                                              original: assignment.originalLimit, citizenConsented: consented,
                                              earlierRequests: earlierRequests, calendar: calendar)
            assignment.state = .extensionRequested
            assignment.pendingExtension = amount
            next.assignment = assignment
            events.append(.extensionRequested(amount))

        case let .approveExtension(officeAmount):
            guard var assignment = order.assignment, assignment.state == .extensionRequested,
                  let asked = assignment.pendingExtension else { throw refused }
            let rule = profile.extensionRule(for: order.kind)
            let amount = (rule?.limitSetByOffice ?? false) ? (officeAmount ?? asked) : asked
            let extended = try Deadlines.extendedReplyBy(profile: profile, kind: order.kind, currentReplyBy: assignment.replyBy,
                                                         requested: amount, previous: assignment.extensions,
                                                         original: assignment.originalLimit, citizenConsented: true, calendar: calendar)
            timers += replyTimers
            // The same instant as `extended`, started with the rule that counts it.
            let replyBy = try startReplyTimers(.extending(assignment.replyBy, by: amount), from: now, as: replyTimerKind(order))
            assert(replyBy == extended)
            assignment.extensions.append(amount)
            assignment.pendingExtension = nil
            assignment.replyBy = replyBy
            assignment.state = .extensionApproved
            next.assignment = assignment
            events.append(.extensionApproved(newReplyBy: replyBy))

        case .rejectExtension:
            guard var assignment = order.assignment, assignment.state == .extensionRequested else { throw refused }
            assignment.state = .extensionRejected
            assignment.pendingExtension = nil
            next.assignment = assignment
            events.append(.extensionRejected)

        case let .reply(unit, contacted):
            var assignment = try requireLead(unit)
            guard [.dispatched, .signed, .returnRejected, .extensionApproved, .extensionRejected].contains(assignment.state)
                    || order.state == .redo else { throw refused }
            if order.confidential && contacted { throw .confidentialContact }
            assignment.state = .replied
            next.assignment = assignment
            next.state = .dispatched
            events.append(.replied(unit: unit, late: now > assignment.replyBy))
            timers += [.cancel(.signBy), .cancel(.returnWindow), .cancel(.firstFeedback), .cancel(.monthEnd)] + replyTimers

        case let .feedback(unit):
            let assignment = try requireLead(unit)
            let working: [AssignmentState] = [.signed, .returnRejected, .extensionRequested, .extensionApproved, .extensionRejected]
            guard working.contains(assignment.state) || (order.state == .redo && assignment.state != .replied) else { throw refused }
            // baotou 四(二)2 办结或反馈, pingdingshan 四 C类: a feedback within the limit meets it; the
            // reply-by and its reminders stop, the final reply follows.
            let satisfies = profile.replyRule(for: order.kind)?.satisfiedByFeedback == true && now <= assignment.replyBy
            events.append(.fedBack(unit: unit, satisfiesReplyLimit: satisfies))
            if satisfies { timers += replyTimers }
            if profile.firstFeedbackRule(for: order.kind) != nil { timers.append(.cancel(.firstFeedback)) }

        case .startRevisit:
            guard order.state == .dispatched, order.assignment?.state == .replied else { throw refused }
            next.state = .revisitPending
            events.append(.revisitStarted)

        case let .rate(rating, redoReason, exemptReason):
            guard order.state == .revisitPending else { throw refused }
            next.rating = rating
            events.append(.rated(rating))
            next.state = .rated
            if let redo = profile.redo, exemptReason == nil {
                let reasonFound = redoReason.map { profile.revisit?.redoReasons.contains($0) ?? false } ?? false
                let sendBack: Bool
                switch redo.trigger {
                case .firstDissatisfied: sendBack = rating == .dissatisfied
                case .dissatisfiedWithRedoReason: sendBack = rating == .dissatisfied && reasonFound
                case .redoReasonFound: sendBack = reasonFound
                }
                let allowed = redo.maxRedos.map { order.redoCount < $0 } ?? true
                if sendBack && allowed { try sendBackForRedo(redo) }
            }

        case let .redo(reason):
            guard let redo = profile.redo else { throw .redoNotProvided(profile: profile.id) }
            guard order.state == .rated, let rating = order.rating else { throw refused }
            let listed = reason.map { profile.revisit?.redoReasons.contains($0) ?? false } ?? false
            switch redo.trigger {
            case .firstDissatisfied where rating != .dissatisfied,
                 .dissatisfiedWithRedoReason where rating != .dissatisfied:
                throw .revisitDecisionNotWarranted(why: "only a dissatisfied rating is sent back for a redo (\(redo.basis))")
            case .dissatisfiedWithRedoReason where !listed, .redoReasonFound where !listed:
                let reasons = (profile.revisit?.redoReasons ?? []).map(\.rawValue).joined(separator: ", ")
                throw .revisitDecisionNotWarranted(why: "a redo needs one of the profile's redo reasons (\(reasons)) (\(redo.basis))")
            default:
                break
            }
            if let max = redo.maxRedos, order.redoCount >= max { throw .redoLimitReached(maxRedos: max) }
            try sendBackForRedo(redo)

        case let .exempt(reason):
            guard order.state == .rated else { throw refused }
            guard let revisit = profile.revisit, revisit.exemptReasons.contains(reason) else {
                throw .revisitDecisionNotWarranted(why: "profile \(profile.id) has no exempt reason \(reason.rawValue)")
            }
            guard order.rating == .dissatisfied else {
                throw .revisitDecisionNotWarranted(why: "only a dissatisfied rating is exempted from a redo (\(revisit.basis))")
            }
            next.state = .closed
            events += [.exempted(reason), .closed]

        case .close:
            guard order.state == .rated else { throw refused }
            next.state = .closed
            events.append(.closed)

        case let .supervise(reason):
            guard ![.closed, .notAccepted, .resolvedAtIntake].contains(order.state) else { throw refused }
            supervise(reason)

        case .deadlinePassed(.dispatchBy):
            guard order.state == .awaitingDispatch else { throw refused }
            events.append(.overdue(.dispatchBy))

        case let .deadlinePassed(timer):
            guard order.state == .dispatched || order.state == .redo, let assignment = order.assignment else { throw refused }
            switch timer {
            case .replyBy, .progressReport, .redoDue:
                guard assignment.state != .replied else { break }
                events.append(.overdue(timer))
                supervise(.overdue)
            case .signBy where assignment.state == .dispatched:
                events.append(.overdue(.signBy))
            case .firstFeedback where assignment.state != .replied:
                events.append(.overdue(.firstFeedback))
            case .returnWindow, .reminder, .signBy, .dispatchBy, .firstFeedback, .kbEntryDue, .supervisionPlanDue, .monthEnd, .revisitUnanswered:
                break
            }
        }
        return Transition(order: next, events: events, timers: timers, weekdayFallbacks: fallbacks)
    }
}
