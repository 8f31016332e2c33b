import Foundation
import HotlineDomain
import HotlineRuntime
import HotlineStore
import Logging
import PostgresClient
import Synchronization

/// The sender loop: claims due outbound SMS (`SMSMessages.claimDue`, `FOR UPDATE SKIP LOCKED`, so
/// any number of senders run side by side) and marks them `sending` (the revisit's
/// `revisitUnanswered` timer started), sends each through the gateway under the rate limit, and
/// records the outcomes: accepted, retrying after the profile's backoff (timeouts, 5xx, an SMS
/// centre that is away), or failed after the profile's attempts, with the order in the
/// phone-revisit queue.
///
/// It runs outside the consumer's transaction. A crash after the gateway accepted a message and
/// before the record leaves it `sending`: its delivery report settles it (Kannel retries the
/// report until the worker is back), and only a message still unsettled after `inDoubtSeconds`
/// goes again.
/// A retry that would fall in the profile's quiet hours waits for their end. Time comes from the
/// injected clock: tests move it and call `sendDue(on:)`.
public final class SMSSender: ThreadLoop, @unchecked Sendable {
    // @unchecked Sendable: configuration, gateway, clock, profiles and metrics are immutable or
    // Sendable; the counters are behind a Mutex; the connection lives on the loop's thread only.

    public struct Configuration: Sendable {
        public var name = "sms-reply-sender"
        public var databaseURL: String
        /// Messages per claim (one transaction).
        public var batchSize = 200
        /// Requests to the gateway in flight at once.
        public var concurrency = 16
        /// The gateway's rate limit, messages per second.
        public var ratePerSecond: Double = 1_000
        public var pollInterval: TimeInterval = 0.2
        /// How long a message left `sending` by a crashed sender waits for its delivery report
        /// before it goes again.
        public var inDoubtSeconds: TimeInterval = 30
        /// False only when the operator turned quiet hours off (`HOTLINE_SMS_QUIET_HOURS=off`).
        public var quietHours = true

        public init(databaseURL: String) { self.databaseURL = databaseURL }
    }

    public struct BatchReport: Sendable, Equatable {
        public var claimed = 0
        public var accepted = 0
        public var retrying = 0
        public var failed = 0
    }

    public let configuration: Configuration
    public let logger: Logger
    public var name: String { configuration.name }
    private let gateway: any SMSGateway
    private let clock: any HotlineClock
    private let profiles: [String: PolicyProfile]
    private let metrics: SMSMetrics?
    private let limiter: RateLimiter
    private let state = Mutex<(ready: Bool, accepted: Int)>((false, 0))

    public init(configuration: Configuration, gateway: any SMSGateway, clock: any HotlineClock,
                profiles: [String: PolicyProfile], metrics: SMSMetrics? = nil) {
        self.configuration = configuration
        self.gateway = gateway
        self.clock = clock
        self.profiles = profiles
        self.metrics = metrics
        limiter = RateLimiter(perSecond: configuration.ratePerSecond)
        var logger = Logger(label: configuration.name)
        logger[metadataKey: "hotline.component"] = "sms-sender"
        self.logger = logger
    }

    public var isReady: Bool { state.withLock { $0.ready } }
    public var acceptedCount: Int { state.withLock { $0.accepted } }

    public func run(until stop: StopFlag) throws {
        let connection = try connectPostgres(url: configuration.databaseURL, name: configuration.name, logger: logger, stop: stop)
        defer {
            state.withLock { $0.ready = false }
            connection.close()
        }
        logger.info("sender running", metadata: ["hotline.sms.gateway": "\(gateway.name)", "hotline.batch": "\(configuration.batchSize)"])
        try ClaimLoop(batchSize: configuration.batchSize, pollInterval: .milliseconds(Int(configuration.pollInterval * 1000)))
            .run(on: connection, until: stop, logger: logger, ready: { up in state.withLock { $0.ready = up } }) {
                try sendDue(on: $0).claimed
            }
        logger.info("sender stopped", metadata: ["hotline.count": "\(acceptedCount)"])
    }

