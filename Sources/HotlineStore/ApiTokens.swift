import Foundation
import PostgresClient

/// Who calls the HTTP API: one person, of one unit or of the hotline office.
public struct ApiCaller: Sendable, Equatable {
    public enum Role: String, Sendable { case unit, office }

    /// The token's id: what the order's events name (the person's name stays in `api_tokens`).
    public var tokenId: Int64
    public var role: Role
    /// The unit's code; nil for the office.
    public var unit: String?
    /// The person's name (personal data: never logged unmasked, never in an error answer).
    public var personNamePII: String

    public init(tokenId: Int64, role: Role, unit: String?, personNamePII: String) {
        self.tokenId = tokenId
        self.role = role
        self.unit = unit
        self.personNamePII = personNamePII
    }

    /// The actor written into the order's events: the unit (or the office) and the token that
    /// names the person, e.g. `unit:WATER token:17`, `office token:3`.
    public var actor: String {
        switch role {
        case .unit: "unit:\(unit ?? "?") token:\(tokenId)"
        case .office: "office token:\(tokenId)"
        }
    }
}

/// A token as listed (never the token itself, which is not stored).
public struct ApiTokenInfo: Sendable, Equatable {
    public var id: Int64
    public var role: ApiCaller.Role
    public var unit: String?
    public var personNamePII: String
    public var expiresAt: Date
    public var revokedAt: Date?
}

public enum ApiTokenError: Error, Equatable, CustomStringConvertible {
    case unknownUnit(String)
    case noSuchToken(Int64)

    public var description: String {
        switch self {
        case .unknownUnit(let code): "no active unit \(code)"
        case .noSuchToken(let id): "no token \(id)"
        }
    }
}

/// Bearer tokens of the HTTP API. A token is random text shown once; only its SHA-256 (computed
/// by PostgreSQL's `sha256()`) is stored, with its expiry.
public enum ApiTokens {
    /// A fresh token: `hl_` and 64 hex digits (256 random bits from the system's generator).
    public static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        var text = "hl_"
        for _ in 0..<4 {
            let word = generator.next() as UInt64
            let hex = String(word, radix: 16)
            text += String(repeating: "0", count: 16 - hex.count) + hex
        }
        return text
    }

    /// Stores `token`'s hash for a person of `unit` (nil: the office), valid until `expiresAt`;
    /// returns its id.
    public static func issue(token: String, unit: String?, personNamePII: String, expiresAt: Date,
                             on connection: PostgresConnection) throws -> Int64 {
        var unitId: Int64? = nil
        if let unit {
            guard let id = try connection.query("SELECT id FROM units WHERE code = \(unit) AND active").first?.decode("id", as: Int64.self) else {
                throw ApiTokenError.unknownUnit(unit)
            }
            unitId = id
        }
        let role = unit == nil ? ApiCaller.Role.office : .unit
        return try connection.query("""
            INSERT INTO api_tokens (token_hash, role, unit_id, person_name_pii, expires_at)
            VALUES (sha256(convert_to(\(token), 'UTF8')), \(role.rawValue), \(unitId), \(personNamePII), \(expiresAt))
            RETURNING id
            """).first!.decode("id", as: Int64.self)
    }

    /// Revokes a token (from now on it answers 401). Revoking twice keeps the first time.
    public static func revoke(_ id: Int64, at now: Date, on connection: PostgresConnection) throws {
        let updated = try connection.execute("""
            UPDATE api_tokens SET revoked_at = coalesce(revoked_at, \(now)) WHERE id = \(id)
            """)
        guard updated == 1 else { throw ApiTokenError.noSuchToken(id) }
    }

    /// The caller `token` names, if it is known, not expired at `now` and not revoked.
    public static func caller(token: String, at now: Date, on connection: PostgresConnection) throws -> ApiCaller? {
        guard let row = try connection.query("""
            SELECT t.id, t.role, u.code, t.person_name_pii FROM api_tokens t LEFT JOIN units u ON u.id = t.unit_id
            WHERE t.token_hash = sha256(convert_to(\(token), 'UTF8')) AND t.expires_at > \(now) AND t.revoked_at IS NULL
            """).first else { return nil }
        guard let role = ApiCaller.Role(rawValue: try row.decode("role", as: String.self)) else { return nil }
        return ApiCaller(tokenId: try row.decode("id", as: Int64.self), role: role, unit: try row.decode("code", as: String?.self),
                         personNamePII: try row.decode("person_name_pii", as: String.self))
    }

    /// Every token, newest first.
    public static func list(on connection: PostgresConnection) throws -> [ApiTokenInfo] {
        try connection.query("""
            SELECT t.id, t.role, u.code, t.person_name_pii, t.expires_at, t.revoked_at
            FROM api_tokens t LEFT JOIN units u ON u.id = t.unit_id WHERE t.role <> 'open311' ORDER BY t.id DESC
            """).map { row in
            ApiTokenInfo(id: try row.decode("id", as: Int64.self),
                         role: ApiCaller.Role(rawValue: try row.decode("role", as: String.self)) ?? .unit,
                         unit: try row.decode("code", as: String?.self),
                         personNamePII: try row.decode("person_name_pii", as: String.self),
                         expiresAt: try row.decode("expires_at", as: Date.self),
                         revokedAt: try row.decode("revoked_at", as: Date?.self))
        }
    }

    /// The people the tokens `ids` belong to, by token id (for an order's history).
    public static func people(_ ids: [Int64], on connection: PostgresConnection) throws -> [Int64: String] {
        guard !ids.isEmpty else { return [:] }
        var names: [Int64: String] = [:]
        for row in try connection.query("SELECT id, person_name_pii FROM api_tokens WHERE id = ANY(\(ids))") {
            names[try row.decode("id", as: Int64.self)] = try row.decode("person_name_pii", as: String.self)
        }
        return names
    }
}

