import Foundation
import Testing
@testable import HotlineDomain

let help = OrderKind(category: .help)
let consult = OrderKind(category: .consult)
let emergency = OrderKind(category: .help, urgency: .emergency)

/// POLICIES.md §2 (returns, extensions, redo), §3, §4, §5, §6: the lifecycle under each profile.
@Suite struct LifecyclePolicyTests {
    // MARK: Whole lifecycle

    @Test func lifecycle_fullPathProducesEventsAndTimers() throws {
        let order = WorkOrder(id: "WO-1", kind: consult, channel: .phone, receivedAt: monday)
        let later = monday.addingTimeInterval(3600)
        let (final, events, timers) = try run([
            (.accept, monday), (.dispatch(lead: "住建局", coUnits: []), monday), (.sign(unit: "住建局"), later),
            (.reply(unit: "住建局", contactedCitizen: true), later), (.startRevisit, later),
            (.rate(.satisfied, redoReason: nil, exemptReason: nil), later), (.close, later),
        ], on: order, "qidong")
        #expect(final.state == .closed)
        #expect(final.rating == .satisfied)
        #expect(events == [.accepted, .dispatched(lead: "住建局", coUnits: [], replyBy: instant("2024-05-10T00:00:00+08:00")),
                           .signed(unit: "住建局"), .replied(unit: "住建局", late: false), .revisitStarted,
                           .rated(.satisfied), .closed])
        #expect(timers.contains(.start(.signBy, at: instant("2024-05-07T10:00:00+08:00"))))
        #expect(timers.contains(.start(.returnWindow, at: instant("2024-05-08T00:00:00+08:00"))))
        #expect(timers.contains(.start(.replyBy, at: instant("2024-05-10T00:00:00+08:00"))))
        #expect(timers.contains(.cancel(.signBy)))
        #expect(timers.contains(.cancel(.replyBy)))
    }

    @Test func lifecycle_commandsOutOfOrderAreRefusedWithTheState() throws {
        let order = WorkOrder(id: "WO-1", kind: help, channel: .app, receivedAt: monday)
        expectError(.notAllowed(command: "sign", state: "received"), apply(.sign(unit: "住建局"), order, "qidong"))
        expectError(.notAllowed(command: "close", state: "received"), apply(.close, order, "qidong"))
        let dispatched = try dispatchedOrder("qidong", help)
        expectError(.wrongUnit(expected: "住建局"), apply(.sign(unit: "水务局"), dispatched, "qidong"))
        #expect(RuleError.notAllowed(command: "close", state: "signed").description == "cannot close an order that is signed")
    }

    @Test func lifecycle_resolvedAtIntakeIsNeverDispatched() throws {
        let order = WorkOrder(id: "WO-1", kind: consult, channel: .phone, receivedAt: monday)
        let (resolved, events, _) = try run([(.resolveAtIntake, monday)], on: order, "henan")
        #expect(resolved.state == .resolvedAtIntake)
        #expect(events == [.resolvedAtIntake])
        expectError(.notAllowed(command: "dispatch", state: "resolvedAtIntake"), apply(.dispatch(lead: "x", coUnits: []), resolved, "henan"))
    }

    // MARK: §2 returns

    @Test func qidong_2_returnWindowIsOneWorkingDay() throws {
        let order = try dispatchedOrder("qidong", help)
        // Within the window (ends 24:00 on Tuesday May 7).
        #expect((try? apply(.requestReturn(unit: "住建局"), order, "qidong", at: instant("2024-05-07T23:59:00+08:00")).get()) != nil)
        // Past it the order counts as accepted.
        expectError(.returnWindowClosed(endedAt: instant("2024-05-08T00:00:00+08:00"), countsAsAccepted: true),
                    apply(.requestReturn(unit: "住建局"), order, "qidong", at: instant("2024-05-08T00:00:01+08:00")))
        #expect(RuleError.returnWindowClosed(endedAt: instant("2024-05-08T00:00:00+08:00"), countsAsAccepted: true)
            .description.contains("counts as accepted"))
    }

    @Test func qidong_2_rejectedReturnMayNotBeReturnedAgain() throws {
        let order = try dispatchedOrder("qidong", help)
        let (rejected, _, _) = try run([(.requestReturn(unit: "住建局"), monday), (.rejectReturn, monday)], on: order, "qidong")
        expectError(.rejectedReturnMayNotBeReturnedAgain, apply(.requestReturn(unit: "住建局"), rejected, "qidong"))
        #expect(RuleError.rejectedReturnMayNotBeReturnedAgain.description == "a rejected return may not be returned again")
    }

    @Test func qidong_2_rejectedReturnKeepsTheOriginalTimeLimit() throws {
        let order = try dispatchedOrder("qidong", help)
        let (rejected, _, timers) = try run([(.requestReturn(unit: "住建局"), monday),
                                             (.rejectReturn, instant("2024-05-07T15:00:00+08:00"))], on: order, "qidong")
        #expect(rejected.assignment?.replyBy == order.assignment?.replyBy)
        #expect(!timers.contains(.cancel(.replyBy)))
    }

    @Test func qidong_2_approvedReturnGoesBackForRedispatch() throws {
        let order = try dispatchedOrder("qidong", help)
        let (returned, events, timers) = try run([(.requestReturn(unit: "住建局"), monday), (.approveReturn, monday)], on: order, "qidong")
        #expect(returned.state == .awaitingDispatch)
        #expect(returned.assignment == nil)
        #expect(events.contains(.returnApproved(unit: "住建局")))
        #expect(timers.contains(.cancel(.replyBy)))
    }

    @Test func zezhou_2_returnWindowIsTwoWorkingDaysAndARefusedUnitMayAskAgain() throws {
        let order = try dispatchedOrder("zezhou", help)
        let wednesdayNight = instant("2024-05-08T23:00:00+08:00")
        let (rejected, _, _) = try run([(.requestReturn(unit: "住建局"), wednesdayNight), (.rejectReturn, wednesdayNight)], on: order, "zezhou")
        #expect((try? apply(.requestReturn(unit: "住建局"), rejected, "zezhou", at: wednesdayNight).get()) != nil)
        // zezhou 二(二)5 says only 2个工作日内申请退回: no 视为受理 (only qidong's document says it).
        expectError(.returnWindowClosed(endedAt: instant("2024-05-09T00:00:00+08:00"), countsAsAccepted: false),
                    apply(.requestReturn(unit: "住建局"), order, "zezhou", at: instant("2024-05-09T08:00:00+08:00")))
        #expect(!RuleError.returnWindowClosed(endedAt: instant("2024-05-09T00:00:00+08:00"), countsAsAccepted: false)
            .description.contains("accepted"))
    }

    @Test func pingdingshan_2_returnsGoToTheOfficeWithoutAFixedWindow() throws {
        let order = try dispatchedOrder("pingdingshan", OrderKind(category: .help, caseClass: .B))
        #expect(order.assignment?.returnWindowEnd == nil)
        #expect((try? apply(.requestReturn(unit: "住建局"), order, "pingdingshan", at: instant("2024-05-10T08:00:00+08:00")).get()) != nil)
    }

    @Test func baotou_2_henan_2_statesNoReturnProcedure() throws {
        for id in ["baotou", "henan"] {
            let order = try dispatchedOrder(id, help)
            expectError(.returnsNotProvided(profile: id), apply(.requestReturn(unit: "住建局"), order, id))
        }
    }

    // MARK: §2 extensions

    @Test func qidong_2_emergencyExtendedAtMostOnceByOneWorkingDay() throws {
        let order = try dispatchedOrder("qidong", emergency)
        expectError(.extensionLimit(subject: "emergency orders", maxCount: 1, maxAmount: .workingDays(1)),
                    apply(.requestExtension(unit: "住建局", amount: .workingDays(2), citizenConsented: true), order, "qidong"))
        let (extended, _, _) = try run([(.requestExtension(unit: "住建局", amount: .workingDays(1), citizenConsented: true), monday),
                                         (.approveExtension(amount: nil), monday)], on: order, "qidong")
        #expect(fmt(extended.assignment?.replyBy) == "2024-05-09T00:00:00+08:00")
        expectError(.extensionLimit(subject: "emergency orders", maxCount: 1, maxAmount: .workingDays(1)),
                    apply(.requestExtension(unit: "住建局", amount: .workingDays(1), citizenConsented: true), extended, "qidong"))
    }

    @Test func qidong_2_consultExtendedOnceByAtMostThreeWorkingDays() throws {
        let order = try dispatchedOrder("qidong", consult)
        let tooLong = apply(.requestExtension(unit: "住建局", amount: .workingDays(4), citizenConsented: true), order, "qidong")
        expectError(.extensionLimit(subject: "consult orders", maxCount: 1, maxAmount: .workingDays(3)), tooLong)
        if case let .failure(error) = tooLong {
            #expect(error.description == "consult orders may be extended once, by at most 3 working days")
        }
        let (extended, events, _) = try run([(.requestExtension(unit: "住建局", amount: .workingDays(3), citizenConsented: true), monday),
                                             (.approveExtension(amount: nil), monday)], on: order, "qidong")
        // Due 24:00 Thursday May 9; Friday, the make-up Saturday and Monday: 24:00 Monday May 13.
        #expect(events.contains(.extensionApproved(newReplyBy: instant("2024-05-14T00:00:00+08:00"))))
        expectError(.extensionLimit(subject: "consult orders", maxCount: 1, maxAmount: .workingDays(3)),
                    apply(.requestExtension(unit: "住建局", amount: .workingDays(1), citizenConsented: true), extended, "qidong"))
    }

    @Test func qidong_2_otherOrdersExtendedTwiceByFiveWorkingDaysEach() throws {
        var order = try dispatchedOrder("qidong", OrderKind(category: .complaint))
        for _ in 0..<2 {
            order = try run([(.requestExtension(unit: "住建局", amount: .workingDays(5), citizenConsented: true), monday),
                             (.approveExtension(amount: nil), monday)], on: order, "qidong").0
        }
        #expect(order.assignment?.extensions == [.workingDays(5), .workingDays(5)])
        expectError(.extensionLimit(subject: "complaint orders", maxCount: 2, maxAmount: .workingDays(5)),
                    apply(.requestExtension(unit: "住建局", amount: .workingDays(1), citizenConsented: true), order, "qidong"))
        expectError(.extensionLimit(subject: "complaint orders", maxCount: 2, maxAmount: .workingDays(5)),
                    apply(.requestExtension(unit: "住建局", amount: .workingDays(6), citizenConsented: true),
                          try dispatchedOrder("qidong", OrderKind(category: .complaint)), "qidong"))
    }

    @Test func all_2_extensionMustBeAskedBeforeTheDueTime() throws {
        let order = try dispatchedOrder("qidong", consult)
        let late = instant("2024-05-10T08:00:00+08:00")
        expectError(.extensionAfterDue(dueAt: instant("2024-05-10T00:00:00+08:00")),
                    apply(.requestExtension(unit: "住建局", amount: .workingDays(1), citizenConsented: true), order, "qidong", at: late))
    }

    @Test func zezhou_2_noExtensionForEmergencies() throws {
        let order = try dispatchedOrder("zezhou", OrderKind(category: .consult, urgency: .emergency))
        let result = apply(.requestExtension(unit: "住建局", amount: .workingDays(1), citizenConsented: true), order, "zezhou")
        guard case let .failure(.extensionNotAllowed(subject, _)) = result else {
            Issue.record("emergency extension allowed: \(result)"); return
        }
        #expect(subject == "emergency orders")
    }

    @Test func zezhou_2_extensionMayNotExceedTheOriginalLimit() throws {
        let order = try dispatchedOrder("zezhou", OrderKind(category: .help))  // 7 working days
        expectError(.extensionExceedsOriginal(requestedTotal: .workingDays(8), original: .workingDays(7)),
                    apply(.requestExtension(unit: "住建局", amount: .workingDays(8), citizenConsented: true), order, "zezhou"))
        let (once, _, _) = try run([(.requestExtension(unit: "住建局", amount: .workingDays(4), citizenConsented: true), monday),
                                    (.approveExtension(amount: nil), monday)], on: order, "zezhou")
        expectError(.extensionExceedsOriginal(requestedTotal: .workingDays(8), original: .workingDays(7)),
                    apply(.requestExtension(unit: "住建局", amount: .workingDays(4), citizenConsented: true), once, "zezhou"))
        #expect((try? apply(.requestExtension(unit: "住建局", amount: .workingDays(3), citizenConsented: true), once, "zezhou").get()) != nil)
    }

    @Test func pingdingshan_2_oneExtensionWithTheLimitSetByTheOffice() throws {
        let order = try dispatchedOrder("pingdingshan", OrderKind(category: .complaint, caseClass: .B))
        let (extended, _, _) = try run([(.requestExtension(unit: "住建局", amount: .workingDays(10), citizenConsented: true), monday),
                                        (.approveExtension(amount: .workingDays(3)), monday)], on: order, "pingdingshan")
        #expect(extended.assignment?.extensions == [.workingDays(3)])
        // Due 24:00 on the make-up Saturday May 11; May 13, 14, 15.
        #expect(fmt(extended.assignment?.replyBy) == "2024-05-16T00:00:00+08:00")
        expectError(.extensionLimit(subject: "complaint orders", maxCount: 1, maxAmount: nil),
                    apply(.requestExtension(unit: "住建局", amount: .workingDays(1), citizenConsented: true), extended, "pingdingshan"))
    }

    @Test func baotou_2_delayedAndCarriedNeedsTheCitizensConsent() throws {
        let order = try dispatchedOrder("baotou", help)
        expectError(.extensionNeedsCitizenConsent,
                    apply(.requestExtension(unit: "住建局", amount: .workingDays(5), citizenConsented: false), order, "baotou"))
        #expect((try? apply(.requestExtension(unit: "住建局", amount: .workingDays(5), citizenConsented: true), order, "baotou").get()) != nil)
        #expect(profile("baotou").extensionRule(for: help)?.assessedSeparately == true)
    }

    @Test func henan_2_statesNoExtensions() throws {
        let order = try dispatchedOrder("henan", help)
        expectError(.extensionsNotProvided(profile: "henan", subject: "help orders"),
                    apply(.requestExtension(unit: "住建局", amount: .workingDays(1), citizenConsented: true), order, "henan"))
    }

    // MARK: §2 redo, §4 revisit

    func revisitPending(_ id: String, _ kind: OrderKind) throws -> WorkOrder {
        try run([(.reply(unit: "住建局", contactedCitizen: true), monday), (.startRevisit, monday)],
                on: try dispatchedOrder(id, kind), id).0
    }

    @Test func zezhou_2_firstDissatisfiedIsRedoneOnceWithinFiveWorkingDays() throws {
        let order = try revisitPending("zezhou", help)
        let (redone, events, _) = try run([(.rate(.dissatisfied, redoReason: nil, exemptReason: nil), monday)], on: order, "zezhou")
        #expect(redone.state == .redo)
        #expect(events.contains(.redone(replyBy: instant("2024-05-12T00:00:00+08:00"))))
        let (second, _, _) = try run([(.reply(unit: "住建局", contactedCitizen: true), monday), (.startRevisit, monday),
                                      (.rate(.dissatisfied, redoReason: nil, exemptReason: nil), monday)], on: redone, "zezhou")
        #expect(second.state == .rated)
        #expect(second.redoCount == 1)
    }

    @Test(arguments: RedoReason.allCases)
    func qidong_4_dissatisfiedWithARedoReasonGoesBackToTheUnit(reason: RedoReason) throws {
        let order = try revisitPending("qidong", help)
        let (redone, _, _) = try run([(.rate(.dissatisfied, redoReason: reason, exemptReason: nil), monday)], on: order, "qidong")
        #expect(redone.state == .redo)
        // qidong states no separate redo limit: the original 5 working days count again.
        #expect(fmt(redone.assignment?.replyBy) == "2024-05-12T00:00:00+08:00")
    }

    @Test(arguments: ExemptReason.allCases)
    func qidong_4_exemptCasesAreNotRedone(reason: ExemptReason) throws {
        let order = try revisitPending("qidong", help)
        let (rated, _, _) = try run([(.rate(.dissatisfied, redoReason: nil, exemptReason: reason), monday)], on: order, "qidong")
        #expect(rated.state == .rated)
        #expect(profile("qidong").revisit?.exemptReasons.contains(reason) == true)
    }

    @Test func qidong_4_firstFourExemptCasesCloseOnProof() {
        #expect(profile("qidong").revisit?.closeOnProofFor == Array(ExemptReason.allCases.prefix(4)))
    }

    @Test func qidong_4_repeatedRedoBecomesSupervision() throws {
        var order = try revisitPending("qidong", help)
        order = try run([(.rate(.dissatisfied, redoReason: .resultUntrue, exemptReason: nil), monday)], on: order, "qidong").0
        #expect(order.supervision == nil)
        let (again, events, _) = try run([(.reply(unit: "住建局", contactedCitizen: true), monday), (.startRevisit, monday),
                                          (.rate(.dissatisfied, redoReason: .resultUntrue, exemptReason: nil), monday)], on: order, "qidong")
        #expect(again.supervision == .repeatedRedo)
        #expect(events.contains(.supervised(.repeatedRedo)))
    }

    @Test func pingdingshan_4_onlyAnUntrueResultIsSentBack() throws {
        let kind = OrderKind(category: .help, caseClass: .B)
        let untrue = try run([(.rate(.dissatisfied, redoReason: .resultUntrue, exemptReason: nil), monday)],
                             on: try revisitPending("pingdingshan", kind), "pingdingshan").0
        #expect(untrue.state == .redo)
        let other = try run([(.rate(.dissatisfied, redoReason: .accountToCitizenUntrue, exemptReason: nil), monday)],
                            on: try revisitPending("pingdingshan", kind), "pingdingshan").0
        #expect(other.state == .rated)
    }

    // MARK: §3 replying

    @Test func qidong_3_confidentialOrdersTheUnitMustNotContactTheCitizen() throws {
        let order = try dispatchedOrder("qidong", help, confidential: true)
        expectError(.confidentialContact, apply(.reply(unit: "住建局", contactedCitizen: true), order, "qidong"))
        #expect((try? apply(.reply(unit: "住建局", contactedCitizen: false), order, "qidong").get()) != nil)
    }

    // MARK: §5 supervision

    @Test func qidong_5_unitsReturningTheOrderBetweenThemTriggerSupervision() throws {
        var order = try dispatchedOrder("qidong", help)
        order = try run([(.requestReturn(unit: "住建局"), monday), (.approveReturn, monday),
                         (.dispatch(lead: "水务局", coUnits: []), monday)], on: order, "qidong").0
        #expect(order.supervision == nil)
        let (final, _, _) = try run([(.requestReturn(unit: "水务局"), monday), (.approveReturn, monday)], on: order, "qidong")
        #expect(final.supervision == .returnedBetweenUnits)
    }

    @Test func qidong_5_overdueTriggersSupervisionAndTenCitizensMakeACluster() throws {
        let order = try dispatchedOrder("qidong", help)
        let (late, events, _) = try run([(.deadlinePassed(.replyBy), instant("2024-05-12T00:00:00+08:00"))], on: order, "qidong")
        #expect(late.supervision == .overdue)
        #expect(events == [.overdue(.replyBy), .supervised(.overdue)])
        #expect(profile("qidong").intake.clusterThreshold == 10)
    }

    @Test func zezhou_5_systemRemindsBeforeTheDueTime() throws {
        let order = WorkOrder(id: "WO-1", kind: help, channel: .phone, receivedAt: monday)
        let (_, _, timers) = try run([(.accept, monday), (.dispatch(lead: "住建局", coUnits: []), monday)], on: order, "zezhou")
        #expect(timers.contains(.start(.reminder(0), at: instant("2024-05-14T00:00:00+08:00"))))
        #expect(timers.contains(.start(.reminder(1), at: instant("2024-05-14T20:00:00+08:00"))))
    }

    // MARK: §6 intake

    @Test(arguments: NotAcceptedReason.allCases)
    func henan_6_requestsOutsideTheScopeAreNotAccepted(reason: NotAcceptedReason) throws {
        let order = WorkOrder(id: "WO-1", kind: help, channel: .phone, receivedAt: monday)
        let (refused, events, _) = try run([(.refuse(reason), monday)], on: order, "henan")
        #expect(refused.state == .notAccepted)
        #expect(events == [.notAccepted(reason)])
        expectError(.notAllowed(command: "dispatch", state: "notAccepted"), apply(.dispatch(lead: "x", coUnits: []), refused, "henan"))
    }

    @Test func henan_6_harassingCallersMayBeRestricted() {
        #expect(profile("henan").intake.harassmentLimitPerPhonePerDay != nil)
    }
}
