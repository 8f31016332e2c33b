import AMQPClient
import Foundation
import HotlineContracts
import HotlineStore
import HotlineTestSupport
import PostgresClient
import Testing

/// The runtime's guarantees against the real servers, driving `hotline-probe` processes:
/// exactly-once effects through crashes, restarts and duplicates; parking with reasons; retry
/// tiers; replay; graceful stop; metrics.
@Suite(.serialized, .timeLimit(.minutes(10)))
struct RuntimeFaultTests {
    @Test func aRedeliveredDuplicateChangesNothing() throws {
        try PostgresTestDatabase.with { url in
            let fleet = try ProbeFleet(databaseURL: url)
            defer { fleet.stopAll(); fleet.deleteQueues() }
            try fleet.start(lanes: 1, prefetch: 20)
            try fleet.waitForQueue()
            let amqp = try AMQPConnection(url: fleet.amqpURL, connectionName: "test")
            defer { amqp.close() }
            let keys = (0..<200).map { "k\($0)" }
            let ids = keys.map { _ in UUID().uuidString }
            try fleet.publish(keys: keys, messageIds: ids, connection: amqp)
            // The same 50 message ids again: a channel that retries its publish.
            try fleet.publish(keys: Array(keys.prefix(50)), messageIds: Array(ids.prefix(50)), connection: amqp)
            let effects = try Effects(url: url)
            try fleet.wait("200 effects", timeout: 60) { try effects.counts().rows >= 200 }
            try fleet.wait("queue drained", timeout: 30) { try amqp.queueDepth(fleet.consumer).messages == 0 }
            Thread.sleep(forTimeInterval: 0.5)
            let counts = try effects.counts()
            #expect(counts.rows == 200)
            #expect(counts.distinct == 200)
            // Each applied message emitted one probe.applied event through the outbox, published.
            try fleet.wait("outbox relayed", timeout: 30) {
                try effects.scalar("SELECT count(*)::int8 FROM outbox WHERE published_at IS NOT NULL") == 200
            }
            #expect(try effects.scalar("SELECT count(*)::int8 FROM inbox") == 200)
        }
    }

