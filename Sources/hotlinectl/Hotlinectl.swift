import ArgumentParser
import AMQPClient
import PostgresClient

@main
struct Hotlinectl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hotlinectl",
        abstract: "Hotline's admin command line: calendar, deadlines, profiles, migrations, queues, demo data, benchmarks.",
        discussion: """
        Commands that reach the servers read HOTLINE_DATABASE_URL and HOTLINE_AMQP_URL
        (`eval "$(ops/services env)"` sets them for the local servers). Bad arguments get one
        clear line and exit status 2.
        """,
        subcommands: [Versions.self, CalendarCommand.self, DeadlineCommand.self, ProfilesCommand.self, Bench.self]
    )
}

struct Versions: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the versions of the C client libraries Hotline is linked against.")

    func run() {
        print("libpq \(LibPQ.version)")
        print("rabbitmq-c \(RabbitMQC.version)")
    }
}
