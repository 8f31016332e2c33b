import Foundation
import HotlineDomain
import PostgresClient

/// An outbound SMS the sender claimed (row-locked by the caller's transaction).
public struct OutgoingSMS: Sendable, Equatable {
    public var id: Int64
    public var workOrderId: UUID?
    /// **Personal data.**
    public var phone: String
    /// **Personal data.**
    public var body: String
    /// Attempts made before this one.
    public var attempts: Int
    public var profile: String?
}

/// The phone's pending revisit an answer belongs to: the most recent revisit SMS sent to the phone
/// whose order still waits for the citizen's rating.
public struct PendingRevisit: Sendable, Equatable {
    public var workOrderId: UUID
    public var smsMessageId: Int64
}

/// A line of `hotlinectl sms log` (personal data still in it: the caller masks).
public struct SMSLogLine: Sendable, Equatable {
    public var id: Int64
    public var direction: String
    public var phone: String
    public var body: String
    public var status: String
    public var interpretation: String?
    public var number: String?
    public var attempts: Int
    public var at: Date
}

/// What `hotlinectl status` shows of the SMS worker.
public struct SMSStatus: Sendable, Equatable {
    /// Outbound by status.
    public var outbound: [String: Int]
    /// Open messages due now, and held (quiet hours, backoff) for later.
    public var due: Int
    public var held: Int
    /// Answers the revisit staff have to look at (unclear, unmatched), and open phone revisits.
    public var toLookAt: Int
    public var phoneRevisits: Int
}

/// The `sms_messages` table and its companions as hotline-sms-reply uses them: the reply SMS queued
/// in the consumer's transaction, claimed and marked by the sender, delivery reports, citizens'
/// answers, opt-outs and the office's phone-revisit queue.
public enum SMSMessages {
    // MARK: Outbound

    /// The citizen's phone and the order's urgency, for the reply SMS.
    public static func citizen(of orderId: UUID, on connection: PostgresConnection) throws -> (phone: String?, urgency: String?)? {
        try connection.query("SELECT citizen_phone_pii, urgency FROM work_orders WHERE id = \(orderId)").first.map {
            (try $0.decode("citizen_phone_pii", as: String?.self), try $0.decode("urgency", as: String?.self))
        }
    }

    public static func isOptedOut(_ phone: String, on connection: PostgresConnection) throws -> Bool {
        try !connection.query("SELECT 1 AS one FROM sms_opt_outs WHERE phone_pii = \(phone)").isEmpty
    }

    /// Stores a reply SMS in the caller's transaction: `queued` to go at `sendAt`, or with a final
    /// `status` (`optedOut`, `noPhone`) when it must not go. `key` makes it once per reviewed reply:
    /// nil when a message with that key exists.
    public static func queue(key: String, workOrderId: UUID, phone: String, body: String, segments: Int, urgent: Bool,
                             status: String = "queued", sendAt: Date, at now: Date, on connection: PostgresConnection) throws -> Int64? {
        try connection.query("""
            INSERT INTO sms_messages (work_order_id, assignment_id, direction, phone_pii, body_pii, status, attempts, next_attempt_at,
                                      message_key, segments, urgent, created_at, updated_at)
            VALUES (\(workOrderId),
                    (SELECT id FROM assignments WHERE work_order_id = \(workOrderId) AND active AND role = 'lead'),
                    'outbound', \(phone), \(body), \(status), 0, \(status == "queued" ? sendAt : nil),
                    \(key), \(segments), \(urgent), \(now), \(now))
            ON CONFLICT (message_key) DO NOTHING
            RETURNING id
            """).first?.decode("id", as: Int64.self)
    }

