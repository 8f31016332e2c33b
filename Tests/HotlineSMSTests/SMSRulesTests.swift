import Foundation
import HotlineDomain
@testable import HotlineSMS
import Testing

/// The pure parts: what citizens really send, quiet hours, retries, numbers, wording, the gateways' answers.
@Suite struct SMSRulesTests {
    /// Every case the issue lists, and the ones that must not be guessed.
    @Test(arguments: [
        ("1", CitizenAnswer.rating(.satisfied, remark: "")),
        ("１", .rating(.satisfied, remark: "")),
        ("一", .rating(.satisfied, remark: "")),
        ("满意", .rating(.satisfied, remark: "满意")),
        ("非常满意", .rating(.satisfied, remark: "非常满意")),
        ("2。", .rating(.basicallySatisfied, remark: "")),
        ("基本满意", .rating(.basicallySatisfied, remark: "基本满意")),
        ("3 还是没人管", .rating(.dissatisfied, remark: "还是没人管")),
        ("不满意，路灯还是不亮", .rating(.dissatisfied, remark: "不满意，路灯还是不亮")),
        ("满意！谢谢", .rating(.satisfied, remark: "满意！谢谢")),
        ("退订", .optOut),
        (" 退订。", .optOut),
        ("TD", .optOut),
        ("３", .rating(.dissatisfied, remark: "")),
        ("3 已经5天了", .rating(.dissatisfied, remark: "已经5天了")),
        ("1 满意", .rating(.satisfied, remark: "满意")),
    ])
    func readsWhatCitizensSend(text: String, expected: CitizenAnswer) {
        #expect(CitizenAnswer.read(text) == expected, "\(text)")
    }

    @Test(arguments: ["", "你好", "12", "4", "1 不满意", "满意 不满意", "一直没人管", "5天了", "什么时候修好", "？"])
    func unclearAnswersAreNeverGuessed(text: String) {
        #expect(CitizenAnswer.read(text) == .unclear, "\(text)")
    }

    static let quiet = QuietHours(from: "21:00", until: "08:00", exceptUrgencies: [.emergency])

    static func china(_ text: String) -> Date {
        let formatter = ISO8601DateFormatter()
        return formatter.date(from: text + "+08:00")!
    }

    @Test func quietHoursHoldUntilTheMorningExceptEmergencies() {
        #expect(Self.quiet.sendAt(Self.china("2026-11-30T23:10:00"), urgency: .general) == Self.china("2026-12-01T08:00:00"))
        #expect(Self.quiet.sendAt(Self.china("2026-12-01T03:00:00"), urgency: nil) == Self.china("2026-12-01T08:00:00"))
        #expect(Self.quiet.sendAt(Self.china("2026-11-30T21:00:00"), urgency: nil) == Self.china("2026-12-01T08:00:00"))
        #expect(Self.quiet.sendAt(Self.china("2026-12-01T08:00:00"), urgency: nil) == Self.china("2026-12-01T08:00:00"))
        #expect(Self.quiet.sendAt(Self.china("2026-11-30T20:59:00"), urgency: nil) == Self.china("2026-11-30T20:59:00"))
        #expect(Self.quiet.sendAt(Self.china("2026-11-30T23:10:00"), urgency: .emergency) == Self.china("2026-11-30T23:10:00"))
    }

    @Test func retriesFollowTheProfileThenStop() throws {
        let delivery = try PolicyProfile.bundled("qidong").sms.delivery
        #expect(delivery.retryDelay(afterAttempts: 1) == 30)
        #expect(delivery.retryDelay(afterAttempts: 2) == 120)
        #expect(delivery.retryDelay(afterAttempts: 4) == 1800)
        #expect(delivery.retryDelay(afterAttempts: 5) == nil)
    }

    @Test func mobileNumbersAsTheGatewayGivesThem() {
        #expect(MobileNumber.canonical("+8613912345678") == "13912345678")
        #expect(MobileNumber.canonical("8613912345678") == "13912345678")
        #expect(MobileNumber.canonical("13912345678") == "13912345678")
        #expect(MobileNumber.canonical("07348123456") == nil)
        #expect(MobileNumber.canonical("12345") == nil)
    }

