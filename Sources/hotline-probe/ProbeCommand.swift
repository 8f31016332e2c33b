import ArgumentParser
import Foundation
import HotlineContracts
import HotlineRuntime
import HotlineStore
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

    func run() async throws {
        JSONLogHandler.bootstrap()
        let configuration = try options.resolve(environment: ProcessInfo.processInfo.environment)
        let delays = retryDelays.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !delays.isEmpty else { throw ValidationError("retry delays: give at least one number of milliseconds") }
        try ProbeHandler.prepare(databaseURL: configuration.databaseURL)
        let topology = Topology.consumer(consumer, subscribesTo: [(Topology.eventsExchange, ProbeEffect.type)],
                                         retryDelaysMilliseconds: delays)
        try await WorkerApplication(kind: "probe", configuration: configuration, topology: topology,
                                    handler: ProbeHandler(slowMilliseconds: slowMs)).run()
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