    /// Claims up to `limit` messages to send at `now` and marks them `sending` (one attempt more),
    /// in the caller's transaction, which the sender commits before it sends: first those left
    /// `sending` since `inDoubtBefore` (a sender crashed between sending and recording: no
    /// delivery report has settled them, so they go again), then the due ones, oldest first.
    /// `SKIP LOCKED`: senders side by side never claim one message twice.
    public static func claimDue(at now: Date, inDoubtBefore: Date, limit: Int, on connection: PostgresConnection) throws -> [OutgoingSMS] {
        func claim(_ selection: SQL) throws -> [OutgoingSMS] {
            try connection.query(SQL(unsafeSQL: "UPDATE sms_messages m SET status = 'sending', attempts = m.attempts + 1, updated_at = ")
                + "\(now) FROM (" + selection + """
                ) c WHERE m.id = c.id
                RETURNING m.id, m.work_order_id, m.phone_pii, m.body_pii, m.attempts,
                          (SELECT o.profile FROM work_orders o WHERE o.id = m.work_order_id) AS profile
                """).map { row in
                OutgoingSMS(id: try row.decode("id", as: Int64.self), workOrderId: try row.decode("work_order_id", as: UUID?.self),
                            phone: try row.decode("phone_pii", as: String.self), body: try row.decode("body_pii", as: String.self),
                            attempts: try row.decode("attempts", as: Int.self) - 1, profile: try row.decode("profile", as: String?.self))
            }
        }
        var claimed = try claim("""
            SELECT id FROM sms_messages WHERE status = 'sending' AND updated_at <= \(inDoubtBefore)
            ORDER BY updated_at LIMIT \(limit) FOR UPDATE SKIP LOCKED
            """)
        if claimed.count < limit {
            claimed += try claim("""
                SELECT id FROM sms_messages WHERE status IN ('queued', 'retrying') AND next_attempt_at <= \(now)
                ORDER BY next_attempt_at LIMIT \(limit - claimed.count) FOR UPDATE SKIP LOCKED
                """)
        }
        return claimed.sorted { $0.id < $1.id }
    }

    /// Starts the revisit's `revisitUnanswered` timer at `fireAt` for a message going out (once:
    /// an open timer for the message is kept).
    public static func startRevisitTimer(_ message: OutgoingSMS, fireAt: Date, on connection: PostgresConnection) throws {
        guard let orderId = message.workOrderId else { return }
        try connection.execute("""
            INSERT INTO timers (work_order_id, assignment_id, kind, fire_at, data)
            SELECT \(orderId), assignment_id, 'revisitUnanswered', \(fireAt), jsonb_build_object('smsMessageId', \(message.id))
            FROM sms_messages WHERE id = \(message.id)
              AND NOT EXISTS (SELECT 1 FROM timers WHERE work_order_id = \(orderId) AND kind = 'revisitUnanswered'
                              AND cancelled_at IS NULL AND data->>'smsMessageId' = \(String(message.id)))
            """)
    }

    static func cancelRevisitTimer(_ message: OutgoingSMS, at now: Date, on connection: PostgresConnection) throws {
        guard let orderId = message.workOrderId else { return }
        try connection.execute("""
            UPDATE timers SET cancelled_at = \(now)
            WHERE work_order_id = \(orderId) AND kind = 'revisitUnanswered' AND fired_at IS NULL AND cancelled_at IS NULL
              AND data->>'smsMessageId' = \(String(message.id))
            """)
    }

    /// The gateway took the message. A delivery report that came first (it can beat the sender's
    /// record) is kept.
    public static func markAccepted(_ message: OutgoingSMS, gateway: String, gatewayId: String?, at now: Date,
                                    on connection: PostgresConnection) throws {
        try connection.execute("""
            UPDATE sms_messages SET status = CASE WHEN status = 'sending' THEN 'accepted' ELSE status END, gateway = \(gateway),
                   gateway_id = \(gatewayId), sent_at = COALESCE(sent_at, \(now)), next_attempt_at = NULL, last_error = NULL,
                   updated_at = \(now)
            WHERE id = \(message.id)
            """)
    }

    /// The attempt failed in a way that may pass: try again at `nextAt` (unless a delivery report
    /// showed the gateway took it after all). `error` holds no personal data.
    public static func markRetry(_ message: OutgoingSMS, nextAt: Date, error: String, at now: Date, on connection: PostgresConnection) throws {
        guard try connection.execute("""
            UPDATE sms_messages SET status = 'retrying', next_attempt_at = \(nextAt), last_error = \(error), updated_at = \(now)
            WHERE id = \(message.id) AND status = 'sending'
            """) == 1 else { return }
        try cancelRevisitTimer(message, at: now, on: connection)
    }

