import ArgumentParser
import Foundation
import HotlineRuntime

@main
struct Scoring: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hotline-scoring",
        abstract: "Scores every unit for a period by its profile's scheme.",
        discussion: """
        Computes each unit's rates straight from the system of record (zezhou's 100 points, baotou's three rates, qidong's satisfaction ranking), writes scores and rankings, and produces the monthly report.

        Every option falls back to its HOTLINE_* environment variable; `ops/services env` prints the connection settings of the local servers. Stops cleanly on SIGTERM or SIGINT.
        """
    )

    @OptionGroup var options: WorkerOptions

    func run() async throws {
        JSONLogHandler.bootstrap()
        let configuration = try options.resolve(environment: ProcessInfo.processInfo.environment)
        try await WorkerProcess(kind: .scoring, configuration: configuration).run()
    }
}
