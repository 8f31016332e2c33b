import Foundation
import HotlineContracts
import HotlineStore
import HotlineTestSupport
import PostgresClient
import Testing

@Suite(.serialized) struct StoreTests {
    @Test func migrationsApplyFromAnEmptyDatabaseOnceAndConcurrently() throws {
        try PostgresTestDatabase.with { url in
            // Three processes' worth of migrators starting at once: the advisory lock serialises them.
            let results = ResultsBox()
            let threads = (0..<3).map { index in
                Thread {
                    do {
                        let connection = try PostgresConnection(url: url, applicationName: "migrate-\(index)")
                        results.append(.success(try Migrator.bundled().migrate(connection)))
                    } catch {
                        results.append(.failure(error))
                    }
                }
            }
            threads.forEach { $0.start() }
            try results.waitFor(count: 3)
            let applied = try results.all().map { try $0.get() }
            let bundled = try Migrator.bundled().migrations.map(\.version)
            // Exactly one of them applied everything; the others found nothing to do.
            #expect(applied.filter { !$0.isEmpty } == [bundled])
            let connection = try PostgresConnection(url: url)
            #expect(try Migrator.appliedVersions(connection) == bundled)
            #expect(try Migrator.bundled().migrate(connection).isEmpty)
            for table in ["units", "work_orders", "assignments", "events", "outbox", "inbox", "timers", "sms_messages",
                          "ratings", "routing_rules", "regions", "kb_entries", "calendar_days", "unit_scores",
                          "parked_messages", "rejected_submissions"] {
                let exists = try connection.query("SELECT to_regclass(\(table)) IS NOT NULL AS present").first!
                #expect(try exists.decode("present", as: Bool.self), "table \(table) is missing")
            }
        }
    }

    @Test func eventsAreAppendOnly() throws {
        try PostgresTestDatabase.with { url in
            let connection = try PostgresConnection(url: url)
            try Migrator.bundled().migrate(connection)
            let order = UUID()
            try connection.execute("""
                INSERT INTO work_orders (id, number, profile, channel, submission_id, state, category, title, content_pii, received_at)
                VALUES (\(order), 'T-1', 'qidong', 'web', 's-1', 'received', 'consult', '咨询', '内容', now())
                """)
            try connection.execute("INSERT INTO events (work_order_id, type, occurred_at) VALUES (\(order), 'workorder.received', now())")
            #expect(throws: PostgresError.self) { try connection.execute("UPDATE events SET type = 'x'") }
            #expect(throws: PostgresError.self) { try connection.execute("DELETE FROM events") }
            #expect(try connection.query("SELECT type FROM events").first?.decode("type", as: String.self) == "workorder.received")
        }
    }

    @Test func twoRelaysNeverClaimTheSameRows() throws {
        try PostgresTestDatabase.with { url in
            let first = try PostgresConnection(url: url)
            let second = try PostgresConnection(url: url)
            try Migrator.bundled().migrate(first)
            let messages = (0..<10).map { index in
                OutboxMessage(messageId: UUID(), exchange: "hotline.events", routingKey: "t", type: "t", body: Array("\(index)".utf8))
            }
            try Outbox.append(messages, on: first)
            try first.withTransaction { tx in
                let mine = try Outbox.claim(limit: 6, on: tx)
                // While the first holds its six, the second gets the other four, not a wait.
                let theirs = try second.withTransaction { try Outbox.claim(limit: 10, on: $0) }
                #expect(mine.count == 6)
                #expect(theirs.count == 4)
                #expect(Set(mine.map(\.id)).isDisjoint(with: theirs.map(\.id)))
                try Outbox.markPublished(mine.map(\.id), on: tx)
            }
            #expect(try Outbox.claim(limit: 10, on: first).count == 4)
            // The lag is the age of the oldest unpublished row, published rows aside.
            try first.execute("UPDATE outbox SET created_at = now() - interval '1 hour' WHERE published_at IS NOT NULL")
            try first.execute("UPDATE outbox SET created_at = now() - interval '90 seconds' WHERE published_at IS NULL")
            let lag = try Outbox.lagSeconds(on: first)
            #expect(lag >= 90 && lag < 3600)
            // Published rows past their retention are pruned; unpublished ones never are.
            try first.execute("UPDATE outbox SET published_at = now() - interval '8 days' WHERE published_at IS NOT NULL")
            #expect(try Outbox.prune(olderThan: .seconds(7 * 24 * 3600), on: first) == 6)
            #expect(try first.query("SELECT count(*)::int8 AS n FROM outbox").first?.decode("n", as: Int64.self) == 4)
        }
    }

    @Test func theInboxRecordsAMessageOncePerConsumer() throws {
        try PostgresTestDatabase.with { url in
            let connection = try PostgresConnection(url: url)
            try Migrator.bundled().migrate(connection)
            #expect(try Inbox.record(consumer: "routing", messageId: "m1", on: connection))
            #expect(try !Inbox.record(consumer: "routing", messageId: "m1", on: connection))
            #expect(try Inbox.record(consumer: "scoring", messageId: "m1", on: connection))
        }
    }
}

/// Results from several threads, for tests.
final class ResultsBox: @unchecked Sendable {
    // @unchecked Sendable: `results` is only touched under `lock`.
    private let lock = NSLock()
    private var results: [Result<[Int], any Error>] = []

    func append(_ result: Result<[Int], any Error>) { lock.withLock { results.append(result) } }
    func all() -> [Result<[Int], any Error>] { lock.withLock { results } }

    func waitFor(count: Int, timeout: TimeInterval = 60) throws {
        let deadline = Date() + timeout
        while all().count < count, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        try #require(all().count == count, "only \(all().count) of \(count) threads finished")
    }
}
