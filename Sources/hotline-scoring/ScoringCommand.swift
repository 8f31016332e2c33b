import ArgumentParser
import Foundation
import HotlineContracts
import HotlineDomain
import HotlineRuntime
import HotlineStore
import Logging
import PostgresClient
import Prometheus

@main
struct ScoringWorker: WorkerCommand {
    static let kind = WorkerKind.scoring
    static let configuration = workerConfiguration(
        abstract: "Scores every unit for a period by its profile's scheme.",
        discussion: """
        With --period YYYY-MM: scores that month (China time) from the system of record, writes the results (a rerun replaces an unpublished run; a published run is kept and the rerun becomes a new version) and exits: status 0 when it succeeded, 1 when it did not (the shape cron or a Kubernetes CronJob runs). Only PostgreSQL is needed.

        Without --period it stays up: each night at --nightly-at (China time; "off": never) it scores the previous month and the current month so far; it scores a period on demand when a `scoring.requested` message arrives on its queue `scoring` (`hotlinectl score --request --period P`), in the transaction that records the message, so a request is applied once; it serves /metrics (hotline_scoring_runs_total{outcome}, hotline_scoring_last_success_timestamp_seconds).
        """
    )

    @OptionGroup var options: WorkerOptions

    /// `--period` scores one month and exits with PostgreSQL only (cron, a CronJob): the shared
    /// worker options' check that an AMQP URL is given does not apply to it, so a placeholder
    /// satisfies that check (nothing connects to it) before the arguments are parsed.
    static func main() async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        let environment = ProcessInfo.processInfo.environment
        if arguments.contains(where: { $0 == "--period" || $0.hasPrefix("--period=") }),
           !arguments.contains(where: { $0 == "--amqp-url" || $0.hasPrefix("--amqp-url=") }),
           (environment["HOTLINE_AMQP_URL"] ?? "").isEmpty {
            setenv("HOTLINE_AMQP_URL", "amqp://not-used-with-period.invalid/", 1)
        }
        do {
            var command = try parseAsRoot(arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }

    @Option(help: "Score this month (YYYY-MM) and exit.")
    var period: String?

    @Option(name: .customLong("nightly-at"), help: ArgumentHelp("When the nightly run starts, HH:MM China time, or off (on demand only).", discussion: "Default: $HOTLINE_SCORING_AT or 02:00."))
    var nightlyAt: String?

    func validate() throws {
        if let period, ScoringPeriod(period) == nil { throw ValidationError("period: \(period) is not YYYY-MM") }
        if nightlyAtText != "off", NightlyScoring.minuteOfDay(nightlyAtText) == nil { throw ValidationError("nightly-at: \(nightlyAtText) is not HH:MM or off") }
    }

    var nightlyAtText: String {
        nightlyAt ?? ProcessInfo.processInfo.environment["HOTLINE_SCORING_AT"].flatMap { $0.isEmpty ? nil : $0 } ?? "02:00"
    }

    func run() async throws {
        JSONLogHandler.bootstrap()
        let logger = Logger(label: "hotline-scoring")
        if let period, let month = ScoringPeriod(period) {
            // One period and exit: only PostgreSQL is needed, so the AMQP URL may be absent.
            let environment = ProcessInfo.processInfo.environment
            guard let url = options.databaseURL ?? environment["HOTLINE_DATABASE_URL"], !url.isEmpty else {
                throw ValidationError("database URL: missing (--database-url or HOTLINE_DATABASE_URL)")
            }
            do {
                let profile = try PolicyProfile.bundled(options.profile ?? environment["HOTLINE_PROFILE"].flatMap { $0.isEmpty ? nil : $0 } ?? "qidong")
                let connection = try PostgresConnection(url: url, applicationName: "hotline-scoring")
                defer { connection.close() }
                try Migrator.bundled().migrate(connection)
                let now = Date()
                let outcome = try ScoringBatch.run(period: month, profile: profile, asOf: now,
                                                   now: now, dryRun: false, on: connection)
                logger.info("period scored", metadata: ["hotline.period": "\(month)", "hotline.profile": "\(profile.id)",
                                                        "hotline.units": "\(outcome.cards.count)", "hotline.orders": "\(outcome.orders)",
                                                        "hotline.version": "\(outcome.version ?? 0)"])
                print("scored \(month) under \(profile.id): \(outcome.cards.count) units, \(outcome.orders) orders, version \(outcome.version ?? 0)")
            } catch {
                FileHandle.standardError.write(Data("hotline-scoring: \(SafeErrors.describe(error))\n".utf8))
                throw ExitCode(1)
            }
            return
        }
        let configuration = try options.resolve(environment: ProcessInfo.processInfo.environment)
        try await Self.worker(configuration, nightlyAt: NightlyScoring.minuteOfDay(nightlyAtText)).run()
    }

    static func worker(_ configuration: WorkerConfiguration) throws -> WorkerApplication {
        try worker(configuration, nightlyAt: 2 * 60)
    }

    /// `nightlyAt` nil: no nightly run, on demand only.
    static func worker(_ configuration: WorkerConfiguration, nightlyAt: Int?) throws -> WorkerApplication {
        let profile = try WorkerRules.profile(configuration)
        var worker = WorkerApplication(kind: kind.rawValue, configuration: configuration)
        let runs = ScoringRunMetrics(registry: worker.metrics.registry)
        guard let topology = Topology.fleetConsumer(kind.rawValue) else {
            throw ValidationError("Topology names no subscriptions for \(kind.rawValue)")
        }
        worker.consume(topology, with: ScoringRequestHandler(profile: profile, metrics: runs))
        if let nightlyAt {
            let nightly = NightlyScoring(databaseURL: configuration.databaseURL, profile: profile, minuteOfDay: nightlyAt, metrics: runs)
            worker.addLoop(nightly)
            worker.addReadiness("nightly-scoring") { nightly.connected }
        }
        return worker
    }
}

/// The outcome counters both the nightly loop and the on-demand handler count into.
struct ScoringRunMetrics: Sendable {
    let succeeded: Counter
    let failed: Counter
    let lastSuccess: Gauge

