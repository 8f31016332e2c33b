import Foundation
import HotlineContracts
import PostgresClient

/// A submission that did not validate, as stored with its problems. `payloadPII` is the body as
/// received (personal data: never logged).
public struct RejectedSubmission: Sendable {
    public var channel: String?
    public var submissionId: String?
    /// The AMQP message id: a redelivered rejection is stored (and answered) once.
    public var messageId: String?
    public var problems: [FieldProblem]
    public var payloadPII: [UInt8]
    public var receivedAt: Date

    public init(channel: String?, submissionId: String?, messageId: String?, problems: [FieldProblem], payloadPII: [UInt8], receivedAt: Date) {
        self.channel = channel
        self.submissionId = submissionId
        self.messageId = messageId
        self.problems = problems
        self.payloadPII = payloadPII
        self.receivedAt = receivedAt
    }
}

/// Submissions intake could not accept, kept with their reasons (`rejected_submissions`).
public enum RejectedSubmissions {
    /// Stores each rejection unless one with the same message id is already stored; returns, in
    /// order, whether each was new (only a new one is answered). One statement for all.
    @discardableResult
    public static func store(_ rejected: [RejectedSubmission], on connection: PostgresConnection) throws -> [Bool] {
        guard !rejected.isEmpty else { return [] }
        // One JSON document carries the batch: it has NULLs, which the client's arrays do not.
        struct Row: Encodable {
            var channel: String?
            var submission_id: String?
            var message_id: String?
            var reasons: [FieldProblem]
            var payload: String
            var received_at: Double
        }
        let rows = rejected.map {
            Row(channel: $0.channel, submission_id: $0.submissionId, message_id: $0.messageId, reasons: $0.problems,
                payload: Data($0.payloadPII).base64EncodedString(), received_at: $0.receivedAt.timeIntervalSince1970)
        }
        let inserted = try connection.query("""
            INSERT INTO rejected_submissions (channel, submission_id, message_id, reasons, payload_pii, received_at)
            SELECT r.channel, r.submission_id, r.message_id, r.reasons, decode(r.payload, 'base64'), to_timestamp(r.received_at)
            FROM jsonb_to_recordset(\(PostgresJSON(rows))) AS r(channel text, submission_id text, message_id text, reasons jsonb,
                                                             payload text, received_at float8)
            ON CONFLICT (message_id) WHERE message_id IS NOT NULL DO NOTHING
            RETURNING message_id
            """)
        let newIds = Set(try inserted.compactMap { try $0.decode("message_id", as: String?.self) })
        return rejected.map { $0.messageId.map(newIds.contains) ?? true }
    }

    /// How many are stored.
    public static func count(on connection: PostgresConnection) throws -> Int {
        try connection.query("SELECT count(*)::int8 AS n FROM rejected_submissions").first!.decode("n", as: Int.self)
    }
}
