import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A JSON-over-HTTP SMS provider in the style of Alibaba Cloud's `SendSms` and Tencent Cloud's
/// `SendSms`: a signature name (签名), a template code (模板) and the template's parameters, the
/// reply text as the template's `content`, and our message id as `OutId` (the provider's delivery
/// receipts name it; point them at `<callbackURL>/sms/dlr?secret=…&id=<OutId>&k=<check>&status=1|2`,
/// the check from `DeliveryReportKey`).
///
/// Request: `POST url`, `Authorization: Bearer <accessKey>`, body
/// `{"PhoneNumbers", "SignName", "TemplateCode", "TemplateParam": "{\"content\":…}", "OutId"}`.
/// Answer: `{"Code": "OK", "BizId": …}`; throttling codes (`…LIMIT_CONTROL`, `Throttling…`) and
/// 5xx are tried again, any other code is refused for good.
public struct HTTPJSONGateway: SMSGateway {
    public struct Configuration: Sendable {
        public var url: String
        public var accessKey: String
        public var signName: String
        public var templateCode: String
        public var callbackURL: String
        public var secret: String
        public var timeout: TimeInterval = 10

        public init(url: String, accessKey: String, signName: String, templateCode: String, callbackURL: String, secret: String) {
            self.url = url
            self.accessKey = accessKey
            self.signName = signName
            self.templateCode = templateCode
            self.callbackURL = callbackURL
            self.secret = secret
        }
    }

    public let configuration: Configuration
    public var name: String { "http-json" }
    private let http: BlockingHTTP

    public init(configuration: Configuration) {
        self.configuration = configuration
        http = BlockingHTTP(timeout: configuration.timeout)
    }

    struct Body: Encodable {
        var PhoneNumbers: String
        var SignName: String
        var TemplateCode: String
        var TemplateParam: String
        var OutId: String
    }

    struct Answer: Decodable {
        var Code: String
        var BizId: String?
    }

    /// The request for `request` (tests read it).
    public func urlRequest(for request: SMSSendRequest) -> URLRequest? {
        guard let url = URL(string: configuration.url),
              let parameters = try? JSONEncoder().encode(["content": request.text]),
              let body = try? JSONEncoder().encode(Body(PhoneNumbers: request.phone, SignName: configuration.signName,
                                                         TemplateCode: configuration.templateCode,
                                                         TemplateParam: String(decoding: parameters, as: UTF8.self),
                                                         OutId: String(request.messageId))) else { return nil }
        var urlRequest = URLRequest(url: url)
        urlRequest.httpMethod = "POST"
        urlRequest.httpBody = body
        urlRequest.setValue("application/json; charset=utf-8", forHTTPHeaderField: "Content-Type")
        urlRequest.setValue("Bearer \(configuration.accessKey)", forHTTPHeaderField: "Authorization")
        return urlRequest
    }

    public func send(_ request: SMSSendRequest) -> SMSSendOutcome {
        guard let urlRequest = urlRequest(for: request) else { return .rejected(reason: "the provider request could not be built") }
        switch http.exchange(urlRequest) {
        case .noAnswer(let reason):
            return .retry(reason: "provider did not answer (\(reason))")
        case let .response(status, body):
            return Self.outcome(status: status, body: body)
        }
    }

    public static func outcome(status: Int, body: String) -> SMSSendOutcome {
        if (500...599).contains(status) || status == 429 { return .retry(reason: "provider answered \(status)") }
        guard let answer = try? JSONDecoder().decode(Answer.self, from: Data(body.utf8)) else {
            return status == 200 ? .retry(reason: "provider answered 200 without a code") : .rejected(reason: "provider answered \(status)")
        }
        if answer.Code == "OK" { return .accepted(gatewayId: answer.BizId) }
        // The code is the provider's, never our data.
        let code = String(answer.Code.prefix(60))
        if code.contains("LIMIT_CONTROL") || code.hasPrefix("Throttling") || code.contains("SYSTEM") {
            return .retry(reason: "provider: \(code)")
        }
        return .rejected(reason: "provider: \(code)")
    }
}
