import ArgumentParser
import HotlineRuntime

@main
struct SMSReply: WorkerCommand {
    static let kind = WorkerKind.smsReply
    static let configuration = workerConfiguration(
        abstract: "Sends units' replies to citizens by SMS and turns their 1/2/3 answers into ratings.",
        discussion: """
        Renders the reply SMS from the profile's template, sends it through the SMS gateway (Kannel), tracks delivery reports with retries and quiet hours, and parses citizens' replies into ratings that drive redo or closure.
        """
    )

    @OptionGroup var options: WorkerOptions
}
