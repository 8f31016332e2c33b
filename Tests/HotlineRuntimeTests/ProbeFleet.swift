import AMQPClient
import Foundation
import HotlineContracts
import HotlineTestSupport
import PostgresClient
import Testing

/// Runs `hotline-probe` processes against a test database and talks to their queue.
final class ProbeFleet: @unchecked Sendable {
    // @unchecked Sendable: used from one test at a time.
    let databaseURL: String
    let amqpURL: String
    let consumer: String
    let retryDelays: String
    let processes = ChildProcesses()

    init(databaseURL: String, consumer: String = Broker.uniqueName("probe"), retryDelays: String = "100,200,300") throws {
        self.databaseURL = databaseURL
        self.amqpURL = try TestServers.amqpURL()
        self.consumer = consumer
        self.retryDelays = retryDelays
    }

    /// Starts one probe process with `lanes` lanes; `environment` adds e.g. HOTLINE_FAULT.
    @discardableResult
    func start(lanes: Int = 1, prefetch: Int = 50, slowMs: Int = 0, httpPort: Int = 0, ticker: Bool = false,
               environment: [String: String] = [:]) throws -> Shell.Child {
        try processes.start(
            try Shell.product("hotline-probe"),
            ["--consumer", consumer, "--retry-delays", retryDelays, "--lanes", "\(lanes)", "--prefetch", "\(prefetch)",
             "--slow-ms", "\(slowMs)", "--http-port", "\(httpPort)"] + (ticker ? ["--ticker"] : []),
            environment: ["HOTLINE_DATABASE_URL": databaseURL, "HOTLINE_AMQP_URL": amqpURL].merging(environment) { _, new in new },
            name: consumer)
    }

    func logTail() -> String { processes.logTail(lines: 15) }

    func fullLog() -> String { processes.fullLog() }

    func stopAll() { processes.stopAll() }

    /// Deletes the probe's queues (main, retry tiers, parking).
    func deleteQueues() {
        guard let amqp = try? AMQPConnection(url: amqpURL, connectionName: "probe-cleanup") else { return }
        defer { amqp.close() }
        let delays = retryDelays.split(separator: ",").compactMap { Int($0) }
        let topology = Topology.consumer(consumer, subscribesTo: [], retryDelaysMilliseconds: delays)
        for queue in topology.queues { _ = try? amqp.deleteQueue(queue.name) }
    }

    /// Publishes `probe.effect` messages straight to the probe's queue (default exchange), with
    /// the given message ids; a body of nil sends the key's envelope.
    func publish(keys: [String], messageIds: [String]? = nil, connection: AMQPConnection) throws {
        let ids = messageIds ?? keys.map { _ in UUID().uuidString }
        var batch: [OutgoingMessage] = []
        for (key, id) in zip(keys, ids) {
            let envelope = Contracts.envelope(TestProbeEffect(key: key), id: UUID(uuidString: id) ?? UUID(), occurredAt: Date())
            batch.append(raw(Contracts.encode(envelope), messageId: id))
        }
        for chunk in stride(from: 0, to: batch.count, by: 500) {
            let slice = Array(batch[chunk..<min(chunk + 500, batch.count)])
            let outcomes = try connection.publish(slice, timeout: .seconds(30))
            #expect(outcomes.allSatisfy { $0.isConfirmed })
        }
    }

    func raw(_ body: [UInt8], messageId: String, type: String = "probe.effect") -> OutgoingMessage {
        OutgoingMessage(exchange: "", routingKey: consumer, body: body,
                        properties: MessageProperties(messageId: messageId, type: type, contentType: "application/json",
                                                      timestamp: Date(), headers: [:], persistent: true),
                        mandatory: true)
    }

    /// Waits until the probe's queues exist (it declares them at start, the parking queue last)
    /// and its lane consumes.
    func waitForQueue(timeout: TimeInterval = 60) throws {
        try wait("queue \(consumer) declared", timeout: timeout) {
            guard let amqp = try? AMQPConnection(url: amqpURL, connectionName: "probe-wait") else { return false }
            defer { amqp.close() }
            guard (try? amqp.queueDepth(Topology.parkingQueue(of: consumer))) != nil else { return false }
            return ((try? amqp.queueDepth(consumer))?.consumers ?? 0) > 0
        }
    }

    func wait(_ what: String, timeout: TimeInterval, _ condition: () throws -> Bool) throws {
        try processes.wait(what, timeout: timeout, condition)
    }
}

/// The probe's message contract, as an outside publisher sees it.
struct TestProbeEffect: MessageContract {
    static let type = "probe.effect"
    static let version = 1
    var key: String
}

/// Counting effects in the probe's database.
struct Effects {
    let connection: PostgresConnection

    init(url: String) throws { connection = try PostgresConnection(url: url, applicationName: "probe-count") }

    /// (rows, distinct message ids)
    func counts() throws -> (rows: Int, distinct: Int) {
        let exists = try connection.query("SELECT to_regclass('probe_effects') IS NOT NULL AS present")
        guard try exists.first?.decode("present", as: Bool.self) == true else { return (0, 0) }
        let row = try connection.query("SELECT count(*)::int8 AS n, count(DISTINCT message_id)::int8 AS d FROM probe_effects").first!
        return (Int(try row.decode("n", as: Int64.self)), Int(try row.decode("d", as: Int64.self)))
    }

    func scalar(_ sql: SQL) throws -> Int {
        Int(try connection.query(sql).first!.decode(0, as: Int64.self))
    }
}
