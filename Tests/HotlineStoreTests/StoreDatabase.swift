import Foundation
import HotlineStore
import HotlineTestSupport
import PostgresClient

/// A migrated test database with a little of the demo county, and rows written directly (the
/// operations under test only read them).
struct StoreDatabase {
    let connection: PostgresConnection

    static func with(_ body: (StoreDatabase) throws -> Void) throws {
        try PostgresTestDatabase.with { url in
            let connection = try PostgresConnection(url: url, applicationName: "hotline-tests")
            defer { connection.close() }
            try Migrator.bundled().migrate(connection)
            try connection.withTransaction { tx in
                try ReferenceData(regions: try ReferenceData.demoCounty().regions).write(on: tx)
                try tx.execute("INSERT INTO units (code, name, level, kind) VALUES ('WATER', '水务局', 2, 'department')")
            }
            try body(StoreDatabase(connection: connection))
        }
    }

    /// Writes an order; returns its id.
    @discardableResult
    func order(phone: String?, at receivedAt: Date, state: String = "awaitingDispatch", place: String? = nil,
               topics: [String] = [], shingles: [Int64]? = [1, 2, 3], text: String = "停水 幸福小区停水",
               exemptReason: String? = nil, channel: String = "phone") throws -> UUID {
        let id = UUID()
        try connection.execute("""
            INSERT INTO work_orders (id, number, profile, channel, submission_id, state, category, title, content_pii,
                                     citizen_phone_pii, received_at, locality_code, topics, shingles, exempt_reason)
            VALUES (\(id), \(id.uuidString), 'qidong', \(channel), \(id.uuidString), \(state), 'help', '', \(text), \(phone),
                    \(receivedAt), \(place), \(topics), \(shingles), \(exemptReason))
            """)
        return id
    }

    func count(_ sql: SQL) throws -> Int {
        try connection.query(sql).first!.decode(0, as: Int.self)
    }
}
