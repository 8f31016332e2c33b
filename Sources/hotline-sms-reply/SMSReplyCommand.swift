import ArgumentParser
import HotlineContracts
import HotlineRuntime
import HotlineSMS

@main
struct SMSReply: WorkerCommand {
    static let kind = WorkerKind.smsReply
    static let configuration = workerConfiguration(
        abstract: "Sends units' replies to citizens by SMS and turns their 1/2/3 answers into ratings.",
        discussion: """
        Consumes workorder.replied: renders the reply SMS from the profile's template and stores it; a sender loop sends it \
        through the gateway (HOTLINE_SMS_GATEWAY: kannel, with HOTLINE_KANNEL_SENDSMS_URL, HOTLINE_KANNEL_USER, \
        HOTLINE_KANNEL_PASSWORD; or http-json, with HOTLINE_SMS_PROVIDER_URL, HOTLINE_SMS_PROVIDER_KEY) with retries, \
        quiet hours and a rate limit (HOTLINE_SMS_RATE per second, default 1000). The gateway calls back /sms/mo (citizens' \
        answers) and /sms/dlr (delivery reports) on the HTTP endpoint with HOTLINE_SMS_SECRET; HOTLINE_SMS_CALLBACK_URL \
        says where that endpoint is (default http://127.0.0.1:<http port>).
        """
    )

    @OptionGroup var options: WorkerOptions

    static func worker(_ configuration: WorkerConfiguration) throws -> WorkerApplication {
        guard let topology = Topology.fleetConsumer(kind.rawValue) else { throw ValidationError("no topology for sms-reply") }
        return try .smsReply(configuration, consumer: topology)
    }
}
