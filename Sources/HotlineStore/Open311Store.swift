import Foundation
import HotlineContracts
import PostgresClient

/// An Open311 API key as a request presents it: which key, the channel its requests come in by,
/// and its rate limit.
public struct Open311Key: Sendable, Equatable {
    public var id: Int64
    public var channel: String
    public var perMinute: Int
}

/// A key as listed (never the key itself, which is not stored).
public struct Open311KeyInfo: Sendable, Equatable {
    public var id: Int64
    /// Whom the key was issued to (a client, a person): kept like a token's person.
    public var clientPII: String
    public var channel: String
    public var perMinute: Int
    public var expiresAt: Date
    public var revokedAt: Date?
}

/// Open311 API keys: `api_tokens` rows of role `open311` (0016), printed once and stored as a
/// SHA-256 only, like the workbench's tokens, so a workbench token never opens Open311's POST and
/// an Open311 key never opens the workbench.
public enum Open311Keys {
    /// A fresh key: `o311_` and 64 hex digits (the same 256 random bits as a workbench token).
    public static func generate() -> String {
        "o311_" + ApiTokens.generate().dropFirst("hl_".count)
    }

    /// Whether `text` has a key's shape (checked before any database call).
    public static func isPlausible(_ text: String) -> Bool {
        text.hasPrefix("o311_") && text.utf8.count == 69
            && text.utf8.dropFirst(5).allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }

    /// Stores `key`'s hash for `clientPII`, its requests coming in by `channel`; returns its id.
    public static func issue(key: String, clientPII: String, channel: String, perMinute: Int, expiresAt: Date,
                             on connection: PostgresConnection) throws -> Int64 {
        try connection.query("""
            INSERT INTO api_tokens (token_hash, role, person_name_pii, expires_at, open311_channel, open311_per_minute)
            VALUES (sha256(convert_to(\(key), 'UTF8')), 'open311', \(clientPII), \(expiresAt), \(channel), \(perMinute))
            RETURNING id
            """).first!.decode("id", as: Int64.self)
    }

    /// Revokes key `id` (from now on its POSTs are refused). Revoking twice keeps the first time.
    public static func revoke(_ id: Int64, at now: Date, on connection: PostgresConnection) throws {
        let updated = try connection.execute("""
            UPDATE api_tokens SET revoked_at = coalesce(revoked_at, \(now)) WHERE id = \(id) AND role = 'open311'
            """)
        guard updated == 1 else { throw ApiTokenError.noSuchToken(id) }
    }

    /// The key `text` names, if it is known, not expired at `now` and not revoked.
    public static func key(_ text: String, at now: Date, on connection: PostgresConnection) throws -> Open311Key? {
        try connection.query("""
            SELECT id, open311_channel, open311_per_minute FROM api_tokens
            WHERE token_hash = sha256(convert_to(\(text), 'UTF8')) AND role = 'open311' AND expires_at > \(now) AND revoked_at IS NULL
            """).first.map {
            Open311Key(id: try $0.decode("id"), channel: try $0.decode("open311_channel"), perMinute: try $0.decode("open311_per_minute"))
        }
    }

    /// Every key, newest first.
    public static func list(on connection: PostgresConnection) throws -> [Open311KeyInfo] {
        try connection.query("""
            SELECT id, person_name_pii, open311_channel, open311_per_minute, expires_at, revoked_at
            FROM api_tokens WHERE role = 'open311' ORDER BY id DESC
            """).map {
            Open311KeyInfo(id: try $0.decode("id"), clientPII: try $0.decode("person_name_pii"), channel: try $0.decode("open311_channel"),
                           perMinute: try $0.decode("open311_per_minute"), expiresAt: try $0.decode("expires_at"),
                           revokedAt: try $0.decode("revoked_at", as: Date?.self))
        }
    }

    /// Counts one request of key `id` in the minute of `now` and returns how many it made in that
    /// minute, this one included (one statement, committed on its own: every replica counts in the
    /// same row). Minutes older than an hour are dropped as it goes.
    public static func countRequest(keyId id: Int64, at now: Date, on connection: PostgresConnection) throws -> Int {
        let count = try connection.query("""
            INSERT INTO open311_key_minutes (key_id, minute, requests) VALUES (\(id), date_trunc('minute', \(now)::timestamptz), 1)
            ON CONFLICT (key_id, minute) DO UPDATE SET requests = open311_key_minutes.requests + 1
            RETURNING requests
            """).first!.decode("requests", as: Int.self)
        if count == 1 {
            try connection.execute("DELETE FROM open311_key_minutes WHERE key_id = \(id) AND minute < \(now.addingTimeInterval(-3600))")
        }
        return count
    }
}

