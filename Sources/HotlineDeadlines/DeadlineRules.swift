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
    /// Another limit passed without what it asked for (`firstFeedback`, `progressReport`,
    /// `redoDue`, `kbEntryDue`, `supervisionPlanDue`): `assignment.overdue` naming the timer;
    /// `unit` the unit that owed it.
    case limitOverdue(TimerKind, unit: String, dueAt: Date)
    /// The reply limit passed with `reminders` reminders unanswered (qidong 两次催办仍不回复): event
    /// `offenceRecorded` (`remindersIgnored`), which scoring counts.
    case remindersIgnored(reminders: Int)
    /// baotou's month-end list: event `monthEndUncleared`, `workorder.month_end_uncleared`.
    case monthEndUncleared(month: String, replyBy: Date)
    /// The revisit SMS went unanswered: the order goes to the office's phone-revisit queue; event
    /// `revisitUnanswered`.
    case revisitUnanswered
}

/// What the store knows beyond the order that some rules need; the claimer reads each only for
/// the kinds that use it.
public struct TimerFacts: Hashable, Sendable {
    /// The unit the timer was scheduled for (`timers.data.unit`), if it names one.
    public var unit: String?
    /// The order is approved for exclusion (剔除) by now (`monthEnd`).
    public var excluded: Bool
    /// Reminders of the current reply limit fired and left unanswered (no feedback, extension or
    /// return request after them) (`replyBy`, `progressReport`, `redoDue`).
    public var remindersIgnored: Int

