import Foundation
import HotlineContracts
import PostgresClient

/// A message to publish once the transaction that wrote it commits.
public struct OutboxMessage: Sendable, Equatable {
    public var messageId: UUID
    public var exchange: String
    public var routingKey: String
    public var type: String
    public var body: [UInt8]
    public var headers: [String: String]

    public init(messageId: UUID, exchange: String, routingKey: String, type: String, body: [UInt8], headers: [String: String] = [:]) {
        self.messageId = messageId
        self.exchange = exchange
        self.routingKey = routingKey
        self.type = type
        self.body = body
        self.headers = headers
    }

    /// A domain event on `hotline.events`, keyed by its type.
    public static func event<Payload: MessageContract>(_ envelope: Envelope<Payload>) -> OutboxMessage {
        OutboxMessage(messageId: envelope.id, exchange: Topology.eventsExchange, routingKey: envelope.type,
                      type: envelope.type, body: Contracts.encode(envelope))
    }
}

/// A claimed, unpublished outbox row.
public struct OutboxRow: Sendable {
    public var id: Int64
    public var message: OutboxMessage
    public var createdAt: Date
    public var attempts: Int
}

/// The outbox table: written inside the transaction of the facts, read by relays.
public enum Outbox {
    /// Rows that failed this many publishes are left for an operator (`hotlinectl status` shows them).
    public static let maxAttempts = 10

    /// Appends messages in the caller's transaction.
    public static func append(_ messages: [OutboxMessage], on connection: PostgresConnection) throws {
        guard let insert = insert(messages) else { return }
        try connection.execute(insert)
    }

    /// The statement that appends `messages` (nil when there are none): one row of parameters per
    /// message (`VALUES (…), (…)`), so a change that announces two messages makes one round trip,
    /// and each count of rows keeps its own prepared statement with a generic plan.
    static func insert(_ messages: [OutboxMessage]) -> SQL? {
        guard !messages.isEmpty else { return nil }
        var sql: SQL = "INSERT INTO outbox (message_id, exchange, routing_key, type, body, headers) VALUES "
        for (index, message) in messages.enumerated() {
            if index > 0 { sql.append(", ") }
            sql.append("""
                (\(message.messageId), \(message.exchange), \(message.routingKey), \(message.type), \(message.body), \(PostgresJSON(message.headers)))
                """)
        }
        return sql
    }

    /// Claims up to `limit` unpublished rows, locked for this transaction; rows other relays hold
    /// are skipped, not waited for. Call inside `withTransaction`.
    public static func claim(limit: Int, on connection: PostgresConnection) throws -> [OutboxRow] {
        try connection.query("""
            SELECT id, message_id, exchange, routing_key, type, body, headers, created_at, attempts
            FROM outbox
            WHERE published_at IS NULL AND attempts < \(maxAttempts)
            ORDER BY id
            LIMIT \(limit)
            FOR UPDATE SKIP LOCKED
            """).map { row in
            OutboxRow(
                id: try row.decode("id", as: Int64.self),
                message: OutboxMessage(
                    messageId: try row.decode("message_id", as: UUID.self),
                    exchange: try row.decode("exchange", as: String.self),
                    routingKey: try row.decode("routing_key", as: String.self),
                    type: try row.decode("type", as: String.self),
                    body: try row.decode("body", as: [UInt8].self),
                    headers: try row.decodeJSON("headers", as: [String: String].self)),
                createdAt: try row.decode("created_at", as: Date.self),
                attempts: try row.decode("attempts", as: Int.self))
        }
    }

    public static func markPublished(_ ids: [Int64], on connection: PostgresConnection) throws {
        guard !ids.isEmpty else { return }
        try connection.execute("UPDATE outbox SET published_at = now() WHERE id = ANY(\(ids))")
    }

    /// Records a failed publish; the row is tried again by a later claim until `maxAttempts`.
    public static func markFailed(_ ids: [Int64], reason: String, on connection: PostgresConnection) throws {
        guard !ids.isEmpty else { return }
        try connection.execute("UPDATE outbox SET attempts = attempts + 1, last_error = \(reason) WHERE id = ANY(\(ids))")
    }

    /// Age in seconds of the oldest unpublished row (0 when there is none).
    public static func lagSeconds(on connection: PostgresConnection) throws -> Double {
        let rows = try connection.query("""
            SELECT COALESCE(EXTRACT(EPOCH FROM clock_timestamp() - min(created_at)), 0)::float8 AS lag
            FROM outbox WHERE published_at IS NULL
            """)
        return try rows.first?.decode("lag", as: Double.self) ?? 0
    }

    /// Deletes published rows older than `retention`, at most `limit` at a time; returns how many.
    @discardableResult
    public static func prune(olderThan retention: Duration, limit: Int = 10_000, on connection: PostgresConnection) throws -> Int {
        let seconds = Double(retention.components.seconds)
        return try connection.execute("""
            DELETE FROM outbox WHERE id IN (
                SELECT id FROM outbox
                WHERE published_at IS NOT NULL AND published_at < now() - make_interval(secs => \(seconds))
                LIMIT \(limit))
            """)
    }
}

/// The inbox: message ids a consumer has applied.
public enum Inbox {
    /// Records `messageId` for `consumer` in the caller's transaction; false when it was already
    /// there (a redelivery: apply nothing).
    public static func record(consumer: String, messageId: String, on connection: PostgresConnection) throws -> Bool {
        try connection.execute("""
            INSERT INTO inbox (consumer, message_id) VALUES (\(consumer), \(messageId))
            ON CONFLICT DO NOTHING
            """) == 1
    }

    /// Records every id of `messageIds` for `consumer` in one statement; returns those that were
    /// new (an id listed twice is new once).
    public static func record(consumer: String, messageIds: [String], on connection: PostgresConnection) throws -> Set<String> {
        guard !messageIds.isEmpty else { return [] }
        return Set(try connection.query("""
            INSERT INTO inbox (consumer, message_id) SELECT \(consumer), unnest(\(messageIds)::text[])
            ON CONFLICT DO NOTHING
            RETURNING message_id
            """).map { try $0.decode("message_id", as: String.self) })
    }

    @discardableResult
    public static func prune(olderThan retention: Duration, limit: Int = 10_000, on connection: PostgresConnection) throws -> Int {
        let seconds = Double(retention.components.seconds)
        return try connection.execute("""
            DELETE FROM inbox WHERE ctid IN (
                SELECT ctid FROM inbox WHERE received_at < now() - make_interval(secs => \(seconds)) LIMIT \(limit))
            """)
    }
}
