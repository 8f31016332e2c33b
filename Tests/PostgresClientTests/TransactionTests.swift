import Foundation
import HotlineTestSupport
import PostgresClient
import Testing

struct Boom: Error {}

@Suite("PostgreSQL transactions and session settings", .serialized)
struct TransactionTests {
    private func count(_ db: PostgresConnection) throws -> Int {
        try #require(try db.query("SELECT count(*) AS n FROM t").first).decode("n", as: Int.self)
    }

    @Test func commitOnReturnRollbackOnThrow() throws {
        try PostgresTestDatabase.with { url in
            let db = try PostgresConnection(url: url)
            try db.execute("CREATE TABLE t (v int)")
            let value = try db.withTransaction { tx -> Int in
                try tx.execute("INSERT INTO t VALUES (\(Int32(1)))")
                return 7
            }
            #expect(value == 7)
            #expect(try count(db) == 1)
            #expect(throws: Boom.self) {
                try db.withTransaction { tx in
                    try tx.execute("INSERT INTO t VALUES (\(Int32(2)))")
                    throw Boom()
                }
            }
            #expect(try count(db) == 1)
            // A second connection sees only the committed row.
            let other = try PostgresConnection(url: url)
            #expect(try count(other) == 1)
        }
    }

    @Test func nestedTransactionUsesASavepoint() throws {
        try PostgresTestDatabase.with { url in
            let db = try PostgresConnection(url: url)
            try db.execute("CREATE TABLE t (v int)")
            try db.withTransaction { tx in
                try tx.execute("INSERT INTO t VALUES (1)")
                #expect(throws: Boom.self) {
                    try tx.withTransaction { inner in
                        try inner.execute("INSERT INTO t VALUES (2)")
                        throw Boom()
                    }
                }
                try tx.withTransaction { inner in
                    try inner.execute("INSERT INTO t VALUES (3)")
                }
                // A failed statement inside a savepoint rolls back to it, the outer goes on.
                #expect(throws: PostgresError.self) {
                    try tx.withTransaction { inner in
                        try inner.execute("INSERT INTO t VALUES (4)")
                        try inner.execute("INSERT INTO missing_table VALUES (1)")
                    }
                }
                try tx.execute("INSERT INTO t VALUES (5)")
            }
            let values = try db.query("SELECT v FROM t ORDER BY v").map { try $0.decode("v", as: Int.self) }
            #expect(values == [1, 3, 5])
        }
    }

    @Test func swallowedErrorDoesNotCommit() throws {
        try PostgresTestDatabase.with { url in
            let db = try PostgresConnection(url: url)
            try db.execute("CREATE TABLE t (v int)")
            let error = #expect(throws: PostgresError.self) {
                try db.withTransaction { tx in
                    try tx.execute("INSERT INTO t VALUES (1)")
                    _ = try? tx.execute("SELECT 1/0")
                }
            }
            #expect(error?.code == .transactionAborted)
            #expect(try count(db) == 0)
        }
    }

    @Test func sessionSettingsAreSet() throws {
        let url = try TestServers.databaseURL()
        let db = try PostgresConnection(url: url, applicationName: "hotline-settings-test")
        let idle = try #require(try db.query("SHOW idle_in_transaction_session_timeout").first)
        #expect(try idle.decode(0, as: String.self) == "1min")
        let app = try #require(try db.query("SHOW application_name").first)
        #expect(try app.decode(0, as: String.self) == "hotline-settings-test")
        let encoding = try #require(try db.query("SHOW client_encoding").first)
        #expect(try encoding.decode(0, as: String.self) == "UTF8")

        var options = PostgresConnection.Options()
        options.idleInTransactionSessionTimeout = .seconds(5)
        let custom = try PostgresConnection(url: url, options: options)
        let five = try #require(try custom.query("SHOW idle_in_transaction_session_timeout").first)
        #expect(try five.decode(0, as: String.self) == "5s")
        // The URL's own settings win over the defaults.
        let separator = url.contains("?") ? "&" : "?"
        let fromURL = try PostgresConnection(url: url + separator + "application_name=from-url")
        let name = try #require(try fromURL.query("SHOW application_name").first)
        #expect(try name.decode(0, as: String.self) == "from-url")
    }

    @Test func idleInTransactionTimeoutEndsTheSession() throws {
        var options = PostgresConnection.Options()
        options.idleInTransactionSessionTimeout = .milliseconds(300)
        let db = try PostgresConnection(url: try TestServers.databaseURL(), options: options)
        let firstPID = db.backendPID
        let error = #expect(throws: PostgresError.self) {
            try db.withTransaction { tx in
                try tx.execute("SELECT 1")
                Thread.sleep(forTimeInterval: 1.0)
                try tx.execute("SELECT 2")
            }
        }
        #expect(error?.code == .connectionLost)
        // The next call works on the same object, in a new session.
        #expect(try db.query("SELECT 1 AS one").first?.decode("one", as: Int.self) == 1)
        #expect(db.backendPID != firstPID)
    }

    @Test func badURLFailsWithConnectionError() {
        let error = #expect(throws: PostgresError.self) {
            _ = try PostgresConnection(url: "postgres://nobody:wrong@127.0.0.1:1/none?connect_timeout=2")
        }
        #expect(error?.code == .connection)
        #expect(error?.description.contains("wrong") == false)
    }
}
