import Foundation
import PostgresClient

/// A fresh, uniquely named database per test, dropped afterwards.
///
///     try PostgresTestDatabase.with { url in
///         let connection = try PostgresConnection(url: url)
///         ...
///     }
public enum PostgresTestDatabase {
    /// Creates a database named `hotline_test_<random>` on the server of `HOTLINE_DATABASE_URL`,
    /// runs `body` with its URL, then drops it (also when `body` throws).
    public static func with<T>(_ body: (String) throws -> T) throws -> T {
        let (adminURL, name, url) = try create()
        defer { drop(adminURL: adminURL, name: name) }
        return try body(url)
    }

    /// The async form of `with(_:)`.
    public static func with<T>(_ body: (String) async throws -> T) async throws -> T {
        let (adminURL, name, url) = try create()
        defer { drop(adminURL: adminURL, name: name) }
        return try await body(url)
    }

    /// `url` with its database replaced by `database`.
    public static func url(_ url: String, database: String) throws -> String {
        guard var components = URLComponents(string: url) else {
            throw TestServers.Missing(variable: "a valid HOTLINE_DATABASE_URL")
        }
        components.path = "/" + database
        guard let result = components.string else { throw TestServers.Missing(variable: "a valid HOTLINE_DATABASE_URL") }
        return result
    }

    private static func create() throws -> (adminURL: String, name: String, url: String) {
        let adminURL = try TestServers.databaseURL()
        let name = "hotline_test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
        let admin = try PostgresConnection(url: adminURL, applicationName: "hotline-tests")
        try admin.execute(SQL(unsafeSQL: "CREATE DATABASE " + SQL.quoteIdentifier(name)))
        return (adminURL, name, try url(adminURL, database: name))
    }

    private static func drop(adminURL: String, name: String) {
        // After a server restart the first statement can fail with connectionLost: try twice.
        for _ in 0..<3 {
            guard let admin = try? PostgresConnection(url: adminURL, applicationName: "hotline-tests") else {
                Thread.sleep(forTimeInterval: 0.5)
                continue
            }
            if (try? admin.execute(SQL(unsafeSQL: "DROP DATABASE IF EXISTS " + SQL.quoteIdentifier(name) + " WITH (FORCE)"))) != nil {
                return
            }
        }
    }
}
