import ArgumentParser
import Foundation

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure the clients against reference tools, and the intake-routing pipeline against the broker, on this machine (figures are ratios).",
        subcommands: [BenchClients.self, BenchPostgres.self, BenchAMQP.self, BenchPipeline.self, BenchTimers.self, BenchPercentiles.self, BenchScoring.self, BenchAPI.self,
                      BenchSMS.self]
    )
}

/// Both clients in one run: PostgreSQL beside pgbench, AMQP beside pika.
struct BenchClients: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clients",
        abstract: "PostgreSQL commits/s and rows/s beside pgbench, AMQP confirmed publishes/s and consume+ack/s beside pika.",
        discussion: "Reads HOTLINE_DATABASE_URL and HOTLINE_AMQP_URL. Build with -c release for figures worth quoting.")

    @Option(help: "Rounds per client (each alternates ours and the reference tool).") var rounds = 3
    @Option(help: "Seconds per PostgreSQL run.") var seconds = 5
    @Option(help: "Messages per AMQP shape and round.") var messages = 20_000
    @Option(help: "The pika script.") var pikaScript = "ops/bench/amqp_pika.py"
    @OptionGroup var database: DatabaseOption
    @OptionGroup var broker: BrokerOption

    func validate() throws {
        guard rounds > 0, seconds > 0, messages >= 100 else {
            throw ValidationError("--rounds and --seconds must be positive, --messages at least 100")
        }
    }

    func run() throws {
        let postgres = try PostgresBench.run(databaseURL: try database.url(), rounds: rounds, secondsPerRun: seconds)
        let amqp = try AMQPBench.runOnOwnThread(amqpURL: try broker.url(), rounds: rounds, messages: messages,
                                                pikaScript: pikaScript)
        for figure in postgres + amqp { print(figure.line) }
    }
}
