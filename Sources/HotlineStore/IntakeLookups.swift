import Foundation
import Synchronization
import HotlineDomain
import PostgresClient

// What intake reads of earlier orders, as named operations. Each takes the whole batch's keys and
// answers them in one statement (`unnest` … `LATERAL`), so a batch of submissions costs one round
// trip per question, not one per submission.

/// A stored order's matter, as intake compares it with a new one: the stable hashes of its text's
/// bigrams and its lexicon topics, or, for an order stored before those were (`shingles` nil), its
/// text. `textPII` and `phonePII` are personal data: never logged.
public struct StoredMatter: Sendable, Equatable {
    public var orderId: UUID
    public var receivedAt: Date
    public var phonePII: String?
    public var shingles: [Int64]?
    public var topics: [String]
    /// Title and content, only when `shingles` is nil (so the text is not read for nothing).
    public var textPII: String?

    public init(orderId: UUID, receivedAt: Date, phonePII: String? = nil, shingles: [Int64]?, topics: [String], textPII: String? = nil) {
        self.orderId = orderId
        self.receivedAt = receivedAt
        self.phonePII = phonePII
        self.shingles = shingles
        self.topics = topics
        self.textPII = textPII
    }

    /// The columns `init(row:)` reads, from `work_orders` aliased `o`.
    static let columns: SQL = """
        o.id, o.received_at, o.citizen_phone_pii, o.shingles, o.topics,
        CASE WHEN o.shingles IS NULL THEN o.title || ' ' || o.content_pii END AS text
        """

    init(row: PostgresRow) throws {
        self.init(orderId: try row.decode("id"), receivedAt: try row.decode("received_at"),
                  phonePII: try row.decode("citizen_phone_pii"), shingles: try row.decode("shingles"),
                  topics: try row.decode("topics"), textPII: try row.decode("text"))
    }
}

/// A closed order whose closing may answer a repeat at intake: its matter and the lead unit's reply.
public struct ExemptClosing: Sendable, Equatable {
    public var matter: StoredMatter
    /// The lead unit's last reply (personal data: never logged).
    public var answerPII: String?
}

/// The key that makes a submission idempotent.
public struct SubmissionKey: Hashable, Sendable {
    public var channel: String
    public var submissionId: String

    public init(channel: String, submissionId: String) {
        self.channel = channel
        self.submissionId = submissionId
    }
}

/// A phone number on a day (China time), for the daily-calls limit.
public struct PhoneDay: Hashable, Sendable {
    public var phonePII: String
    public var day: LocalDate

    public init(phonePII: String, day: LocalDate) {
        self.phonePII = phonePII
        self.day = day
    }
}

/// Questions about the citizens who call, by phone number.
public enum Citizens {
    /// How many work orders each phone made on each day (China time), whatever their state.
    public static func dailyCalls(_ keys: [PhoneDay], on connection: PostgresConnection) throws -> [PhoneDay: Int] {
        let keys = Array(Set(keys))
        guard !keys.isEmpty else { return [:] }
        let rows = try connection.query("""
            SELECT k.i, (SELECT count(*) FROM work_orders w
                         WHERE w.citizen_phone_pii = k.phone
                           AND w.received_at >= to_timestamp(k.starts::float8) AND w.received_at < to_timestamp(k.ends::float8))::int8 AS n
            FROM \(KeyRows.text([keys.map(\.phonePII), keys.map { epoch($0.day.startInstant) }, keys.map { epoch($0.day.endInstant) }],
                                 as: "k(phone, starts, ends, i)", ordinality: true))
            """)
        var calls: [PhoneDay: Int] = [:]
        for row in rows { calls[keys[try row.decode("i", as: Int.self) - 1]] = try row.decode("n", as: Int.self) }
        return calls
    }
}

/// An instant as text for `to_timestamp(x::float8)` (arrays of timestamps travel as text).
func epoch(_ date: Date) -> String { String(date.timeIntervalSince1970) }

extension WorkOrders {
    /// The orders already created for these submissions, by key.
    public static func existing(_ keys: [SubmissionKey], on connection: PostgresConnection) throws
        -> [SubmissionKey: (id: UUID, number: String, state: String)] {
        guard !keys.isEmpty else { return [:] }
        // A lookup by the unique key per submission (LIMIT keeps the planner from turning it into a
        // join that may scan the table while its statistics are stale).
        let rows = try connection.query("""
            SELECT k.channel, k.submission_id, w.id, w.number, w.state
            FROM \(KeyRows.text([keys.map(\.channel), keys.map(\.submissionId)], as: "k(channel, submission_id)"))
            CROSS JOIN LATERAL (SELECT id, number, state FROM work_orders
                                WHERE channel = k.channel AND submission_id = k.submission_id LIMIT 1) w
            """)
        var found: [SubmissionKey: (id: UUID, number: String, state: String)] = [:]
        for row in rows {
            found[SubmissionKey(channel: try row.decode("channel"), submissionId: try row.decode("submission_id"))] =
                (try row.decode("id"), try row.decode("number"), try row.decode("state"))
        }
        return found
    }

    /// The order created for `submissionId` on `channel`, if any.
    public static func find(channel: String, submissionId: String, on connection: PostgresConnection) throws -> (id: UUID, number: String, state: String)? {
        try existing([SubmissionKey(channel: channel, submissionId: submissionId)], on: connection).values.first
    }

    /// Ids of the orders with these numbers (numbers not found are absent).
    public static func ids(numbers: [String], on connection: PostgresConnection) throws -> [String: UUID] {
        guard !numbers.isEmpty else { return [:] }
        var ids: [String: UUID] = [:]
        for row in try connection.query("SELECT number, id FROM work_orders WHERE number = ANY(\(numbers))") {
            ids[try row.decode("number")] = try row.decode("id")
        }
        return ids
    }

