import Foundation
import HotlineContracts
import HotlineDomain
import HotlineIntake
import Testing

/// 2026-11-21 09:30 China time.
let received = Date(timeIntervalSince1970: 1_795_224_600)
let intakeClock = received.addingTimeInterval(5)

func goodSubmission() -> SubmissionV1 {
    SubmissionV1(
        submissionId: "web-20261121-0001", channel: "website", receivedAt: received,
        citizen: .init(name: " 张 三 ", phone: "+86 138 0013 8000"), confidential: true,
        category: "complaint", urgency: "general", title: "幸福小区\u{3000}停水",
        content: "幸福小区从昨天晚上开始停水，到现在还没来水，请尽快处理。\n谢谢！",
        address: "启东市汇龙镇幸福小区3号楼", regionCode: "320681100", agentId: " A1024 ")
}

func problems(_ result: Result<IntakeRequest, SubmissionProblems>) -> [FieldProblem] {
    switch result {
    case .success: []
    case .failure(let failure): failure.problems
    }
}

/// One broken field: the submission, the routing key's channel, the one problem expected.
struct InvalidCase: Sendable, CustomTestStringConvertible {
    let name: String
    var routingChannel: String? = "website"
    let change: @Sendable (inout SubmissionV1) -> Void
    let field: String
    /// The problem text, or its beginning when it ends with "…".
    let problem: String

    var testDescription: String { name }

    func matches(_ found: FieldProblem) -> Bool {
        guard found.field == field else { return false }
        return problem.hasSuffix("…") ? found.problem.hasPrefix(String(problem.dropLast())) : found.problem == problem
    }
}

