import Foundation
import HotlineStore
import HotlineTestSupport
import PostgresClient
import Testing

/// Issue 11 §6: the SimHash column (`work_orders.fingerprint`) was written and never read; 0008
/// drops it, on a fresh database and on one that still has it.
@Suite(.serialized) struct FingerprintColumnTests {
    func hasFingerprint(_ connection: PostgresConnection) throws -> Bool {
        try connection.query("""
            SELECT EXISTS (SELECT 1 FROM information_schema.columns
                           WHERE table_name = 'work_orders' AND column_name = 'fingerprint') AS present
            """).first!.decode("present", as: Bool.self)
    }

    @Test func migration8DropsTheFingerprintColumn() throws {
        try PostgresTestDatabase.with { url in
            let connection = try PostgresConnection(url: url)
            let migrator = try Migrator.bundled()
            #expect(try migrator.migrate(connection).contains(8))
            #expect(try !hasFingerprint(connection))
            // A database migrated before 0008 existed: the column as 0002 made it, 0008 not applied.
            try connection.execute("ALTER TABLE work_orders ADD COLUMN fingerprint bigint")
            try connection.execute("DELETE FROM schema_migrations WHERE version = 8")
            #expect(try hasFingerprint(connection))
            #expect(try migrator.migrate(connection) == [8])
            #expect(try !hasFingerprint(connection))
        }
    }
}
