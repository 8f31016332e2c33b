import Foundation
import Testing
@testable import HotlineDomain

/// POLICIES.md §3 (SMS) and §8 (scoring).
@Suite struct SMSAndScoringTests {
    let template = profile("qidong").sms

    @Test func qidong_3_smsPrefixIsTheUnitsNameAndSuffixAsksForARating() {
        let text = SMSText.render(template: template, unitName: "县住建局", result: "您反映的路灯问题已修复")
        #expect(text == "【县住建局】您反映的路灯问题已修复。请回复数字对成员单位的办理结果进行评价:1满意;2基本满意;3不满意")
    }

    @Test func qidong_3_repliesCarryNoStraySpacesOrSpecialSymbols() {
        let text = SMSText.render(template: template, unitName: "县住建局 ",
                                  result: "  您反映的 路灯 问题★已于 5月6日 修复 ## 😊  \n 联系电话 0734 1234567  ")
        #expect(text == "【县住建局】您反映的路灯问题已于5月6日修复联系电话0734 1234567。请回复数字对成员单位的办理结果进行评价:1满意;2基本满意;3不满意")
        #expect(!SMSText.clean("【伪造】结果", template: template).contains("【"))
    }

    @Test func qidong_3_aReplysWordingIsCheckedBeforeItIsSent() {
        // What `clean` would leave as it is passes; each kind of fault is named once, never the text.
        #expect(SMSText.wordingProblems("您反映的路灯问题已于5月6日修复,联系电话0734 1234567。", template: template).isEmpty)
        #expect(SMSText.wordingProblems("Room 302 fixed", template: template).isEmpty)
        let problems = SMSText.wordingProblems(" 您反映的 路灯问题★已修复##  ", template: template)
        #expect(problems.count == 2)
        #expect(problems.contains { $0.contains("special symbols") })
        #expect(problems.contains { $0.contains("stray spaces") })
        #expect(!problems.joined().contains("路灯"))
        for stray in ["修复 ", " 修复", "已\u{3000}修复", "已修复\n谢谢", "Room  302", "已 修复"] {
            #expect(SMSText.wordingProblems(stray, template: template).count == 1, "\(stray.debugDescription)")
        }
        #expect(SMSText.wordingProblems("已修复😊", template: template) == ["contains emoji"])
        // Whatever passes the check is what the SMS sends.
        for text in ["您反映的路灯问题已修复", "Room 302 fixed", "已于5月6日修复。"] {
            #expect(SMSText.clean(text, template: template) == text)
        }
    }

    @Test func sms_segmentsCountInUCS2() {
        #expect(SMSText.segmentCount("") == 0)
        #expect(SMSText.segmentCount(String(repeating: "好", count: 70)) == 1)
        #expect(SMSText.segmentCount(String(repeating: "好", count: 71)) == 2)
        #expect(SMSText.segmentCount(String(repeating: "好", count: 134)) == 2)
        #expect(SMSText.segmentCount(String(repeating: "好", count: 135)) == 3)
        let full = SMSText.render(template: template, unitName: "县住建局", result: "已处理")
        #expect(SMSText.segmentCount(full) == 1)
    }

    @Test(arguments: [
        ("1", RatingReply.satisfied), ("１", .satisfied), ("2", .basicallySatisfied), ("３", .dissatisfied),
        ("满意", .satisfied), ("基本满意", .basicallySatisfied), ("不满意", .dissatisfied), ("非常满意！", .satisfied),
        ("很不满意", .dissatisfied), ("3 还是没人管", .dissatisfied), ("1，谢谢！", .satisfied), ("2👍", .basicallySatisfied),
        (" 1 ", .satisfied), ("1 1", .satisfied), ("1 2", .unknown), ("12", .unknown), ("5", .unknown),
        ("1 不满意", .unknown), ("3不满意", .dissatisfied), ("", .unknown), ("😡", .unknown), ("谢谢", .unknown),
        ("满意 不满意", .unknown),
    ])
    func qidong_3_citizensReplyIsRead(text: String, expected: RatingReply) {
        #expect(SMSText.parseReply(text) == expected, "\(text)")
    }

    // MARK: §8 scoring

    var zezhou: Points100Scheme {
        guard case let .points100(scheme) = profile("zezhou").scoring else { fatalError("zezhou scores in 100 points") }
        return scheme
    }

    func perfect() -> UnitPeriodCounts {
        var counts = UnitPeriodCounts(unit: "县住建局")
        counts.dispatched = 40
        counts.receivedInTime = 40
        counts.closedOnTime = 40
        counts.revisited = 40
        counts.satisfied = 40
        return counts
    }

    @Test func zezhou_8_aPerfectUnitScores100() {
        let result = Scoring.points100(perfect(), scheme: zezhou)
        #expect(result.total == 100)
        #expect(result.vetoed == false)
    }

