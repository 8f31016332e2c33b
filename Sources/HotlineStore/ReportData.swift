import Foundation
import HotlineDomain
import PostgresClient

/// What the monthly report shows besides the ranking, read from the system of record: the key
/// rates month by month, the overdue and supervised orders of the period, and hot spots. Only
/// order numbers, units, titles, places and counts: no personal data.
public enum ReportData {
    public struct MonthRates: Sendable, Equatable {
        public var period: String
        public var dispatched: Int
        public var onTime: Int
        public var overdue: Int
        public var rated: Int
        public var satisfied: Int
    }

    public struct OrderLine: Sendable, Equatable {
        public var number: String
        public var unit: String
        public var title: String
        public var due: Date
        public var note: String
    }

    public struct HotSpot: Sendable, Equatable {
        public var place: String
        public var topic: String
        public var orders: Int
        public var clusters: Int
    }

    /// The key rates of the `months` months ending with `period`, oldest first (all units together).
    public static func trend(endingWith period: ScoringPeriod, months: Int, asOf: Date, on connection: PostgresConnection) throws -> [MonthRates] {
        var first = period
        for _ in 1..<max(months, 1) { first = first.previous }
        return try connection.query("""
            SELECT to_char(a.dispatched_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM') AS period,
                   count(*) AS dispatched,
                   count(*) FILTER (WHERE a.replied_at <= \(asOf) AND a.replied_at <= a.reply_by) AS on_time,
                   count(*) FILTER (WHERE (a.replied_at IS NOT NULL AND a.replied_at <= \(asOf) AND a.replied_at > a.reply_by)
                                       OR ((a.replied_at IS NULL OR a.replied_at > \(asOf)) AND a.reply_by < \(asOf))) AS overdue,
                   count(r.rating) AS rated,
                   count(*) FILTER (WHERE r.rating IN ('satisfied', 'basically_satisfied')) AS satisfied
            FROM assignments a
            LEFT JOIN LATERAL (SELECT rating FROM ratings WHERE work_order_id = a.work_order_id AND rated_at <= \(asOf) AND rating <> 'unknown'
                               ORDER BY rated_at DESC, id DESC LIMIT 1) r ON true
            WHERE a.role = 'lead' AND a.state <> 'returnApproved' AND a.dispatched_at >= \(first.start) AND a.dispatched_at < \(period.end)
            GROUP BY 1 ORDER BY 1
            """).map { row in
            MonthRates(period: try row.decode("period"), dispatched: try row.decode("dispatched"), onTime: try row.decode("on_time"),
                       overdue: try row.decode("overdue"), rated: try row.decode("rated"), satisfied: try row.decode("satisfied"))
        }
    }

    /// Orders of the period replied late or still open past their reply-by at `asOf`, most overdue first.
    public static func overdue(period: ScoringPeriod, asOf: Date, limit: Int, on connection: PostgresConnection) throws -> [OrderLine] {
        try connection.query("""
            SELECT o.number, u.name AS unit, o.title, a.reply_by,
                   CASE WHEN a.replied_at IS NOT NULL AND a.replied_at <= \(asOf) THEN 'replied ' || round(extract(epoch FROM a.replied_at - a.reply_by) / 86400.0, 1) || ' days late'
                        ELSE 'open, ' || round(extract(epoch FROM \(asOf) - a.reply_by) / 86400.0, 1) || ' days past due' END AS note
            FROM assignments a JOIN work_orders o ON o.id = a.work_order_id JOIN units u ON u.id = a.unit_id
            WHERE a.role = 'lead' AND a.state <> 'returnApproved' AND a.dispatched_at >= \(period.start) AND a.dispatched_at < \(period.end)
              AND ((a.replied_at IS NOT NULL AND a.replied_at <= \(asOf) AND a.replied_at > a.reply_by)
                   OR ((a.replied_at IS NULL OR a.replied_at > \(asOf)) AND a.reply_by < \(asOf)))
            ORDER BY COALESCE(LEAST(a.replied_at, \(asOf)), \(asOf)) - a.reply_by DESC, o.number
            LIMIT \(limit)
            """).map(orderLine)
    }

    /// Supervised orders (督办) of the period.
    public static func supervised(period: ScoringPeriod, limit: Int, on connection: PostgresConnection) throws -> [OrderLine] {
        try connection.query("""
            SELECT o.number, u.name AS unit, o.title, a.reply_by, COALESCE(o.supervision_reason, '') AS note
            FROM assignments a JOIN work_orders o ON o.id = a.work_order_id JOIN units u ON u.id = a.unit_id
            WHERE a.role = 'lead' AND a.state <> 'returnApproved' AND o.supervised
              AND a.dispatched_at >= \(period.start) AND a.dispatched_at < \(period.end)
            ORDER BY a.dispatched_at, o.number
            LIMIT \(limit)
            """).map(orderLine)
    }

    static func orderLine(_ row: PostgresRow) throws -> OrderLine {
        OrderLine(number: try row.decode("number"), unit: try row.decode("unit"), title: try row.decode("title"),
                  due: try row.decode("reply_by"), note: try row.decode("note"))
    }

    /// The most frequent matters by place in the period, with how many clusters they made.
    public static func hotSpots(period: ScoringPeriod, limit: Int, on connection: PostgresConnection) throws -> [HotSpot] {
        try connection.query("""
            SELECT COALESCE(g.name, o.region_code, '—') AS place, t.topic, count(*) AS orders, count(DISTINCT o.cluster_key) AS clusters
            FROM work_orders o CROSS JOIN LATERAL unnest(o.topics) AS t(topic)
            LEFT JOIN regions g ON g.code = o.region_code
            WHERE o.received_at >= \(period.start) AND o.received_at < \(period.end)
            GROUP BY 1, 2 ORDER BY orders DESC, clusters DESC, 1, 2
            LIMIT \(limit)
            """).map { row in
            HotSpot(place: try row.decode("place"), topic: try row.decode("topic"), orders: try row.decode("orders"), clusters: try row.decode("clusters"))
        }
    }
}