    /// The message had its attempts (or the gateway refused it for good): failed, and its order goes
    /// to the phone-revisit queue.
    public static func markFailed(_ message: OutgoingSMS, error: String, at now: Date, on connection: PostgresConnection) throws {
        guard try connection.execute("""
            UPDATE sms_messages SET status = 'failed', next_attempt_at = NULL, last_error = \(error), updated_at = \(now)
            WHERE id = \(message.id) AND status = 'sending'
            """) == 1 else { return }
        try cancelRevisitTimer(message, at: now, on: connection)
        if let orderId = message.workOrderId {
            try PhoneRevisits.enqueue(orderId, reason: "smsFailed", smsMessageId: message.id, at: now, on: connection)
        }
    }

    /// A delivery report naming `namedId` (our message id) and its `check` (`DeliveryReportKey`)
    /// with Kannel's status: stored as it came (matched only when the check fits);
    /// the message moves to `delivered` or `failed` (an `accepted by the SMS centre` report keeps
    /// it `accepted`). Returns whether it matched a message.
    @discardableResult
    public static func deliveryReport(namedId: String, check: String?, status: Int, at now: Date,
                                      on connection: PostgresConnection) throws -> Bool {
        let id = Int64(namedId)
        let phone = try id.flatMap {
            try connection.query("SELECT phone_pii FROM sms_messages WHERE id = \($0) AND direction = 'outbound'").first?
                .decode("phone_pii", as: String.self)
        }
        let matched = id != nil && phone != nil && check == DeliveryReportKey.check(id: id!, phone: phone!)
        try connection.execute("""
            INSERT INTO sms_delivery_reports (sms_message_id, named_id, status, received_at)
            VALUES (\(matched ? id : nil), \(namedId), \(status), \(now))
            """)
        guard matched, let id else { return false }
        // A report settles a message left `sending` by a crashed sender: the gateway had it.
        let newStatus: String = switch status {
        case 1: "delivered"
        case 2, 16: "undelivered"
        default: "accepted"
        }
        try connection.execute("""
            UPDATE sms_messages SET status = CASE WHEN \(newStatus) = 'accepted' AND status NOT IN ('sending', 'retrying') THEN status ELSE \(newStatus) END,
                   delivered_at = CASE WHEN \(newStatus) = 'delivered' THEN \(now) ELSE delivered_at END,
                   sent_at = COALESCE(sent_at, \(now)), next_attempt_at = NULL, updated_at = \(now)
            WHERE id = \(id) AND status IN ('sending', 'retrying', 'accepted', 'undelivered')
            """)
        return true
    }

    // MARK: Inbound

    /// Stores a citizen's SMS as it came, before anything reads it.
    public static func storeInbound(phone: String, body: String, gatewayTime: String?, at now: Date,
                                    on connection: PostgresConnection) throws -> Int64 {
        try connection.query("""
            INSERT INTO sms_messages (direction, phone_pii, body_pii, status, gateway_time, created_at, updated_at)
            VALUES ('inbound', \(phone), \(body), 'received', \(gatewayTime), \(now), \(now))
            RETURNING id
            """).first!.decode("id", as: Int64.self)
    }

    /// The phone's pending revisit: its most recent revisit SMS whose order waits in
    /// `revisitPending`. Several pending: the most recent wins.
    public static func pendingRevisit(phone: String, on connection: PostgresConnection) throws -> PendingRevisit? {
        try connection.query("""
            SELECT m.id, m.work_order_id FROM sms_messages m JOIN work_orders o ON o.id = m.work_order_id
            WHERE m.phone_pii = \(phone) AND m.direction = 'outbound' AND o.state = 'revisitPending'
            ORDER BY m.created_at DESC, m.id DESC
            LIMIT 1
            """).first.map {
            PendingRevisit(workOrderId: try $0.decode("work_order_id", as: UUID.self), smsMessageId: try $0.decode("id", as: Int64.self))
        }
    }