    /// One new number per instant, `12345-YYYYMMDD-NNNNNNN` (the day of receipt, China time, and
    /// the hotline's sequence), in the order given: taken before the orders are written, so their
    /// messages are plain values. A number taken for an order that is then not written (a
    /// duplicate submission, a rolled-back batch) is never used: numbers are unique, not gapless.
    public static func reserveNumbers(receivedAt: [Date], on connection: PostgresConnection) throws -> [String] {
        zip(receivedAt, try sequenceValues(receivedAt.count, on: connection)).map { number(receivedAt: $0, sequence: $1) }
    }

    /// `count` fresh values of the order-number sequence, in one statement.
    static func sequenceValues(_ count: Int, on connection: PostgresConnection) throws -> [Int64] {
        guard count > 0 else { return [] }
        return try connection.query("SELECT nextval('work_order_numbers') AS n FROM generate_series(1, \(count))")
            .map { try $0.decode("n", as: Int64.self) }
    }

    /// A worker's supply of order numbers: sequence values taken from PostgreSQL a block at a
    /// time, so an order's number costs no round trip of its own (an extra round trip per order
    /// slowed a lane's intake measurably: its lane waits on every statement). Numbers stay unique
    /// (the sequence hands each value out once); a block a crashed worker held leaves a gap, as a
    /// rolled-back insert always did; within a day, numbers of different lanes interleave by block.
    public final class NumberSupply: Sendable {
        private let block: Int
        private let values = Mutex<[Int64]>([])

        public init(block: Int = 50) { self.block = max(1, block) }

        /// One number per instant, in order.
        public func take(receivedAt: [Date], on connection: PostgresConnection) throws -> [String] {
            guard !receivedAt.isEmpty else { return [] }
            var taken = values.withLock { values -> [Int64] in
                let count = min(values.count, receivedAt.count)
                defer { values.removeFirst(count) }
                return Array(values.prefix(count))
            }
            if taken.count < receivedAt.count {
                let missing = receivedAt.count - taken.count
                let fetched = try WorkOrders.sequenceValues(missing + block, on: connection)
                taken += fetched.prefix(missing)
                values.withLock { $0 += fetched.dropFirst(missing) }
            }
            return zip(receivedAt, taken).map { number(receivedAt: $0, sequence: $1) }
        }
    }

    /// `12345-YYYYMMDD-NNNNNNN`: at least seven digits of the sequence.
    public static func number(receivedAt: Date, sequence: Int64) -> String {
        let day = LocalDate(instant: receivedAt)
        func padded(_ value: Int64, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "12345-\(padded(Int64(day.year), 4))\(padded(Int64(day.month), 2))\(padded(Int64(day.day), 2))-\(padded(sequence, 7))"
    }

    /// Each phone's orders still open (not closed, not accepted, nor resolved at intake) received
    /// after `receivedAfter`, oldest first, at most `limit` a phone: the candidates for a repeat.
    public static func openOrders(ofPhones phones: [String], receivedAfter: Date, limit: Int,
                                  on connection: PostgresConnection) throws -> [String: [StoredMatter]] {
        let phones = Array(Set(phones))
        guard !phones.isEmpty else { return [:] }
        let rows = try connection.query("""
            SELECT p.phone, \(StoredMatter.columns)
            FROM \(KeyRows.text([phones], as: "p(phone)"))
            CROSS JOIN LATERAL (
                SELECT id, received_at, citizen_phone_pii, shingles, topics, title, content_pii FROM work_orders
                WHERE citizen_phone_pii = p.phone AND state NOT IN ('closed', 'notAccepted', 'resolvedAtIntake')
                  AND received_at > \(receivedAfter)
                ORDER BY received_at LIMIT \(limit)) o
            ORDER BY p.phone, o.received_at
            """)
        var found: [String: [StoredMatter]] = [:]
        for row in rows { found[try row.decode("phone"), default: []].append(try StoredMatter(row: row)) }
        return found
    }

    /// Each phone's orders closed under one of `reasons` (exempt revisit reasons closed on proof)
    /// received after `receivedAfter`, newest first, at most `limit` a phone, each with the lead
    /// unit's last reply: the closings that may answer a repeat at intake.
    public static func exemptClosings(ofPhones phones: [String], reasons: [ExemptReason], receivedAfter: Date, limit: Int,
                                      on connection: PostgresConnection) throws -> [String: [ExemptClosing]] {
        let phones = Array(Set(phones))
        guard !phones.isEmpty, !reasons.isEmpty else { return [:] }
        let rows = try connection.query("""
            SELECT p.phone, \(StoredMatter.columns),
                   (SELECT a.reply_text_pii FROM assignments a WHERE a.work_order_id = o.id AND a.role = 'lead'
                    ORDER BY a.id DESC LIMIT 1) AS answer
            FROM \(KeyRows.text([phones], as: "p(phone)"))
            CROSS JOIN LATERAL (
                SELECT id, received_at, citizen_phone_pii, shingles, topics, title, content_pii FROM work_orders
                WHERE citizen_phone_pii = p.phone AND state = 'closed' AND exempt_reason = ANY(\(reasons.map(\.rawValue)))
                  AND received_at > \(receivedAfter)
                ORDER BY received_at DESC LIMIT \(limit)) o
            ORDER BY p.phone, o.received_at DESC
            """)
        var found: [String: [ExemptClosing]] = [:]
        for row in rows {
            found[try row.decode("phone"), default: []].append(
                ExemptClosing(matter: try StoredMatter(row: row), answerPII: try row.decode("answer")))
        }
        return found
    }
}
