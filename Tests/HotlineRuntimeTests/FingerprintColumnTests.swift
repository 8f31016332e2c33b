import Foundation
import HotlineStore
import HotlineTestSupport
import PostgresClient
import Testing

/// Issue 11 §6: the SimHash column (`work_orders.fingerprint`) was written and never read; 0008
/// drops it, on a fresh database and on one that had it.
@Suite(.serialized) struct FingerprintColumnTests {
    func hasFingerprint(_ connection: PostgresConnection) throws -> Bool {
        try connection.query("""
            SELECT EXISTS (SELECT 1 FROM information_schema.columns
                           WHERE table_name = 'work_orders' AND column_name = 'fingerprint') AS present
            """).first!.decode("present", as: Bool.self)
    }

    @Test func theMigrationsLeaveNoFingerprintColumn() throws {
        try PostgresTestDatabase.with { url in
            let connection = try PostgresConnection(url: url)
            let all = try Migrator.bundled()
            #expect(all.migrations.contains { $0.version == 8 && $0.name.contains("simhash") })
            // Up to 0006 the column is there (0002 added it) ...
            try Migrator(migrations: all.migrations.filter { $0.version <= 6 }).migrate(connection)
            #expect(try hasFingerprint(connection))
            // ... and the rest drop it.
            try all.migrate(connection)
            #expect(try !hasFingerprint(connection))
        }
    }
}