    /// What an inbound message was read as: `rating` (with the rating), `optOut`, `unclear` or
    /// `unmatched`, and the revisit SMS it answers.
    public static func interpret(_ inboundId: Int64, as interpretation: String, rating: Rating? = nil, order: UUID?,
                                 replyTo: Int64?, at now: Date, on connection: PostgresConnection) throws {
        try connection.execute("""
            UPDATE sms_messages SET interpretation = \(interpretation), rating = \(rating?.rawValue), work_order_id = \(order),
                   reply_to = \(replyTo), status = 'interpreted', updated_at = \(now)
            WHERE id = \(inboundId)
            """)
    }

    /// The citizen's rating by SMS, with their words (personal data); the revisit's
    /// `revisitUnanswered` timer is cancelled.
    public static func recordRating(_ rating: Rating, order: UUID, words: String, at now: Date, on connection: PostgresConnection) throws {
        try connection.execute("""
            UPDATE timers SET cancelled_at = \(now)
            WHERE work_order_id = \(order) AND kind = 'revisitUnanswered' AND fired_at IS NULL AND cancelled_at IS NULL
            """)
        let stored = rating == .basicallySatisfied ? "basically_satisfied" : rating.rawValue
        try connection.execute("""
            INSERT INTO ratings (work_order_id, assignment_id, rating, source, raw_reply_pii, rated_at)
            VALUES (\(order), (SELECT id FROM assignments WHERE work_order_id = \(order) AND active AND role = 'lead'),
                    \(stored), 'sms', \(words), \(now))
            """)
    }

    /// 退订: no more SMS to `phone`.
    public static func optOut(_ phone: String, messageId: Int64, at now: Date, on connection: PostgresConnection) throws {
        try connection.execute("""
            INSERT INTO sms_opt_outs (phone_pii, sms_message_id, opted_out_at) VALUES (\(phone), \(messageId), \(now))
            ON CONFLICT (phone_pii) DO NOTHING
            """)
    }

    // MARK: Views

    /// The latest `limit` messages, both ways, newest first.
    public static func log(limit: Int, on connection: PostgresConnection) throws -> [SMSLogLine] {
        try connection.query("""
            SELECT m.id, m.direction, m.phone_pii, m.body_pii, m.status, m.interpretation, o.number, m.attempts, m.created_at
            FROM sms_messages m LEFT JOIN work_orders o ON o.id = m.work_order_id
            ORDER BY m.id DESC LIMIT \(limit)
            """).map { row in
            SMSLogLine(id: try row.decode("id", as: Int64.self), direction: try row.decode("direction", as: String.self),
                       phone: try row.decode("phone_pii", as: String.self), body: try row.decode("body_pii", as: String.self),
                       status: try row.decode("status", as: String.self), interpretation: try row.decode("interpretation", as: String?.self),
                       number: try row.decode("number", as: String?.self), attempts: try row.decode("attempts", as: Int.self),
                       at: try row.decode("created_at", as: Date.self))
        }
    }

    /// Answers the revisit staff have to look at: unclear ones and replies matching no revisit.
    public static func toLookAt(limit: Int, on connection: PostgresConnection) throws -> [SMSLogLine] {
        try connection.query("""
            SELECT m.id, m.direction, m.phone_pii, m.body_pii, m.status, m.interpretation, o.number, m.attempts, m.created_at
            FROM sms_messages m LEFT JOIN work_orders o ON o.id = m.work_order_id
            WHERE m.direction = 'inbound' AND m.interpretation IN ('unclear', 'unmatched') AND m.handled_at IS NULL
            ORDER BY m.created_at LIMIT \(limit)
            """).map { row in
            SMSLogLine(id: try row.decode("id", as: Int64.self), direction: try row.decode("direction", as: String.self),
                       phone: try row.decode("phone_pii", as: String.self), body: try row.decode("body_pii", as: String.self),
                       status: try row.decode("status", as: String.self), interpretation: try row.decode("interpretation", as: String?.self),
                       number: try row.decode("number", as: String?.self), attempts: try row.decode("attempts", as: Int.self),
                       at: try row.decode("created_at", as: Date.self))
        }
    }

