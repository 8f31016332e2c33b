import Foundation
import PostgresClient

/// A message a consumer parked: it could not be read, failed validation, or ran out of retries.
public struct ParkedMessage: Sendable, Equatable {
    public var id: Int64
    public var consumer: String
    public var messageId: String?
    public var type: String?
    public var reason: String
    public var attempts: Int
    public var headers: [String: String]
    public var body: [UInt8]
    public var parkedAt: Date
}

/// The database side of parking: every parked message has a row here (the parking queue holds the
/// message itself), so an operator can list, read, replay and purge them.
public enum ParkedMessages {
    /// Records a parked message in the caller's transaction. A message parked again before it was
    /// replayed or purged (a redelivery of the same failure) keeps its first row.
    public static func record(consumer: String, messageId: String?, type: String?, reason: String, attempts: Int,
                              headers: [String: String], body: [UInt8], on connection: PostgresConnection) throws {
        try connection.execute("""
            INSERT INTO parked_messages (consumer, message_id, type, reason, attempts, headers, body_pii)
            VALUES (\(consumer), \(messageId), \(type), \(reason), \(attempts), \(PostgresJSON(headers)), \(body))
            ON CONFLICT DO NOTHING
            """)
    }

    /// Open (not replayed, not purged) parked messages, newest first.
    public static func open(consumer: String?, limit: Int, on connection: PostgresConnection) throws -> [ParkedMessage] {
        let filter: SQL = consumer.map { " AND consumer = \($0)" } ?? ""
        return try connection.query("""
            SELECT id, consumer, message_id, type, reason, attempts, headers, body_pii, parked_at
            FROM parked_messages
            WHERE replayed_at IS NULL AND purged_at IS NULL
            """ + filter + " ORDER BY parked_at DESC, id DESC LIMIT \(limit)").map(decode)
    }

    public static func find(id: Int64, on connection: PostgresConnection) throws -> ParkedMessage? {
        try connection.query("""
            SELECT id, consumer, message_id, type, reason, attempts, headers, body_pii, parked_at
            FROM parked_messages WHERE id = \(id)
            """).first.map(decode)
    }

    public static func markReplayed(messageIds: [String], consumer: String, on connection: PostgresConnection) throws {
        try connection.execute("""
            UPDATE parked_messages SET replayed_at = now()
            WHERE consumer = \(consumer) AND message_id = ANY(\(messageIds)) AND replayed_at IS NULL AND purged_at IS NULL
            """)
    }

    @discardableResult
    public static func markPurged(consumer: String, on connection: PostgresConnection) throws -> Int {
        try connection.execute("""
            UPDATE parked_messages SET purged_at = now()
            WHERE consumer = \(consumer) AND replayed_at IS NULL AND purged_at IS NULL
            """)
    }

    private static func decode(_ row: PostgresRow) throws -> ParkedMessage {
        ParkedMessage(
            id: try row.decode("id", as: Int64.self),
            consumer: try row.decode("consumer", as: String.self),
            messageId: try row.decode("message_id", as: String?.self),
            type: try row.decode("type", as: String?.self),
            reason: try row.decode("reason", as: String.self),
            attempts: try row.decode("attempts", as: Int.self),
            headers: try row.decodeJSON("headers", as: [String: String].self),
            body: try row.decode("body_pii", as: [UInt8].self),
            parkedAt: try row.decode("parked_at", as: Date.self))
    }
}
