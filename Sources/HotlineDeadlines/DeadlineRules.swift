import Foundation
import HotlineDomain

/// What a firing announces beyond the domain's transition: the deadline watch's own facts and the
/// messages they become.
public enum DeadlineEffect: Hashable, Sendable {
    /// A reminder before the reply-by: `assignment.reminded`, event `reminded`.
    case reminded(index: Int, replyBy: Date)
    /// Sign-by passed unsigned (late receipt): `assignment.overdue` (timer `signBy`).
    case signOverdue(dueAt: Date)
    /// Reply-by passed unreplied: `assignment.overdue` (timer `replyBy`).
    case replyOverdue(dueAt: Date)
    /// The firing put the order under supervision: `workorder.supervised`.
    case supervised(SupervisionReason)
    /// Dispatch-by passed with the order still waiting: `workorder.dispatch_overdue`.
    case dispatchOverdue(dueAt: Date)
    /// The return window closed with the unit still holding the order: a later return is refused
    /// (`Lifecycle`'s `requestReturn`), and where the profile says so (`lateReturnCountsAsAccepted`,
    /// qidong) the order counts as accepted; event `returnWindowClosed`.
    case returnWindowClosed(countsAsAccepted: Bool)
    /// The revisit SMS went unanswered: the order goes to the office's phone-revisit queue; event
    /// `revisitUnanswered`.
    case revisitUnanswered
}

/// The outcome of one due timer under its rule.
public enum TimerFiring: Hashable, Sendable {
    /// The deadline holds against the order: the domain's transition (it may change no field, only
    /// add events) and what to announce. `rule` names the `DeadlineRule`.
    case fire(Transition, effects: [DeadlineEffect], rule: String)
    /// The order has moved on (signed, replied, returned, closed): the timer is marked fired with
    /// `note` and nothing else happens.
    case movedOn(note: String)
}

/// One timer kind's rule, as documentation and as the README's table: what starts the timer,
/// when it fires, what it does, and where the rule comes from.
public struct DeadlineRule: Sendable, Hashable {
    public var name: String
    /// The `timers.kind` it serves (`reminder.N` for every reminder).
    public var kind: String
    public var startedBy: String
    public var firesAt: String
    public var does: String
    /// POLICIES.md section, the profile field, and the documents' words.
    public var basis: String
}

/// One named rule per timer kind. Pure: the claimer loads the order, asks `fire`, and writes the
/// answer through the store in the claim's transaction.
public enum DeadlineRules {
    public static let dispatchByPassed = DeadlineRule(
        name: "dispatchByPassed", kind: "dispatchBy",
        startedBy: "intake accepting an order, when the profile has a dispatch rule for its kind",
        firesAt: "the profile's `dispatch` limit after receipt (henan 24 working hours; 2 natural hours for major outages)",
        does: "order still waiting for dispatch: event `overdue` (dispatchBy), `workorder.dispatch_overdue` to the office; otherwise nothing",
        basis: "POLICIES.md §2 Sign and dispatch; profile `dispatch`. henan: \"不能直接答复的,24小时内派发工单至承办单位办理\"; \"大面积停水、停电、停气、停热及环境污染…2个小时内派发工单\"")

    public static let signByPassed = DeadlineRule(
        name: "signByPassed", kind: "signBy",
        startedBy: "dispatch, when the profile has a sign rule (every profile but pingdingshan)",
        firesAt: "the profile's `sign` limit after dispatch (qidong, henan, zezhou, baotou 24 working hours; baotou emergencies half an hour, basic living 2 hours)",
        does: "lead unit has not signed: late receipt recorded (event `overdue` signBy, `assignment.overdue` timer signBy); otherwise nothing",
        basis: "POLICIES.md §2 Sign and dispatch, §10; profile `sign`. qidong 附件2 一(一): \"工作日24小时内签收\"; henan: \"承办单位应当在接到工单24小时内签收(非工作日时间可顺延)\". It feeds zezhou's 规定时间内接收 and baotou's 及时接单, whose sign limits are ours (POLICIES.md §11)")

    public static let returnWindowClosed = DeadlineRule(
        name: "returnWindowClosed", kind: "returnWindow",
        startedBy: "dispatch, when the profile has a return window (qidong 1 working day, zezhou 2)",
        firesAt: "the end of the profile's `returns.window` after dispatch",
        does: "unit still holds the order (no return pending, not replied): event `returnWindowClosed` (with `countsAsAccepted` from the profile: qidong yes); a later return is refused by the lifecycle; otherwise nothing",
        basis: "POLICIES.md §2 Returns; profile `returns.window`, `returns.lateReturnCountsAsAccepted`. qidong 附件2 一(二): \"1个工作日内申请退回…超过退回时限的视为受理\"; zezhou 二(二)5: \"2个工作日内申请退回\" (silent on a late return; the lifecycle refuses it: ours)")

    public static let reminderBeforeReply = DeadlineRule(
        name: "reminderBeforeReply", kind: "reminder.N",
        startedBy: "dispatch, approved extension, rejected return (when the limit restarts) and redo: one timer per profile offset that falls after the start",
        firesAt: "the reply-by minus the profile's `remindersBeforeReply[N]` (natural hours; 24 h and 4 h in every profile today)",
        does: "lead unit has not replied: event `reminded`, `assignment.reminded`; otherwise nothing",
        basis: "POLICIES.md §5 (zezhou system supervision); profile `remindersBeforeReply`. zezhou 二(三)5(1): \"利用系统自动计时功能，对即将到期的转办事项进行提醒督办\"; qidong 四 counts \"两次催办仍不回复\" as an offence. The offsets are ours: no document gives them")

