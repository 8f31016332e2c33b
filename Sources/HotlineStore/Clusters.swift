import Foundation
import HotlineDomain
import PostgresClient

/// What intake looks for when it asks whether a new order joins a cluster: orders of the same
/// place, received after `receivedAfter`, from another phone, naming one of `topics` (or, when
/// `topics` is empty, naming none).
public struct ClusterProbe: Sendable, Equatable {
    public var localityCode: String
    /// The new order's phone: its own earlier orders are repeats, not other citizens.
    public var phonePII: String
    public var topics: [String]
    public var receivedAfter: Date

    public init(localityCode: String, phonePII: String, topics: [String], receivedAfter: Date) {
        self.localityCode = localityCode
        self.phonePII = phonePII
        self.topics = topics
        self.receivedAfter = receivedAfter
    }
}

/// A stored order that may be of the same matter as a new one, with the cluster it belongs to.
public struct ClusterCandidate: Sendable, Equatable {
    public var matter: StoredMatter
    public var clusterKey: String?
}

/// An order's membership of a cluster (keyed by the cluster's earliest order).
public struct ClusterMember: Sendable, Equatable {
    public var key: String
    public var orderId: UUID
    public var phonePII: String?

    public init(key: String, orderId: UUID, phonePII: String?) {
        self.key = key
        self.orderId = orderId
        self.phonePII = phonePII
    }
}

/// Where a cluster stands (`Clusters.standing`).
public enum ClusterStanding: Sendable, Equatable {
    /// It reached its threshold at `since`: every later order of it is supervised.
    case supervised(since: Date)
    /// Not supervised yet; its size as counted, up to the bound asked for.
    case counted(Int)
}

/// A cluster that reached its threshold: the row `tip` writes.
public struct TippingCluster: Sendable, Equatable {
    public var key: String
    public var localityCode: String
    public var firstOrder: UUID
    /// Its size as counted (`Clusters.sizes`), recorded in `clusters.citizens`.
    public var size: Int

    public init(key: String, localityCode: String, firstOrder: UUID, size: Int) {
        self.key = key
        self.localityCode = localityCode
        self.firstOrder = firstOrder
        self.size = size
    }
}

/// Clusters of the same matter from many citizens of one place. Membership lives in
/// `cluster_members` (plain inserts, no unique key: a lane never waits for another lane's batch,
/// 0006), so earlier orders are never locked; `clusters` has a row only once a cluster is supervised.
public enum Clusters {
    /// For each probe (in order), at most `limit` candidates, newest first: taken from the
    /// `placeOrders` newest orders of the place in the window (a bounded index scan, whatever the
    /// place's volume), then those of another phone and the same lexicon matter among them.
    public static func candidates(_ probes: [ClusterProbe], placeOrders: Int, limit: Int,
                                  on connection: PostgresConnection) throws -> [[ClusterCandidate]] {
        guard !probes.isEmpty else { return [] }
        // Topics travel as one text per probe (lexicon names, no separator inside), split in SQL.
        // Unlike the other intake lookups this one keeps `unnest` even for one probe (not `KeyRows`),
        // so PostgreSQL plans it with each call's values: a generic plan made while `cluster_members`
        // was still empty read it with a sequential scan for every candidate's cluster key, and kept
        // doing so as the table grew (auto_explain over `bench pipeline --count 5000`: 0.72 ms a call
        // against 0.21 with the index; which plan a run got depended on when the sixth call came).
        // Planning it each time costs about 0.09 ms a call and cannot go stale.
        let separator = "\u{1F}"
        let rows = try connection.query("""
            SELECT q.i, \(StoredMatter.columns),
                   (SELECT m.key FROM cluster_members m WHERE m.order_id = o.id LIMIT 1) AS cluster_key
            FROM unnest(\(probes.map(\.localityCode))::text[], \(probes.map(\.phonePII))::text[],
                        \(probes.map { $0.topics.joined(separator: separator) })::text[],
                        \(probes.map { epoch($0.receivedAfter) })::text[]) WITH ORDINALITY AS q(place, phone, topics, after, i)
            CROSS JOIN LATERAL (
                SELECT c.* FROM (SELECT id, title, content_pii, shingles, citizen_phone_pii, topics, received_at FROM work_orders
                                 WHERE locality_code = q.place AND received_at > to_timestamp(q.after::float8)
                                 ORDER BY received_at DESC LIMIT \(placeOrders)) c
                WHERE c.citizen_phone_pii IS DISTINCT FROM q.phone
                  AND CASE WHEN q.topics = '' THEN c.topics = '{}' ELSE c.topics && string_to_array(q.topics, \(separator)) END
                ORDER BY c.received_at DESC LIMIT \(limit)) o
            ORDER BY q.i, o.received_at DESC
            """)
        var found = Array(repeating: [ClusterCandidate](), count: probes.count)
        for row in rows {
            found[try row.decode("i", as: Int.self) - 1].append(
                ClusterCandidate(matter: try StoredMatter(row: row), clusterKey: try row.decode("cluster_key")))
        }
        return found
    }

