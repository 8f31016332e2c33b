import AMQPClient
import ArgumentParser
import Foundation
import HotlineContracts
import HotlineRuntime
import HotlineStore
import PostgresClient
#if canImport(Glibc)
import Glibc
#endif

/// `hotlinectl bench pipeline`: the intake and routing workers end to end, on a fresh database.
struct BenchPipeline: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pipeline",
        abstract: "Intake and routing end to end: orders/s and submission→routed latency, beside the broker's raw confirmed publish rate.",
        discussion: """
        For each --lanes setting, on a fresh database (created, migrated, `hotlinectl seed demo`, dropped at the end) with the fleet queues purged: starts hotline-intake and hotline-routing from --release-dir with HOTLINE_LANES set, waits until both queues have their consumers, publishes --count clean submissions (all valid, no planned repeats or cluster; the same matter from neighbours still forms clusters, as in life) at --rate (0: as fast as the broker confirms) and polls PostgreSQL until every order is routed: dispatched to a lead unit, or handed to the office because no rule is confident (a few of the generated matters have no rule; both counts are printed). Figures: orders/s = routed orders / (last routing − first submission's receivedAt); latency per order = its lead assignment's dispatched_at (or the time it was handed to the office) − its received_at (the publish time), p50/p95/p99 nearest-rank. A second run per setting offers --latency-rate (default 1000/s) for the latency target. After each run the workers rest --settle seconds and their resident memory (VmRSS) is read, then they get SIGTERM.

        Baseline, in the same run: persistent publishes with confirms (batches of 100) of messages of the submissions' mean size to a throwaway quorum queue; orders/s is printed as a ratio to it. Targets (2 cores, everything on one machine) are printed beside the figures with whether they were met; nothing here fails because a target was missed.

        Build first: swift build -c release (the workers and hotlinectl with `seed demo`). It purges the fleet queues and expects to be their only consumer: run it against a broker or vhost (--amqp-url) nobody else uses. Consumers it did not start make it stop.
        """)

    @Option(help: "Submissions per run.")
    var count = 100_000

    @Option(help: "Offered submissions per second (0: as fast as the broker confirms).")
    var rate: Double = 0

    @Option(help: "Offered rate of the extra latency run per lane setting (0: no latency run; none either when --rate is this already).")
    var latencyRate: Double = 1000

    @Option(help: "Submissions in the latency run (default: the smaller of --count and 20000).")
    var latencyCount: Int?

    @Option(help: "Lanes per worker, one run each, e.g. 1,2.")
    var lanes = "1,2"

    @Option(help: "Where the release build's executables are.")
    var releaseDir = ".build/release"

    @Option(help: "Seconds the workers rest after a run before their memory is read.")
    var settle: Double = 5

    @Option(help: "Give up on a run after this many seconds without a new order or dispatch.")
    var stall: Double = 60

    @Option(help: "Messages per baseline round, 3 rounds (default: the smaller of --count and 20000).")
    var baselineMessages: Int?

    @Option(help: "Name of the throwaway database (dropped and created for every run).")
    var databaseName = "hotline_bench"

    @Flag(help: "Print the plan (runs, pacing, time limits) and stop.")
    var dryRun = false

    @OptionGroup var database: DatabaseOption
    @OptionGroup var broker: BrokerOption

    func validate() throws {
        guard (1...10_000_000).contains(count) else { throw ValidationError("--count must be between 1 and 10000000") }
        guard rate.isFinite, rate >= 0, latencyRate.isFinite, latencyRate >= 0 else {
            throw ValidationError("--rate and --latency-rate must be 0 or positive")
        }
        if let latencyCount, !(1...10_000_000).contains(latencyCount) { throw ValidationError("--latency-count must be between 1 and 10000000") }
        if let baselineMessages, baselineMessages < 100 { throw ValidationError("--baseline-messages must be at least 100") }
        _ = try laneSettings()
        guard settle >= 0, stall > 0 else { throw ValidationError("--settle must not be negative and --stall must be positive") }
        guard databaseName.range(of: #"^[a-z_][a-z0-9_]{0,62}$"#, options: .regularExpression) != nil else {
            throw ValidationError("--database-name must be lower-case letters, digits and _")
        }
    }

    func laneSettings() throws -> [Int] {
        let parts = lanes.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        let values = parts.compactMap { Int($0) }
        guard !parts.isEmpty, values.count == parts.count, values.allSatisfy({ (1...64).contains($0) }) else {
            throw ValidationError("--lanes must be whole numbers from 1 to 64 separated by commas, e.g. 1,2")
        }
        return values
    }

    var plan: [PipelineBench.Run] {
        var runs: [PipelineBench.Run] = []
        for lanes in (try? laneSettings()) ?? [1] {
            runs.append(PipelineBench.Run(lanes: lanes, rate: rate, count: count))
            if latencyRate > 0, latencyRate != rate {
                runs.append(PipelineBench.Run(lanes: lanes, rate: latencyRate, count: latencyCount ?? min(count, 20_000)))
            }
        }
        return runs
    }

    func run() throws {
        let runs = plan
        let baselineCount = baselineMessages ?? min(count, 20_000)
        if dryRun {
            for run in runs {
                let pacing = Pacing(rate: run.rate)
                print(String(format: "lanes %d, offered %@: %d submissions in batches of %d (%d batches)%@; gives up after %.0f s (or %.0f s without progress)",
                             run.lanes, run.offeredText, run.count, pacing.batchSize, pacing.batches(count: run.count),
                             run.rate > 0 ? String(format: ", publishing takes %.1f s", pacing.plannedSeconds(count: run.count)) : "",
                             run.timeoutSeconds, stall))
            }
            print("baseline: 3 rounds of \(baselineCount) persistent confirmed publishes of \(PipelineBench.sampleBodySize()) bytes to a quorum queue")
            return
        }
        let bench = try PipelineBench(databaseURL: try database.url(), amqpURL: try broker.url(), releaseDir: releaseDir,
                                      databaseName: databaseName, settleSeconds: settle, stallSeconds: stall)
        try bench.run(runs, baselineMessages: baselineCount)
    }
}

