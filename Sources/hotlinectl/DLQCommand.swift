import AMQPClient
import ArgumentParser
import Foundation
import HotlineContracts
import HotlineRuntime
import HotlineStore
import PostgresClient

struct DLQ: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dlq",
        abstract: "Look at, replay and purge parked messages (the <queue>.dead parking queues).",
        discussion: """
        A message is parked when it cannot be read, fails validation, or fails every retry tier.
        The parking queue holds the message; the database holds a row with the reason.
        """,
        subcommands: [List.self, Show.self, Replay.self, Purge.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Parked messages not yet replayed or purged, newest first.")
        @OptionGroup var database: DatabaseOption
        @OptionGroup var broker: BrokerOption
        @Option(help: "Only this consumer (queue), e.g. routing.") var consumer: String?
        @Option(help: "At most this many rows.") var limit = 50

        func run() throws {
            let connection = try database.connect(name: "hotlinectl-dlq")
            defer { connection.close() }
            let rows = try ParkedMessages.open(consumer: consumer, limit: limit, on: connection)
            let amqp = try AMQPConnection(url: try broker.url(), connectionName: "hotlinectl-dlq")
            defer { amqp.close() }
            let consumers = Set(rows.map(\.consumer) + (consumer.map { [$0] } ?? Topology.consumers)).sorted()
            for name in consumers {
                let depth = (try? amqp.queueDepth(Topology.parkingQueue(of: name)).messages).map(String.init) ?? "absent"
                print("\(Topology.parkingQueue(of: name)): \(depth) messages")
            }
            if rows.isEmpty { print("no open parked messages"); return }
            print("id\tconsumer\tparked at\ttype\tmessage id\treason")
            for row in rows {
                print("\(row.id)\t\(row.consumer)\t\(row.parkedAt.formatted(.iso8601))\t\(row.type ?? "-")\t\(row.messageId ?? "-")\t\(row.reason.prefix(120))")
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One parked message: reason, headers and body (digit runs masked unless --unmasked).")
        @OptionGroup var database: DatabaseOption
        @Argument(help: "The id `dlq list` shows.") var id: Int64
        @Flag(help: "Print the body as it is (it may hold personal data).") var unmasked = false

        func run() throws {
            let connection = try database.connect(name: "hotlinectl-dlq")
            defer { connection.close() }
            guard let row = try ParkedMessages.find(id: id, on: connection) else {
                throw UsageError("no parked message with id \(id)")
            }
            print("id: \(row.id)")
            print("consumer: \(row.consumer)")
            print("message id: \(row.messageId ?? "-")")
            print("type: \(row.type ?? "-")")
            print("parked at: \(row.parkedAt.formatted(.iso8601))")
            print("attempts: \(row.attempts)")
            print("reason: \(row.reason)")
            for (key, value) in row.headers.sorted(by: { $0.key < $1.key }) { print("header \(key): \(value)") }
            let body = String(decoding: row.body, as: UTF8.self)
            print("body:\n\(unmasked ? body : DLQ.maskDigitRuns(body))")
        }
    }

    struct Replay: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send parked messages back to their queue, keeping their message ids.",
            discussion: "Each message goes back to <consumer> with its retry count reset. Fix the cause first: a message that fails again is parked again.")
        @OptionGroup var database: DatabaseOption
        @OptionGroup var broker: BrokerOption
        @Argument(help: "The consumer (queue) whose parked messages to replay, e.g. routing.") var consumer: String
        @Option(help: "At most this many messages.") var limit = 1000

        func run() throws {
            let connection = try database.connect(name: "hotlinectl-dlq")
            defer { connection.close() }
            let amqp = try AMQPConnection(url: try broker.url(), connectionName: "hotlinectl-dlq")
            defer { amqp.close() }
            var replayed = 0
            while replayed < limit, let delivery = try amqp.basicGet(queue: Topology.parkingQueue(of: consumer)) {
                var properties = delivery.properties
                for header in [Lane.Header.attempt, Lane.Header.reason, Lane.Header.consumer, Lane.Header.error, "x-death",
                               "x-delivery-count", "x-first-death-exchange", "x-first-death-queue", "x-first-death-reason",
                               "x-last-death-exchange", "x-last-death-queue", "x-last-death-reason"] {
                    properties.headers[header] = nil
                }
                // The default exchange routes straight to the queue named by the routing key.
                let message = OutgoingMessage(exchange: "", routingKey: consumer, body: delivery.body, properties: properties, mandatory: true)
                guard try amqp.publish([message], timeout: .seconds(30)) == [.confirmed] else {
                    try amqp.nack(delivery.deliveryTag, requeue: true)
                    throw UsageError("the broker did not confirm the replay to \(consumer); the message stays parked")
                }
                if let id = properties.messageId {
                    try ParkedMessages.markReplayed(messageIds: [id], consumer: consumer, on: connection)
                }
                try amqp.ack(delivery.deliveryTag)
                replayed += 1
            }
            print("replayed \(replayed) message\(replayed == 1 ? "" : "s") to \(consumer)")
        }
    }

    struct Purge: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a consumer's parked messages (their rows stay, marked purged).")
        @OptionGroup var database: DatabaseOption
        @OptionGroup var broker: BrokerOption
        @Argument(help: "The consumer (queue), e.g. routing.") var consumer: String
        @Flag(help: "Really delete them.") var yes = false

        func run() throws {
            guard yes else { throw UsageError("purging deletes messages: add --yes to confirm") }
            let connection = try database.connect(name: "hotlinectl-dlq")
            defer { connection.close() }
            let amqp = try AMQPConnection(url: try broker.url(), connectionName: "hotlinectl-dlq")
            defer { amqp.close() }
            let purged = try amqp.purgeQueue(Topology.parkingQueue(of: consumer))
            let rows = try ParkedMessages.markPurged(consumer: consumer, on: connection)
            print("purged \(purged) message\(purged == 1 ? "" : "s") from \(Topology.parkingQueue(of: consumer)); \(rows) row\(rows == 1 ? "" : "s") marked purged")
        }
    }

    /// Runs of four or more digits (phone numbers, id numbers) keep their last two digits only.
    static func maskDigitRuns(_ text: String) -> String {
        var result = ""
        var run = ""
        func flush() {
            result += run.count >= 4 ? String(repeating: "*", count: run.count - 2) + run.suffix(2) : run
            run = ""
        }
        for character in text {
            if character.isASCII, character.isNumber { run.append(character) } else { flush(); result.append(character) }
        }
        flush()
        return result
    }
}