/// A POST's answer kept under its `Idempotency-Key`, per token.
public struct StoredAnswer: Sendable, Equatable {
    public var status: Int
    public var body: Data

    public init(status: Int, body: Data) {
        self.status = status
        self.body = body
    }
}

public enum IdempotencyKeys {
    public enum Lookup: Sendable, Equatable {
        /// Never used by this token: go ahead, and `remember` the answer in the same transaction.
        case fresh
        /// Used before for this very request: answer the same again, act not.
        case replay(StoredAnswer)
        /// Used before for another request (route or body).
        case mismatch
    }

    /// Looks the key up in the caller's transaction, first waiting for any transaction that is
    /// writing the same key right now (a retry racing its original waits for it, then replays).
    public static func lookup(tokenId: Int64, key: String, request: String, body: Data,
                              on connection: PostgresConnection) throws -> Lookup {
        // Serialises concurrent uses of one key: the lock is held until the transaction ends.
        try connection.execute("SELECT pg_advisory_xact_lock(hashtextextended(\(String(tokenId) + "/" + key), 12))")
        guard let row = try connection.query("""
            SELECT request = \(request) AND request_hash = sha256(\(body)) AS same, status, body
            FROM api_idempotency_keys WHERE token_id = \(tokenId) AND key = \(key)
            """).first else { return .fresh }
        guard try row.decode("same", as: Bool.self) else { return .mismatch }
        return .replay(StoredAnswer(status: try row.decode("status", as: Int.self), body: try row.decode("body", as: Data.self)))
    }

    /// Keeps the answer to a fresh key (in the transaction that acted).
    public static func remember(tokenId: Int64, key: String, request: String, body: Data, answer: StoredAnswer,
                                on connection: PostgresConnection) throws {
        try connection.execute("""
            INSERT INTO api_idempotency_keys (token_id, key, request, request_hash, status, body)
            VALUES (\(tokenId), \(key), \(request), sha256(\(body)), \(answer.status), \(answer.body))
            """)
    }
}

extension IdempotencyKeys {
    /// How many keys one `prune` deletes at most (a caller deletes again while a call fills it).
    public static let pruneBatch = 5_000

    /// Deletes up to `limit` keys created before `cutoff` (past the retention a retry acts again);
    /// returns how many. Batched, so that one call never holds many rows' locks for long.
    @discardableResult
    public static func prune(createdBefore cutoff: Date, limit: Int = pruneBatch, on connection: PostgresConnection) throws -> Int {
        try connection.execute("""
            DELETE FROM api_idempotency_keys WHERE (token_id, key) IN (
                SELECT token_id, key FROM api_idempotency_keys WHERE created_at < \(cutoff) ORDER BY created_at LIMIT \(limit)
                FOR UPDATE SKIP LOCKED)
            """)
    }
}
