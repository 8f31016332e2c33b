import ArgumentParser
import Foundation
import HotlineRuntime

@main
struct Intake: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hotline-intake",
        abstract: "Takes citizens' submissions from every channel and turns them into work orders.",
        discussion: """
        Consumes hotline.intake (submission.<channel>): validates and normalises each submission, stores and answers invalid ones with their reasons, applies the intake-scope rules, links repeats and counts clusters, and creates the work order with its dispatch timer (workorder.received).

        Every option falls back to its HOTLINE_* environment variable; `ops/services env` prints the connection settings of the local servers. Stops cleanly on SIGTERM or SIGINT.
        """
    )

    @OptionGroup var options: WorkerOptions

    func run() async throws {
        JSONLogHandler.bootstrap()
        let configuration = try options.resolve(environment: ProcessInfo.processInfo.environment)
        try await WorkerProcess(kind: .intake, configuration: configuration).run()
    }
}