    public static let replyByPassed = DeadlineRule(
        name: "replyByPassed", kind: "replyBy",
        startedBy: "dispatch (and again on an approved extension, a restarted limit, a redo)",
        firesAt: "the profile's `reply` limit (working days end at 24:00 of the Nth working day after dispatch; hours in natural time for emergencies)",
        does: "lead unit has not replied: events `overdue` (replyBy) and `supervised` (overdue), `assignment.overdue` and `workorder.supervised`; the order stays overdue in the figures when replied later; otherwise nothing",
        basis: "POLICIES.md §2 time limits, §5 supervision; profile `reply`. qidong 附件2 一(六)(4): \"超期未办结的诉求\" is a supervision trigger; zezhou 二(三)5(2): \"承办部门逾期未办结事项，通过电话联系承办单位\"; pingdingshan 六(一): \"对未按时限办结…编制《市长热线督办通知》\". baotou and henan do not say overdue orders are supervised: the lifecycle supervises them too (ours)")

    public static let revisitUnansweredRule = DeadlineRule(
        name: "revisitUnanswered", kind: "revisitUnanswered",
        startedBy: "hotline-sms-reply, when the gateway accepts the reply SMS that starts the revisit",
        firesAt: "the profile's `sms.delivery.revisitWait` after the SMS went out (48 natural hours in every profile)",
        does: "order still waiting for the citizen's rating (`revisitPending`): into the office's phone-revisit queue (`phone_revisits`, reason revisitUnanswered), event `revisitUnanswered`; otherwise nothing",
        basis: "POLICIES.md §3, §4; profile `sms.delivery.revisitWait`. qidong 附件2 一(五)3: 无人接听的情况: 需拨打2次再通过短信回复, and 一(七): the hotline revisits; the documents give no wait for an SMS answer, so 48 hours and the phone revisit after it are ours")

    /// Every rule, in the order the README lists them.
    public static let all: [DeadlineRule] = [dispatchByPassed, signByPassed, returnWindowClosed, reminderBeforeReply, replyByPassed,
                                             revisitUnansweredRule]

    /// The rule for a stored timer kind.
    public static func rule(for kind: TimerKind) -> DeadlineRule {
        switch kind {
        case .dispatchBy: dispatchByPassed
        case .signBy: signByPassed
        case .returnWindow: returnWindowClosed
        case .reminder: reminderBeforeReply
        case .replyBy: replyByPassed
        case .revisitUnanswered: revisitUnansweredRule
        }
    }

    /// What the timer `kind`, due at `dueAt`, does to `order` at `now`.
    public static func fire(_ kind: TimerKind, dueAt: Date, order: WorkOrder, now: Date, profile: PolicyProfile,
                            calendar: WorkingCalendar) -> TimerFiring {
        let rule = rule(for: kind).name
        func domain(_ effects: (Transition) -> [DeadlineEffect]) -> TimerFiring {
            switch Lifecycle.apply(.deadlinePassed(kind), to: order, now: now, profile: profile, calendar: calendar) {
            case .success(let transition): .fire(transition, effects: effects(transition), rule: rule)
            case .failure(let error): .movedOn(note: "the lifecycle refused: \(error.description)")
            }
        }
        let unchanged = Transition(order: order, events: [], timers: [])

        if case .dispatchBy = kind {
            guard order.state == .awaitingDispatch else { return .movedOn(note: "order is \(order.stateName), no longer waiting for dispatch") }
            return domain { _ in [.dispatchOverdue(dueAt: dueAt)] }
        }
        if case .revisitUnanswered = kind {
            guard order.state == .revisitPending else { return .movedOn(note: "order is \(order.stateName), the revisit is over") }
            return .fire(unchanged, effects: [.revisitUnanswered], rule: rule)
        }
        guard order.state == .dispatched || order.state == .redo, let assignment = order.assignment else {
            return .movedOn(note: "order is \(order.stateName), no unit holds it")
        }
        guard assignment.state != .replied else { return .movedOn(note: "the unit replied") }

        switch kind {
        case .dispatchBy, .revisitUnanswered:
            preconditionFailure("handled above")
        case .signBy:
            guard assignment.state == .dispatched else { return .movedOn(note: "the unit signed") }
            return domain { _ in [.signOverdue(dueAt: dueAt)] }
        case .returnWindow:
            guard assignment.state != .returnRequested else { return .movedOn(note: "a return asked within the window waits for the office") }
            let accepted = profile.returns?.lateReturnCountsAsAccepted ?? false
            return .fire(unchanged, effects: [.returnWindowClosed(countsAsAccepted: accepted)], rule: rule)
        case .reminder(let index):
            return .fire(unchanged, effects: [.reminded(index: index, replyBy: assignment.replyBy)], rule: rule)
        case .replyBy:
            return domain { transition in
                var effects: [DeadlineEffect] = [.replyOverdue(dueAt: dueAt)]
                if order.supervision == nil, let reason = transition.order.supervision { effects.append(.supervised(reason)) }
                return effects
            }
        }
    }
}
