import Foundation
import HotlineTestSupport
import PostgresClient
import Testing

/// Waits until a notification arrives or `attempts` waits time out.
private func nextNotifications(_ db: PostgresConnection, attempts: Int = 10) throws -> NotificationWait {
    for _ in 0..<attempts {
        let wait = try db.waitForNotifications(timeout: .seconds(1))
        if wait != .timedOut { return wait }
    }
    return .timedOut
}

@Suite("PostgreSQL LISTEN/NOTIFY and server restarts", .serialized)
struct NotificationAndRestartTests {
    @Test func listenNotifyDelivers() throws {
        let url = try TestServers.databaseURL()
        let listener = try PostgresConnection(url: url)
        let sender = try PostgresConnection(url: url)
        let channel = "hotline_test_\(UInt32.random(in: 0...UInt32.max))"
        try listener.listen(channel)
        #expect(try listener.waitForNotifications(timeout: .milliseconds(200)) == .timedOut)
        try sender.notify(channel, payload: "工单 42 已受理")
        let wait = try nextNotifications(listener)
        guard case .notifications(let received) = wait else {
            Issue.record("expected notifications, got \(wait)")
            return
        }
        #expect(received.map(\.channel) == [channel])
        #expect(received.map(\.payload) == ["工单 42 已受理"])
        #expect(received.first?.backendPID == sender.backendPID)
        // Delivered at commit: nothing while the sending transaction is open, then it arrives.
        try sender.withTransaction { tx in
            try tx.notify(channel, payload: "in transaction")
            #expect(try listener.waitForNotifications(timeout: .milliseconds(300)) == .timedOut)
        }
        #expect(try nextNotifications(listener) == .notifications([
            PostgresNotification(channel: channel, payload: "in transaction", backendPID: sender.backendPID),
        ]))
    }

    @Test func listenSurvivesAnImmediateRestart() throws {
        let url = try TestServers.databaseURL()
        let listener = try PostgresConnection(url: url)
        let user = try PostgresConnection(url: url)
        let channel = "hotline_restart_\(UInt32.random(in: 0...UInt32.max))"
        try listener.listen(channel)
        #expect(try user.query("SELECT 1 AS one").count == 1)
        let pidBefore = user.backendPID

        try PostgresServer.restartImmediately()

        // The listener notices the loss, reconnects and says so (the caller must then poll).
        var wait = NotificationWait.timedOut
        for _ in 0..<30 {
            do {
                wait = try listener.waitForNotifications(timeout: .seconds(1))
            } catch let error as PostgresError where error.code == .connectionLost {
                continue // the server was not back yet: the next call tries again
            }
            if wait != .timedOut { break }
        }
        #expect(wait == .reconnected)
        #expect(listener.isConnected)

        // A query on the same object: the first may fail with connectionLost, then it works.
        var answer: Int?
        for attempt in 0..<3 {
            do {
                answer = try user.query("SELECT 1 AS one").first?.decode("one", as: Int.self)
                break
            } catch let error as PostgresError where error.code == .connectionLost {
                #expect(attempt == 0, "only the first call after the restart may fail")
            }
        }
        #expect(answer == 1)
        #expect(user.backendPID != pidBefore)

        // LISTEN was re-issued: a NOTIFY sent now is received.
        try user.notify(channel, payload: "after restart")
        let after = try nextNotifications(listener)
        #expect(after == .notifications([
            PostgresNotification(channel: channel, payload: "after restart", backendPID: user.backendPID),
        ]))
    }
}

@Suite("PostgreSQL pool", .serialized)
struct PoolTests {
    @Test func fiftyConcurrentCallsRunOnThePoolThreads() async throws {
        let url = try TestServers.databaseURL()
        let pool = PostgresPool(url: url, size: 4)
        defer { pool.close() }
        let results = try await withThrowingTaskGroup(of: (Int, Int, String, Int32).self) { group in
            for index in 0..<50 {
                group.addTask {
                    try await pool.withConnection { db in
                        let row = try #require(try db.query("SELECT \(index) * 2 AS doubled, pg_backend_pid() AS pid").first)
                        return (index, try row.decode("doubled", as: Int.self),
                                DedicatedThread.currentName ?? "", try row.decode("pid", as: Int32.self))
                    }
                }
            }
            var collected: [(Int, Int, String, Int32)] = []
            for try await result in group { collected.append(result) }
            return collected
        }
        #expect(results.count == 50)
        for (index, doubled, _, _) in results { #expect(doubled == index * 2) }
        let threadNames = Set(results.map(\.2))
        #expect(threadNames.allSatisfy { $0.hasPrefix("postgres-pool-") })
        #expect(threadNames.count <= 4)
        #expect(Set(results.map(\.3)).count <= 4)
    }

    @Test func errorsComeBackToTheCaller() async throws {
        let pool = PostgresPool(url: try TestServers.databaseURL(), size: 2)
        defer { pool.close() }
        let error = await #expect(throws: PostgresError.self) {
            try await pool.withConnection { db in try db.execute("SELECT * FROM no_such_table") }
        }
        #expect(error?.sqlState == "42P01")
        let ok = try await pool.withConnection { db in try db.query("SELECT 1 AS one").first?.decode("one", as: Int.self) }
        #expect(ok == 1)
    }

    @Test func dedicatedThreadRunsJobsInOrderOnItsThread() async throws {
        let thread = DedicatedThread(name: "pg-test-thread")
        defer { thread.shutdown() }
        var names: [String] = []
        for index in 0..<20 {
            let (value, name) = try await thread.run { (index, DedicatedThread.currentName ?? "") }
            #expect(value == index)
            names.append(name)
        }
        #expect(Set(names) == ["pg-test-thread"])
        #expect(DedicatedThread.currentName == nil)
        let blocking = try thread.runBlocking { 41 + 1 }
        #expect(blocking == 42)
    }
}

@Suite("PostgreSQL pool hygiene", .serialized)
struct PoolHygieneTests {
    @Test func aTransactionLeftOpenIsRolledBackBeforeTheNextUser() async throws {
        try await PostgresTestDatabase.with { url in
            let pool = PostgresPool(url: url, size: 1)
            defer { pool.close() }
            try await pool.withConnection { db in try db.execute("CREATE TABLE t (v int)") }
            await #expect(throws: Boom.self) {
                try await pool.withConnection { db in
                    try db.execute("BEGIN")
                    try db.execute("INSERT INTO t VALUES (1)")
                    throw Boom()
                }
            }
            let count = try await pool.withConnection { db in
                try db.query("SELECT count(*) AS n FROM t").first?.decode("n", as: Int.self)
            }
            #expect(count == 0)
        }
    }
}
