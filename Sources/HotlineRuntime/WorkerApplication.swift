import AMQPClient
import Foundation
import HotlineContracts
import HotlineStore
import Hummingbird
import Logging
import PostgresClient
import ServiceLifecycle
import UnixSignals

/// A worker process as a list of services in one `ServiceGroup`.
///
/// The runtime contributes the migrations (applied before anything serves), the outbox relay,
/// and the `/healthz`, `/readyz` and `/metrics` routes. A worker adds its own parts: a queue it
/// consumes with a handler (`consume`, run on `lanes` lanes), loops on threads of their own
/// (`addLoop`: a timer claimer, an SMS sender), any other `Service`, routes, and readiness checks.
///
/// The group runs the relay first and the HTTP endpoint last; the first service to end or fail
/// stops the rest (a lane that dies, an endpoint that cannot bind: the process exits non-zero and
/// says why). SIGTERM or SIGINT shuts down in reverse order — the endpoint, the worker's services,
/// the lanes (each commits and acks the batch in hand), the relay — within `shutdownGrace`, after
/// which whatever is left is cancelled.
public struct WorkerApplication: Sendable {
    public let kind: String
    public let configuration: WorkerConfiguration
    public let clock: any HotlineClock
    public let metrics: RuntimeMetrics
    public let logger: Logger
    /// How long a graceful shutdown may take before the services left are cancelled.
    public var shutdownGrace: Duration = .seconds(30)

    private var consumer: (topology: Topology.ConsumerTopology, handler: any MessageHandler)?
    private var services: [any Service] = []
    private var routes: [@Sendable (Router<BasicRequestContext>) -> Void] = []
    private var readiness: [(name: String, check: @Sendable () -> Bool)] = []

    /// The runtime's parts: migrations, the outbox relay, the health and metrics routes.
    public init(kind: String, configuration: WorkerConfiguration, clock: any HotlineClock = SystemClock()) {
        self.kind = kind
        self.configuration = configuration
        self.clock = clock
        self.metrics = RuntimeMetrics(worker: kind)
        self.logger = Logger(label: "hotline-\(kind)")
        let metrics = self.metrics
        addReadiness("relay") { metrics.isRelayReady }
    }

    /// Consumes `topology`'s queue with `handler`, on `configuration.lanes` lanes; `/readyz` waits
    /// for every lane to be connected and consuming.
    public mutating func consume(_ topology: Topology.ConsumerTopology, with handler: any MessageHandler) {
        precondition(consumer == nil, "a worker consumes one queue")
        consumer = (topology, handler)
        let metrics = self.metrics, lanes = configuration.lanes
        readiness.insert(("lanes", { metrics.readyLanes >= lanes }), at: 0)
    }

    /// A loop on a thread of its own (see `ThreadLoop`), run as a `ThreadService`.
    public mutating func addLoop(_ loop: any ThreadLoop) {
        services.append(ThreadService(loop))
    }

    /// Any other long-running part of the worker.
    public mutating func addService(_ service: any Service) {
        services.append(service)
    }

    /// Routes of the worker's own, served beside `/healthz`, `/readyz` and `/metrics`.
    public mutating func addRoutes(_ add: @escaping @Sendable (Router<BasicRequestContext>) -> Void) {
        routes.append(add)
    }

    /// A condition `/readyz` requires, named in its answer when it does not hold.
    public mutating func addReadiness(_ name: String, _ check: @escaping @Sendable () -> Bool) {
        readiness.append((name, check))
    }

    public func run() async throws {
        try await run(startup: StartupSignals())
    }

    /// `startup` holds SIGTERM and SIGINT from whenever the caller began (e.g. before it loaded
    /// the rules its handler needs) until the service group takes the signals over.
    func run(startup: StartupSignals) async throws {
        logger.info("starting", metadata: [
            "hotline.lanes": "\(consumer == nil ? 0 : configuration.lanes)",
            "hotline.prefetch": "\(configuration.prefetch)",
            "hotline.profile": "\(configuration.profile)",
            "hotline.database": "\(Masking.url(configuration.databaseURL))",
            "hotline.amqp": "\(Masking.url(configuration.amqpURL))",
        ])
        try await migrate(stop: startup.stop)
        startup.release()
        if startup.stop.isRaised {
            logger.info("stopped before starting")
            return
        }
        var groupConfiguration = ServiceGroupConfiguration(
            services: groupServices(), gracefulShutdownSignals: [.sigterm, .sigint], cancellationSignals: [], logger: logger)
        groupConfiguration.maximumGracefulShutdownDuration = shutdownGrace
        let group = ServiceGroup(configuration: groupConfiguration)
        do {
            try await group.run()
        } catch {
            logger.error("worker stopped", metadata: ["hotline.error": "\(SafeErrors.describe(error))"])
            throw error
        }
        logger.info("stopped")
    }