/// The nearest-rank percentile (PostgreSQL's percentile_disc): the smallest value with at least
/// `fraction` of the values at or below it. `sorted` must be ascending; nil when empty.
func percentile(_ sorted: [Double], _ fraction: Double) -> Double? {
    guard !sorted.isEmpty else { return nil }
    // The epsilon keeps 0.07 × 100 = 7.000000000000001 at rank 7.
    let rank = Int((fraction * Double(sorted.count) - 1e-9).rounded(.up))
    return sorted[min(max(rank, 1), sorted.count) - 1]
}

/// `hotlinectl bench percentiles FILE`: the percentile helper on numbers from a file (for tests and
/// for latency files from elsewhere).
struct BenchPercentiles: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "percentiles",
        abstract: "Nearest-rank percentiles (as percentile_disc) of the numbers in a file, one per line, as JSON.",
        shouldDisplay: false)

    @Argument(help: "A file with one number per line.") var file: String
    @Option(help: "Percentiles, e.g. 50,95,99.") var at = "50,95,99"

    func run() throws {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { throw UsageError("cannot read \(file)") }
        var values: [Double] = []
        for (number, line) in text.split(separator: "\n").enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            guard let value = Double(trimmed), value.isFinite else { throw UsageError("\(file): line \(number + 1) is not a number") }
            values.append(value)
        }
        let points = at.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard !points.isEmpty, points.allSatisfy({ $0.map { (0...100).contains($0) } ?? false }) else {
            throw UsageError("--at must be numbers from 0 to 100 separated by commas")
        }
        values.sort()
        var result: [String: Double?] = ["count": Double(values.count)]
        for point in points.compactMap({ $0 }) {
            let key = "p" + (point == point.rounded() ? String(Int(point)) : String(point))
            result[key] = percentile(values, point / 100)
        }
        print(encodeJSON(result))
    }
}

/// The pipeline benchmark's work (see `BenchPipeline`'s discussion).
final class PipelineBench {
    struct Run: Sendable {
        var lanes: Int
        /// Offered submissions per second; 0: as fast as possible.
        var rate: Double
        var count: Int

        var offeredText: String { rate > 0 ? String(format: "%.0f/s", rate) : "as fast as possible" }

        /// A minute, plus at least 250 orders a second, plus the publishing time when paced.
        var timeoutSeconds: Double { 60 + Double(count) / 250 + (rate > 0 ? Double(count) / rate : 0) }
    }