    @Test func malformedMessagesAreParkedWithTheirReason() throws {
        try PostgresTestDatabase.with { url in
            let fleet = try ProbeFleet(databaseURL: url)
            defer { fleet.stopAll(); fleet.deleteQueues() }
            try fleet.start()
            try fleet.waitForQueue()
            let amqp = try AMQPConnection(url: fleet.amqpURL, connectionName: "test")
            defer { amqp.close() }
            let notJSON = fleet.raw(Array("我的电话是13812341234，不是JSON".utf8), messageId: "m-not-json")
            let wrongData = fleet.raw(Array(#"{"id":"6F9619FF-8B86-D011-B42D-00C04FC964FF","type":"probe.effect","version":1,"occurredAt":"2026-01-01T00:00:00Z","data":{"kee":"x"}}"#.utf8),
                                      messageId: "m-wrong-data")
            let wrongVersion = fleet.raw(Array(#"{"id":"6F9619FF-8B86-D011-B42D-00C04FC964FE","type":"probe.effect","version":9,"occurredAt":"2026-01-01T00:00:00Z","data":{"key":"x"}}"#.utf8),
                                         messageId: "m-wrong-version")
            #expect(try amqp.publish([notJSON, wrongData, wrongVersion], timeout: .seconds(10)).allSatisfy { $0.isConfirmed })
            let parking = Topology.parkingQueue(of: fleet.consumer)
            try fleet.wait("3 parked", timeout: 30) { try amqp.queueDepth(parking).messages == 3 }
            var reasons: [String: String] = [:]
            while let delivery = try amqp.basicGet(queue: parking) {
                reasons[delivery.properties.messageId ?? "?"] = delivery.properties.headers["x-hotline-reason"]?.stringValue
                try amqp.nack(delivery.deliveryTag, requeue: true)
                if reasons.count == 3 { break }
            }
            #expect(reasons["m-not-json"]?.contains("not a JSON object") == true)
            #expect(reasons["m-wrong-data"]?.contains("data.key") == true)
            #expect(reasons["m-wrong-version"]?.contains("version 9 is not supported") == true)
            // No personal data in the reason.
            #expect(reasons.values.allSatisfy { !$0.contains("13812341234") })
            let database = try PostgresConnection(url: url)
            let rows = try ParkedMessages.open(consumer: fleet.consumer, limit: 10, on: database)
            #expect(Set(rows.compactMap(\.messageId)) == ["m-not-json", "m-wrong-data", "m-wrong-version"])
            #expect(try Effects(url: url).counts().rows == 0)
        }
    }

    @Test func aFailingHandlerGoesThroughEveryRetryTierIsParkedAndReplaysOnceFixed() throws {
        try PostgresTestDatabase.with { url in
            let fleet = try ProbeFleet(databaseURL: url, retryDelays: "100,200,300")
            defer { fleet.stopAll(); fleet.deleteQueues() }
            try fleet.start()
            try fleet.waitForQueue()
            let database = try PostgresConnection(url: url)
            // The handler's error quotes the key, and the key holds a citizen's phone and words:
            // none of it may reach the header, the parked row or the log.
            let broken = "broken 13812345678 楼上装修噪音扰民"
            try database.execute("INSERT INTO probe_switches (key, failing) VALUES (\(broken), true)")
            let amqp = try AMQPConnection(url: fleet.amqpURL, connectionName: "test")
            defer { amqp.close() }
            try fleet.publish(keys: ["fine", broken], connection: amqp)
            let parking = Topology.parkingQueue(of: fleet.consumer)
            try fleet.wait("broken parked", timeout: 60) { try amqp.queueDepth(parking).messages == 1 }
            let effects = try Effects(url: url)
            #expect(try effects.counts().rows == 1)  // its batch-mate was applied
            let parked = try #require(try ParkedMessages.open(consumer: fleet.consumer, limit: 10, on: database).first)
            #expect(parked.attempts == 3)
            #expect(parked.reason.contains("failed 4 times"))
            // An error of a type that is not a SafeError is recorded by its type name only.
            #expect(parked.reason.contains("ProbeFailure"))
            // Each tier was passed through: the parked copy remembers the tiers' queues.
            let delivery = try #require(try amqp.basicGet(queue: parking))
            #expect(delivery.properties.headers["x-hotline-attempt"]?.intValue == 3)
            let header = try #require(delivery.properties.headers["x-hotline-error"]?.stringValue)
            #expect(header.contains("ProbeFailure"))
            let log = fleet.fullLog()
            #expect(log.contains("handler failed"))
            for leaked in [parked.reason, header, log] {
                #expect(!leaked.contains("13812345678") && !leaked.contains("噪音"))
            }
            try amqp.nack(delivery.deliveryTag, requeue: true)

            // Fixed: replay brings it back and it succeeds, once.
            try database.execute("UPDATE probe_switches SET failing = false")
            let replay = try Shell.run(try Shell.product("hotlinectl"), ["dlq", "replay", fleet.consumer],
                                       environment: ["HOTLINE_DATABASE_URL": url])
            #expect(replay.status == 0, "\(replay.stderr)")
            #expect(replay.stdout.contains("replayed 1 message"))
            try fleet.wait("replayed effect", timeout: 30) { try effects.counts().rows == 2 }
            #expect(try amqp.queueDepth(parking).messages == 0)
            #expect(try ParkedMessages.open(consumer: fleet.consumer, limit: 10, on: database).isEmpty)
            let keys = try database.query("SELECT key FROM probe_effects ORDER BY key").map { try $0.decode("key", as: String.self) }
            #expect(keys == [broken, "fine"])
        }
    }

    @Test func killedAfterCommitBeforeAckTheRedeliveredBatchChangesNothing() throws {
        try PostgresTestDatabase.with { url in
            let fleet = try ProbeFleet(databaseURL: url)
            defer { fleet.stopAll(); fleet.deleteQueues() }
            let amqp = try AMQPConnection(url: fleet.amqpURL, connectionName: "test")
            defer { amqp.close() }
            let first = try fleet.start(lanes: 1, prefetch: 10, environment: ["HOTLINE_FAULT": "kill-after-commit:3"])
            try fleet.waitForQueue()
            try fleet.publish(keys: (0..<100).map { "k\($0)" }, connection: amqp)
            try fleet.wait("the probe killed itself", timeout: 60) { !first.isRunning }
            #expect(first.terminatingSignal == SIGKILL)
            let effects = try Effects(url: url)
            let beforeRestart = try effects.counts().rows
            #expect(beforeRestart >= 3)  // three batches committed, the third never acked
            try fleet.start(lanes: 1, prefetch: 10)
            try fleet.wait("100 effects", timeout: 60) { try effects.counts().rows >= 100 }
            try fleet.wait("queue drained", timeout: 30) { try amqp.queueDepth(fleet.consumer).messages == 0 }
            Thread.sleep(forTimeInterval: 0.5)
            let counts = try effects.counts()
            #expect(counts.rows == 100, "lost or duplicated effects")
            #expect(counts.distinct == 100)
        }
    }

    @Test func twoRelaysThreeLanesTenThousandMessagesAndABrokerRestart() throws {
        try PostgresTestDatabase.with { url in
            let fleet = try ProbeFleet(databaseURL: url)
            defer { fleet.stopAll(); fleet.deleteQueues() }
            let database = try PostgresConnection(url: url)
            try Migrator.bundled().migrate(database)
            // The source: 10,000 outbox rows addressed to the probe's queue, as a producer's
            // transactions would leave them. Two probe processes = two relays and three lanes.
            let count = 10_000
            try database.withTransaction { tx in
                for start in stride(from: 0, to: count, by: 1000) {
                    let messages = (start..<min(start + 1000, count)).map { index in
                        let envelope = Contracts.envelope(TestProbeEffect(key: "k\(index)"), occurredAt: Date())
                        return OutboxMessage(messageId: envelope.id, exchange: "", routingKey: fleet.consumer,
                                             type: TestProbeEffect.type, body: Contracts.encode(envelope))
                    }
                    try Outbox.append(messages, on: tx)
                }
            }
            try fleet.start(lanes: 2, prefetch: 100)
            try fleet.start(lanes: 1, prefetch: 100)
            let effects = try Effects(url: url)
            try fleet.wait("a fifth applied", timeout: 120) { try effects.counts().rows >= count / 5 }
            try Shell.services("kill", "amqp")
            try Shell.services("up", "amqp")
            try fleet.wait("every effect", timeout: 300) { try effects.counts().distinct >= count }
            let amqp = try AMQPConnection(url: fleet.amqpURL, connectionName: "test")
            defer { amqp.close() }
            try fleet.wait("queue drained", timeout: 60) { try amqp.queueDepth(fleet.consumer).messages == 0 }
            Thread.sleep(forTimeInterval: 1)
            let counts = try effects.counts()
            #expect(counts.distinct == count, "lost effects")
            #expect(counts.rows == count, "duplicate effects")
            #expect(try effects.scalar("SELECT count(*)::int8 FROM parked_messages") == 0)
        }
    }

    @Test func aDatabaseRestartIsNotAMessageFailure() throws {
        try PostgresTestDatabase.with { url in
            let fleet = try ProbeFleet(databaseURL: url)
            defer { fleet.stopAll(); fleet.deleteQueues() }
            try fleet.start(lanes: 1, prefetch: 20, slowMs: 2)
            try fleet.waitForQueue()
            let amqp = try AMQPConnection(url: fleet.amqpURL, connectionName: "test")
            defer { amqp.close() }
            try fleet.publish(keys: (0..<1000).map { "k\($0)" }, connection: amqp)
            let effects = try Effects(url: url)
            try fleet.wait("some applied", timeout: 60) { try effects.counts().rows >= 100 }
            try Shell.services("restart", "pg")
            let after = try Effects(url: url)
            try fleet.wait("every effect", timeout: 120) { try after.counts().rows >= 1000 }
            try fleet.wait("queue drained", timeout: 30) { try amqp.queueDepth(fleet.consumer).messages == 0 }
            let counts = try after.counts()
            #expect(counts.rows == 1000)
            #expect(counts.distinct == 1000)
            #expect(try after.scalar("SELECT count(*)::int8 FROM parked_messages") == 0)
            #expect(try amqp.queueDepth(Topology.parkingQueue(of: fleet.consumer)).messages == 0)
        }
    }

    @Test func sigtermDuringABatchCommitsAcksAndExitsZero() throws {
        try PostgresTestDatabase.with { url in
            let fleet = try ProbeFleet(databaseURL: url)
            defer { fleet.stopAll(); fleet.deleteQueues() }
            let probe = try fleet.start(lanes: 1, prefetch: 50, slowMs: 20)
            try fleet.waitForQueue()
            let amqp = try AMQPConnection(url: fleet.amqpURL, connectionName: "test")
            defer { amqp.close() }
            try fleet.publish(keys: (0..<500).map { "k\($0)" }, connection: amqp)
            let effects = try Effects(url: url)
            // Let it get into a batch (50 × 20 ms = 1 s per batch), then stop it mid-batch.
            try fleet.wait("a batch under way", timeout: 60) {
                try effects.scalar("SELECT count(*)::int8 FROM pg_stat_activity WHERE state = 'idle in transaction' OR (state = 'active' AND application_name LIKE 'probe-lane%')") > 0
                    || (try effects.counts().rows) > 0
            }
            Thread.sleep(forTimeInterval: 0.3)
            probe.signal(SIGTERM)
            try fleet.wait("the probe to exit", timeout: 30) { !probe.isRunning }
            #expect(probe.terminatingSignal == nil)
            #expect(probe.exitStatus == 0)
            let applied = try effects.counts().rows
            #expect(applied > 0)
            #expect(applied < 500, "the probe finished everything before the signal; the test proves nothing")
            // The batch in hand was committed (it is all-or-nothing) and acked: what is left in the
            // queue is exactly the rest; a committed but unacked batch would come back on top.
            try fleet.wait("unacked returned", timeout: 10) { try amqp.queueDepth(fleet.consumer).messages == 500 - applied }
        }
    }

    @Test func metricsParseAsPrometheusTextAndCountersMove() throws {
        try PostgresTestDatabase.with { url in
            let fleet = try ProbeFleet(databaseURL: url)
            defer { fleet.stopAll(); fleet.deleteQueues() }
            let port = try freePort()
            try fleet.start(httpPort: port)
            try fleet.waitForQueue()
            try fleet.wait("ready", timeout: 30) { (try? httpGet(port: port, path: "/readyz"))?.status == 200 }
            #expect(try httpGet(port: port, path: "/healthz").status == 200)
            let before = try PrometheusText.parse(try httpGet(port: port, path: "/metrics").body)
            let applied = #"hotline_messages_total{worker="probe",outcome="applied"}"#
            let amqp = try AMQPConnection(url: fleet.amqpURL, connectionName: "test")
            defer { amqp.close() }
            try fleet.publish(keys: (0..<30).map { "k\($0)" }, connection: amqp)
            let effects = try Effects(url: url)
            try fleet.wait("30 effects", timeout: 30) { try effects.counts().rows == 30 }
            let after = try PrometheusText.parse(try httpGet(port: port, path: "/metrics").body)
            #expect((after[applied] ?? 0) - (before[applied] ?? 0) == 30)
            #expect((after[#"hotline_batch_size_count{worker="probe"}"#] ?? 0) > (before[#"hotline_batch_size_count{worker="probe"}"#] ?? 0))
            #expect(after[#"hotline_lanes_ready{worker="probe"}"#] == 1)
            #expect(after.keys.contains { $0.hasPrefix("hotline_commit_seconds_bucket") })
            #expect(after.keys.contains { $0.hasPrefix("hotline_outbox_lag_seconds") })
        }
    }
}

/// A strict reader of the Prometheus text format: every line is a comment (`# HELP`, `# TYPE`)
/// or `name{labels} value`; anything else fails the parse.
enum PrometheusText {
    struct Malformed: Error, CustomStringConvertible { let line: String; var description: String { "not Prometheus text: \(line)" } }

    static func parse(_ text: String) throws -> [String: Double] {
        var samples: [String: Double] = [:]
        let name = #/^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})? [-+0-9.eEInfNa]+$/#
        for line in text.split(separator: "\n") {
            if line.hasPrefix("# HELP ") || line.hasPrefix("# TYPE ") { continue }
            guard line.wholeMatch(of: name) != nil, let space = line.lastIndex(of: " "),
                  let value = Double(line[line.index(after: space)...].replacingOccurrences(of: "+Inf", with: "inf")) else {
                throw Malformed(line: String(line))
            }
            samples[String(line[..<space])] = value
        }
        return samples
    }
}

struct HTTPReply { let status: Int; let body: String }

func httpGet(port: Int, path: String) throws -> HTTPReply {
    let result = try Shell.run("/usr/bin/curl", ["-s", "-m", "5", "-o", "-", "-w", "\n%{http_code}", "http://127.0.0.1:\(port)\(path)"])
    guard result.status == 0, let newline = result.stdout.lastIndex(of: "\n"),
          let status = Int(result.stdout[result.stdout.index(after: newline)...]) else {
        throw Shell.Failure(command: "curl \(path)", result: result)
    }
    return HTTPReply(status: status, body: String(result.stdout[..<newline]))
}

/// A port nothing listens on right now.
func freePort() throws -> Int {
    let result = try Shell.run("/usr/bin/env", ["python3", "-c", "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])"])
    return try #require(Int(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
}