/// A POSTed service request as recorded beside its submission.
public struct Open311Record: Sendable, Equatable {
    public var token: UUID
    public var keyId: Int64
    public var channel: String
    public var submissionId: String
    public var serviceCode: String
    public var lat: Double?
    public var long: Double?
    public var mediaURL: String?

    public init(token: UUID, keyId: Int64, channel: String, submissionId: String, serviceCode: String, lat: Double?, long: Double?,
                mediaURL: String?) {
        self.token = token
        self.keyId = keyId
        self.channel = channel
        self.submissionId = submissionId
        self.serviceCode = serviceCode
        self.lat = lat
        self.long = long
        self.mediaURL = mediaURL
    }
}

/// What a token stands for now: the order intake made of it, intake's rejection, or nothing yet.
public enum Open311TokenState: Sendable, Equatable {
    case pending
    case order(number: String)
    case rejected([FieldProblem])
}

/// One order as Open311 shows it: nothing personal of the citizen (no name, phone, content or
/// free-text address); the API decides what a confidential order shows.
public struct Open311Order: Sendable, Equatable {
    public var number: String
    public var category: String
    public var urgency: String?
    public var caseClass: String?
    public var confidential: Bool
    public var title: String
    /// The matters (lexicon topics) intake found in its text.
    public var topics: [String]
    /// The order's state, or the lead assignment's while it is dispatched (as the workbench names it).
    public var state: String
    public var closed: Bool
    public var notAcceptedReason: String?
    public var leadUnitName: String?
    public var receivedAt: Date
    public var updatedAt: Date
    public var replyBy: Date?
    /// The gazetteer's place (the locality intake found, else the region code given), as names from
    /// the county down, and its code.
    public var placeCode: String?
    public var placeName: String?
    /// The position the client sent, else the place's.
    public var lat: Double?
    public var long: Double?
    public var mediaURL: String?
    /// The lead unit's reviewed reply (personal data until the API masks it).
    public var replyTextPII: String?
}

/// A `GET requests` query.
public struct Open311Query: Sendable, Equatable {
    public var numbers: [String]?
    public var categories: [String]
    public var start: Date?
    public var end: Date?
    /// nil: both; true: closed only; false: open only.
    public var closed: Bool?
    public var limit: Int

    public init(numbers: [String]? = nil, categories: [String] = [], start: Date? = nil, end: Date? = nil, closed: Bool? = nil,
                limit: Int) {
        self.numbers = numbers
        self.categories = categories
        self.start = start
        self.end = end
        self.closed = closed
        self.limit = limit
    }
}

/// Open311's reads and writes: a POST's record (beside its submission in the outbox), tokens,
/// service requests as the standard shows them, positions of the gazetteer's places.
public enum Open311Requests {
    /// Records a POST in the caller's transaction (the one that writes its submission to the outbox).
    public static func record(_ r: Open311Record, on connection: PostgresConnection) throws {
        try connection.execute("""
            INSERT INTO open311_requests (token, key_id, channel, submission_id, service_code, lat, long, media_url)
            VALUES (\(r.token), \(r.keyId), \(r.channel), \(r.submissionId), \(r.serviceCode), \(r.lat), \(r.long), \(r.mediaURL))
            """)
    }

    /// What `token` stands for now; nil for a token never given out.
    public static func resolve(token: UUID, on connection: PostgresConnection) throws -> Open311TokenState? {
        guard let row = try connection.query("""
            SELECT r.channel, r.submission_id, o.number,
                   (SELECT s.reasons FROM rejected_submissions s WHERE s.channel = r.channel AND s.submission_id = r.submission_id
                    ORDER BY s.id DESC LIMIT 1) AS reasons
            FROM open311_requests r LEFT JOIN work_orders o ON o.channel = r.channel AND o.submission_id = r.submission_id
            WHERE r.token = \(token)
            """).first else { return nil }
        if let number = try row.decode("number", as: String?.self) { return .order(number: number) }
        if let reasons = try row.decode("reasons", as: PostgresJSON<[FieldProblem]>?.self) { return .rejected(reasons.value) }
        return .pending
    }

    /// The number of the order intake made of (`channel`, `submissionId`), if it has.
    public static func orderNumber(channel: String, submissionId: String, on connection: PostgresConnection) throws -> String? {
        try WorkOrders.find(channel: channel, submissionId: submissionId, on: connection)?.number
    }