    /// The services in start order: relay, lanes, the worker's own, the HTTP endpoint.
    private func groupServices() -> [ServiceGroupConfiguration.ServiceConfiguration] {
        let fault = FaultInjection.fromEnvironment()
        var relayConfiguration = OutboxRelay.Configuration(name: "\(kind)-relay", databaseURL: configuration.databaseURL,
                                                           amqpURL: configuration.amqpURL)
        relayConfiguration.faultAfterPublish = FaultTrigger(at: fault.killAfterPublish, point: "after publish, before commit")
        var list: [any Service] = [ThreadService(OutboxRelay(configuration: relayConfiguration, metrics: metrics))]
        if let consumer {
            let afterCommit = FaultTrigger(at: fault.killAfterCommit, point: "after commit, before ack")
            for index in 0..<configuration.lanes {
                var lane = Lane.Configuration(worker: kind, index: index, topology: consumer.topology,
                                              databaseURL: configuration.databaseURL, amqpURL: configuration.amqpURL,
                                              prefetch: configuration.prefetch)
                lane.faultAfterCommit = afterCommit
                list.append(ThreadService(Lane(configuration: lane, handler: consumer.handler, clock: clock, metrics: metrics)))
            }
        } else {
            logger.info("this worker consumes no queue")
        }
        list += services
        list.append(HTTPEndpoint(kind: kind, host: configuration.httpHost, port: configuration.httpPort,
                                 router: { router() }, logger: logger))
        // Whichever service ends first, by failing or not, brings the rest down.
        return list.map { .init(service: $0, successTerminationBehavior: .gracefullyShutdownGroup,
                                failureTerminationBehavior: .gracefullyShutdownGroup) }
    }

    private func router() -> Router<BasicRequestContext> {
        let router = Router()
        let metrics = self.metrics, readiness = self.readiness
        router.get("healthz") { _, _ in "ok\n" }
        router.get("readyz") { _, _ -> Response in
            let failing = readiness.filter { !$0.check() }.map(\.name)
            let lanes = "\(metrics.readyLanes)/\(consumer == nil ? 0 : configuration.lanes) lanes, relay \(metrics.isRelayReady ? "up" : "down")"
            let text = failing.isEmpty ? "ready\n" : "not ready (\(failing.joined(separator: ", "))): \(lanes)\n"
            return Response(status: failing.isEmpty ? .ok : .serviceUnavailable, body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        router.get("metrics") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(string: metrics.exposition())))
        }
        for add in routes { add(router) }
        return router
    }

    private func migrate(stop: StopFlag) async throws {
        let url = configuration.databaseURL
        let name = "hotline-\(kind)-migrate"
        let logger = self.logger
        let applied = try await DedicatedThread.run(name: name) { () -> [Int] in
            let connection: PostgresConnection
            do {
                connection = try connectPostgres(url: url, name: name, policy: ReconnectPolicy(giveUpAfter: nil),
                                                 logger: logger, stop: stop)
            } catch where stop.isRaised {
                return []
            }
            defer { connection.close() }
            return try Migrator.bundled().migrate(connection)
        }
        if !applied.isEmpty { logger.info("migrations applied", metadata: ["hotline.versions": "\(applied)"]) }
    }
}

/// The worker's HTTP endpoint (Hummingbird) as a service of the group. An endpoint that cannot
/// listen (the port is taken) fails the group with one line saying so.
struct HTTPEndpoint: Service {
    let kind: String
    let host: String
    let port: Int
    /// Builds the router (a `Router` is not `Sendable`; it is made where it is served).
    let router: @Sendable () -> Router<BasicRequestContext>
    let logger: Logger

    func run() async throws {
        let listening = StopFlag()
        let logger = self.logger
        let app = Application(
            router: router(),
            configuration: .init(address: .hostname(host, port: port), serverName: "hotline-\(kind)"),
            onServerRunning: { channel in
                listening.raise()
                logger.info("http endpoint listening", metadata: ["hotline.http.port": "\(channel.localAddress?.port ?? -1)"])
            },
            logger: Logger(label: "hotline-\(kind).http"))
        do {
            try await app.run()
        } catch where !listening.isRaised {
            throw CannotListen(host: host, port: port, reason: "\(error)")
        }
    }

    struct CannotListen: SafeError, CustomStringConvertible {
        let host: String
        let port: Int
        /// The socket error (NIO's `IOError`: the call and errno), which holds no data of ours.
        let reason: String
        var safeCode: String { "http-listen" }
        var safeReason: String { "the http endpoint cannot listen on \(host):\(port): \(reason)" }
        var description: String { safeReason }
    }
}

/// SIGTERM and SIGINT caught during start-up; `release()` hands them back before the service
/// group installs its own handlers. A signal raises `stop`.
final class StartupSignals: @unchecked Sendable {
    // @unchecked Sendable: `sources` is only touched by init and release (one caller).
    let stop = StopFlag()
    private var sources: [any DispatchSourceSignal] = []

    init() {
        for number in [SIGTERM, SIGINT] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [stop] in stop.raise() }
            source.resume()
            sources.append(source)
        }
    }

    func release() {
        sources.forEach { $0.cancel() }
        sources.removeAll()
    }
}
