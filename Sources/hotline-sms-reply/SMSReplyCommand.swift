import ArgumentParser
import Foundation
import HotlineRuntime

@main
struct SMSReply: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hotline-sms-reply",
        abstract: "Sends units' replies to citizens by SMS and turns their 1/2/3 answers into ratings.",
        discussion: """
        Renders the reply SMS from the profile's template, sends it through the SMS gateway (Kannel), tracks delivery reports with retries and quiet hours, and parses citizens' replies into ratings that drive redo or closure.

        Every option falls back to its HOTLINE_* environment variable; `ops/services env` prints the connection settings of the local servers. Stops cleanly on SIGTERM or SIGINT.
        """
    )

    @OptionGroup var options: WorkerOptions

    func run() async throws {
        JSONLogHandler.bootstrap()
        let configuration = try options.resolve(environment: ProcessInfo.processInfo.environment)
        try await WorkerProcess(kind: .smsReply, configuration: configuration).run()
    }
}
