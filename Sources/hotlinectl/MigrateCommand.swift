import ArgumentParser
import Foundation
import HotlineStore
import PostgresClient

struct Migrate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply the database migrations that are missing (workers also do this at start).",
        discussion: "Safe to run while workers start: migrations run under an advisory lock, each in its own transaction.")

    @OptionGroup var connection: DatabaseOption

    @Flag(help: "Only list the applied and pending versions.")
    var status = false

    func run() throws {
        let database = try connection.connect(name: "hotlinectl-migrate")
        defer { database.close() }
        let migrator = try Migrator.bundled()
        if status {
            let applied = Set(try Migrator.appliedVersions(database))
            for migration in migrator.migrations {
                print("\(String(format: "%04d", migration.version)) \(migration.name): \(applied.contains(migration.version) ? "applied" : "pending")")
            }
            return
        }
        let done = try migrator.migrate(database)
        print(done.isEmpty ? "up to date (\(migrator.migrations.count) migrations)" : "applied \(done.map(String.init).joined(separator: ", "))")
    }
}

/// `--database-url`, falling back to HOTLINE_DATABASE_URL.
struct DatabaseOption: ParsableArguments {
    @Option(name: .customLong("database-url"), help: "PostgreSQL URL (default: $HOTLINE_DATABASE_URL).")
    var databaseURL: String?

    func url() throws -> String {
        if let databaseURL, !databaseURL.isEmpty { return databaseURL }
        if let value = ProcessInfo.processInfo.environment["HOTLINE_DATABASE_URL"], !value.isEmpty { return value }
        throw UsageError("no database URL: pass --database-url or set HOTLINE_DATABASE_URL (`eval \"$(ops/services env)\"`)")
    }

    func connect(name: String) throws -> PostgresConnection {
        try PostgresConnection(url: try url(), applicationName: name)
    }
}

/// `--amqp-url`, falling back to HOTLINE_AMQP_URL.
struct BrokerOption: ParsableArguments {
    @Option(name: .customLong("amqp-url"), help: "RabbitMQ URL (default: $HOTLINE_AMQP_URL).")
    var amqpURL: String?

    func url() throws -> String {
        if let amqpURL, !amqpURL.isEmpty { return amqpURL }
        if let value = ProcessInfo.processInfo.environment["HOTLINE_AMQP_URL"], !value.isEmpty { return value }
        throw UsageError("no AMQP URL: pass --amqp-url or set HOTLINE_AMQP_URL (`eval \"$(ops/services env)\"`)")
    }
}

/// A mistake in how the command was called: one line on standard error, exit status 2.
struct UsageError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
