import AMQPClient
import Foundation
import HotlineContracts
import HotlineStore
import Hummingbird
import Logging
import PostgresClient
import ServiceLifecycle
import UnixSignals

/// A worker process: migrations applied at start, `lanes` consumer lanes and one outbox relay on
/// threads of their own, and an HTTP endpoint with `/healthz`, `/readyz` and `/metrics`; SIGTERM
/// or SIGINT stops the lanes taking deliveries, lets them commit and ack what they hold, and exits.
public struct WorkerApplication: Sendable {
    public var kind: String
    public var configuration: WorkerConfiguration
    /// The consumer's topology (queue, retry tiers, parking, bindings); nil for a worker that
    /// consumes nothing and only relays its outbox.
    public var topology: Topology.ConsumerTopology?
    public var handler: any MessageHandler
    public var clock: any HotlineClock
    public var metrics: RuntimeMetrics

    public init(kind: String, configuration: WorkerConfiguration, topology: Topology.ConsumerTopology?,
                handler: any MessageHandler, clock: any HotlineClock = SystemClock()) {
        self.kind = kind
        self.configuration = configuration
        self.topology = topology
        self.handler = handler
        self.clock = clock
        self.metrics = RuntimeMetrics(worker: kind)
    }

    public func run() async throws {
        try await run(startup: StartupSignals())
    }

    /// `startup` holds SIGTERM and SIGINT from whenever the caller began (e.g. before it loaded
    /// the rules its handler needs) until the service group takes the signals over.
    func run(startup: StartupSignals) async throws {
        let logger = Logger(label: "hotline-\(kind)")
        // Until the service group takes over the signals, a SIGTERM must still stop us cleanly,
        // e.g. while we wait for a database that is not there yet.
        logger.info("starting", metadata: [
            "hotline.lanes": "\(topology == nil ? 0 : configuration.lanes)",
            "hotline.prefetch": "\(configuration.prefetch)",
            "hotline.profile": "\(configuration.profile)",
            "hotline.database": "\(Masking.url(configuration.databaseURL))",
            "hotline.amqp": "\(Masking.url(configuration.amqpURL))",
        ])
        if topology == nil {
            logger.warning("this worker consumes no queue (no handler yet): it relays its outbox and serves its endpoint")
        }
        try await migrate(logger: logger, stopRequested: { startup.received })
        startup.release()
        if startup.received {
            logger.info("stopped before starting")
            return
        }
        let fault = FaultInjection.fromEnvironment()
        let afterCommit = FaultTrigger(at: fault.killAfterCommit, point: "after commit, before ack")
        let lanes: [Lane] = (topology.map { topology in
            (0..<configuration.lanes).map { index in
                var lane = Lane.Configuration(worker: kind, index: index, topology: topology, databaseURL: configuration.databaseURL,
                                              amqpURL: configuration.amqpURL, prefetch: configuration.prefetch)
                lane.faultAfterCommit = afterCommit
                return Lane(configuration: lane, handler: handler, clock: clock, metrics: metrics)
            }
        }) ?? []
        var relayConfiguration = OutboxRelay.Configuration(name: "\(kind)-relay", databaseURL: configuration.databaseURL,
                                                           amqpURL: configuration.amqpURL)
        relayConfiguration.faultAfterPublish = FaultTrigger(at: fault.killAfterPublish, point: "after publish, before commit")
        let relay = OutboxRelay(configuration: relayConfiguration, metrics: metrics)
        let threads = ThreadsService(lanes: lanes, relay: relay, logger: logger)
        let app = Application(
            router: HealthRouter.make(metrics: metrics, expectedLanes: lanes.count),
            configuration: .init(address: .hostname(configuration.httpHost, port: configuration.httpPort),
                                 serverName: "hotline-\(kind)"),
            services: [threads],
            onServerRunning: { channel in
                logger.info("http endpoint listening", metadata: ["hotline.http.port": "\(channel.localAddress?.port ?? -1)"])
            },
            logger: Logger(label: "hotline-\(kind).http"))
        try await app.runService(gracefulShutdownSignals: [.sigterm, .sigint])
        logger.info("stopped")
    }

