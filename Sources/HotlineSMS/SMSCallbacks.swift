import Foundation
import HTTPTypes
import HotlineRuntime
import HotlineStore
import Hummingbird
import Logging
import NIOCore
import PostgresClient

/// The endpoints the gateway calls back, on the worker's HTTP endpoint (bind it where only the
/// gateway reaches it: `HOTLINE_HTTP_HOST`, loopback by default), both authenticated by the
/// shared secret in their query (`secret=`):
///
/// - `POST /sms/mo?secret=…&time=%t`, the citizen's text as the body and the phone in
///   `X-Kannel-From` (Kannel's `sms-service` `post-url`); `GET /sms/mo?secret=…&from=%p&text=%a`
///   also works (`get-url`). Stored first and read in the same transaction
///   (`AnswerInterpreter`), answered 200 with an empty body (Kannel sends nothing back).
/// - `GET /sms/dlr?secret=…&id=<our message id>&k=<check>&status=%d`: a delivery report.
///
/// A wrong or missing secret is 403; a report or answer without what it needs is 400, with the
/// reason in the body (no personal data). Database work runs on a `PostgresPool`'s threads.
public struct SMSCallbacks: Sendable {
    public let pool: PostgresPool
    public let secret: String
    public let interpreter: AnswerInterpreter
    public let clock: any HotlineClock
    public let metrics: SMSMetrics?
    public let logger: Logger

    public init(pool: PostgresPool, secret: String, interpreter: AnswerInterpreter, clock: any HotlineClock,
                metrics: SMSMetrics?, logger: Logger) {
        self.pool = pool
        self.secret = secret
        self.interpreter = interpreter
        self.clock = clock
        self.metrics = metrics
        self.logger = logger
    }

    static let fromHeader = HTTPField.Name("X-Kannel-From")!

    public func addRoutes(to router: Router<BasicRequestContext>) {
        router.post("sms/mo") { request, _ in
            let body = try await request.body.collect(upTo: 16 * 1024)
            return await self.mo(request, text: String(decoding: body.readableBytesView, as: UTF8.self))
        }
        router.get("sms/mo") { request, _ in
            await self.mo(request, text: request.uri.queryParameters.get("text") ?? "")
        }
        router.get("sms/dlr") { request, _ in await self.dlr(request) }
    }

    func authorised(_ request: Request) -> Bool {
        guard let given = request.uri.queryParameters.get("secret") else { return false }
        // Compared in constant time.
        let a = Array(given.utf8), b = Array(secret.utf8)
        guard a.count == b.count else { return false }
        return zip(a, b).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    func mo(_ request: Request, text: String) async -> Response {
        guard authorised(request) else { return Self.answer(.forbidden, "wrong or missing secret\n") }
        let from = request.headers[Self.fromHeader] ?? request.uri.queryParameters.get("from") ?? ""
        let time = request.uri.queryParameters.get("time")
        let now = clock.now()
        let interpreter = self.interpreter
        do {
            let receipt = try await pool.withConnection { connection in
                try connection.withTransaction { tx in
                    try interpreter.receive(from: from, text: text, gatewayTime: time, at: now, on: tx)
                }
            }
            logger.info("citizen's SMS received", metadata: [
                "hotline.sms.id": "\(receipt.messageId)", "hotline.sms.interpretation": "\(receipt.interpretation)",
                "hotline.work_order.number": "\(receipt.orderNumber ?? "-")", "hotline.sms.outcome": "\(receipt.outcome ?? "-")"])
            return Self.answer(.ok, "")
        } catch {
            // Kannel retries (http-request-retry): nothing was committed.
            logger.error("citizen's SMS not stored", metadata: ["hotline.error": "\(SafeErrors.describe(error))"])
            return Self.answer(.serviceUnavailable, "not stored, try again\n")
        }
    }

    func dlr(_ request: Request) async -> Response {
        guard authorised(request) else { return Self.answer(.forbidden, "wrong or missing secret\n") }
        guard let id = request.uri.queryParameters.get("id"), !id.isEmpty,
              let status = request.uri.queryParameters.get("status").flatMap({ Int($0) }) else {
            return Self.answer(.badRequest, "a delivery report needs id and a numeric status\n")
        }
        let now = clock.now()
        let check = request.uri.queryParameters.get("k")
        do {
            let matched = try await pool.withConnection { connection in
                try connection.withTransaction { tx in
                    try SMSMessages.deliveryReport(namedId: id, check: check, status: status, at: now, on: tx)
                }
            }
            metrics?.report(status: status, matched: matched)
            if !matched { logger.warning("delivery report for no message of ours", metadata: ["hotline.sms.named_id": "\(id.prefix(32))"]) }
            return Self.answer(.ok, "")
        } catch {
            logger.error("delivery report not stored", metadata: ["hotline.error": "\(SafeErrors.describe(error))"])
            return Self.answer(.serviceUnavailable, "not stored, try again\n")
        }
    }

    static func answer(_ status: HTTPResponse.Status, _ text: String) -> Response {
        Response(status: status, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