    /// Outbound messages delivered: for each the seconds from stored to delivered (sorted), and
    /// the last delivery (for `hotlinectl bench sms`).
    public static func deliveries(on connection: PostgresConnection) throws -> (count: Int, storedToDelivered: [Double], last: Date?) {
        let rows = try connection.query("""
            SELECT extract(epoch FROM delivered_at - created_at)::float8 AS seconds, delivered_at
            FROM sms_messages WHERE direction = 'outbound' AND status = 'delivered'
            """)
        var seconds: [Double] = []
        var last: Date?
        for row in rows {
            seconds.append(try row.decode("seconds", as: Double.self))
            let at = try row.decode("delivered_at", as: Date.self)
            if last == nil || at > last! { last = at }
        }
        return (seconds.count, seconds.sorted(), last)
    }

    /// Citizens' messages stored and read (for `hotlinectl bench sms`).
    public static func answersRead(on connection: PostgresConnection) throws -> Int {
        try connection.query("SELECT count(*) AS n FROM sms_messages WHERE direction = 'inbound' AND interpretation IS NOT NULL")
            .first!.decode("n", as: Int.self)
    }

    public static func status(at now: Date, on connection: PostgresConnection) throws -> SMSStatus {
        var outbound: [String: Int] = [:]
        for row in try connection.query("SELECT status, count(*) AS n FROM sms_messages WHERE direction = 'outbound' GROUP BY status") {
            outbound[try row.decode("status", as: String.self)] = try row.decode("n", as: Int.self)
        }
        let row = try connection.query("""
            SELECT (SELECT count(*) FROM sms_messages WHERE status IN ('queued', 'retrying') AND next_attempt_at <= \(now)) AS due,
                   (SELECT count(*) FROM sms_messages WHERE status IN ('queued', 'retrying') AND next_attempt_at > \(now)) AS held,
                   (SELECT count(*) FROM sms_messages WHERE direction = 'inbound' AND interpretation IN ('unclear', 'unmatched')
                                                        AND handled_at IS NULL) AS to_look_at,
                   (SELECT count(*) FROM phone_revisits WHERE done_at IS NULL) AS phone_revisits
            """).first!
        return SMSStatus(outbound: outbound, due: try row.decode("due", as: Int.self), held: try row.decode("held", as: Int.self),
                         toLookAt: try row.decode("to_look_at", as: Int.self), phoneRevisits: try row.decode("phone_revisits", as: Int.self))
    }
}

/// The office's phone-revisit queue (回访员电话回访): orders whose citizen must be phoned.
public enum PhoneRevisits {
    public static let reasons = ["smsFailed", "optedOut", "noPhone", "revisitUnanswered"]

    /// Queues `orderId` for a phone revisit (once per reason and message).
    public static func enqueue(_ orderId: UUID, reason: String, smsMessageId: Int64?, at now: Date, on connection: PostgresConnection) throws {
        try connection.execute("""
            INSERT INTO phone_revisits (work_order_id, reason, sms_message_id, queued_at)
            VALUES (\(orderId), \(reason), \(smsMessageId), \(now))
            ON CONFLICT DO NOTHING
            """)
    }

    /// The open queue, oldest first: order number and reason.
    public static func open(limit: Int, on connection: PostgresConnection) throws -> [(number: String, reason: String, queuedAt: Date)] {
        try connection.query("""
            SELECT o.number, p.reason, p.queued_at FROM phone_revisits p JOIN work_orders o ON o.id = p.work_order_id
            WHERE p.done_at IS NULL ORDER BY p.queued_at LIMIT \(limit)
            """).map { (try $0.decode("number", as: String.self), try $0.decode("reason", as: String.self), try $0.decode("queued_at", as: Date.self)) }
    }
}

extension Timers {
    /// The revisit SMS a `revisitUnanswered` timer waits on (`timers.data.smsMessageId`).
    public static func smsMessageId(of timer: DueTimer, on connection: PostgresConnection) throws -> Int64? {
        try connection.query("SELECT (data->>'smsMessageId')::bigint AS id FROM timers WHERE id = \(timer.id)").first?
            .decode("id", as: Int64?.self)
    }
}
