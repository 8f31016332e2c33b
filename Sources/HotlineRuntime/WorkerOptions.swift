import ArgumentParser
import Foundation
import HotlineDomain

/// The kinds of worker in the fleet; each is its own executable.
public enum WorkerKind: String, CaseIterable, Sendable {
    case intake
    case routing
    case deadlineWatch = "deadline-watch"
    case smsReply = "sms-reply"
    case scoring
    /// The units' and the office's workbench over HTTP; consumes no queue.
    case api

    public var executableName: String { "hotline-\(rawValue)" }
}

/// Options every worker takes. Each flag falls back to an environment variable, so the same
/// binary runs under `ops/run`, compose and Kubernetes without a wrapper script.
public struct WorkerOptions: ParsableArguments, Sendable {
    @Option(name: .customLong("database-url"),
            help: ArgumentHelp("PostgreSQL URL, postgres://user:pass@host:port/db.", discussion: "Default: $HOTLINE_DATABASE_URL."))
    public var databaseURL: String?

    @Option(name: .customLong("amqp-url"),
            help: ArgumentHelp("RabbitMQ URL, amqp://user:pass@host:port/vhost.", discussion: "Default: $HOTLINE_AMQP_URL."))
    public var amqpURL: String?

    @Option(help: ArgumentHelp("Consumer lanes (threads, each with its own connections).", discussion: "Default: $HOTLINE_LANES or 1."))
    public var lanes: Int?

    @Option(help: ArgumentHelp("Deliveries taken per batch and lane.", discussion: "Default: $HOTLINE_PREFETCH or 100."))
    public var prefetch: Int?

    @Option(help: ArgumentHelp("Policy profile: \(PolicyProfile.bundledIDs.joined(separator: ", ")).", discussion: "Default: $HOTLINE_PROFILE or qidong."))
    public var profile: String?

    @Option(name: .customLong("http-port"),
            help: ArgumentHelp("Port of the health and metrics endpoint (0 picks a free one).", discussion: "Default: $HOTLINE_HTTP_PORT or 0."))
    public var httpPort: Int?

    @Option(name: .customLong("http-host"),
            help: ArgumentHelp("Address the health and metrics endpoint binds to.", discussion: "Default: $HOTLINE_HTTP_HOST or 127.0.0.1."))
    public var httpHost: String?

    public init() {}

    public func validate() throws {
        _ = try resolve(environment: ProcessInfo.processInfo.environment)
    }

    /// Flags win over the environment; every problem is reported, one line each.
    public func resolve(environment: [String: String]) throws -> WorkerConfiguration {
        var problems: [String] = []
        func pick(_ flag: String?, _ variable: String) -> String? {
            if let flag, !flag.isEmpty { return flag }
            if let value = environment[variable], !value.isEmpty { return value }
            return nil
        }
        func integer(_ flag: Int?, _ variable: String, default value: Int, range: ClosedRange<Int>, name: String) -> Int {
            let raw: Int
            if let flag { raw = flag }
            else if let text = environment[variable], !text.isEmpty {
                guard let parsed = Int(text) else {
                    problems.append("\(name): \(variable)=\(text) is not a whole number")
                    return value
                }
                raw = parsed
            } else { raw = value }
            if !range.contains(raw) {
                problems.append("\(name): \(raw) is outside \(range.lowerBound)...\(range.upperBound)")
            }
            return raw
        }

        let database = pick(databaseURL, "HOTLINE_DATABASE_URL")
        if database == nil {
            problems.append("database URL: missing (--database-url or HOTLINE_DATABASE_URL; `ops/services env` prints it)")
        } else if let database, !(database.hasPrefix("postgres://") || database.hasPrefix("postgresql://")) {
            problems.append("database URL: must start with postgres:// or postgresql://")
        }
        let amqp = pick(amqpURL, "HOTLINE_AMQP_URL")
        if amqp == nil {
            problems.append("AMQP URL: missing (--amqp-url or HOTLINE_AMQP_URL; `ops/services env` prints it)")
        } else if let amqp, !amqp.hasPrefix("amqp://") {
            problems.append("AMQP URL: must start with amqp://")
        }
        let lanes = integer(lanes, "HOTLINE_LANES", default: 1, range: 1...64, name: "lanes")
        let prefetch = integer(prefetch, "HOTLINE_PREFETCH", default: 100, range: 1...10_000, name: "prefetch")
        let port = integer(httpPort, "HOTLINE_HTTP_PORT", default: 0, range: 0...65_535, name: "HTTP port")
        let host = pick(httpHost, "HOTLINE_HTTP_HOST") ?? "127.0.0.1"
        let profile = pick(profile, "HOTLINE_PROFILE") ?? "qidong"
        if !WorkerConfiguration.knownProfiles.contains(profile) {
            problems.append("profile: \(profile) is not one of \(WorkerConfiguration.knownProfiles.joined(separator: ", "))")
        }
        if !problems.isEmpty {
            throw ValidationError(problems.joined(separator: "\n"))
        }
        return WorkerConfiguration(databaseURL: database!, amqpURL: amqp!, lanes: lanes,
                                   prefetch: prefetch, profile: profile, httpHost: host, httpPort: port)
    }
}

/// A validated worker configuration.
public struct WorkerConfiguration: Sendable, Equatable {
    public static var knownProfiles: [String] { PolicyProfile.bundledIDs }

    public var databaseURL: String
    public var amqpURL: String
    public var lanes: Int
    public var prefetch: Int
    public var profile: String
    public var httpHost: String
    public var httpPort: Int

    public init(databaseURL: String, amqpURL: String, lanes: Int = 1, prefetch: Int = 100, profile: String = "qidong",
                httpHost: String = "127.0.0.1", httpPort: Int = 0) {
        self.databaseURL = databaseURL
        self.amqpURL = amqpURL
        self.lanes = lanes
        self.prefetch = prefetch
        self.profile = profile
        self.httpHost = httpHost
        self.httpPort = httpPort
    }
}