    /// One claim at the clock's `now`: up to `batchSize` messages claimed and marked `sending` in a
    /// first transaction (committed before anything goes out), sent, then recorded in a second. A
    /// crash between the two leaves them `sending`: their delivery reports settle them, and those
    /// still unsettled after `inDoubtSeconds` go again (the one duplicate a crash may cost).
    @discardableResult
    public func sendDue(on connection: PostgresConnection) throws -> BatchReport {
        let now = clock.now()
        let messages = try connection.withTransaction { tx -> [OutgoingSMS] in
            let claimed = try SMSMessages.claimDue(at: now, inDoubtBefore: now.addingTimeInterval(-configuration.inDoubtSeconds),
                                                   limit: configuration.batchSize, on: tx)
            for message in claimed {
                if let wait = message.profile.flatMap({ profiles[$0] })?.sms.delivery.revisitWaitSeconds {
                    try SMSMessages.startRevisitTimer(message, fireAt: now.addingTimeInterval(wait), on: tx)
                }
            }
            return claimed
        }
        var report = BatchReport(claimed: messages.count)
        guard !messages.isEmpty else { return report }
        let outcomes = send(messages)
        let sentAt = clock.now()
        report = try connection.withTransaction { tx -> BatchReport in
            var report = report
            for (message, outcome) in zip(messages, outcomes) {
                let delivery = message.profile.flatMap { profiles[$0] }?.sms.delivery
                switch outcome {
                case .accepted(let gatewayId):
                    try SMSMessages.markAccepted(message, gateway: gateway.name, gatewayId: gatewayId, at: sentAt, on: tx)
                    report.accepted += 1
                case .retry(let reason):
                    if let delay = delivery?.retryDelay(afterAttempts: message.attempts + 1) {
                        let next = sentAt.addingTimeInterval(delay)
                        let allowed = configuration.quietHours ? delivery?.quietHours?.sendAt(next, urgency: nil) ?? next : next
                        try SMSMessages.markRetry(message, nextAt: allowed, error: reason, at: sentAt, on: tx)
                        report.retrying += 1
                    } else {
                        try SMSMessages.markFailed(message, error: reason, at: sentAt, on: tx)
                        report.failed += 1
                    }
                case .rejected(let reason):
                    try SMSMessages.markFailed(message, error: reason, at: sentAt, on: tx)
                    report.failed += 1
                }
            }
            return report
        }
        state.withLock { $0.accepted += report.accepted }
        if report.retrying > 0 || report.failed > 0 {
            logger.warning("gateway refused or did not answer", metadata: [
                "hotline.sms.retrying": "\(report.retrying)", "hotline.sms.failed": "\(report.failed)"])
        }
        return report
    }

    /// Sends `messages` with up to `concurrency` requests in flight, each after the rate limiter.
    private func send(_ messages: [OutgoingSMS]) -> [SMSSendOutcome] {
        let results = Mutex<[SMSSendOutcome?]>(Array(repeating: nil, count: messages.count))
        let width = max(1, min(configuration.concurrency, messages.count))
        let gateway = self.gateway, limiter = self.limiter, metrics = self.metrics
        DispatchQueue.concurrentPerform(iterations: width) { lane in
            var index = lane
            while index < messages.count {
                let message = messages[index]
                limiter.acquire()
                let started = DispatchTime.now().uptimeNanoseconds
                let outcome = gateway.send(SMSSendRequest(messageId: message.id, phone: message.phone, text: message.body))
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
                let name = switch outcome { case .accepted: "accepted"; case .retry: "retry"; case .rejected: "failed" }
                metrics?.sent(name, seconds: seconds)
                results.withLock { $0[index] = outcome }
                index += width
            }
        }
        return results.withLock { $0.map { $0 ?? .retry(reason: "not sent") } }
    }
}

/// A token bucket: `acquire` blocks until a message may go under `perSecond` (bursts of up to a
/// tenth of a second's worth).
final class RateLimiter: Sendable {
    private let perSecond: Double
    private let burst: Double
    private let state: Mutex<(tokens: Double, at: UInt64)>

    init(perSecond: Double) {
        self.perSecond = max(perSecond, 0.001)
        burst = max(1, perSecond / 10)
        state = Mutex((burst, DispatchTime.now().uptimeNanoseconds))
    }

    func acquire() {
        while true {
            let wait = state.withLock { bucket -> Double in
                let now = DispatchTime.now().uptimeNanoseconds
                bucket.tokens = min(burst, bucket.tokens + Double(now - bucket.at) / 1e9 * perSecond)
                bucket.at = now
                if bucket.tokens >= 1 {
                    bucket.tokens -= 1
                    return 0
                }
                return (1 - bucket.tokens) / perSecond
            }
            if wait == 0 { return }
            Thread.sleep(forTimeInterval: wait)
        }
    }
}
