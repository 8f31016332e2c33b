import Foundation
import HotlineAPI
import HotlineRuntime
import HotlineStore
import HotlineTestSupport
import Logging
import PostgresClient
import Testing

/// Idempotency keys past the retention are pruned by the API's loop; younger ones stay.
@Suite(.serialized) struct IdempotencyPruningTests {
    @Test func keysOlderThanTheRetentionArePrunedAndYoungerOnesKept() throws {
        try PostgresTestDatabase.with { url in
            let database = try PostgresConnection(url: url, applicationName: "pruning-test")
            defer { database.close() }
            try Migrator.bundled().migrate(database)
            let token = try ApiTokens.issue(token: ApiTokens.generate(), unit: nil, personNamePII: "赵主任",
                                            expiresAt: Date().addingTimeInterval(86_400), on: database)
            func key(_ name: String, hoursAgo: Double) throws {
                try database.execute("""
                    INSERT INTO api_idempotency_keys (token_id, key, request, request_hash, status, body, created_at)
                    VALUES (\(token), \(name), 'POST /v1/orders/x/sign', sha256('{}'::bytea), 200, '{}'::bytea,
                            now() - make_interval(secs => \(hoursAgo * 3_600)))
                    """)
            }
            try key("a-day-and-more", hoursAgo: 25)
            try key("two-days", hoursAgo: 48)
            try key("an-hour", hoursAgo: 1)
            func keys() throws -> [String] {
                try database.query("SELECT key FROM api_idempotency_keys ORDER BY key").map { try $0.decode("key", as: String.self) }
            }

            // The store's batch: at most `limit` at a time, oldest first.
            #expect(try IdempotencyKeys.prune(createdBefore: Date().addingTimeInterval(-24 * 3_600), limit: 1, on: database) == 1)
            #expect(try keys() == ["a-day-and-more", "an-hour"])

            // The loop, as hotline-api runs it, prunes at start.
            let pruner = IdempotencyKeyPruner(databaseURL: url, retention: 24 * 3_600, interval: 600, logger: Logger(label: "test"))
            let stop = StopFlag()
            let finished = DispatchSemaphore(value: 0)
            let thread = Thread {
                do { try pruner.run(until: stop) } catch { Issue.record("pruner: \(error)") }
                finished.signal()
            }
            thread.start()
            defer {
                stop.raise()
                finished.wait()
            }
            try ChildProcesses().wait("the old key pruned", timeout: 30) { try keys() == ["an-hour"] }
        }
    }
}
