import AMQPClient
import Foundation
import HotlineContracts
import HotlineStore
import HotlineTestSupport
import PostgresClient
import Testing

/// The intake and routing workers, started as the real executables against a fresh database
/// seeded with the demo county, fed from outside (pika) or by the tests' own publisher.
final class Pipeline: @unchecked Sendable {
    // @unchecked Sendable: used by one test at a time.
    let databaseURL: String
    let amqpURL: String
    let database: PostgresConnection
    private(set) var workers: [String: Shell.Child] = [:]
    let processes = ChildProcesses()

    static let queues = ["intake", "routing"]

    init(databaseURL: String) throws {
        self.databaseURL = databaseURL
        self.amqpURL = try TestServers.amqpURL()
        database = try PostgresConnection(url: databaseURL, applicationName: "pipeline-test")
        try Migrator.bundled().migrate(database)
        try database.withTransaction { tx in try ReferenceData.demoCounty().write(on: tx) }
        // Messages left by an earlier test belong to another database: start from empty queues.
        let amqp = try AMQPConnection(url: amqpURL, connectionName: "pipeline-test-setup")
        defer { amqp.close() }
        for queue in Self.queues {
            for name in Topology.consumer(queue, subscribesTo: []).queues.map(\.name) { _ = try? amqp.purgeQueue(name) }
        }
    }

    /// Runs `body` with a pipeline on a fresh database; stops the workers and drops it afterwards.
    static func with(_ body: (Pipeline) throws -> Void) throws {
        try PostgresTestDatabase.with { url in
            let pipeline = try Pipeline(databaseURL: url)
            defer { pipeline.stopAll() }
            do {
                try body(pipeline)
            } catch {
                Issue.record("\(error)\n\(pipeline.logTail())")
                throw error
            }
        }
    }

    /// Starts `hotline-<worker>` and waits until it consumes its queue.
    @discardableResult
    func start(_ worker: String, lanes: Int = 1, environment: [String: String] = [:]) throws -> Shell.Child {
        let child = try processes.start(
            try Shell.product("hotline-\(worker)"), ["--lanes", "\(lanes)", "--prefetch", "50"],
            environment: ["HOTLINE_DATABASE_URL": databaseURL, "HOTLINE_AMQP_URL": amqpURL, "HOTLINE_PROFILE": "qidong"]
                .merging(environment) { _, new in new },
            name: "pipeline-\(worker)")
        workers[worker] = child
        try wait("\(worker) consuming", timeout: 60) {
            guard child.isRunning else { throw WorkerDied(worker: worker, log: self.logTail()) }
            guard let amqp = try? AMQPConnection(url: amqpURL, connectionName: "pipeline-wait") else { return false }
            defer { amqp.close() }
            return ((try? amqp.queueDepth(worker))?.consumers ?? 0) >= lanes
        }
        return child
    }

    func startBoth() throws {
        try start("intake")
        try start("routing")
    }

    func stopAll() {
        processes.stopAll()
        database.close()
    }

    func logTail() -> String { processes.logTail() }

    func wait(_ what: String, timeout: TimeInterval, _ condition: () throws -> Bool) throws {
        try processes.wait(what, timeout: timeout, condition)
    }

    struct WorkerDied: Error, CustomStringConvertible {
        let worker: String
        let log: String
        var description: String { "hotline-\(worker) exited\n\(log)" }
    }

    // MARK: - Publishing

    /// One submission as a channel sends it: the envelope as JSON, or a raw body.
    struct Outgoing {
        var routingKey: String
        var messageId: String
        var body: [String: Any]?
        var rawBody: String?
        var type = "submission"
    }

    /// Publishes through Python's pika (an outside client), with confirms.
    func publishWithPika(_ items: [Outgoing]) throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("submissions-\(UUID().uuidString).jsonl")
        defer { try? FileManager.default.removeItem(at: file) }
        var lines: [String] = []
        for item in items {
            var object: [String: Any] = ["routingKey": item.routingKey, "messageId": item.messageId, "type": item.type]
            if let body = item.body { object["body"] = body }
            if let raw = item.rawBody { object["rawBody"] = raw }
            lines.append(String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self))
        }
        try lines.joined(separator: "\n").write(to: file, atomically: true, encoding: .utf8)
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("publish_submissions.py").path
        let result = try Shell.run("/usr/bin/env", ["python3", script, "--url", amqpURL, "--file", file.path])
        guard result.status == 0 else { throw Shell.Failure(command: "publish_submissions.py", result: result) }
    }

    /// Publishes typed submissions with Hotline's own client (bulk runs).
    func publish(_ submissions: [SubmissionV1], ids: [UUID]? = nil) throws {
        let amqp = try AMQPConnection(url: amqpURL, connectionName: "pipeline-publisher")
        defer { amqp.close() }
        let messages = submissions.enumerated().map { index, submission in
            let envelope = Contracts.envelope(submission, id: ids?[index] ?? UUID(), occurredAt: Date())
            return OutgoingMessage(exchange: Topology.intakeExchange, routingKey: SubmissionV1.routingKey(channel: submission.channel ?? "phone"),
                                   body: Contracts.encode(envelope),
                                   properties: MessageProperties(messageId: envelope.id.uuidString, type: SubmissionV1.type,
                                                                 contentType: "application/json", timestamp: Date(), headers: [:], persistent: true),
                                   mandatory: true)
        }
        for start in stride(from: 0, to: messages.count, by: 200) {
            let outcomes = try amqp.publish(Array(messages[start..<min(start + 200, messages.count)]), timeout: .seconds(30))
            guard outcomes.allSatisfy(\.isConfirmed) else { throw Unconfirmed() }
        }
    }

    struct Unconfirmed: Error {}

    // MARK: - Reading the system of record

    func scalar(_ sql: SQL) throws -> Int {
        Int(try database.query(sql).first!.decode(0, as: Int64.self))
    }

    func text(_ sql: SQL) throws -> String? {
        try database.query(sql).first?.decode(0, as: String?.self)
    }
}

/// A valid submission as a channel builds it.
func submission(_ id: String, channel: String = "phone", phone: String = "13912345678", category: String = "投诉",
                title: String? = nil, content: String, address: String? = nil, regionCode: String? = nil,
                outcome: SubmissionV1.AgentOutcome? = nil, receivedAt: Date = Date()) -> SubmissionV1 {
    SubmissionV1(submissionId: id, channel: channel, receivedAt: receivedAt, citizen: .init(name: "张先生", phone: phone),
                 confidential: false, category: category, urgency: "一般", caseClass: nil, title: title, content: content,
                 address: address, regionCode: regionCode, agentId: "A0107", outcome: outcome)
}

/// The envelope of `submission` as a JSON object, for pika.
func envelopeObject(_ submission: SubmissionV1, id: UUID = UUID()) throws -> [String: Any] {
    let body = Contracts.encode(Contracts.envelope(submission, id: id, occurredAt: Date()))
    return try JSONSerialization.jsonObject(with: Data(body)) as! [String: Any]
}
