import Foundation
import HotlineContracts
import HotlineDomain
import HotlineRuntime
import HotlineStore
import PostgresClient

/// hotline-sms-reply's own settings, from the environment (`ops/services env` prints them).
public struct SMSSettings: Sendable, Equatable {
    /// `kannel` or `http-json`.
    public var gateway: String
    public var kannelSendsmsURL: String?
    public var kannelUser: String
    public var kannelPassword: String
    /// `http-json`: the provider's send URL, access key, signature name and template code.
    public var providerURL: String?
    public var providerKey: String
    public var providerSignName: String
    public var providerTemplate: String
    /// The number the citizen sees and answers.
    public var from: String
    /// Where the gateway reaches our callbacks (`/sms/mo`, `/sms/dlr`).
    public var callbackURL: String
    public var secret: String
    public var ratePerSecond: Double
    public var callbackConnections: Int
    /// `HOTLINE_SMS_QUIET_HOURS=off` sends at any hour (drills, tests); the default follows the profile.
    public var quietHours: Bool

    /// Reads the settings; every problem at once, one line each.
    public static func from(environment: [String: String], httpPort: Int) throws -> SMSSettings {
        var problems: [String] = []
        func value(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        let gateway = value("HOTLINE_SMS_GATEWAY") ?? "kannel"
        if !["kannel", "http-json"].contains(gateway) { problems.append("HOTLINE_SMS_GATEWAY=\(gateway): kannel or http-json") }
        if gateway == "kannel", value("HOTLINE_KANNEL_SENDSMS_URL") == nil {
            problems.append("HOTLINE_KANNEL_SENDSMS_URL: missing (`ops/services env` prints it)")
        }
        if gateway == "http-json", value("HOTLINE_SMS_PROVIDER_URL") == nil { problems.append("HOTLINE_SMS_PROVIDER_URL: missing") }
        let secret = value("HOTLINE_SMS_SECRET") ?? ""
        if secret.count < 12 { problems.append("HOTLINE_SMS_SECRET: missing or shorter than 12 characters (`ops/services env` prints it)") }
        let rate = Double(value("HOTLINE_SMS_RATE") ?? "1000") ?? -1
        if !(rate > 0) { problems.append("HOTLINE_SMS_RATE: a positive number of messages per second") }
        let quiet = value("HOTLINE_SMS_QUIET_HOURS") ?? "profile"
        if !["profile", "off"].contains(quiet) { problems.append("HOTLINE_SMS_QUIET_HOURS=\(quiet): profile or off") }
        let connections = Int(value("HOTLINE_SMS_CONNECTIONS") ?? "4") ?? 0
        if !(1...32).contains(connections) { problems.append("HOTLINE_SMS_CONNECTIONS: a whole number from 1 to 32") }
        let callback = value("HOTLINE_SMS_CALLBACK_URL") ?? "http://127.0.0.1:\(httpPort)"
        if httpPort == 0, value("HOTLINE_SMS_CALLBACK_URL") == nil {
            problems.append("HOTLINE_SMS_CALLBACK_URL or a fixed HOTLINE_HTTP_PORT: the gateway must know where to call back")
        }
        guard problems.isEmpty else { throw SMSSettingsError(problems: problems) }
        return SMSSettings(gateway: gateway, kannelSendsmsURL: value("HOTLINE_KANNEL_SENDSMS_URL"),
                           kannelUser: value("HOTLINE_KANNEL_USER") ?? "hotline", kannelPassword: value("HOTLINE_KANNEL_PASSWORD") ?? "hotline",
                           providerURL: value("HOTLINE_SMS_PROVIDER_URL"), providerKey: value("HOTLINE_SMS_PROVIDER_KEY") ?? "",
                           providerSignName: value("HOTLINE_SMS_PROVIDER_SIGN") ?? "12345热线",
                           providerTemplate: value("HOTLINE_SMS_PROVIDER_TEMPLATE") ?? "SMS_REPLY",
                           from: value("HOTLINE_SMS_FROM") ?? "12345", callbackURL: callback, secret: secret,
                           ratePerSecond: rate, callbackConnections: connections, quietHours: quiet == "profile")
    }

    /// The configured gateway adapter.
    public func makeGateway() -> any SMSGateway {
        switch gateway {
        case "http-json":
            HTTPJSONGateway(configuration: .init(url: providerURL ?? "", accessKey: providerKey, signName: providerSignName,
                                                 templateCode: providerTemplate, callbackURL: callbackURL, secret: secret))
        default:
            KannelGateway(configuration: .init(sendsmsURL: kannelSendsmsURL ?? "", user: kannelUser, password: kannelPassword,
                                               from: from, callbackURL: callbackURL, secret: secret))
        }
    }
}

public struct SMSSettingsError: SafeError, CustomStringConvertible {
    public let problems: [String]
    public var safeCode: String { "sms-configuration" }
    public var safeReason: String { problems.joined(separator: "\n") }
    public var description: String { safeReason }
}

extension WorkerApplication {
    /// hotline-sms-reply: the runtime's parts, the `workorder.replied` consumer (`ReplyHandler`),
    /// the sender loop and the gateway's callbacks.
    public static func smsReply(_ configuration: WorkerConfiguration, consumer topology: Topology.ConsumerTopology,
                                environment: [String: String] = ProcessInfo.processInfo.environment,
                                clock: any HotlineClock = SystemClock()) throws -> WorkerApplication {
        let settings = try SMSSettings.from(environment: environment, httpPort: configuration.httpPort)
        var worker = WorkerApplication(kind: "sms-reply", configuration: configuration, clock: clock)
        let metrics = SMSMetrics(worker: worker.kind, registry: worker.metrics.registry)
        let calendars = try WorkerRules.calendar(logger: worker.logger)
        let profiles = Dictionary(uniqueKeysWithValues: try PolicyProfile.allBundled().map { ($0.id, $0) })
        worker.consume(topology, with: ReplyHandler(profiles: profiles, calendars: calendars, metrics: metrics,
                                                    quietHours: settings.quietHours))
        var senderConfiguration = SMSSender.Configuration(databaseURL: configuration.databaseURL)
        senderConfiguration.ratePerSecond = settings.ratePerSecond
        senderConfiguration.quietHours = settings.quietHours
        let sender = SMSSender(configuration: senderConfiguration, gateway: settings.makeGateway(), clock: clock,
                               profiles: profiles, metrics: metrics)
        worker.addLoop(sender)
        worker.addReadiness("sender") { sender.isReady }
        let callbacks = SMSCallbacks(pool: PostgresPool(url: configuration.databaseURL, size: settings.callbackConnections,
                                                        applicationName: "hotline-sms-reply-callbacks"),
                                     secret: settings.secret,
                                     interpreter: AnswerInterpreter(profiles: profiles, calendars: calendars, metrics: metrics),
                                     clock: clock, metrics: metrics, logger: worker.logger)
        worker.addRoutes { router in callbacks.addRoutes(to: router) }
        worker.watchCalendar(calendars)
        worker.logger.info("sms settings", metadata: [
            "hotline.sms.gateway": "\(settings.gateway)", "hotline.sms.callback": "\(Masking.url(settings.callbackURL))",
            "hotline.sms.rate": "\(settings.ratePerSecond)", "hotline.sms.quiet_hours": "\(settings.quietHours ? "profile" : "off")"])
        return worker
    }
}
