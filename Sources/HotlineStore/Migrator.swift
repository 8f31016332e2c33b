import Foundation
import PostgresClient

/// Applies the SQL migrations bundled with this module, in order, each in its own transaction,
/// under an advisory lock so that several workers starting at once are safe. `schema_migrations`
/// records what was applied. Then it seeds the working-day calendar with the built-in
/// arrangements of the years nobody loaded (`CalendarStore.seedBuiltIn`).
public struct Migrator: Sendable {
    public struct Migration: Sendable, Equatable {
        public let version: Int
        public let name: String
        public let sql: String
    }

    /// Same key for every Hotline process: `hashtext('hotline.migrations')` would do, a constant is clearer.
    static let advisoryLockKey: Int64 = 0x686F_746C_696E_65

    public let migrations: [Migration]

    public init(migrations: [Migration]) {
        self.migrations = migrations.sorted { $0.version < $1.version }
    }

    /// The migrations shipped in this module's `Migrations/` folder (`0001_name.sql`, ...).
    public static func bundled() throws -> Migrator {
        guard let folder = Bundle.module.url(forResource: "Migrations", withExtension: nil) else {
            throw MigrationError(message: "the Migrations folder is missing from the HotlineStore bundle")
        }
        let files = try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "sql" }
        var migrations: [Migration] = []
        for file in files {
            let base = file.deletingPathExtension().lastPathComponent
            guard let underscore = base.firstIndex(of: "_"), let version = Int(base[..<underscore]) else {
                throw MigrationError(message: "migration file \(file.lastPathComponent) is not named NNNN_name.sql")
            }
            migrations.append(Migration(version: version, name: String(base[base.index(after: underscore)...]),
                                        sql: try String(contentsOf: file, encoding: .utf8)))
        }
        let versions = migrations.map(\.version)
        guard Set(versions).count == versions.count else {
            throw MigrationError(message: "two migration files share a version number")
        }
        return Migrator(migrations: migrations)
    }

    /// Applies what is missing; returns the versions applied by this call.
    @discardableResult
    public func migrate(_ connection: PostgresConnection) throws -> [Int] {
        try connection.execute("SELECT pg_advisory_lock(\(Self.advisoryLockKey))")
        defer { _ = try? connection.execute("SELECT pg_advisory_unlock(\(Self.advisoryLockKey))") }
        try connection.execute("""
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version    integer PRIMARY KEY,
                name       text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """)
        let applied = Set(try connection.query("SELECT version FROM schema_migrations").map { try $0.decode("version", as: Int.self) })
        var done: [Int] = []
        for migration in migrations where !applied.contains(migration.version) {
            do {
                try connection.withTransaction { tx in
                    try tx.executeScript(migration.sql)
                    try tx.execute("INSERT INTO schema_migrations (version, name) VALUES (\(migration.version), \(migration.name))")
                }
            } catch {
                throw MigrationError(message: "migration \(migration.version) (\(migration.name)) failed: \(error)")
            }
            done.append(migration.version)
        }
        // The built-in holiday arrangements seed the years nobody loaded (never an operator's).
        if applied.union(done).contains(CalendarStore.migrationVersion) {
            do {
                try connection.withTransaction { tx in _ = try CalendarStore.seedBuiltIn(on: tx) }
            } catch {
                throw MigrationError(message: "seeding the built-in holiday arrangements failed: \(error)")
            }
        }
        return done
    }

    /// Versions recorded as applied, in order.
    public static func appliedVersions(_ connection: PostgresConnection) throws -> [Int] {
        let exists = try connection.query("SELECT to_regclass('schema_migrations') IS NOT NULL AS present")
        guard try exists.first?.decode("present", as: Bool.self) == true else { return [] }
        return try connection.query("SELECT version FROM schema_migrations ORDER BY version").map { try $0.decode("version", as: Int.self) }
    }
}

public struct MigrationError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
