import ArgumentParser
import Foundation
import HotlineRuntime

@main
struct Routing: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hotline-routing",
        abstract: "Dispatches work orders to their lead unit and co-units.",
        discussion: """
        Consumes workorder.received and approved returns: explicit routing rules, locality first, the three-level network, and the office's manual-dispatch queue when no rule is confident. Writes assignments and their sign, return-window, reply and reminder timers (workorder.dispatched).

        Every option falls back to its HOTLINE_* environment variable; `ops/services env` prints the connection settings of the local servers. Stops cleanly on SIGTERM or SIGINT.
        """
    )

    @OptionGroup var options: WorkerOptions

    func run() async throws {
        JSONLogHandler.bootstrap()
        let configuration = try options.resolve(environment: ProcessInfo.processInfo.environment)
        try await WorkerProcess(kind: .routing, configuration: configuration).run()
    }
}
