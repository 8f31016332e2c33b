import ArgumentParser
import Foundation
import HotlineContracts
import HotlineRuntime
import HotlineStore
import Hummingbird
import Logging
import PostgresClient

/// A worker made for the runtime's fault tests and benchmarks, not for production: its handler
/// records each message's effect in `probe_effects` (no unique constraint, so a duplicate effect
/// would show), emits a `probe.applied` event through the outbox, fails while `probe_switches`
/// says so, and rejects bodies that do not match its contract.
@main
struct Probe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hotline-probe",
        abstract: "A test worker for the runtime's fault suite: records effects, fails on demand.",
        discussion: "Consumes `probe.effect` messages from hotline.events into the queue named by --consumer. Not part of the fleet.")

    @OptionGroup var options: WorkerOptions

    @Option(help: "The consumer's queue name.") var consumer = "probe"

    @Option(help: "Retry tier delays in milliseconds, comma-separated.") var retryDelays = "5000,60000,600000"

    @Option(help: "Milliseconds each message takes (to widen windows in tests).") var slowMs = 0

    @Flag(help: "Also run a ticker: a loop on its own thread that counts in probe_ticks, and a /probe/ticks route.")
    var ticker = false

    func run() async throws {
        JSONLogHandler.bootstrap()
        let configuration = try options.resolve(environment: ProcessInfo.processInfo.environment)
        let delays = retryDelays.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !delays.isEmpty else { throw ValidationError("retry delays: give at least one number of milliseconds") }
        try ProbeHandler.prepare(databaseURL: configuration.databaseURL)
        let topology = Topology.consumer(consumer, subscribesTo: [(Topology.eventsExchange, ProbeEffect.type)],
                                         retryDelaysMilliseconds: delays)
        var worker = WorkerApplication(kind: "probe", configuration: configuration)
        worker.consume(topology, with: ProbeHandler(slowMilliseconds: slowMs))
        if ticker {
            // A worker's own loop and route, composed like deadline-watch's claimer will be.
            let ticks = ProbeTicker(databaseURL: configuration.databaseURL)
            worker.addLoop(ticks)
            worker.addRoutes { router in
                router.get("probe/ticks") { _, _ in "\(ticks.count)\n" }
            }
            worker.addReadiness("ticker") { ticks.count > 0 }
        }
        try await worker.run()
    }
}

/// A loop on its own thread with its own connection: inserts a row into `probe_ticks` every
/// 100 ms until it is asked to stop.
final class ProbeTicker: ThreadLoop, @unchecked Sendable {
    // @unchecked Sendable: `ticks` is guarded by `lock`; the connection lives on the loop's thread.
    let databaseURL: String
    let name = "probe-ticker"
    let logger = Logger(label: "hotline-probe.ticker")
    private let lock = NSLock()
    private var ticks = 0

    init(databaseURL: String) { self.databaseURL = databaseURL }

    var count: Int { lock.withLock { ticks } }

    func run(until stop: StopFlag) throws {
        let connection = try PostgresConnection(url: databaseURL, applicationName: name)
        defer { connection.close() }
        logger.info("ticker running")
        while !stop.isRaised {
            try connection.execute("INSERT INTO probe_ticks DEFAULT VALUES")
            lock.withLock { ticks += 1 }
            Thread.sleep(forTimeInterval: 0.1)
        }
        logger.info("ticker stopped", metadata: ["hotline.count": "\(count)"])
    }
}

public struct ProbeEffect: MessageContract {
    public static let type = "probe.effect"
    public static let version = 1
    public var key: String
}

public struct ProbeApplied: MessageContract {
    public static let type = "probe.applied"
    public static let version = 1
    public var key: String
}

/// Not a `SafeError`, and its description quotes the key (tests put a phone number and a
/// citizen's words in it): what leaves the process must be its type name only.
struct ProbeFailure: Error, CustomStringConvertible {
    let key: String
    var description: String { "probe switch for key \(key) says fail" }
}

struct ProbeHandler: MessageHandler {
    let slowMilliseconds: Int

    static func prepare(databaseURL: String) throws {
        let connection = try PostgresConnection(url: databaseURL, applicationName: "hotline-probe-setup")
        defer { connection.close() }
        try connection.execute("SELECT pg_advisory_lock(7)")
        defer { _ = try? connection.execute("SELECT pg_advisory_unlock(7)") }
        try connection.execute("""
            CREATE TABLE IF NOT EXISTS probe_effects (
                message_id text NOT NULL, key text NOT NULL, applied_at timestamptz NOT NULL DEFAULT clock_timestamp())
            """)
        try connection.execute("CREATE TABLE IF NOT EXISTS probe_switches (key text PRIMARY KEY, failing boolean NOT NULL)")
        try connection.execute("CREATE TABLE IF NOT EXISTS probe_ticks (id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT clock_timestamp())")
    }

    func handle(_ message: IncomingMessage, context: HandlerContext) throws {
        let envelope = try message.decode(ProbeEffect.self)
        let key = envelope.data.key
        let failing = try context.connection.query("SELECT failing FROM probe_switches WHERE key = \(key)")
        if try failing.first?.decode("failing", as: Bool.self) == true { throw ProbeFailure(key: key) }
        if slowMilliseconds > 0 { Thread.sleep(forTimeInterval: Double(slowMilliseconds) / 1000) }
        try context.connection.execute("INSERT INTO probe_effects (message_id, key) VALUES (\(message.messageId), \(key))")
        try context.emit(Contracts.envelope(ProbeApplied(key: key), occurredAt: context.now))
    }
}