    @Test func confidentialOrdersAreAnsweredUnderTheHotlinesName() throws {
        let qidong = try PolicyProfile.bundled("qidong")
        let open = ReplySMS.text(template: qidong.sms, unitName: "石桥县自来水有限公司", result: "已修复", confidential: false)
        #expect(open == "【石桥县自来水有限公司】已修复。请回复数字对成员单位的办理结果进行评价:1满意;2基本满意;3不满意")
        let secret = ReplySMS.text(template: qidong.sms, unitName: "石桥县自来水有限公司", result: "已修复", confidential: true)
        #expect(secret == "【祁东12345热线】已修复。请回复数字对成员单位的办理结果进行评价:1满意;2基本满意;3不满意")
        #expect(!secret.contains("自来水"))
    }

    @Test func everyProfileSaysWhereItsDeliveryRulesComeFrom() throws {
        for profile in try PolicyProfile.allBundled() {
            #expect(profile.sms.delivery.basis.hasPrefix("Ours where the documents are silent"), "\(profile.id)")
            #expect(profile.sms.delivery.closeOnRatings.contains(.satisfied), "\(profile.id)")
        }
    }

    @Test func kannelsAnswers() {
        #expect(KannelGateway.outcome(status: 202, body: "0: Accepted for delivery") == .accepted(gatewayId: nil))
        #expect(KannelGateway.outcome(status: 202, body: "3: Queued for later delivery") == .accepted(gatewayId: "queued"))
        #expect(KannelGateway.outcome(status: 503, body: "") == .retry(reason: "kannel answered 503"))
        #expect(KannelGateway.outcome(status: 403, body: "Not routable. Do not try again.") == .retry(reason: "kannel: not routable"))
        if case .rejected = KannelGateway.outcome(status: 403, body: "Authorization failed for sendsms") {} else { Issue.record("bad credentials are final") }
    }

    @Test func theKannelRequestCarriesCodingCharsetAndOurId() throws {
        let gateway = KannelGateway(configuration: .init(sendsmsURL: "http://127.0.0.1:1/cgi-bin/sendsms", user: "u", password: "p+&",
                                                          from: "12345", callbackURL: "http://127.0.0.1:2", secret: "s3cret&x"))
        let url = try #require(gateway.url(for: SMSSendRequest(messageId: 42, phone: "13912345678", text: "已修复 1+1&2")))
        let query = try #require(url.query)
        #expect(query.contains("coding=2") && query.contains("charset=UTF-8") && query.contains("dlr-mask=31"))
        #expect(query.contains("password=p%2B%26"))
        let items = try #require(URLComponents(url: url, resolvingAgainstBaseURL: false)?.queryItems)
        #expect(items.first { $0.name == "text" }?.value == "已修复 1+1&2")
        let check = DeliveryReportKey.check(id: 42, phone: "13912345678")
        #expect(check.count == 8 && check != DeliveryReportKey.check(id: 42, phone: "13912345679"))
        #expect(items.first { $0.name == "dlr-url" }?.value == "http://127.0.0.1:2/sms/dlr?secret=s3cret%26x&id=42&k=\(check)&status=%d")
    }

    @Test func theJSONProvidersAnswers() {
        #expect(HTTPJSONGateway.outcome(status: 200, body: #"{"Code":"OK","BizId":"9"}"#) == .accepted(gatewayId: "9"))
        #expect(HTTPJSONGateway.outcome(status: 200, body: #"{"Code":"isv.BUSINESS_LIMIT_CONTROL"}"#)
                == .retry(reason: "provider: isv.BUSINESS_LIMIT_CONTROL"))
        #expect(HTTPJSONGateway.outcome(status: 200, body: #"{"Code":"isv.MOBILE_NUMBER_ILLEGAL"}"#)
                == .rejected(reason: "provider: isv.MOBILE_NUMBER_ILLEGAL"))
        #expect(HTTPJSONGateway.outcome(status: 502, body: "") == .retry(reason: "provider answered 502"))
    }

    @Test func theFakePhonesScreenReadsUCS2() {
        let line = "2026-11-30 14:26:57 [1] [0] DEBUG: Got message 1: <12345 13800138000 ucs-2 0%10S%BFl4R%A1%5C%400%11>"
        #expect(FakePhone.parse(line) == FakePhone.Message(from: "12345", to: "13800138000", text: "【县水务局】"))
    }
}
