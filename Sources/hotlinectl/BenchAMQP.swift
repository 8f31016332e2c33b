import AMQPClient
import ArgumentParser
import Foundation
import HotlineRuntime

/// `hotlinectl amqp` (to be `hotlinectl bench amqp`): AMQP throughput of our client beside pika.
struct BenchAMQP: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "amqp",
        abstract: "Measure AMQP confirmed publishes/s and consume+ack/s on a quorum queue, beside Python pika.",
        discussion: """
        Shapes: persistent 512-byte messages published in batches of 100 (publish 100, wait for their
        100 confirms, repeat), and consuming with prefetch 100 and ack(multiple) every 100. The same
        shapes run in pika (ops/bench/amqp_pika.py, `python3 -m pip install -r ops/requirements-test.txt`),
        alternating with ours round by round; medians are printed with the ratio ours/pika.
        """
    )

    @Option(help: "Rounds (each runs every shape once with each client).")
    var rounds = 5

    @Option(help: "Messages per shape and round.")
    var messages = 20000

    @Option(help: "The broker (default: HOTLINE_AMQP_URL).")
    var amqpURL: String?

    @Option(help: "The pika script.")
    var pikaScript = "ops/bench/amqp_pika.py"

    func validate() throws {
        guard rounds > 0, messages >= 100 else { throw ValidationError("--rounds must be > 0 and --messages >= 100") }
    }

    func run() throws {
        guard let url = amqpURL ?? ProcessInfo.processInfo.environment["HOTLINE_AMQP_URL"] else {
            throw ValidationError("set HOTLINE_AMQP_URL or pass --amqp-url")
        }
        let figures = try AMQPBench.runOnOwnThread(amqpURL: url, rounds: rounds, messages: messages, pikaScript: pikaScript)
        for figure in figures { print(figure.line) }
    }
}

enum AMQPBench {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static let batch = 100
    static let bodySize = 512

    /// Runs the benchmark on a dedicated thread (the connection's owner) and waits for it.
    static func runOnOwnThread(amqpURL: String, rounds: Int, messages: Int = 5000,
                               pikaScript: String = "ops/bench/amqp_pika.py") throws -> [BenchFigure] {
        try DedicatedThread.runBlocking(name: "hotlinectl-bench") {
            try run(amqpURL: amqpURL, rounds: rounds, messages: messages, pikaScript: pikaScript)
        }
    }

    /// Call from a thread that may block (not Swift's cooperative pool).
    static func run(amqpURL: String, rounds: Int, messages: Int = 5000,
                    pikaScript: String = "ops/bench/amqp_pika.py") throws -> [BenchFigure] {
        let connection = try AMQPConnection(url: amqpURL, connectionName: "hotlinectl-bench")
        defer { connection.close() }
        var oursPublish: [Double] = [], pikaPublish: [Double] = []
        var oursConsume: [Double] = [], pikaConsume: [Double] = []
        var pikaVersion = "pika"
        for round in 0..<rounds {
            let queue = "bench.amqp.\(UUID().uuidString.prefix(8).lowercased())"
            try connection.declareQueue(queue, .quorum)
            defer { _ = try? connection.deleteQueue(queue) }
            let oursFirst = round % 2 == 0
            for client in oursFirst ? ["ours", "pika"] : ["pika", "ours"] {
                if client == "ours" {
                    oursPublish.append(try publishRate(connection, queue: queue, messages: messages))
                } else {
                    let (rate, version) = try pika("publish", url: amqpURL, queue: queue, messages: messages, script: pikaScript)
                    pikaPublish.append(rate)
                    pikaVersion = version
                }
                // The queue now holds what was just published: consume it back.
                if client == "ours" {
                    oursConsume.append(try consumeRate(amqpURL, queue: queue, messages: messages))
                } else {
                    pikaConsume.append(try pika("consume", url: amqpURL, queue: queue, messages: messages, script: pikaScript).rate)
                }
                _ = try connection.purgeQueue(queue)
            }
            FileHandle.standardError.write(Data(String(format: "round %d: publish ours %.0f pika %.0f; consume ours %.0f pika %.0f\n",
                                                       round + 1, oursPublish.last!, pikaPublish.last!,
                                                       oursConsume.last!, pikaConsume.last!).utf8))
        }
        return [
            BenchFigure(name: "AMQP persistent publishes with confirms (batches of \(batch), quorum queue)",
                        unit: "msg/s", ours: median(oursPublish), reference: median(pikaPublish), referenceTool: pikaVersion),
            BenchFigure(name: "AMQP consume+ack (prefetch \(batch), ack multiple every \(batch), quorum queue)",
                        unit: "msg/s", ours: median(oursConsume), reference: median(pikaConsume), referenceTool: pikaVersion),
        ]
    }


    static func publishRate(_ connection: AMQPConnection, queue: String, messages: Int, bodySize: Int = bodySize) throws -> Double {
        let message = OutgoingMessage(exchange: "", routingKey: queue, body: [UInt8](repeating: UInt8(ascii: "x"), count: bodySize),
                                      properties: MessageProperties(contentType: "application/json"))
        let started = ContinuousClock.now
        var sent = 0
        while sent < messages {
            let count = min(batch, messages - sent)
            let outcomes = try connection.publish(Array(repeating: message, count: count), timeout: .seconds(30))
            guard outcomes.allSatisfy({ $0 == .confirmed }) else { throw Failure(description: "a publish was not confirmed") }
            sent += count
        }
        return Double(messages) / (ContinuousClock.now - started).inSeconds
    }

    static func consumeRate(_ url: String, queue: String, messages: Int) throws -> Double {
        let connection = try AMQPConnection(url: url, connectionName: "hotlinectl-bench-consumer")
        defer { connection.close() }
        let started = ContinuousClock.now
        try connection.setPrefetch(UInt16(batch))
        try connection.consume(queue: queue)
        var received = 0
        while received < messages {
            guard let delivery = try connection.nextDelivery(timeout: .seconds(1)) else { continue }
            received += 1
            if received % batch == 0 || received == messages { try connection.ack(delivery.deliveryTag, multiple: true) }
        }
        return Double(messages) / (ContinuousClock.now - started).inSeconds
    }

    static func pika(_ shape: String, url: String, queue: String, messages: Int, script: String) throws -> (rate: Double, version: String) {
        let result = try Subprocess.run("/usr/bin/env", ["python3", script, shape, "--url", url, "--queue", queue,
                                                         "--messages", String(messages), "--batch", String(batch),
                                                         "--body-size", String(bodySize)])
        guard result.status == 0,
              let json = try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any],
              let rate = json["rate"] as? Double else {
            throw Failure(description: "\(script) \(shape) failed (exit \(result.status)); is pika installed? "
                + "python3 -m pip install -r ops/requirements-test.txt")
        }
        return (rate, "pika \(json["pika"] as? String ?? "")")
    }

}