    struct Outcome {
        var run: Run
        /// Dispatched, or handed to the office for manual dispatch.
        var routed: Int
        var dispatched: Int
        var complete: Bool
        var seconds: Double
        var ordersPerSecond: Double
        var p50: Double?
        var p95: Double?
        var p99: Double?
        var publishedPerSecond: Double
        /// Resident and peak memory per worker, MiB.
        var memory: [(worker: String, rssMiB: Double?, peakMiB: Double?)]
    }

    enum Target {
        static let ordersPerSecond = 3_000.0
        static let latencyRate = 1_000.0
        static let p99Milliseconds = 200.0
        static let restingMiB = 64.0
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    static let workers: [WorkerKind] = [.intake, .routing]

    let databaseURL: String
    let amqpURL: String
    let releaseDir: String
    let databaseName: String
    let settleSeconds: Double
    let stallSeconds: Double
    let logDirectory: URL
    private var amqp: AMQPConnection

    init(databaseURL: String, amqpURL: String, releaseDir: String, databaseName: String, settleSeconds: Double,
         stallSeconds: Double) throws {
        self.databaseURL = databaseURL
        self.amqpURL = amqpURL
        self.releaseDir = releaseDir
        self.databaseName = databaseName
        self.settleSeconds = settleSeconds
        self.stallSeconds = stallSeconds
        for name in Self.workers.map(\.executableName) + ["hotlinectl"] {
            let path = URL(fileURLWithPath: releaseDir).appendingPathComponent(name).path
            guard FileManager.default.isExecutableFile(atPath: path) else {
                throw UsageError("\(path) not found: build with `swift build -c release` or pass --release-dir")
            }
        }
        guard let current = URLComponents(string: databaseURL), current.path.dropFirst() != databaseName else {
            throw UsageError("the bench database must not be the one HOTLINE_DATABASE_URL names: pass another --database-name")
        }
        logDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("hotline-bench-pipeline-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: logDirectory, withIntermediateDirectories: true)
        amqp = try AMQPConnection(url: amqpURL, connectionName: "hotlinectl-bench-pipeline")
    }

    deinit { amqp.close() }

    static func progress(_ line: String) { FileHandle.standardError.write(Data((line + "\n").utf8)) }

    /// The mean size of a clean submission's message (the baseline publishes this size).
    static func sampleBodySize() -> Int {
        var generator = SubmissionGenerator(.clean(seed: 1, count: 2_000, runId: "bench-000000"))
        var total = 0, count = 0
        while let generated = generator.next(receivedAt: Date()) {
            total += SubmissionMessage.outgoing(generated.submission, occurredAt: Date()).body.count
            count += 1
        }
        return count > 0 ? total / count : AMQPBench.bodySize
    }

    func run(_ runs: [Run], baselineMessages: Int) throws {
        try TopologyDeclarer.declareExchanges(on: try broker())
        let bodySize = Self.sampleBodySize()
        let baseline = try measureBaseline(bodySize: bodySize, messages: baselineMessages)
        print(String(format: "baseline: persistent publishes with confirms (batches of %d, %d-byte messages, quorum queue): %.0f msg/s",
                     AMQPBench.batch, bodySize, baseline))
        var outcomes: [Outcome] = []
        for run in runs {
            let outcome: Outcome
            do {
                outcome = try measure(run)
            } catch {
                Self.progress("worker logs: \(logDirectory.path)")
                throw error
            }
            outcomes.append(outcome)
            print(line(outcome, baseline: baseline))
            print(memoryLine(outcome))
        }
        print("")
        print("targets (2 cores, servers and workers on this machine):")
        for outcome in outcomes where outcome.run.rate == 0 {
            print(String(format: "  ≥ %.0f orders/s sustained, lanes %d: %.0f orders/s: %@", Target.ordersPerSecond, outcome.run.lanes,
                         outcome.ordersPerSecond, verdict(outcome.complete && outcome.ordersPerSecond >= Target.ordersPerSecond)))
        }
        for outcome in outcomes where outcome.run.rate == Target.latencyRate {
            print(String(format: "  p99 ≤ %.0f ms at offered %.0f/s, lanes %d: %@: %@", Target.p99Milliseconds, Target.latencyRate,
                         outcome.run.lanes, outcome.p99.map { String(format: "%.0f ms", $0) } ?? "none",
                         verdict(outcome.complete && (outcome.p99 ?? .infinity) <= Target.p99Milliseconds)))
        }
        for outcome in outcomes {
            for worker in outcome.memory {
                print(String(format: "  resident memory at rest < %.0f MiB, %@ (lanes %d, after %@): %@: %@", Target.restingMiB, worker.worker,
                             outcome.run.lanes, outcome.run.offeredText, worker.rssMiB.map { String(format: "%.1f MiB", $0) } ?? "unknown",
                             verdict((worker.rssMiB ?? .infinity) < Target.restingMiB)))
            }
        }
        if outcomes.allSatisfy(\.complete) {
            try? FileManager.default.removeItem(at: logDirectory)
        } else {
            print("worker logs: \(logDirectory.path)")
        }
    }

    func verdict(_ met: Bool) -> String { met ? "met" : "NOT met" }

    func line(_ o: Outcome, baseline: Double) -> String {
        func ms(_ value: Double?) -> String { value.map { String(format: "%.0f ms", $0) } ?? "-" }
        var text = String(format: "lanes %d, offered %@: %d of %d routed (%d dispatched, %d to the office by hand) in %.1f s: %.0f orders/s",
                          o.run.lanes, o.run.offeredText, o.routed, o.run.count, o.dispatched, o.routed - o.dispatched, o.seconds, o.ordersPerSecond)
        if o.run.rate == 0 {
            text += String(format: " [target ≥ %.0f: %@]", Target.ordersPerSecond,
                           verdict(o.complete && o.ordersPerSecond >= Target.ordersPerSecond))
        }
        text += "; submission→routed p50 \(ms(o.p50)), p95 \(ms(o.p95)), p99 \(ms(o.p99))"
        if o.run.rate == Target.latencyRate {
            text += String(format: " [target p99 ≤ %.0f ms: %@]", Target.p99Milliseconds,
                           verdict(o.complete && (o.p99 ?? .infinity) <= Target.p99Milliseconds))
        }
        text += String(format: "; published at %.0f/s; orders/s ÷ baseline %.2f", o.publishedPerSecond,
                       baseline > 0 ? o.ordersPerSecond / baseline : 0)
        if !o.complete { text += " (INCOMPLETE)" }
        return text
    }

    func memoryLine(_ o: Outcome) -> String {
        let parts = o.memory.map { worker in
            "\(worker.worker) " + (worker.rssMiB.map { String(format: "%.1f MiB", $0) } ?? "unknown")
                + (worker.peakMiB.map { String(format: " (peak %.1f)", $0) } ?? "")
        }
        let met = o.memory.allSatisfy { ($0.rssMiB ?? .infinity) < Target.restingMiB }
        return String(format: "lanes %d, after %@: resident memory at rest: %@ [target < %.0f MiB: %@]", o.run.lanes, o.run.offeredText,
                      parts.joined(separator: ", "), Target.restingMiB, verdict(met))
    }

    // MARK: - Baseline

    func measureBaseline(bodySize: Int, messages: Int) throws -> Double {
        let queue = "bench.pipeline.\(UUID().uuidString.prefix(8).lowercased())"
        let amqp = try broker()
        try amqp.declareQueue(queue, .quorum)
        defer { _ = try? amqp.deleteQueue(queue) }
        var rates: [Double] = []
        for round in 1...3 {
            rates.append(try AMQPBench.publishRate(amqp, queue: queue, messages: messages, bodySize: bodySize))
            try amqp.purgeQueue(queue)
            Self.progress(String(format: "baseline round %d: %.0f msg/s", round, rates.last!))
        }
        return median(rates)
    }

    // MARK: - One run

    func measure(_ run: Run) throws -> Outcome {
        let label = "lanes \(run.lanes), offered \(run.offeredText)"
        Self.progress("\(label): fresh database \(databaseName), migrations, seed demo")
        let benchURL = try DatabaseURL.replacingDatabase(databaseURL, with: databaseName)
        try recreateDatabase()
        defer { dropDatabase() }
        let db = try PostgresConnection(url: benchURL, applicationName: "hotlinectl-bench-pipeline")
        defer { db.close() }
        _ = try Migrator.bundled().migrate(db)
        let seed = try Subprocess.run(path("hotlinectl"), ["seed", "demo"], environment: ["HOTLINE_DATABASE_URL": benchURL])
        guard seed.status == 0 else {
            throw Failure("`hotlinectl seed demo` exited \(seed.status): \(seed.stderr.suffix(500))")
        }
        try purgeFleetQueues()

        // The workers.
        var children: [(kind: WorkerKind, child: Subprocess.Child, log: String)] = []
        defer {
            for worker in children where worker.child.isRunning {
                worker.child.signal(SIGKILL)
                worker.child.wait()
            }
        }
        let tag = "lanes\(run.lanes)-\(run.rate > 0 ? "rate\(Int(run.rate))" : "max")"
        for kind in Self.workers {
            let log = logDirectory.appendingPathComponent("\(tag)-\(kind.rawValue).log").path
            let child = try Subprocess.start(path(kind.executableName), [], environment: [
                "HOTLINE_LANES": String(run.lanes),
                "HOTLINE_DATABASE_URL": benchURL,
                "HOTLINE_AMQP_URL": amqpURL,
                "HOTLINE_HTTP_PORT": "0",
            ], stdout: log, stderr: log)
            children.append((kind, child, log))
        }
        try waitUntilConsuming(children, lanes: run.lanes)
        // Give a fleet that was starting elsewhere a moment to show itself before publishing.
        Thread.sleep(forTimeInterval: 1)
        for kind in Self.workers {
            let consumers = try broker().queueDepth(kind.rawValue).consumers
            if consumers > run.lanes { throw Self.foreignConsumers(kind.rawValue, consumers, lanes: run.lanes) }
            if consumers < run.lanes { throw Failure("queue \(kind.rawValue) lost consumers before publishing; logs: \(logDirectory.path)") }
        }
        Self.progress("\(label): workers consuming; publishing \(run.count) submissions")

        // Publish.
        var generator = SubmissionGenerator(.clean(seed: UInt64(run.lanes) &* 1_000_003 &+ UInt64(run.rate),
                                                   count: run.count, runId: "bench-\(UUID().uuidString.prefix(6).lowercased())"))
        let published = try LoadPublisher.publish(&generator, pacing: Pacing(rate: run.rate), on: try broker(), progress: { line in
            Self.progress("\(label): \(line)")
        })
        guard published.returned == 0 else { throw Failure("no intake queue bound: hotline-intake stopped consuming?") }
        guard published.failed == 0 else { throw Failure("the broker did not confirm \(published.failed) submissions") }

        // Wait for every order to be routed.
        let complete = try waitForDispatch(run, db: db, children: children, label: label)

        // Figures.
        let latencies = try db.query("SELECT (EXTRACT(EPOCH FROM r.routed_at - r.received_at) * 1000)::float8 AS ms FROM ("
                                     + Self.routed + ") r WHERE r.routed_at IS NOT NULL").map { try $0.decode("ms", as: Double.self) }.sorted()
        let totals = try db.query("""
            SELECT (EXTRACT(EPOCH FROM max(r.routed_at) - min(r.received_at)))::float8 AS seconds,
                   count(*) FILTER (WHERE r.dispatched)::int8 AS dispatched
            FROM (
            """ + Self.routed + ") r WHERE r.routed_at IS NOT NULL").first
        let span = try totals?.decode("seconds", as: Double?.self) ?? nil
        let dispatched = try totals?.decode("dispatched", as: Int.self) ?? 0
        let seconds = span ?? 0
        // At rest: let the relays and lanes go idle, then read their memory.
        Thread.sleep(forTimeInterval: settleSeconds)
        let memory = children.map { worker in
            (worker: worker.kind.executableName, rssMiB: Self.memoryMiB(pid: worker.child.pid, field: "VmRSS"),
             peakMiB: Self.memoryMiB(pid: worker.child.pid, field: "VmHWM"))
        }
        for worker in children {
            let status = Self.stop(worker.child)
            if status != 0 { Self.progress("\(label): \(worker.kind.executableName) exited \(status) on SIGTERM; log: \(worker.log)") }
        }
        return Outcome(run: run, routed: latencies.count, dispatched: dispatched, complete: complete, seconds: seconds,
                       ordersPerSecond: seconds > 0 ? Double(latencies.count) / seconds : 0,
                       p50: percentile(latencies, 0.50), p95: percentile(latencies, 0.95), p99: percentile(latencies, 0.99),
                       publishedPerSecond: published.achievedRate, memory: memory)
    }

    static func foreignConsumers(_ queue: String, _ consumers: Int, lanes: Int) -> Failure {
        Failure("queue \(queue) has \(consumers) consumers but this bench started \(lanes): another fleet is consuming on this "
            + "broker; run the bench on a broker (or vhost, see --amqp-url) nobody else uses")
    }

    /// The bench's AMQP connection, reopened if it broke (e.g. while a long step did not service
    /// its heartbeats).
    func broker() throws -> AMQPConnection {
        if !amqp.isOpen { amqp = try AMQPConnection(url: amqpURL, connectionName: "hotlinectl-bench-pipeline") }
        return amqp
    }

    func path(_ executable: String) -> String {
        URL(fileURLWithPath: releaseDir).appendingPathComponent(executable).path
    }

    /// Waits until every worker's queue has exactly `lanes` consumers (ours: there were none
    /// before they started); fails when a worker exits first or more consumers appear.
    func waitUntilConsuming(_ children: [(kind: WorkerKind, child: Subprocess.Child, log: String)], lanes: Int) throws {
        let deadline = Date() + 120
        while true {
            for worker in children where !worker.child.isRunning {
                throw Failure("\(worker.kind.executableName) exited \(worker.child.exitStatus ?? -1) before it consumed; its log: \(worker.log)")
            }
            var ready = true
            for worker in children {
                let consumers = (try? broker().queueDepth(worker.kind.rawValue).consumers) ?? 0
                if consumers > lanes { throw Self.foreignConsumers(worker.kind.rawValue, consumers, lanes: lanes) }
                if consumers < lanes { ready = false }
            }
            if ready { return }
            guard Date() < deadline else {
                throw Failure("the workers did not consume within 120 s; logs: \(logDirectory.path)")
            }
            Thread.sleep(forTimeInterval: 0.2)
        }
    }

    /// Each order with when it was routed: dispatched to a lead unit, or handed to the office for
    /// manual dispatch (routing decided that no rule is confident; its time is when the order was
    /// marked so). NULL `routed_at`: not yet. The progress poll and the figures both count this.
    static let routed: SQL = """
        SELECT w.received_at, l.dispatched_at IS NOT NULL AS dispatched,
               coalesce(l.dispatched_at, CASE WHEN w.manual_dispatch_reason IS NOT NULL THEN w.updated_at END) AS routed_at
        FROM work_orders w
        LEFT JOIN (SELECT work_order_id, min(dispatched_at) AS dispatched_at FROM assignments
                   WHERE role = 'lead' GROUP BY work_order_id) l ON l.work_order_id = w.id
        """

    /// Polls until `run.count` orders are routed: have a lead assignment, or wait at the office
    /// for manual dispatch. False when it gave up (time limit,
    /// or nothing moved for the stall time); then what is stuck has been printed.
    func waitForDispatch(_ run: Run, db: PostgresConnection, children: [(kind: WorkerKind, child: Subprocess.Child, log: String)],
                         label: String) throws -> Bool {
        let started = Date()
        var last = (orders: -1, dispatched: -1)
        var lastChange = Date()
        var lastProgress = Date()
        while true {
            let row = try db.query("""
                SELECT (SELECT count(*) FROM work_orders)::int8 AS orders,
                       (SELECT count(*) FROM (
                """ + Self.routed + ") r WHERE r.routed_at IS NOT NULL)::int8 AS dispatched").first
            let now = (orders: try row?.decode("orders", as: Int.self) ?? 0, dispatched: try row?.decode("dispatched", as: Int.self) ?? 0)
            if now.dispatched >= run.count { return true }
            if now != last {
                last = now
                lastChange = Date()
            }
            // Asking the broker each time also keeps its connection's heartbeats going.
            var depths: [String] = []
            for kind in Self.workers {
                let depth = try? broker().queueDepth(kind.rawValue)
                if let depth, depth.consumers > run.lanes { throw Self.foreignConsumers(kind.rawValue, depth.consumers, lanes: run.lanes) }
                depths.append("\(kind.rawValue) \(depth.map { String($0.messages) } ?? "?")")
            }
            if Date().timeIntervalSince(lastProgress) >= 10 {
                lastProgress = Date()
                Self.progress("\(label): \(now.orders) orders, \(now.dispatched) of \(run.count) routed; "
                    + "ready in queues: \(depths.joined(separator: ", "))")
            }
            let dead = children.filter { !$0.child.isRunning }
            let timedOut = Date().timeIntervalSince(started) > run.timeoutSeconds
            let stalled = Date().timeIntervalSince(lastChange) > stallSeconds
            if !dead.isEmpty || timedOut || stalled {
                let why = !dead.isEmpty ? dead.map { "\($0.kind.executableName) exited \($0.child.exitStatus ?? -1) (log \($0.log))" }.joined(separator: "; ")
                    : timedOut ? String(format: "time limit of %.0f s reached", run.timeoutSeconds)
                    : String(format: "nothing moved for %.0f s", stallSeconds)
                print("\(label): stopped waiting: \(why); \(now.dispatched) of \(run.count) routed. What is stuck:")
                if let amqp = try? broker() {
                    print(StatusReport.collect(database: db, amqp: amqp).text, terminator: "")
                }
                if !dead.isEmpty { throw Failure("a worker died during the run") }
                return false
            }
            Thread.sleep(forTimeInterval: 0.5)
        }
    }

    // MARK: - Servers

    func adminConnection() throws -> PostgresConnection {
        if let url = try? DatabaseURL.replacingDatabase(databaseURL, with: "postgres"),
           let connection = try? PostgresConnection(url: url, applicationName: "hotlinectl-bench-pipeline") {
            return connection
        }
        return try PostgresConnection(url: databaseURL, applicationName: "hotlinectl-bench-pipeline")
    }

    func recreateDatabase() throws {
        let admin = try adminConnection()
        defer { admin.close() }
        try admin.execute(SQL(unsafeSQL: "DROP DATABASE IF EXISTS " + SQL.quoteIdentifier(databaseName) + " WITH (FORCE)"))
        try admin.execute(SQL(unsafeSQL: "CREATE DATABASE " + SQL.quoteIdentifier(databaseName)))
    }

    func dropDatabase() {
        guard let admin = try? adminConnection() else {
            Self.progress("could not drop database \(databaseName): no connection")
            return
        }
        defer { admin.close() }
        if (try? admin.execute(SQL(unsafeSQL: "DROP DATABASE IF EXISTS " + SQL.quoteIdentifier(databaseName) + " WITH (FORCE)"))) == nil {
            Self.progress("could not drop database \(databaseName)")
        }
    }

    /// Empties every fleet queue that exists; refuses when another fleet consumes intake or routing.
    func purgeFleetQueues() throws {
        for kind in Self.workers {
            if let depth = try? broker().queueDepth(kind.rawValue), depth.consumers > 0 {
                throw Failure("queue \(kind.rawValue) already has \(depth.consumers) consumer\(depth.consumers == 1 ? "" : "s"): "
                    + "another fleet is running on this broker; stop it first")
            }
        }
        for queue in StatusReport.fleetQueues where queue != Topology.unroutedQueue {
            do {
                try broker().purgeQueue(queue)
            } catch let error as AMQPError {
                guard case .channelClosed(let code, _) = error.code, code == 404 else { throw error }
            }
        }
    }

    /// SIGTERM, then up to 30 s to exit, then SIGKILL. The exit status (128 + signal if killed).
    static func stop(_ child: Subprocess.Child) -> Int32 {
        child.signal(SIGTERM)
        let deadline = Date() + 30
        while child.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
        if child.isRunning { child.signal(SIGKILL) }
        return child.wait()
    }

    /// A `VmRSS`/`VmHWM` line of /proc/<pid>/status, in MiB.
    static func memoryMiB(pid: pid_t, field: String) -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(field + ":") {
            let number = line.dropFirst(field.count + 1).trimmingCharacters(in: .whitespaces).split(separator: " ").first
            return number.flatMap { Double($0) }.map { $0 / 1024 }
        }
        return nil
    }
}

/// A database URL with another database name.
enum DatabaseURL {
    static func replacingDatabase(_ url: String, with database: String) throws -> String {
        guard var components = URLComponents(string: url) else { throw UsageError("cannot read the database URL") }
        components.path = "/" + database
        guard let result = components.string else { throw UsageError("cannot read the database URL") }
        return result
    }
}