    public init(unit: String? = nil, excluded: Bool = false, remindersIgnored: Int = 0) {
        self.unit = unit
        self.excluded = excluded
        self.remindersIgnored = remindersIgnored
    }
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
        firesAt: "the profile's `dispatch` limit after receipt (henan: 24 natural hours; 2 natural hours for major outages)",
        does: "order still waiting for dispatch: event `overdue` (dispatchBy), `workorder.dispatch_overdue` to the office; otherwise nothing",
        basis: "POLICIES.md §2 Sign and dispatch; profile `dispatch`. henan: \"不能直接答复的,24小时内派发工单至承办单位办理\" and \"如果收到大面积停水、停电、停气、停热及环境污染等…诉求,12345热线应当在2个小时内派发工单至承办单位\": natural hours, since the document's \"(非工作日时间可顺延)\" qualifies only the unit's signing (POLICIES.md §10 counts henan's dispatch in working time: the document wins)")

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
        startedBy: "dispatch (and again on an approved extension or a restarted limit); a limit asking for a progress report starts `progressReport` instead, a redo `redoDue`",
        firesAt: "the profile's `reply` limit (working days end at 24:00 of the Nth working day after dispatch; hours in natural time for emergencies)",
        does: "lead unit has not replied: events `overdue` (replyBy) and `supervised` (overdue), `assignment.overdue` and `workorder.supervised`; the order stays overdue in the figures when replied later; where the profile has `deadlineWatch.remindersIgnored` (qidong: 2) and that many reminders of this reply-by went unanswered (no feedback, extension or return request after the first), event `offenceRecorded` (remindersIgnored), counted by scoring (`offence.remindersIgnored`); otherwise nothing",
        basis: "POLICIES.md §2 time limits, §5 supervision; profile `reply`. qidong 附件2 一(六)(4): \"超期未办结的诉求\" is a supervision trigger; zezhou 二(三)5(2): \"承办部门逾期未办结事项，通过电话联系承办单位\"; pingdingshan 六(一): \"对未按时限办结…编制《市长热线督办通知》\". baotou and henan do not say overdue orders are supervised: the lifecycle supervises them too (ours)")

    public static let firstFeedbackPassed = DeadlineRule(
        name: "firstFeedbackPassed", kind: "firstFeedback",
        startedBy: "the lead unit signing (through the API or the CLI), when the profile has a first-feedback rule counted from signing (henan major outages); dispatch, for one counted from the start (none today)",
        firesAt: "the profile's `firstFeedback` limit after signing (henan: 2 natural hours)",
        does: "no feedback and no reply yet: event `overdue` (firstFeedback), `assignment.overdue` timer firstFeedback; a feedback or a reply cancels it",
        basis: "POLICIES.md §2, §11 (henan first feedback counts from signing); profile `firstFeedback`. henan: \"承办单位须在签收后2个小时内反馈初步办理意见\"; natural hours: the document allows no postponement here")

    public static let progressReportPassed = DeadlineRule(
        name: "progressReportPassed", kind: "progressReport",
        startedBy: "dispatch, instead of `replyBy`, when the reply rule asks for a progress report (`progressReport`: pingdingshan class C); restarted like the reply-by (approved extension, restarted limit)",
        firesAt: "the reply rule's limit (pingdingshan class C: 24:00 on the 5th working day after dispatch)",
        does: "no progress feedback and no reply: events `overdue` (progressReport) and `supervised` (overdue), `assignment.overdue` and `workorder.supervised`; the reminders before it run as before the reply-by; a feedback (`fedBack`) or a reply cancels it",
        basis: "POLICIES.md §2 (pingdingshan class C), §5; profile `reply[class C].progressReport`. pingdingshan 四: \"C类事项…在5个工作日内向市长热线办公室回复前期处理情况及办理计划,待事项办结后以书面形式回复\"; 六(一): \"对未按时限办结…编制《市长热线督办通知》\"")

    public static let redoDuePassed = DeadlineRule(
        name: "redoDuePassed", kind: "redoDue",
        startedBy: "a redo (the revisit's rating sends the order back, `Lifecycle` `.rate`), instead of `replyBy`; restarted by an approved extension",
        firesAt: "the profile's `redo.limit` after the redo (zezhou: 24:00 on the 5th working day), else the order's original limit counted again",
        does: "the unit has not replied again: events `overdue` (redoDue) and `supervised` (overdue), `assignment.overdue` timer redoDue; a reply cancels it",
        basis: "POLICIES.md §2 Redo; profile `redo`. zezhou 二(二)4: \"经晋城市政务服务热线受理中心首次评价为不满意事项,发回承办单位重办,重办次数为1次,重办期限为5个工作日\"; supervising an overdue redo is ours, as for `replyBy`")

    public static let kbEntryDuePassed = DeadlineRule(
        name: "kbEntryDuePassed", kind: "kbEntryDue",
        startedBy: "`Timers.schedule(.kbEntryDue, …)` when a reply marked for the knowledge base is reviewed (the KB's call site); `Timers.cancel(.kbEntryDue, …)` when the entry is written",
        firesAt: "the profile's `knowledgeBase.entryAfterReply` limit after the reply (qidong: 24:00 on the next working day)",
        does: "event `overdue` (kbEntryDue) on the order, `assignment.overdue` timer kbEntryDue to the unit, whatever the order's state (the entry is owed after the reply)",
        basis: "POLICIES.md §7; profile `knowledgeBase.entryAfterReply`. qidong 附件2 二(五)5: \"工单派单备注中有注明需录入知识库中的,请各成员单位在工单回复后的1个工作日内,以一问一答的形式将问题和答复内容录入知识库\"")

    public static let supervisionPlanDuePassed = DeadlineRule(
        name: "supervisionPlanDuePassed", kind: "supervisionPlanDue",
        startedBy: "`Timers.schedule(.supervisionPlanDue, …)` when the office records an on-site supervision (the supervision's call site); `Timers.cancel(.supervisionPlanDue, …)` when the plan is filed",
        firesAt: "the profile's `supervision.kinds[].planDue` limit after the on-site supervision (pingdingshan: 24:00 on the 3rd working day)",
        does: "unit has not replied: event `overdue` (supervisionPlanDue), `assignment.overdue` timer supervisionPlanDue; a replied, returned or closed order: nothing",
        basis: "POLICIES.md §5; profile `supervision.kinds[].planDue`. pingdingshan 六(二): \"网络单位应在现场督办后3个工作日内向市长热线办公室报送办理工作方案\"")

    public static let monthEndClearing = DeadlineRule(
        name: "monthEndClearing", kind: "monthEnd",
        startedBy: "every start of the reply limit (dispatch, approved extension, restarted limit, redo), when the profile clears each month (baotou): the old month-end timer is cancelled, one for the new reply-by's month started",
        firesAt: "24:00 (China time) on the last day of the month the reply-by falls in (a reply-by at 24:00 on 31 October belongs to October)",
        does: "lead unit not replied and the order not excluded with approval: event `monthEndUncleared`, `workorder.month_end_uncleared` to the office (the month's list: `hotlinectl timers month-end YYYY-MM`); an extension approved before it moved the timer to its own month; a reply cancels it",
        basis: "POLICIES.md §8 (baotou zero clearing); profile `deadlineWatch.monthEndClearing`. baotou 四(二)2: \"坚持每月清零。一般工单限时办结清零,延时挂账工单到期办结清零…剔除类工单申请剔除清零\"")

    public static let revisitUnansweredRule = DeadlineRule(
        name: "revisitUnanswered", kind: "revisitUnanswered",
        startedBy: "hotline-sms-reply, when the gateway accepts the reply SMS that starts the revisit",
        firesAt: "the profile's `sms.delivery.revisitWait` after the SMS went out (48 natural hours in every profile)",
        does: "order still waiting for the citizen's rating (`revisitPending`): into the office's phone-revisit queue (`phone_revisits`, reason revisitUnanswered), event `revisitUnanswered`; otherwise nothing",
        basis: "POLICIES.md §3, §4; profile `sms.delivery.revisitWait`. qidong 附件2 一(五)3: 无人接听的情况: 需拨打2次再通过短信回复, and 一(七): the hotline revisits; the documents give no wait for an SMS answer, so 48 hours and the phone revisit after it are ours")

    /// Every rule, in the order the README lists them.
    public static let all: [DeadlineRule] = [dispatchByPassed, signByPassed, returnWindowClosed, reminderBeforeReply, replyByPassed,
                                             firstFeedbackPassed, progressReportPassed, redoDuePassed, kbEntryDuePassed,
                                             supervisionPlanDuePassed, monthEndClearing, revisitUnansweredRule]

    /// The rule for a stored timer kind.
    public static func rule(for kind: TimerKind) -> DeadlineRule {
        switch kind {
        case .dispatchBy: dispatchByPassed
        case .signBy: signByPassed
        case .returnWindow: returnWindowClosed
        case .reminder: reminderBeforeReply
        case .replyBy: replyByPassed
        case .firstFeedback: firstFeedbackPassed
        case .progressReport: progressReportPassed
        case .redoDue: redoDuePassed
        case .kbEntryDue: kbEntryDuePassed
        case .supervisionPlanDue: supervisionPlanDuePassed
        case .monthEnd: monthEndClearing
        case .revisitUnanswered: revisitUnansweredRule
        }
    }

    /// The month (`YYYY-MM`, China time) a month-end timer firing at `end` closes.
    public static func month(endingAt end: Date) -> String {
        let last = LocalDate(instant: end.addingTimeInterval(-1))
        return last.month < 10 ? "\(last.year)-0\(last.month)" : "\(last.year)-\(last.month)"
    }

    /// What the timer `kind`, due at `dueAt`, does to `order` at `now`; `facts` are what the
    /// store knows beyond the order (`TimerFacts`).
    public static func fire(_ kind: TimerKind, dueAt: Date, order: WorkOrder, now: Date, profile: PolicyProfile,
                            calendar: WorkingCalendar, facts: TimerFacts = TimerFacts()) -> TimerFiring {
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
        if case .kbEntryDue = kind {
            // Owed after the reply, whatever the order has become since: only the entry cancels it.
            let unit = facts.unit ?? order.assignment?.leadUnit ?? ""
            return .fire(unchanged, effects: [.limitOverdue(.kbEntryDue, unit: unit, dueAt: dueAt)], rule: rule)
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
        case .replyBy, .progressReport, .redoDue:
            return domain { transition in
                var effects: [DeadlineEffect] = [kind == .replyBy ? .replyOverdue(dueAt: dueAt)
                                                 : .limitOverdue(kind, unit: assignment.leadUnit, dueAt: dueAt)]
                if order.supervision == nil, let reason = transition.order.supervision { effects.append(.supervised(reason)) }
                if let offence = profile.deadlineWatch?.remindersIgnored, facts.remindersIgnored >= offence.count {
                    effects.append(.remindersIgnored(reminders: facts.remindersIgnored))
                }
                return effects
            }
        case .firstFeedback:
            guard assignment.state != .returnRequested else { return .movedOn(note: "a return waits for the office") }
            return domain { _ in [.limitOverdue(.firstFeedback, unit: assignment.leadUnit, dueAt: dueAt)] }
        case .supervisionPlanDue:
            return .fire(unchanged, effects: [.limitOverdue(.supervisionPlanDue, unit: facts.unit ?? assignment.leadUnit, dueAt: dueAt)],
                         rule: rule)
        case .monthEnd:
            if facts.excluded { return .movedOn(note: "excluded with approval (剔除)") }
            guard DeadlineWatchRules.monthEnd(of: assignment.replyBy) <= dueAt else {
                return .movedOn(note: "the reply-by moved to a later month")
            }
            return .fire(unchanged, effects: [.monthEndUncleared(month: month(endingAt: dueAt), replyBy: assignment.replyBy)], rule: rule)
        case .kbEntryDue:
            preconditionFailure("handled above")
        }
    }
}