    private func migrate(logger: Logger, stopRequested: @escaping @Sendable () -> Bool) async throws {
        let url = configuration.databaseURL
        let name = "hotline-\(kind)-migrate"
        let applied = try await runOnThread(name: name) { () -> [Int] in
            let connection: PostgresConnection
            do {
                connection = try connectPostgres(url: url, name: name, policy: ReconnectPolicy(giveUpAfter: nil),
                                                 logger: logger, stopRequested: stopRequested)
            } catch where stopRequested() {
                return []
            }
            defer { connection.close() }
            return try Migrator.bundled().migrate(connection)
        }
        if !applied.isEmpty { logger.info("migrations applied", metadata: ["hotline.versions": "\(applied)"]) }
    }
}

/// SIGTERM and SIGINT caught during start-up; `release()` hands them back before the service
/// group installs its own handlers.
final class StartupSignals: @unchecked Sendable {
    // @unchecked Sendable: `flag` is only touched under `lock`; `sources` only by init and release.
    private let lock = NSLock()
    private var flag = false
    private var sources: [any DispatchSourceSignal] = []

    init() {
        for number in [SIGTERM, SIGINT] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [weak self] in self?.lock.withLock { self?.flag = true } }
            source.resume()
            sources.append(source)
        }
    }

    var received: Bool { lock.withLock { flag } }

    func release() {
        sources.forEach { $0.cancel() }
        sources.removeAll()
    }
}

/// Runs a blocking job on a thread of its own (never on the cooperative pool) and awaits it.
func runOnThread<T: Sendable>(name: String, _ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread {
            continuation.resume(with: Result { try body() })
        }
        thread.name = name
        thread.start()
    }
}

/// Starts the lanes and the relay, and on graceful shutdown asks them to stop and waits for them.
/// A lane that dies on its own (e.g. a recovery was abandoned) takes the process down with it, so
/// the supervisor restarts it rather than leaving a worker that consumes nothing.
struct ThreadsService: Service {
    let lanes: [Lane]
    let relay: OutboxRelay
    let logger: Logger

    func run() async throws {
        // Whichever thread ends first (a stop request, or a failure) brings the others down.
        let firstFinished = DispatchSemaphore(value: 0)
        let owners: [any ThreadOwner] = lanes + [relay]
        for owner in owners {
            owner.thread.onFinish = { firstFinished.signal() }
            owner.start()
        }
        try await withGracefulShutdownHandler {
            try await runOnThread(name: "hotline-threads-watch") {
                firstFinished.wait()
                owners.forEach { $0.requestStop() }
                var firstError: (any Error)?
                for owner in owners {
                    do { try owner.waitUntilFinished() } catch { firstError = firstError ?? error }
                }
                if let firstError { throw firstError }
            }
        } onGracefulShutdown: {
            owners.forEach { $0.requestStop() }
        }
        if !Task.isShuttingDownGracefully {
            throw WorkerStopped()
        }
    }

    struct WorkerStopped: Error, CustomStringConvertible {
        var description: String { "the worker's lanes stopped without being asked to" }
    }
}

/// `/healthz` (the process answers), `/readyz` (every lane connected and consuming, and the outbox
/// relay connected to both servers) and
/// `/metrics` (Prometheus text).
enum HealthRouter {
    static func make(metrics: RuntimeMetrics, expectedLanes: Int) -> Router<BasicRequestContext> {
        let router = Router()
        router.get("healthz") { _, _ in "ok\n" }
        router.get("readyz") { _, _ -> Response in
            let lanes = metrics.readyLanes
            let relay = metrics.isRelayReady
            let ready = lanes >= expectedLanes && relay
            let text = ready ? "ready\n" : "not ready: \(lanes)/\(expectedLanes) lanes, relay \(relay ? "up" : "down")\n"
            return Response(status: ready ? .ok : .serviceUnavailable, body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        router.get("metrics") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(string: metrics.exposition())))
        }
        return router
    }
}