    /// The code of the gazetteer's place nearest to (`lat`, `long`) whose radius covers it, if any.
    public static func place(lat: Double, long: Double, on connection: PostgresConnection) throws -> String? {
        // Metres on a local flat projection: enough within a county.
        try connection.query("""
            SELECT p.code FROM region_positions p JOIN regions r ON r.code = p.code,
                 LATERAL (SELECT sqrt(power((p.lat - \(lat)) * 111320.0, 2)
                                      + power((p.long - \(long)) * 111320.0 * cos(radians(\(lat))), 2)) AS d) m
            WHERE m.d <= p.radius_m
            ORDER BY m.d / p.radius_m LIMIT 1
            """).first?.decode("code", as: String.self)
    }

    /// Service requests matching `query`, newest first.
    public static func list(_ query: Open311Query, on connection: PostgresConnection) throws -> [Open311Order] {
        var sql: SQL = """
            SELECT * FROM (
              SELECT o.number, o.category, o.urgency, o.class, o.confidential, o.title, o.topics, o.not_accepted_reason,
                     CASE WHEN o.state = 'dispatched' AND la.state IS NOT NULL THEN la.state ELSE o.state END AS state_name,
                     (o.state IN ('notAccepted', 'resolvedAtIntake', 'revisitPending', 'rated', 'closed')
                      OR (o.state = 'dispatched' AND la.state = 'replied')) AS closed,
                     lu.name AS lead_name, o.received_at, greatest(o.updated_at, la.updated_at) AS updated_at, la.reply_by,
                     pl.code AS place_code,
                     concat_ws('', pp.name, p.name, pl.name) AS place_name,
                     coalesce(q.lat, pos.lat, ppos.lat) AS lat, coalesce(q.long, pos.long, ppos.long) AS long, q.media_url,
                     (SELECT rp.text_pii FROM order_replies rp
                      WHERE rp.work_order_id = o.id AND rp.unit_id = la.unit_id AND rp.reviewed_at IS NOT NULL AND rp.to_unit_id IS NULL
                      ORDER BY rp.id DESC LIMIT 1) AS reply_text
              FROM work_orders o
              LEFT JOIN assignments la ON la.work_order_id = o.id AND la.active AND la.role = 'lead'
              LEFT JOIN units lu ON lu.id = la.unit_id
              LEFT JOIN regions pl ON pl.code = coalesce(o.locality_code, o.region_code)
              LEFT JOIN regions p ON p.code = pl.parent_code
              LEFT JOIN regions pp ON pp.code = p.parent_code
              LEFT JOIN region_positions pos ON pos.code = pl.code
              LEFT JOIN region_positions ppos ON ppos.code = p.code
              LEFT JOIN open311_requests q ON q.channel = o.channel AND q.submission_id = o.submission_id
              WHERE true
            """
        if let numbers = query.numbers { sql.append(" AND o.number = ANY(\(numbers))") }
        if !query.categories.isEmpty { sql.append(" AND o.category = ANY(\(query.categories))") }
        if let start = query.start { sql.append(" AND o.received_at >= \(start)") }
        if let end = query.end { sql.append(" AND o.received_at <= \(end)") }
        sql.append(") v")
        if let closed = query.closed { sql.append(" WHERE v.closed = \(closed)") }
        sql.append(" ORDER BY v.received_at DESC, v.number DESC LIMIT \(query.limit)")
        return try connection.query(sql).map { row in
            Open311Order(
                number: try row.decode("number"), category: try row.decode("category"), urgency: try row.decode("urgency"),
                caseClass: try row.decode("class"), confidential: try row.decode("confidential"), title: try row.decode("title"),
                topics: try row.decode("topics"), state: try row.decode("state_name"), closed: try row.decode("closed"),
                notAcceptedReason: try row.decode("not_accepted_reason"), leadUnitName: try row.decode("lead_name"),
                receivedAt: try row.decode("received_at"), updatedAt: try row.decode("updated_at"), replyBy: try row.decode("reply_by"),
                placeCode: try row.decode("place_code"), placeName: try row.decode("place_name", as: String?.self).flatMap { $0.isEmpty ? nil : $0 },
                lat: try row.decode("lat"), long: try row.decode("long"), mediaURL: try row.decode("media_url"),
                replyTextPII: try row.decode("reply_text"))
        }
    }

    /// Requests POSTed through Open311 and how many intake has not answered yet (`hotlinectl status`).
    public static func counts(on connection: PostgresConnection) throws -> (posted: Int, pending: Int) {
        let row = try connection.query("""
            SELECT count(*)::int8 AS posted,
                   count(*) FILTER (WHERE o.id IS NULL AND NOT EXISTS (
                       SELECT 1 FROM rejected_submissions s WHERE s.channel = r.channel AND s.submission_id = r.submission_id))::int8 AS pending
            FROM open311_requests r LEFT JOIN work_orders o ON o.channel = r.channel AND o.submission_id = r.submission_id
            """).first!
        return (try row.decode("posted"), try row.decode("pending"))
    }
}
