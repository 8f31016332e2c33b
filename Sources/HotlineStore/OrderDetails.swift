import Foundation
import PostgresClient

/// One order as the office looks at it: its state, units, timers and history, without personal
/// data (`hotlinectl order show`, later the API).
public struct OrderDetails: Sendable, Equatable {
    public struct Unit: Sendable, Equatable {
        public var code: String
        public var name: String
        /// lead or co
        public var role: String
        public var state: String
        public var active: Bool
        public var replyBy: Date?
    }

    public struct Timer: Sendable, Equatable {
        public var kind: String
        public var fireAt: Date
        public var fired: Bool
        public var cancelled: Bool
    }

    public struct Event: Sendable, Equatable {
        public var type: String
        public var occurredAt: Date
        public var actor: String?
        /// The event's data as JSON text (no personal data is written there).
        public var data: String
    }

    public var id: UUID
    public var number: String
    public var state: String
    public var version: Int
    public var category: String
    public var urgency: String?
    public var caseClass: String?
    public var profile: String
    public var regionCode: String?
    public var localityCode: String?
    public var receivedAt: Date
    public var dispatchBy: Date?
    public var returns: Int
    public var supervisionReason: String?
    public var repeatOf: UUID?
    public var clusterKey: String?
    public var manualDispatchReason: String?
    public var units: [Unit]
    public var timers: [Timer]
    public var events: [Event]
}

extension WorkOrders {
    /// The order numbered `number` with its units (by assignment), timers (by due time) and
    /// events (in order), or nil when there is none.
    public static func details(number: String, on connection: PostgresConnection) throws -> OrderDetails? {
        guard let row = try connection.query("""
            SELECT id, state, category, urgency, class, profile, region_code, locality_code, received_at, dispatch_by,
                   returns_count, supervision_reason, repeat_of, cluster_key, manual_dispatch_reason, version
            FROM work_orders WHERE number = \(number)
            """).first else { return nil }
        let id = try row.decode("id", as: UUID.self)
        let units = try connection.query("""
            SELECT u.code, u.name, a.role, a.state, a.active, a.reply_by FROM assignments a JOIN units u ON u.id = a.unit_id
            WHERE a.work_order_id = \(id) ORDER BY a.id
            """).map { a in
            OrderDetails.Unit(code: try a.decode("code"), name: try a.decode("name"), role: try a.decode("role"),
                              state: try a.decode("state"), active: try a.decode("active"), replyBy: try a.decode("reply_by"))
        }
        let timers = try connection.query("""
            SELECT kind, fire_at, fired_at IS NOT NULL AS fired, cancelled_at IS NOT NULL AS cancelled FROM timers
            WHERE work_order_id = \(id) ORDER BY fire_at, id
            """).map { t in
            OrderDetails.Timer(kind: try t.decode("kind"), fireAt: try t.decode("fire_at"), fired: try t.decode("fired"),
                               cancelled: try t.decode("cancelled"))
        }
        let events = try connection.query("""
            SELECT type, occurred_at, actor, data::text AS data FROM events WHERE work_order_id = \(id) ORDER BY id
            """).map { e in
            OrderDetails.Event(type: try e.decode("type"), occurredAt: try e.decode("occurred_at"), actor: try e.decode("actor"),
                               data: try e.decode("data"))
        }
        return OrderDetails(
            id: id, number: number, state: try row.decode("state"), version: try row.decode("version"),
            category: try row.decode("category"), urgency: try row.decode("urgency"), caseClass: try row.decode("class"),
            profile: try row.decode("profile"), regionCode: try row.decode("region_code"), localityCode: try row.decode("locality_code"),
            receivedAt: try row.decode("received_at"), dispatchBy: try row.decode("dispatch_by"), returns: try row.decode("returns_count"),
            supervisionReason: try row.decode("supervision_reason"), repeatOf: try row.decode("repeat_of"),
            clusterKey: try row.decode("cluster_key"), manualDispatchReason: try row.decode("manual_dispatch_reason"),
            units: units, timers: timers, events: events)
    }
}
