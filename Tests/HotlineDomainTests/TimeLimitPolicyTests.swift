import Foundation
import Testing
@testable import HotlineDomain

/// POLICIES.md §2: time limits, sign and dispatch, per profile.
@Suite struct TimeLimitPolicyTests {
    @Test func vocabulary_1_chineseCategoryAndUrgencyNamesParse() {
        #expect(Category(parsing: "咨询") == .consult)
        #expect(Category(parsing: "求助") == .help)
        #expect(Category(parsing: "建议") == .suggestion)
        #expect(Category(parsing: "意见") == .suggestion)
        #expect(Category(parsing: "批评") == .criticism)
        #expect(Category(parsing: "投诉") == .complaint)
        #expect(Category(parsing: "举报") == .report)
        #expect(Category(parsing: "complaint") == .complaint)
        #expect(Category(parsing: "表扬") == nil)
        #expect(Urgency(parsing: "紧急") == .emergency)
        #expect(Urgency(parsing: "基本生活保障") == .basicLiving)
        #expect(Urgency(parsing: "复杂疑难") == .complex)
        #expect(Urgency(parsing: "大面积停水") == .majorOutage)
        #expect(Urgency(parsing: "major-outage") == .majorOutage)
        #expect(CaseClass(parsing: "c") == .C)
        #expect(CaseClass(parsing: "D类") == .D)
        #expect(CaseClass(parsing: "E") == nil)
    }

    @Test func qidong_2_emergencyRepliesWithinOneWorkingDay() throws {
        #expect(fmt(try deadlines("qidong", .complaint, urgency: .emergency).replyBy) == "2024-05-08T00:00:00+08:00")
    }

    @Test func qidong_2_emergenciesArePhonedToTheUnitAtOnce() throws {
        let set = try deadlines("qidong", .help, urgency: .emergency)
        #expect(set.dispatchBy == monday)
        #expect(try deadlines("qidong", .help).dispatchBy == nil)
    }

    @Test func qidong_2_consultRepliesWithinThreeWorkingDays() throws {
        #expect(fmt(try deadlines("qidong", .consult).replyBy) == "2024-05-10T00:00:00+08:00")
    }

    @Test(arguments: [Category.help, .suggestion, .criticism, .complaint, .report])
    func qidong_2_otherCategoriesReplyWithinFiveWorkingDays(category: Category) throws {
        // May 7–10, then the make-up Saturday May 11.
        #expect(fmt(try deadlines("qidong", category).replyBy) == "2024-05-12T00:00:00+08:00")
    }

    @Test func qidong_2_signWithin24HoursOfWorkingTime() throws {
        #expect(fmt(try deadlines("qidong", .help).signBy) == "2024-05-07T10:00:00+08:00")
        // Dispatched Friday 2024-05-17 10:00: 14 hours that day, the weekend does not count.
        #expect(fmt(try deadlines("qidong", .help, at: instant("2024-05-17T10:00:00+08:00")).signBy) == "2024-05-20T10:00:00+08:00")
    }

    @Test func baotou_2_emergencyWithinTwoHoursOfNaturalTime() throws {
        let holiday = instant("2024-10-03T10:00:00+08:00")
        #expect(fmt(try deadlines("baotou", .help, urgency: .emergency, at: holiday).replyBy) == "2024-10-03T12:00:00+08:00")
    }

    @Test func baotou_2_basicLivingWithin24HoursOfNaturalTime() throws {
        let saturday = instant("2024-05-18T09:00:00+08:00")
        #expect(fmt(try deadlines("baotou", .help, urgency: .basicLiving, at: saturday).replyBy) == "2024-05-19T09:00:00+08:00")
    }

    @Test func baotou_2_generalWithinFiveAndComplexWithinTenWorkingDays() throws {
        #expect(fmt(try deadlines("baotou", .consult).replyBy) == "2024-05-12T00:00:00+08:00")
        #expect(fmt(try deadlines("baotou", .complaint, urgency: .general).replyBy) == "2024-05-12T00:00:00+08:00")
        #expect(fmt(try deadlines("baotou", .complaint, urgency: .complex).replyBy) == "2024-05-18T00:00:00+08:00")
    }

    @Test func zezhou_2_consultAndSuggestionWithinThreeWorkingDays() throws {
        #expect(fmt(try deadlines("zezhou", .consult).replyBy) == "2024-05-10T00:00:00+08:00")
        #expect(fmt(try deadlines("zezhou", .suggestion).replyBy) == "2024-05-10T00:00:00+08:00")
    }