    @Test func zezhou_8_ratesUseTheStatedMaximaToTwoDecimals() {
        var counts = perfect()
        counts.receivedInTime = 37   // 37/40 × 10 = 9.25
        counts.satisfied = 29        // 29/40 × 15 = 10.875 → 10.88
        counts.closedOnTime = 33
        counts.closedLate = 4
        counts.openOverdue = 3       // on time 33 ÷ (37 + 3) × 20 = 16.5
        let lines = Dictionary(uniqueKeysWithValues: Scoring.points100(counts, scheme: zezhou).lines.map { ($0.item, $0.points) })
        #expect(lines["timelyReceipt"] == 9.25)
        #expect(lines["satisfaction"] == 10.88)
        #expect(lines["onTimeCompletion"] == 16.5)
        // Overdue 7 of 40, scored (1 − 0.175) × 10 = 8.25.
        #expect(lines["overdueRate"] == 8.25)
    }

    @Test func zezhou_8_complaintAndOverdueRatesScoreOneMinusTheRateAndSaySo() {
        var counts = perfect()
        counts.complaintOrders = 10  // (1 − 0.25) × 15 = 11.25
        let result = Scoring.points100(counts, scheme: zezhou)
        #expect(result.lines.first { $0.item == "complaintRate" }?.points == 11.25)
        #expect(result.notes.contains { $0.contains("(1 − rate)") })
        #expect(result.notes.contains { $0.contains("maxima") })
    }

    @Test func zezhou_8_organisationItemsAreTwoPointsEach() {
        var counts = perfect()
        counts.missingOrganisationItems = ["handlingBody", "timeLimitRule"]
        #expect(Scoring.points100(counts, scheme: zezhou).total == 96)
    }

    @Test func zezhou_8_deductionsArePerIncidentWithCaps() {
        var counts = perfect()
        counts.incidents = ["replyNotToStandard": 7, "citizenNotContacted": 50, "missedMeeting": 5,
                            "provincialEscalation": 2, "specialSupervision": 9]
        // −0.7, −3 (cap), −2 (cap), −2, −5 (cap)
        #expect(Scoring.points100(counts, scheme: zezhou).total == 87.3)
    }

    @Test func zezhou_8_bonusIsCappedAtTen() {
        var counts = perfect()
        counts.bonusEvents = ["cityMedia": 1, "provincialLeaderPraise": 1]
        #expect(Scoring.points100(counts, scheme: zezhou).bonus == 1.5)
        counts.bonusEvents = ["nationalMedia": 4, "provincialMedia": 3]
        let result = Scoring.points100(counts, scheme: zezhou)
        #expect(result.bonus == 10)
        #expect(result.total == 110)
    }

    @Test func zezhou_8_vetoItemsFailTheUnit() {
        var counts = perfect()
        counts.vetoes = ["leakExposedCitizen"]
        let result = Scoring.points100(counts, scheme: zezhou)
        #expect(result.vetoed)
        #expect(result.vetoes == ["leakExposedCitizen"])
    }

    @Test func all_8_onTimeCompletionCountsEveryDispatchedOrder() {
        var counts = UnitPeriodCounts(unit: "x")
        counts.dispatched = 10
        counts.closedOnTime = 10
        #expect(counts.onTimeCompletionRate == 1)
        counts.dispatched = 20  // an order still open is not closed on time, late or not
        #expect(counts.onTimeCompletionRate == 0.5)
        counts.closedLate = 5
        counts.openOverdue = 5
        #expect(counts.onTimeCompletionRate == 0.5)
    }

    @Test func baotou_8_threeRatesWeighThirtyThirtyFiveThirtyFive() {
        guard case let .threeRates(scheme) = profile("baotou").scoring else { Issue.record("baotou scores three rates"); return }
        #expect(scheme.responseOffice == 20 && scheme.responseCitizen == 10)
        #expect(scheme.satisfaction == 35 && scheme.resolution == 35)
        var counts = UnitPeriodCounts(unit: "x")
        counts.dispatched = 20
        counts.acceptedInTime = 20   // 20
        counts.contactedInTime = 10  // 5
        counts.revisited = 20
        counts.satisfied = 14
        counts.basicallySatisfied = 2  // 16/20 × 35 = 28
        counts.solved = 15             // 15/20 × 35 = 26.25
        let result = Scoring.threeRates(counts, scheme: scheme)
        #expect(result.response == 25)
        #expect(result.satisfaction == 28)
        #expect(result.resolution == 26.25)
        #expect(result.total == 79.25)
        #expect(result.supervisedAtMeeting)  // resolution 75% < 80%
        counts.solved = 16
        #expect(Scoring.threeRates(counts, scheme: scheme).supervisedAtMeeting == false)
    }

    @Test func qidong_8_theThreeLeastSatisfiedUnitsAreFlaggedEachMonth() {
        guard case let .satisfactionRanking(scheme) = profile("qidong").scoring else { Issue.record("qidong ranks"); return }
        let units = [("A", 10, 10), ("B", 9, 10), ("C", 5, 10), ("D", 8, 10), ("E", 6, 10), ("F", 0, 0)].map { name, good, all in
            var counts = UnitPeriodCounts(unit: name)
            counts.revisited = all
            counts.satisfied = good
            counts.dissatisfied = all - good
            return counts
        }
        let ranking = Scoring.satisfactionRanking(units, scheme: scheme)
        #expect(ranking.map(\.unit) == ["A", "B", "D", "E", "C"])
        #expect(ranking.filter(\.flagged).map(\.unit) == ["D", "E", "C"])
    }
}
