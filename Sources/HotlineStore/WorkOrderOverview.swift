import Foundation
import PostgresClient

/// The oldest order not yet dispatched, for the fleet's status.
public struct UndispatchedOrder: Sendable, Equatable {
    public var number: String
    public var state: String
    public var receivedAt: Date
    /// Seconds since it was received, by the database's clock.
    public var ageSeconds: Double
}

extension WorkOrders {
    /// How many orders are in each state (states without orders are absent).
    public static func countsByState(on connection: PostgresConnection) throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for row in try connection.query("SELECT state, count(*)::int8 AS n FROM work_orders GROUP BY state") {
            counts[try row.decode("state", as: String.self)] = try row.decode("n", as: Int.self)
        }
        return counts
    }

    /// The order received earliest of those still received or awaiting dispatch.
    public static func oldestUndispatched(on connection: PostgresConnection) throws -> UndispatchedOrder? {
        try connection.query("""
            SELECT number, state, received_at, EXTRACT(EPOCH FROM clock_timestamp() - received_at)::float8 AS age
            FROM work_orders WHERE state IN ('received', 'awaitingDispatch')
            ORDER BY received_at LIMIT 1
            """).first.map { row in
            UndispatchedOrder(number: try row.decode("number"), state: try row.decode("state"),
                              receivedAt: try row.decode("received_at"), ageSeconds: try row.decode("age"))
        }
    }

    /// Orders waiting for the office to dispatch them by hand: routing recorded why no rule was
    /// confident, and the order waits in awaitingDispatch (`hotlinectl order dispatch`).
    public static func awaitingManualDispatchCount(on connection: PostgresConnection) throws -> Int {
        try connection.query("""
            SELECT count(*)::int8 AS n FROM work_orders
            WHERE state = 'awaitingDispatch' AND manual_dispatch_reason IS NOT NULL
            """).first!.decode("n", as: Int.self)
    }
}