    /// Records memberships (one statement for all).
    public static func addMembers(_ members: [ClusterMember], on connection: PostgresConnection) throws {
        guard !members.isEmpty else { return }
        try connection.execute("""
            INSERT INTO cluster_members (key, order_id, phone_pii)
            SELECT k, o::uuid, NULLIF(p, '')
            FROM unnest(\(members.map(\.key))::text[], \(members.map(\.orderId.uuidString))::text[],
                        \(members.map { $0.phonePII ?? "" })::text[]) AS t(k, o, p)
            """)
    }

    /// Where each of these clusters stands, in one statement: supervised (since when), or not yet
    /// and its size as `counting` counts it, counted up to `upTo` (bounded work: a caller
    /// comparing with a threshold needs no more): its orders (person-times; an order recorded
    /// twice counts once), or the distinct phones of its orders (citizens). Read without a lock: a
    /// busy cluster must not serialise the lanes that join it.
    public static func standing(keys: [String], counting: ClusterCounting, upTo: Int,
                                on connection: PostgresConnection) throws -> [String: ClusterStanding] {
        let keys = Array(Set(keys))
        guard !keys.isEmpty else { return [:] }
        let counted: SQL = switch counting {
        case .personTimes: "SELECT DISTINCT order_id FROM cluster_members WHERE key = k.key"
        case .distinctCitizens: "SELECT DISTINCT phone_pii FROM cluster_members WHERE key = k.key AND phone_pii IS NOT NULL"
        }
        let rows = try connection.query("""
            SELECT k.key, c.supervised_at,
                   CASE WHEN c.supervised_at IS NULL THEN (SELECT count(*) FROM (\(counted) LIMIT \(upTo)) m) END::int8 AS n
            FROM \(KeyRows.text([keys], as: "k(key)"))
            LEFT JOIN clusters c ON c.key = k.key AND c.supervised_at IS NOT NULL
            """)
        var found: [String: ClusterStanding] = [:]
        for row in rows {
            let key = try row.decode("key", as: String.self)
            if let since = try row.decode("supervised_at", as: Date?.self) {
                found[key] = .supervised(since: since)
            } else {
                found[key] = .counted(try row.decode("n", as: Int.self))
            }
        }
        return found
    }

    /// The first key of the advisory locks taken when a cluster tips (the second is the hash of
    /// the cluster's key); an arbitrary constant of ours.
    static let tippingLockSpace: Int32 = 12_345_006

    /// Records that these clusters reached their threshold, at `now`, once each: returns the keys
    /// this call recorded (their orders announce the supervision). Two lanes may tip the same
    /// cluster at once; the one that does not get the (transaction-scoped) advisory lock leaves
    /// the writing to the other instead of waiting for its batch to commit, and a cluster already
    /// supervised is left as it is.
    public static func tip(_ clusters: [TippingCluster], at now: Date, on connection: PostgresConnection) throws -> Set<String> {
        guard !clusters.isEmpty else { return [] }
        let rows = try connection.query("""
            INSERT INTO clusters (key, locality_code, first_order, citizens, supervised_at, updated_at)
            SELECT t.key, t.place, t.first::uuid, t.size::int, \(now), \(now)
            FROM unnest(\(clusters.map(\.key))::text[], \(clusters.map(\.localityCode))::text[],
                        \(clusters.map(\.firstOrder.uuidString))::text[], \(clusters.map { String($0.size) })::text[])
                 AS t(key, place, first, size)
            WHERE pg_try_advisory_xact_lock(\(tippingLockSpace), hashtext(t.key))
            ON CONFLICT (key) DO UPDATE SET supervised_at = EXCLUDED.supervised_at, citizens = EXCLUDED.citizens,
                                            updated_at = EXCLUDED.updated_at
            WHERE clusters.supervised_at IS NULL
            RETURNING key
            """)
        return Set(try rows.map { try $0.decode("key", as: String.self) })
    }
}