let invalidCases: [InvalidCase] = [
    InvalidCase(name: "no submissionId", change: { $0.submissionId = nil }, field: "submissionId", problem: "is required"),
    InvalidCase(name: "blank submissionId", change: { $0.submissionId = "  " }, field: "submissionId", problem: "is required"),
    InvalidCase(name: "long submissionId", change: { $0.submissionId = String(repeating: "x", count: 129) },
                field: "submissionId", problem: "must be at most 128 characters"),
    InvalidCase(name: "control character in submissionId", change: { $0.submissionId = "web\u{1}1" },
                field: "submissionId", problem: "must not contain control characters"),
    InvalidCase(name: "no channel", change: { $0.channel = nil }, field: "channel", problem: "is required"),
    InvalidCase(name: "unknown channel", change: { $0.channel = "传真" }, field: "channel", problem: "is not a known channel (…"),
    InvalidCase(name: "channel not the routing key's", routingChannel: "phone", change: { _ in },
                field: "channel", problem: "does not match the routing key"),
    InvalidCase(name: "routing key names an unknown channel", routingChannel: "fax", change: { _ in },
                field: "channel", problem: "does not match the routing key"),
    InvalidCase(name: "no receivedAt", change: { $0.receivedAt = nil }, field: "receivedAt", problem: "is required"),
    InvalidCase(name: "receivedAt in the future", change: { $0.receivedAt = intakeClock.addingTimeInterval(601) },
                field: "receivedAt", problem: "is more than 10 minutes after intake's clock"),
    InvalidCase(name: "receivedAt before 2020", change: { $0.receivedAt = Date(timeIntervalSince1970: 1_577_807_999) },
                field: "receivedAt", problem: "is before 2020-01-01"),
    InvalidCase(name: "no phone", change: { $0.citizen?.phone = nil }, field: "citizen.phone",
                problem: "is required for this channel (the reply SMS and the revisit go to it)"),
    InvalidCase(name: "no citizen at all", change: { $0.citizen = nil }, field: "citizen.phone", problem: "is required for this channel…"),
    InvalidCase(name: "bad phone", change: { $0.citizen?.phone = "138 0013" }, field: "citizen.phone", problem: "has too few digits"),
    InvalidCase(name: "long name", change: { $0.citizen?.name = String(repeating: "张", count: 51) },
                field: "citizen.name", problem: "must be at most 50 characters"),
    InvalidCase(name: "no category", change: { $0.category = nil }, field: "category", problem: "is required"),
    InvalidCase(name: "unknown category", change: { $0.category = "其他" }, field: "category", problem: "is not a known category (…"),
    InvalidCase(name: "unknown urgency", change: { $0.urgency = "很急" }, field: "urgency", problem: "is not a known urgency (…"),
    InvalidCase(name: "unknown class", change: { $0.caseClass = "E" }, field: "class", problem: "must be A, B, C or D (or A类–D类)"),
    InvalidCase(name: "class on a category-keyed profile", change: { $0.caseClass = "B" },
                field: "class", problem: "is not used by profile qidong: give the category and urgency only"),
    InvalidCase(name: "long title", change: { $0.title = String(repeating: "停", count: 101) },
                field: "title", problem: "must be at most 100 characters"),
    InvalidCase(name: "no content", change: { $0.content = nil }, field: "content", problem: "is required"),
    InvalidCase(name: "blank content", change: { $0.content = "\u{3000} \n" }, field: "content", problem: "is required"),
    InvalidCase(name: "long content", change: { $0.content = String(repeating: "水", count: 5001) },
                field: "content", problem: "must be at most 5000 characters"),
    InvalidCase(name: "no address and no region", change: { $0.address = nil; $0.regionCode = "  " },
                field: "address", problem: "address or regionCode is required"),
    InvalidCase(name: "long address", change: { $0.address = String(repeating: "路", count: 201) },
                field: "address", problem: "must be at most 200 characters"),
    InvalidCase(name: "short region code", change: { $0.regionCode = "32068" },
                field: "regionCode", problem: "must be 6, 9 or 12 digits (a gazetteer code)"),
    InvalidCase(name: "10-digit region code", change: { $0.regionCode = "3206811001" },
                field: "regionCode", problem: "must be 6, 9 or 12 digits (a gazetteer code)"),
    InvalidCase(name: "region code with letters", change: { $0.regionCode = "32068A" },
                field: "regionCode", problem: "must be 6, 9 or 12 digits (a gazetteer code)"),
    InvalidCase(name: "outcome without kind", change: { $0.outcome = .init(kind: nil, answer: "已告知") },
                field: "outcome.kind", problem: "is required (answered or notAccepted)"),
    InvalidCase(name: "unknown outcome kind", change: { $0.outcome = .init(kind: "done", answer: "已告知") },
                field: "outcome.kind", problem: "must be answered (即办) or notAccepted (不予受理)"),
    InvalidCase(name: "notAccepted without reason", change: { $0.outcome = .init(kind: "notAccepted") },
                field: "outcome.reason", problem: "is required for a notAccepted outcome"),
    InvalidCase(name: "notAccepted with an unknown reason", change: { $0.outcome = .init(kind: "不予受理", reason: "10") },
                field: "outcome.reason", problem: "is not one of the nine reasons (inLegalProcedure, …"),
    InvalidCase(name: "answered with nothing", change: { $0.outcome = .init(kind: "answered", answer: " ") },
                field: "outcome.answer", problem: "is required when an answered outcome has no kbEntryId"),
    InvalidCase(name: "answered with a bad kb id", change: { $0.outcome = .init(kind: "即办", kbEntryId: 0) },
                field: "outcome.kbEntryId", problem: "must be a positive id"),
]

@Suite struct SubmissionValidationTests {
    let qidong: PolicyProfile
    let pingdingshan: PolicyProfile

    init() throws {
        qidong = try PolicyProfile.bundled("qidong")
        pingdingshan = try PolicyProfile.bundled("pingdingshan")
    }

    func validate(_ s: SubmissionV1, routingChannel: String? = "website", profile: PolicyProfile? = nil) -> Result<IntakeRequest, SubmissionProblems> {
        SubmissionValidation.validate(s, routingChannel: routingChannel, profile: profile ?? qidong, now: intakeClock)
    }