    init(registry: PrometheusCollectorRegistry) {
        let help = "Periods scored by the batch, by outcome."
        succeeded = registry.makeCounter(name: "hotline_scoring_runs_total", labels: [("outcome", "succeeded")], help: help)
        failed = registry.makeCounter(name: "hotline_scoring_runs_total", labels: [("outcome", "failed")], help: help)
        lastSuccess = registry.makeGauge(name: "hotline_scoring_last_success_timestamp_seconds", labels: [],
                                         help: "When a period was last scored successfully (Unix time).")
    }

    func success() {
        succeeded.increment()
        lastSuccess.set(Date().timeIntervalSince1970)
    }
}

/// `scoring.requested`: scores the period (under the request's profile, else the worker's) as the
/// system of record stands when the message is handled, in the lane's transaction, so the results
/// commit with the message's inbox record: killed before the commit, the request is delivered again
/// and the period scored once; a request delivered twice is absorbed by the inbox.
struct ScoringRequestHandler: MessageHandler {
    let profile: PolicyProfile
    let metrics: ScoringRunMetrics
    /// Fault tests: `HOTLINE_FAULT=kill-mid-batch:N` SIGKILLs the process after the Nth request's
    /// results are written, before the commit.
    let fault = FaultTrigger(at: FaultInjection.fromEnvironment().killMidBatch, point: "scoring: results written, before the commit")

