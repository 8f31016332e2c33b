import Foundation
import HotlineDomain
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One SMS for a gateway: our message id (it comes back in delivery reports), the handset and the
/// text (both personal data: never in an error or a log line).
public struct SMSSendRequest: Sendable {
    public var messageId: Int64
    public var phone: String
    public var text: String

    public init(messageId: Int64, phone: String, text: String) {
        self.messageId = messageId
        self.phone = phone
        self.text = text
    }
}

/// What a gateway said to one message. Reasons hold no personal data.
public enum SMSSendOutcome: Sendable, Equatable {
    /// Taken for delivery; `gatewayId` when the gateway names the message.
    case accepted(gatewayId: String?)
    /// May pass: a timeout, a 5xx, "queued for later delivery" (the SMS centre is away).
    case retry(reason: String)
    /// Will not pass: bad credentials, not routable, a malformed number.
    case rejected(reason: String)
}

/// An SMS gateway behind one interface: Kannel's sendsms (`KannelGateway`) or a JSON-over-HTTP
/// provider (`HTTPJSONGateway`). `send` blocks; the sender calls it from its own thread.
public protocol SMSGateway: Sendable {
    /// `kannel`, `http-json`: stored with each message it took.
    var name: String { get }
    func send(_ request: SMSSendRequest) -> SMSSendOutcome
}

/// A blocking HTTP exchange over URLSession (FoundationNetworking on Linux), for the gateways.
struct BlockingHTTP: Sendable {
    let session: URLSession

    init(timeout: TimeInterval, connections: Int = 32) {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.timeoutIntervalForResource = timeout
        configuration.httpMaximumConnectionsPerHost = connections
        session = URLSession(configuration: configuration)
    }

    enum Answer {
        case response(status: Int, body: String)
        /// No answer: refused, timed out, reset (the error's code, no data of ours).
        case noAnswer(String)
    }

    func exchange(_ request: URLRequest) -> Answer {
        final class Box: @unchecked Sendable {
            // @unchecked Sendable: written by the completion handler before `done` is signalled,
            // read after the wait.
            var answer: Answer = .noAnswer("no answer")
        }
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        session.dataTask(with: request) { data, response, error in
            if let http = response as? HTTPURLResponse {
                box.answer = .response(status: http.statusCode, body: String(decoding: data ?? Data(), as: UTF8.self))
            } else if let error = error as? URLError {
                box.answer = .noAnswer("URLError \(error.code.rawValue)")
            } else {
                box.answer = .noAnswer(error.map { "\(type(of: $0))" } ?? "no response")
            }
            done.signal()
        }.resume()
        done.wait()
        return box.answer
    }
}

/// Kannel's `/cgi-bin/sendsms` (ARCHITECTURE.md, Known pitfalls): `coding=2` with
/// `charset=UTF-8` (without `coding=2` the phone gets `?????`), `dlr-mask=31` and a `dlr-url`
/// carrying our own message id (Kannel's `%I` is a fresh id per report).
public struct KannelGateway: SMSGateway {
    public struct Configuration: Sendable {
        public var sendsmsURL: String
        public var user: String
        public var password: String
        /// The number the citizen sees and answers to.
        public var from: String
        /// Where Kannel reports deliveries: `<callbackURL>/sms/dlr`.
        public var callbackURL: String
        public var secret: String
        public var timeout: TimeInterval = 10
        /// False only for measuring the gateway alone (`hotlinectl bench sms`): no dlr-mask, no dlr-url.
        public var deliveryReports = true

        public init(sendsmsURL: String, user: String, password: String, from: String, callbackURL: String, secret: String) {
            self.sendsmsURL = sendsmsURL
            self.user = user
            self.password = password
            self.from = from
            self.callbackURL = callbackURL
            self.secret = secret
        }
    }

    public let configuration: Configuration
    public var name: String { "kannel" }
    private let http: BlockingHTTP

    public init(configuration: Configuration) {
        self.configuration = configuration
        http = BlockingHTTP(timeout: configuration.timeout)
    }

    /// The sendsms request for `request` (tests read it).
    public func url(for request: SMSSendRequest) -> URL? {
        // %d is Kannel's placeholder for the report's status: Kannel substitutes it.
        let dlrURL = configuration.callbackURL + "/sms/dlr?secret=" + Self.encode(configuration.secret)
            + "&id=" + String(request.messageId) + "&k=" + DeliveryReportKey.check(id: request.messageId, phone: request.phone)
            + "&status=%d"
        var items = [
            ("username", configuration.user), ("password", configuration.password), ("from", configuration.from),
            ("to", request.phone), ("text", request.text), ("coding", "2"), ("charset", "UTF-8"),
        ]
        if configuration.deliveryReports { items += [("dlr-mask", "31"), ("dlr-url", dlrURL)] }
        let query = items.map { "\($0.0)=\(Self.encode($0.1))" }.joined(separator: "&")
        return URL(string: configuration.sendsmsURL + "?" + query)
    }

    /// Percent-encodes everything but unreserved characters (RFC 3986), so '+', '&', '=' and
    /// Chinese text reach Kannel as they are.
    static func encode(_ value: String) -> String {
        var allowed = CharacterSet.alphanumerics.intersection(CharacterSet(charactersIn: Unicode.Scalar(0)...Unicode.Scalar(127)))
        allowed.insert(charactersIn: "-._~")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }

    public func send(_ request: SMSSendRequest) -> SMSSendOutcome {
        guard let url = url(for: request) else { return .rejected(reason: "the sendsms URL could not be built") }
        switch http.exchange(URLRequest(url: url)) {
        case .noAnswer(let reason):
            return .retry(reason: "kannel did not answer (\(reason))")
        case let .response(status, body):
            return Self.outcome(status: status, body: body)
        }
    }

    /// Kannel's answers: `202 0: Accepted for delivery`, `202 3: Queued for later delivery` (the
    /// SMS centre is away: the message would go out after it reconnects, out of order; we keep it
    /// and try again, so it is never lost with bearerbox's memory), `403` (not routable, bad
    /// credentials), `400` (bad request), 5xx.
    public static func outcome(status: Int, body: String) -> SMSSendOutcome {
        let text = body.trimmingCharacters(in: .whitespacesAndNewlines)
        switch status {
        case 200, 202:
            if text.hasPrefix("0:") { return .accepted(gatewayId: nil) }
            if text.hasPrefix("3:") { return .accepted(gatewayId: "queued") }
            return .retry(reason: "kannel answered \(status) \(text.prefix(40))")
        case 500...599:
            return .retry(reason: "kannel answered \(status)")
        case 403 where text.contains("Not routable"):
            // The SMS centre is stopped: it may come back.
            return .retry(reason: "kannel: not routable")
        default:
            return .rejected(reason: "kannel answered \(status) \(text.prefix(60))")
        }
    }
}