    @Test func aGoodSubmissionIsNormalised() throws {
        let request = try validate(goodSubmission()).get()
        #expect(request.submissionId == "web-20261121-0001")
        #expect(request.channel == .website)
        #expect(request.receivedAt == received)
        #expect(request.citizenName == "张三")
        #expect(request.phone?.digits == "13800138000")
        #expect(request.confidential)
        #expect(request.kind == OrderKind(category: .complaint, urgency: .general))
        #expect(request.title == "幸福小区 停水")
        #expect(request.content == "幸福小区从昨天晚上开始停水，到现在还没来水，请尽快处理。 谢谢！")
        #expect(request.address == "启东市汇龙镇幸福小区3号楼")
        #expect(request.regionCode == "320681100")
        #expect(request.agentId == "A1024")
        #expect(request.outcome == nil)
    }

    @Test func aMissingTitleIsTheContentsFirstTwentyCharacters() throws {
        var s = goodSubmission()
        s.title = nil
        #expect(try validate(s).get().title == "幸福小区从昨天晚上开始停水，到现在还没来")
        s.title = "  "
        #expect(try validate(s).get().title == "幸福小区从昨天晚上开始停水，到现在还没来")
        s.content = "路灯不亮"
        #expect(try validate(s).get().title == "路灯不亮")
    }

    @Test(arguments: invalidCases)
    func eachInvalidFieldAloneGivesExactlyItsProblem(_ invalid: InvalidCase) {
        var s = goodSubmission()
        invalid.change(&s)
        let found = problems(validate(s, routingChannel: invalid.routingChannel))
        #expect(found.count == 1, "\(found)")
        #expect(found.first.map(invalid.matches) == true, "\(found)")
    }

