import ArgumentParser
import Foundation
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
        subcommands: [Versions.self, CalendarCommand.self, DeadlineCommand.self, ProfilesCommand.self, Migrate.self, Seed.self,
                      OrderCommand.self, TokenCommand.self, Open311Command.self, Status.self, DLQ.self, Loadgen.self, Bench.self,
                      ScoreCommand.self, SimulateCommand.self, ReportCommand.self, TimersCommand.self, SMSCommand.self]
    )
}

struct Versions: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the versions of the C client libraries Hotline is linked against.")

    func run() {
        print("libpq \(LibPQ.version)")
        print("rabbitmq-c \(RabbitMQC.version)")
    }
}

// Hotlinectl's discussion promises "bad arguments get one clear line and exit status 2", while
// ArgumentParser's own usage errors (a missing option value, ...) print usage and exit 64. This
// entry point keeps every other behaviour (help, versions, ExitCode) and turns those into one line
// on standard error and exit status 2.
// UsageError (a wrong value the command itself found) is one line and exit status 2 too.
extension Hotlinectl {
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            if let usage = error as? UsageError {
                FileHandle.standardError.write(Data("hotlinectl: \(usage)\n".utf8))
                Foundation.exit(2)
            }
            if exitCode(for: error).rawValue == ExitCode.validationFailure.rawValue {
                let line = message(for: error).split(separator: "\n").first.map(String.init) ?? "bad arguments"
                FileHandle.standardError.write(Data("hotlinectl: \(line) (see --help)\n".utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}