    func handle(_ message: IncomingMessage, context: HandlerContext) throws {
        let request = try message.decode(ScoringRequested.self).data
        guard let period = ScoringPeriod(request.period) else {
            throw InvalidMessage(reason: "period: \(request.period.prefix(20)) is not YYYY-MM")
        }
        let chosen: PolicyProfile
        if let name = request.profile, name != profile.id {
            guard let other = try? PolicyProfile.bundled(name) else { throw InvalidMessage(reason: "profile: no profile \(name.prefix(40))") }
            chosen = other
        } else {
            chosen = profile
        }
        do {
            let outcome = try ScoringBatch.runInTransaction(period: period, profile: chosen, asOf: context.now, now: context.now,
                                                            on: context.connection)
            fault.tick()
            metrics.success()
            context.logger.info("period scored on request", metadata: [
                "hotline.period": "\(period)", "hotline.profile": "\(chosen.id)", "hotline.units": "\(outcome.cards.count)",
                "hotline.orders": "\(outcome.orders)", "hotline.version": "\(outcome.version ?? 0)",
                "hotline.requested_by": "\(request.requestedBy.map { String($0.prefix(40)) } ?? "-")"])
        } catch {
            metrics.failed.increment()
            throw error
        }
    }
}

/// The nightly batch: a loop on its own thread that, once a day after `minuteOfDay` (China time),
/// scores the previous month and the current month so far. Started after that time of day, it
/// runs at once (it catches up the night it missed).
final class NightlyScoring: ThreadLoop, @unchecked Sendable {
    // @unchecked Sendable: the mutable state is guarded by `lock`; the connection lives on the loop's thread.
    let name = "nightly-scoring"
    let logger = Logger(label: "hotline-scoring.nightly")
    let databaseURL: String
    let profile: PolicyProfile
    let minuteOfDay: Int
    let metrics: ScoringRunMetrics
    private let lock = NSLock()
    private var isConnected = false

    init(databaseURL: String, profile: PolicyProfile, minuteOfDay: Int, metrics: ScoringRunMetrics) {
        self.databaseURL = databaseURL
        self.profile = profile
        self.minuteOfDay = minuteOfDay
        self.metrics = metrics
    }

    var connected: Bool { lock.withLock { isConnected } }

    /// `HH:MM` as minutes after midnight.
    static func minuteOfDay(_ text: String) -> Int? {
        let parts = text.split(separator: ":")
        guard parts.count == 2, let h = Int(parts[0]), let m = Int(parts[1]), (0..<24).contains(h), (0..<60).contains(m) else { return nil }
        return h * 60 + m
    }

    func run(until stop: StopFlag) throws {
        let connection = try connectPostgres(url: databaseURL, name: name, logger: logger, stop: stop)
        defer { connection.close() }
        lock.withLock { isConnected = true }
        var lastNight: LocalDate? = nil
        while !stop.isRaised {
            let now = Date()
            let today = LocalDate(instant: now)
            let minute = Int(now.timeIntervalSince(today.startInstant) / 60)
            if minute >= minuteOfDay && lastNight != today {
                lastNight = today
                let current = ScoringPeriod(containing: now)
                for period in [current.previous, current] {
                    do {
                        let outcome = try ScoringBatch.run(period: period, profile: profile, asOf: now, now: now, dryRun: false, on: connection)
                        metrics.success()
                        logger.info("period scored", metadata: ["hotline.period": "\(period)", "hotline.profile": "\(profile.id)",
                                                                "hotline.units": "\(outcome.cards.count)", "hotline.version": "\(outcome.version ?? 0)"])
                    } catch {
                        metrics.failed.increment()
                        logger.error("scoring failed", metadata: ["hotline.period": "\(period)", "hotline.error": "\(SafeErrors.describe(error))"])
                        if !connection.isConnected { throw error }
                    }
                }
            }
            for _ in 0..<20 where !stop.isRaised { Thread.sleep(forTimeInterval: 0.25) }
        }
    }
}

// Unit codes and item names only: safe to print and log.
extension ScoresError: SafelyDescribed { public static let kind = "scores" }