    @Test func everyProblemIsReportedAtOnceWithoutTheValues() {
        let s = SubmissionV1(
            submissionId: nil, channel: "传真", receivedAt: Date(timeIntervalSince1970: 1_500_000_000),
            citizen: .init(name: String(repeating: "李", count: 60), phone: "0734-12345"),
            category: "其他", urgency: "很急", caseClass: "Z", title: String(repeating: "标题", count: 60),
            content: nil, address: nil, regionCode: "4108", outcome: .init(kind: "notAccepted", reason: "骚扰"))
        let found = problems(validate(s, routingChannel: "phone"))
        #expect(found.map(\.field) == [
            "submissionId", "channel", "receivedAt", "citizen.name", "citizen.phone", "category", "urgency", "class",
            "content", "title", "regionCode", "outcome.reason",
        ])
        for problem in found {
            for value in ["传真", "李李李", "12345", "其他", "很急", "标题", "4108", "骚扰"] {
                #expect(!problem.description.contains(value), "\(problem.field) repeats its value")
            }
        }
    }

    @Test func readProblemsComeFirstAndTheirFieldsAreNotCheckedAgain() throws {
        let json = #"""
        {"id":"6f9619ff-8b86-4011-b42d-00c04fc964ff","type":"submission","version":1,"occurredAt":"2026-11-21T01:30:05Z",
         "data":{"submissionId":"sms-1","channel":"sms","receivedAt":"2026-11-21T09:30:00+08:00","citizen":"13800138000",
                 "confidential":"yes","category":7,"content":"路灯不亮","address":"人民路"}}
        """#
        let envelope = try Contracts.decode(SubmissionV1.self, from: Array(json.utf8))
        let found = problems(validate(envelope.data, routingChannel: "sms"))
        #expect(found == [
            FieldProblem(field: "citizen", problem: "must be an object with string fields name and phone"),
            FieldProblem(field: "confidential", problem: "must be true or false"),
            FieldProblem(field: "category", problem: "must be a string"),
        ])
    }

    @Test(arguments: [
        ("热线电话", Channel.phone), ("12345", .phone), ("PHONE", .phone), ("电话", .phone), ("短信", .sms), ("sms", .sms),
        ("网站", .website), ("政府网站", .website), ("门户网站", .website), ("客户端", .app), ("APP", .app), ("app", .app),
        ("微信", .wechat), ("公众号", .wechat), ("WeChat", .wechat), ("市长信箱", .mayorMailbox), ("mayormailbox", .mayorMailbox),
        ("评价系统", .evaluationSystem), ("好差评", .evaluationSystem), ("上级热线", .upperHotline), ("省热线", .upperHotline),
        ("国务院客户端", .upperHotline), ("ｗｅｂｓｉｔｅ", .website),
    ])
    func channelNames(name: String, channel: Channel) throws {
        var s = goodSubmission()
        s.channel = name
        #expect(try validate(s, routingChannel: nil).get().channel == channel)
        #expect(SubmissionValidation.channel(parsing: channel.rawValue) == channel)
        // The routing key may use the code while the body uses a Chinese name.
        #expect(try validate(s, routingChannel: channel.rawValue).get().channel == channel)
    }

    @Test(arguments: [
        ("咨询", Category.consult), ("求助", .help), ("建议", .suggestion), ("意见", .suggestion), ("批评", .criticism),
        ("投诉", .complaint), ("举报类", .report), ("ＣＯＭＰＬＡＩＮＴ", .complaint), (" 投诉\u{3000}", .complaint),
    ])
    func categoryNames(name: String, category: Category) throws {
        var s = goodSubmission()
        s.category = name
        #expect(try validate(s).get().kind.category == category)
    }

    @Test(arguments: [
        ("紧急", Urgency.emergency), ("大面积停水", .majorOutage), ("基本生活保障", .basicLiving), ("一般", .general),
        ("复杂疑难", .complex), ("majorOutage", .majorOutage),
    ])
    func urgencyNames(name: String, urgency: Urgency) throws {
        var s = goodSubmission()
        s.urgency = name
        #expect(try validate(s).get().kind.urgency == urgency)
    }

    @Test func urgencyIsOptional() throws {
        var s = goodSubmission()
        s.urgency = nil
        #expect(try validate(s).get().kind == OrderKind(category: .complaint))
        s.urgency = " "
        #expect(try validate(s).get().kind == OrderKind(category: .complaint))
    }

    @Test func aClassKeyedProfileRequiresTheClass() throws {
        var s = goodSubmission()
        s.urgency = nil
        #expect(problems(validate(s, profile: pingdingshan)) == [
            FieldProblem(field: "class", problem: "is required: profile pingdingshan sets time limits by class A–D"),
        ])
        for (given, expected) in [("A", CaseClass.A), ("b", .B), ("C类", .C), ("Ｄ", .D)] {
            s.caseClass = given
            #expect(try validate(s, profile: pingdingshan).get().kind == OrderKind(category: .complaint, caseClass: expected))
        }
    }

    @Test func everyBundledProfileTakesEveryKindItsKeyAllows() throws {
        for profile in try PolicyProfile.allBundled() {
            for category in Category.allCases {
                var s = goodSubmission()
                s.category = category.rawValue
                switch profile.keyedBy {
                case .category:
                    for urgency in Urgency.allCases {
                        s.urgency = urgency.rawValue
                        #expect(problems(validate(s, profile: profile)).isEmpty, "\(profile.id) \(category) \(urgency)")
                    }
                case .caseClass:
                    for caseClass in CaseClass.allCases {
                        s.caseClass = caseClass.rawValue
                        #expect(problems(validate(s, profile: profile)).isEmpty, "\(profile.id) \(category) \(caseClass)")
                    }
                }
            }
        }
    }

    @Test func onlyAHigherHotlineAndTheEvaluationSystemMayOmitThePhone() throws {
        for channel in Channel.allCases {
            var s = goodSubmission()
            s.channel = channel.rawValue
            s.citizen = nil
            let result = validate(s, routingChannel: channel.rawValue)
            if SubmissionValidation.phoneOptionalChannels.contains(channel) {
                #expect(try result.get().phone == nil)
            } else {
                #expect(problems(result).map(\.field) == ["citizen.phone"], "\(channel)")
            }
        }
        #expect(SubmissionValidation.phoneOptionalChannels == [.upperHotline, .evaluationSystem])
    }

    @Test func receivedAtMayBeSlightlyAheadOfIntakesClock() throws {
        var s = goodSubmission()
        s.receivedAt = intakeClock.addingTimeInterval(600)
        #expect(try validate(s).get().receivedAt == intakeClock.addingTimeInterval(600))
    }

    @Test func eitherAddressOrRegionCodeIsEnough() throws {
        var s = goodSubmission()
        s.address = nil
        #expect(try validate(s).get().regionCode == "320681100")
        s = goodSubmission()
        s.regionCode = nil
        #expect(try validate(s).get().address == "启东市汇龙镇幸福小区3号楼")
        for code in ["320681", "320681100", "320681100201", "３２０６８１"] {
            s.regionCode = code
            #expect(try validate(s).get().regionCode?.count == code.count)
        }
    }

    @Test func notAcceptedOutcomes() throws {
        var s = goodSubmission()
        s.outcome = .init(kind: "不予受理", reason: "4")
        #expect(try validate(s).get().outcome == .notAccepted(.emergencyService, guidance: ScopeGuidance.text(for: .emergencyService)))
        s.outcome = .init(kind: "notAccepted", reason: "outsideJurisdiction", guidance: "请向南通市12345反映")
        #expect(try validate(s).get().outcome == .notAccepted(.outsideJurisdiction, guidance: "请向南通市12345反映"))
        // The numbers follow POLICIES.md §6.
        for (number, reason) in zip(1..., SubmissionValidation.reasonsInOrder) {
            s.outcome = .init(kind: "notaccepted", reason: "\(number)")
            #expect(try validate(s).get().outcome == .notAccepted(reason, guidance: ScopeGuidance.text(for: reason)))
        }
        #expect(SubmissionValidation.reasonsInOrder.first == .inLegalProcedure)
        #expect(SubmissionValidation.reasonsInOrder[5] == .harassmentOrNoRequest)
        #expect(SubmissionValidation.reasonsInOrder.last == .excludedByLaw)
        #expect(Set(SubmissionValidation.reasonsInOrder) == Set(NotAcceptedReason.allCases))
    }

    @Test func answeredOutcomes() throws {
        var s = goodSubmission()
        s.outcome = .init(kind: "即办", kbEntryId: 42)
        #expect(try validate(s).get().outcome == .answered(kbEntryId: 42, answer: nil))
        s.outcome = .init(kind: "已答复", answer: " 已告知办理地点\u{3000}和时间 ")
        #expect(try validate(s).get().outcome == .answered(kbEntryId: nil, answer: "已告知办理地点 和时间"))
        s.outcome = .init(kind: "Answered", kbEntryId: 7, answer: "见知识库")
        #expect(try validate(s).get().outcome == .answered(kbEntryId: 7, answer: "见知识库"))
    }

    @Test func everyReasonHasChineseGuidance() {
        var texts: Set<String> = []
        for reason in NotAcceptedReason.allCases {
            let text = ScopeGuidance.text(for: reason)
            #expect(text.hasSuffix("。"))
            #expect(text.unicodeScalars.contains { $0.properties.isUnifiedIdeograph })
            texts.insert(text)
        }
        #expect(texts.count == NotAcceptedReason.allCases.count)
        #expect(ScopeGuidance.text(for: .emergencyService).contains("110"))
        #expect(ScopeGuidance.text(for: .outsideJurisdiction).contains("事发地12345"))
    }
}