    @Test func zezhou_2_helpWithinSevenWorkingDays() throws {
        #expect(fmt(try deadlines("zezhou", .help).replyBy) == "2024-05-15T00:00:00+08:00")
    }

    @Test func zezhou_2_complaintWithinTenWorkingDays() throws {
        #expect(fmt(try deadlines("zezhou", .complaint).replyBy) == "2024-05-18T00:00:00+08:00")
        #expect(fmt(try deadlines("zezhou", .report).replyBy) == "2024-05-18T00:00:00+08:00")
    }

    @Test func pingdingshan_2_classesAAndDAreDueAtOnceHolidaysNoExcuse() throws {
        let holiday = instant("2024-10-03T10:00:00+08:00")
        for caseClass in [CaseClass.A, .D] {
            let set = try deadlines("pingdingshan", .help, caseClass: caseClass, at: holiday)
            #expect(set.replyBy == holiday)
            #expect(set.replyLimit == .atOnce)
        }
    }

    @Test func pingdingshan_2_classBWithinFiveWorkingDays() throws {
        #expect(fmt(try deadlines("pingdingshan", .complaint, caseClass: .B).replyBy) == "2024-05-12T00:00:00+08:00")
    }

    @Test func pingdingshan_2_classCReportsProgressWithinFiveWorkingDays() throws {
        let set = try deadlines("pingdingshan", .suggestion, caseClass: .C)
        #expect(fmt(set.replyBy) == "2024-05-12T00:00:00+08:00")
        #expect(set.replyNote?.contains("progress") == true)
    }

    @Test func pingdingshan_2_limitsNeedAClassAndOtherProfilesRefuseOne() {
        #expect(throws: RuleError.classRequired(profile: "pingdingshan")) { try deadlines("pingdingshan", .help) }
        #expect(throws: RuleError.classNotUsed(profile: "qidong")) { try deadlines("qidong", .help, caseClass: .B) }
    }

    @Test func henan_2_repliesByCategory() throws {
        #expect(fmt(try deadlines("henan", .consult).replyBy) == "2024-05-10T00:00:00+08:00")
        #expect(fmt(try deadlines("henan", .help).replyBy) == "2024-05-12T00:00:00+08:00")
        #expect(fmt(try deadlines("henan", .suggestion).replyBy) == "2024-05-12T00:00:00+08:00")
        #expect(fmt(try deadlines("henan", .complaint).replyBy) == "2024-05-18T00:00:00+08:00")
        #expect(fmt(try deadlines("henan", .report).replyBy) == "2024-05-18T00:00:00+08:00")
    }

    /// 不能直接答复的,24小时内派发工单 (natural hours); 承办单位应当在接到工单24小时内签收(非工作日时间可顺延).
    @Test func henan_2_dispatchWithin24HoursSignWithin24HoursOfWorkingTime() throws {
        let friday = instant("2024-05-17T10:00:00+08:00")
        let set = try deadlines("henan", .help, at: friday)
        #expect(fmt(set.dispatchBy) == "2024-05-18T10:00:00+08:00")
        #expect(fmt(set.signBy) == "2024-05-20T10:00:00+08:00")
    }

    @Test func henan_2_majorOutageDispatchedWithinTwoHoursFirstFeedbackTwoHoursAfterSigning() throws {
        let sunday = instant("2024-05-19T22:00:00+08:00")
        let set = try deadlines("henan", .help, urgency: .majorOutage, at: sunday)
        #expect(fmt(set.dispatchBy) == "2024-05-20T00:00:00+08:00")
        // Counted from the signing (POLICIES.md §11), which the dispatch cannot know.
        #expect(set.firstFeedbackBy == nil)
        #expect(set.firstFeedbackAfterSigning == .naturalHours(2))
        #expect(try deadlines("henan", .help).firstFeedbackAfterSigning == nil)
    }

    @Test func all_10_remindersComeBeforeTheReplyBy() throws {
        let set = try deadlines("zezhou", .help)
        #expect(set.reminders.map(ChinaTime.format) == ["2024-05-14T00:00:00+08:00", "2024-05-14T20:00:00+08:00"])
        // An "at once" order has no time for reminders.
        #expect(try deadlines("pingdingshan", .help, caseClass: .A).reminders.isEmpty)
    }

    @Test func all_10_outsideTheLoadedYearsIsAnError() {
        #expect(throws: RuleError.self) { try deadlines("qidong", .consult, at: instant("2026-12-30T10:00:00+08:00")) }
    }
}
