import Foundation
import Testing
@testable import HotlineDomain

/// POLICIES.md §11: where a profile read its document loosely, the document wins; where the
/// document gives no number, the profile says the number is ours.
@Suite struct ProfileCorrectionTests {
    @Test func qidong_11_redoAndReturnCountsBeforeSupervisionAreOurs() throws {
        let qidong = profile("qidong")
        let redo = try #require(qidong.redo)
        #expect(redo.supervisionAfterRedos == 2)
        #expect(redo.basis.contains("多次跟踪落实不到位的直接转督办"))
        #expect(redo.basis.contains("supervisionAfterRedos 2 is ours"))
        #expect(redo.basis.contains("not a supervision trigger"))
        let returns = try #require(qidong.returns)
        #expect(returns.maxReturnsBeforeSupervision == 2)
        #expect(returns.basis.contains("相互推诿"))
        #expect(returns.basis.contains("maxReturnsBeforeSupervision 2 is ours"))
    }

    /// Only qidong's document words the reply SMS; the others use qidong's as our default.
    @Test func all_11_smsWordingIsOursExceptQidongs() throws {
        for profile in try PolicyProfile.allBundled() {
            if profile.id == "qidong" {
                #expect(profile.sms.basis.hasPrefix("附件2 一(五)4: 短信前缀设置为“成员单位名称”"))
                #expect(profile.sms.basis.contains("Ours: the 【】"))
            } else {
                #expect(profile.sms.basis.hasPrefix("Our default, copied from qidong"), "\(profile.id)")
                #expect(profile.sms.basis.hasSuffix("the \(profile.id) document gives no SMS wording"), "\(profile.id)")
            }
        }
    }

    /// 三(二)9: 按时办结事项件数 ÷ 转办总件数: every order dispatched in the period is in the
    /// denominator, closed or not, late or not.
    @Test func zezhou_11_onTimeCompletionIsOverEveryDispatchedOrder() throws {
        guard case let .points100(scheme) = profile("zezhou").scoring else { Issue.record("zezhou scores 100 points"); return }
        var counts = UnitPeriodCounts(unit: "x")
        counts.dispatched = 20
        counts.closedOnTime = 10
        counts.closedLate = 2
        counts.openOverdue = 3
        #expect(counts.onTimeCompletionRate == 0.5)
        let line = try #require(Scoring.points100(counts, scheme: scheme).lines.first { $0.item == "onTimeCompletion" })
        #expect(line.points == 10)  // 10 ÷ 20 × 20
        #expect(UnitPeriodCounts(unit: "y").onTimeCompletionRate == nil)
        #expect(scheme.notes.contains { $0.contains("按时办结事项件数 ÷ 转办总件数") })
    }

    /// 三(二)7 及时接收率 and baotou's 是否及时接单 need a "received in time" rule: a sign limit of ours.
    @Test func zezhou_baotou_11_signLimitsAreOurs() throws {
        let zezhou = try deadlines("zezhou", .complaint)
        #expect(fmt(zezhou.signBy) == "2024-05-07T10:00:00+08:00")  // 24 working hours from Monday 10:00
        let general = try deadlines("baotou", .complaint)
        #expect(fmt(general.signBy) == "2024-05-07T10:00:00+08:00")
        #expect(fmt(try deadlines("baotou", .help, urgency: .emergency).signBy) == "2024-05-06T10:30:00+08:00")
        #expect(fmt(try deadlines("baotou", .help, urgency: .basicLiving).signBy) == "2024-05-06T12:00:00+08:00")
        for id in ["zezhou", "baotou"] {
            let rules = profile(id).sign
            #expect(!rules.isEmpty)
            #expect(rules.allSatisfy { $0.basis.hasPrefix("Ours: ") && $0.basis.contains("及时接") }, "\(id)")
        }
    }

