import ArgumentParser
import Foundation
import HotlineRuntime

@main
struct DeadlineWatch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hotline-deadline-watch",
        abstract: "Fires due timers: reminders, overdue marks, auto-acceptance, supervision.",
        discussion: """
        Claims due timers with FOR UPDATE SKIP LOCKED, so any number may run, and applies each once: reminders before due times, overdue and supervision, acceptance after the return window, dispatch-time breaches and expired revisits.

        Every option falls back to its HOTLINE_* environment variable; `ops/services env` prints the connection settings of the local servers. Stops cleanly on SIGTERM or SIGINT.
        """
    )

    @OptionGroup var options: WorkerOptions

    func run() async throws {
        JSONLogHandler.bootstrap()
        let configuration = try options.resolve(environment: ProcessInfo.processInfo.environment)
        try await WorkerProcess(kind: .deadlineWatch, configuration: configuration).run()
    }
}