    /// 签收后2个小时内反馈初步办理意见: from the signing, not from the dispatch.
    @Test func henan_11_firstFeedbackIsDueTwoHoursAfterSigning() throws {
        let henan = profile("henan")
        let outage = OrderKind(category: .help, urgency: .majorOutage)
        let set = try Deadlines.compute(profile: henan, kind: outage, start: monday, calendar: bundledCalendar)
        #expect(set.firstFeedbackBy == nil)
        #expect(set.firstFeedbackAfterSigning == .naturalHours(2))
        let signed = instant("2024-05-06T15:20:00+08:00")
        let due = try Deadlines.firstFeedbackBy(profile: henan, kind: outage, start: monday, signedAt: signed, calendar: bundledCalendar)
        #expect(fmt(due) == "2024-05-06T17:20:00+08:00")
        #expect(try Deadlines.firstFeedbackBy(profile: henan, kind: help, start: monday, signedAt: signed, calendar: bundledCalendar) == nil)
        #expect(try deadlines("henan", .help).firstFeedbackAfterSigning == nil)
    }

    /// 办结或反馈: a progress feedback within the limit satisfies baotou's limits.
    @Test func baotou_11_limitsAreReplyOrFeedback() throws {
        for rule in profile("baotou").reply {
            #expect(rule.basis.contains("办结或反馈"), "\(rule.basis)")
            #expect(rule.note?.hasPrefix("办结或反馈: a progress feedback") == true)
        }
        for urgency in Urgency.allCases {
            #expect(try deadlines("baotou", .help, urgency: urgency).replyNote?.contains("feedback") == true, "\(urgency)")
        }
    }

    /// 对回访中发现办理结果不属实的事项, 发回责任单位重新办理: whatever the citizen's rating.
    @Test func pingdingshan_11_anUntrueResultIsRedoneWhateverTheRating() throws {
        #expect(profile("pingdingshan").redo?.trigger == .redoReasonFound)
        let kind = OrderKind(category: .help, caseClass: .B)
        for rating in [Rating.satisfied, .basicallySatisfied, .dissatisfied] {
            let order = try run([(.reply(unit: "住建局", contactedCitizen: true), monday), (.startRevisit, monday)],
                                on: try dispatchedOrder("pingdingshan", kind), "pingdingshan").0
            let rated = try run([(.rate(rating, redoReason: .resultUntrue, exemptReason: nil), monday)], on: order, "pingdingshan").0
            #expect(rated.state == .redo, "\(rating)")
            let plain = try run([(.rate(rating, redoReason: nil, exemptReason: nil), monday)], on: order, "pingdingshan").0
            #expect(plain.state == .rated, "\(rating)")
        }
        // qidong still needs the citizen dissatisfied.
        let qidong = try run([(.reply(unit: "住建局", contactedCitizen: true), monday), (.startRevisit, monday)],
                             on: try dispatchedOrder("qidong", help), "qidong").0
        #expect(try run([(.rate(.satisfied, redoReason: .resultUntrue, exemptReason: nil), monday)], on: qidong, "qidong").0.state == .rated)
    }

    /// Every profile says where its reminders come from; none of the documents sets their times.
    @Test func all_11_remindersAreMarkedOurs() throws {
        for profile in try PolicyProfile.allBundled() where !profile.remindersBeforeReply.isEmpty {
            #expect(profile.remindersBasis.hasPrefix("Ours: "), "\(profile.id)")
        }
    }

    @Test func onlyFirstFeedbackCountsFromSigningAndRemindersNeedABasis() throws {
        let sign = try #require(try profileLoadError { json in
            json["sign"] = [["match": [:], "limit": ["amount": 24, "unit": "workingHours"], "basis": "x", "from": "signing"]]
        })
        #expect(sign.description == "centre.json: sign[0].from: only firstFeedback rules count from signing")
        let feedback = try profileLoadError { json in
            json["firstFeedback"] = [["match": [:], "limit": ["amount": 2, "unit": "naturalHours"], "basis": "x", "from": "signing"]]
        }
        #expect(feedback == nil)
        let reminders = try #require(try profileLoadError { json in json["remindersBasis"] = "" })
        #expect(reminders.keyPath == "remindersBasis")
        let missing = try #require(try profileLoadError { json in json.removeValue(forKey: "remindersBasis") })
        #expect(missing.problem == "required key is missing")
    }
}
