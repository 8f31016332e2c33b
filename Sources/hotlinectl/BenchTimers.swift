import ArgumentParser
import Foundation
import HotlineDomain
import HotlineRuntime
import HotlineStore
import PostgresClient
#if canImport(Glibc)
import Glibc
#endif

/// `hotlinectl bench timers`: how fast the deadline watch fires timers that fall due together,
/// with many timers pending, beside a plain SQL claim-and-mark loop run by pgbench.
struct BenchTimers: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "timers",
        abstract: "Timers falling due at one instant, with many pending: seconds until all fired, by hotline-deadline-watch beside a pgbench claim-and-mark loop.",
        discussion: """
        On a fresh database (created, migrated, dropped at the end): --due qidong orders are created through the store as routing does (dispatched to one unit), their own timers removed, and each given one reminder timer; --pending further reminder timers fall due in 2099 (spread over the same orders). Then, for each --replicas setting and each of --rounds rounds:

        ours: that many hotline-deadline-watch processes (from --release-dir) are started and left to go idle; the --due reminders are set to fall due 3 s later, and PostgreSQL is polled every 20 ms (an index range on the due time) until none is open. Figure: seconds from the due instant until every timer was fired (each firing is the real one: the order loaded and locked, the timer marked fired, a `reminded` event, an `assignment.reminded` outbox row), and the lateness (fired_at − fire_at) p50/p99. Resident memory (VmRSS) of each worker is read after --settle seconds at rest, then they get SIGTERM.

        baseline, same round: with the workers stopped, the reminders fall due again and `pgbench -n -c <replicas> -j <replicas> -t <n>` runs a claim-and-mark statement (the same claim on the same index, batches of 500, FOR UPDATE SKIP LOCKED, UPDATE … SET fired_at = now()) until none is open. Figure: seconds from the due instant until all were marked.

        steady, once per setting unless --steady-seconds is 0: --steady-rate × --steady-seconds more reminders (kept pending in 2099 until then) fall due at that rate, one after another, while the workers run; figure: lateness (fired_at − fire_at, fired_at being the claim's instant) p50/p99, and how long after the last fell due the last was fired.

        Medians of the rounds are printed with their ratio (ours ÷ baseline, in timers/s). Nothing fails on a slow figure.
        """)

    @Option(help: "Timers pending (falling due in 2099) in the table.") var pending = 1_000_000
    @Option(help: "Timers falling due at the same instant (one order each).") var due = 10_000
    @Option(help: "Rounds per replica setting (each runs ours and the baseline).") var rounds = 3
    @Option(help: "hotline-deadline-watch processes side by side, one setting per run, e.g. 1,2.") var replicas = "1,2"
    @Option(help: "Where the workers' executables are (build with -c release for figures worth quoting).") var releaseDir = ".build/release"
    @Option(help: "Timers per second falling due in the steady run.") var steadyRate = 1_000
    @Option(help: "Seconds of the steady run (0: none).") var steadySeconds = 60
    @Option(help: "Seconds the workers rest before their memory is read.") var settle: Double = 3
    @Option(help: "Name of the throwaway database.") var databaseName = "hotline_bench_timers"
    @OptionGroup var database: DatabaseOption
    @OptionGroup var broker: BrokerOption

    func validate() throws {
        guard pending >= 0, due >= 1, rounds >= 1 else { throw ValidationError("--due and --rounds must be positive, --pending not negative") }
        guard !replicaCounts.isEmpty, replicaCounts.allSatisfy({ $0 >= 1 }) else { throw ValidationError("--replicas: e.g. 1,2") }
    }

    var replicaCounts: [Int] { replicas.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) } }

    func run() throws {
        let bench = TimersBench(baseURL: try database.url(), amqpURL: try broker.url(), databaseName: databaseName,
                                executable: URL(fileURLWithPath: releaseDir).appendingPathComponent("hotline-deadline-watch").path,
                                pending: pending, due: due, steady: steadyRate * steadySeconds, settle: settle)
        defer { bench.dropDatabase() }
        try bench.prepare()
        for count in replicaCounts {
            var ours: [Double] = [], reference: [Double] = [], p50: [Double] = [], p99: [Double] = []
            var memory: [Double] = []
            for round in 1...rounds {
                let run = try bench.runWorkers(replicas: count, readMemory: round == rounds)
                ours.append(run.seconds)
                p50.append(run.p50)
                p99.append(run.p99)
                memory = run.memoryMiB
                let baseline = try bench.runBaseline(clients: count)
                reference.append(baseline)
                TimersBench.progress(String(format: "%d replica(s), round %d: ours %.2f s (lateness p50 %.2f s, p99 %.2f s); pgbench %.2f s",
                                            count, round, run.seconds, run.p50, run.p99, baseline))
            }
            let oursSeconds = median(ours), referenceSeconds = median(reference)
            let figure = BenchFigure(name: "\(due) timers due at one instant, \(count) replica\(count == 1 ? "" : "s"), \(pending) pending",
                                     unit: "timers/s", ours: Double(due) / oursSeconds, reference: Double(due) / referenceSeconds,
                                     referenceTool: "pgbench claim-and-mark")
            print(figure.line)
            print(String(format: "  all fired within %.2f s of falling due (pgbench: %.2f s); lateness p50 %.2f s, p99 %.2f s (medians of %d rounds)",
                         oursSeconds, referenceSeconds, median(p50), median(p99), rounds))
            print("  resident memory at rest: " + memory.map { String(format: "%.1f MiB", $0) }.joined(separator: ", "))
            if steadySeconds > 0 {
                let steady = try bench.runSteady(replicas: count, rate: steadyRate)
                print(String(format: "  steady %d timers/s for %d s: lateness p50 %.2f s, p99 %.2f s; the last fired %.2f s after the last fell due",
                             steadyRate, steadySeconds, steady.p50, steady.p99, steady.seconds))
            }
        }
    }
}

/// The timers benchmark's database and processes.
final class TimersBench {
    let baseURL: String
    let amqpURL: String
    let databaseName: String
    let databaseURL: String
    let executable: String
    let pending: Int
    let due: Int
    let steady: Int
    let settle: Double
    let batch = 500

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    init(baseURL: String, amqpURL: String, databaseName: String, executable: String, pending: Int, due: Int, steady: Int,
         settle: Double) {
        self.baseURL = baseURL
        self.amqpURL = amqpURL
        self.databaseName = databaseName
        self.databaseURL = (try? DatabaseURL.replacingDatabase(baseURL, with: databaseName)) ?? baseURL
        self.executable = executable
        self.pending = pending
        self.due = due
        self.steady = steady
        self.settle = settle
    }

    static func progress(_ line: String) { FileHandle.standardError.write(Data((line + "\n").utf8)) }

    func admin() throws -> PostgresConnection {
        try PostgresConnection(url: try DatabaseURL.replacingDatabase(baseURL, with: "postgres"), applicationName: "hotlinectl-bench-timers")
    }

    func dropDatabase() {
        guard let admin = try? admin() else { return }
        defer { admin.close() }
        _ = try? admin.execute(SQL(unsafeSQL: "DROP DATABASE IF EXISTS " + SQL.quoteIdentifier(databaseName) + " WITH (FORCE)"))
    }

    /// The orders (through the store, as routing writes them), their due reminders, the pending timers.
    func prepare() throws {
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw Failure(description: "no \(executable): build first (swift build -c release), or pass --release-dir")
        }
        let admin = try admin()
        try admin.execute(SQL(unsafeSQL: "DROP DATABASE IF EXISTS " + SQL.quoteIdentifier(databaseName) + " WITH (FORCE)"))
        try admin.execute(SQL(unsafeSQL: "CREATE DATABASE " + SQL.quoteIdentifier(databaseName)))
        admin.close()
        let db = try PostgresConnection(url: databaseURL, applicationName: "hotlinectl-bench-timers")
        defer { db.close() }
        try Migrator.bundled().migrate(db)
        try db.execute("INSERT INTO units (code, name, level, kind) VALUES ('BENCH', '水务局', 2, 'department')")
        let profile = try PolicyProfile.bundled("qidong")
        let calendar = try WorkingCalendar.bundled()
        let at = Date(timeIntervalSince1970: 1_790_733_600)  // 2026-09-30 10:00 China time
        let started = Date()
        for chunk in stride(from: 0, to: due, by: 1000) {
            try db.withTransaction { tx in
                for index in chunk..<min(due, chunk + 1000) {
                    let id = UUID()
                    let order = WorkOrder(id: id.uuidString, kind: OrderKind(category: .help), channel: .phone, receivedAt: at)
                    let accepted = try Lifecycle.apply(.accept, to: order, now: at, profile: profile, calendar: calendar).get()
                    let number = try WorkOrders.reserveNumbers(receivedAt: [at], on: tx)[0]
                    try WorkOrders.create([OrderCreation(order: NewWorkOrder(id: id, number: number, profile: "qidong", order: order,
                                                                             submissionId: "bench-\(index)", title: "停水",
                                                                             contentPII: "小区停水"),
                                                         transition: accepted, outbox: [])], actor: "bench", at: at, on: tx)
                    let stored = try WorkOrders.load(id, forUpdate: true, on: tx)!
                    let dispatched = try Lifecycle.apply(.dispatch(lead: "BENCH", coUnits: []), to: stored.order, now: at,
                                                         profile: profile, calendar: calendar).get()
                    try WorkOrders.apply(dispatched, to: stored, actor: "bench", at: at, outbox: [], on: tx)
                }
            }
        }
        Self.progress(String(format: "%d orders dispatched in %.1f s", due, Date().timeIntervalSince(started)))
        // The orders' own timers (sign-by, reply-by, ...) are not part of this measurement.
        try db.execute("DELETE FROM timers")
        try db.execute("""
            INSERT INTO timers (work_order_id, assignment_id, kind, fire_at)
            SELECT work_order_id, id, 'reminder.0', timestamptz '2099-01-01' FROM assignments WHERE role = 'lead'
            """)
        try db.execute("""
            WITH o AS (SELECT work_order_id, id, row_number() OVER (ORDER BY id) - 1 AS n FROM assignments WHERE role = 'lead')
            INSERT INTO timers (work_order_id, assignment_id, kind, fire_at)
            SELECT o.work_order_id, o.id, 'reminder.1', timestamptz '2099-01-02' + g * interval '1 second'
            FROM generate_series(0, \(pending - 1)) g JOIN o ON o.n = g % \(due)
            """)
        if steady > 0 {
            try db.execute("""
                WITH o AS (SELECT work_order_id, id, row_number() OVER (ORDER BY id) - 1 AS n FROM assignments WHERE role = 'lead')
                INSERT INTO timers (work_order_id, assignment_id, kind, fire_at)
                SELECT o.work_order_id, o.id, 'reminder.2', timestamptz '2099-06-01' FROM generate_series(0, \(steady - 1)) g
                JOIN o ON o.n = g % \(due)
                """)
        }
        try db.execute("VACUUM ANALYZE timers")
        Self.progress(String(format: "%d timers pending (and %d for the steady run), %d to fall due at once; ready after %.1f s",
                             pending, steady, due, Date().timeIntervalSince(started)))
    }

    /// Clears the last round's messages and sets the reminders to fall due `inSeconds` from the
    /// server's now; returns that instant.
    func resetDue(inSeconds: Double, on db: PostgresConnection) throws -> Date {
        try db.execute("TRUNCATE outbox")
        return try db.query("""
            UPDATE timers SET fire_at = now() + \(inSeconds) * interval '1 second', fired_at = NULL, data = '{}'
            WHERE kind = 'reminder.0' RETURNING fire_at
            """).first!.decode("fire_at", as: Date.self)
    }

    /// Open timers due before 2099: the reminders of the round. Read through the index range on
    /// `timers_due`, so the poll itself does not compete with the workers for the CPU (a count over
    /// the whole table every 20 ms took most of a core).
    func open(on db: PostgresConnection) throws -> Int {
        try db.query("""
            SELECT count(*)::int8 FROM timers
            WHERE fire_at < timestamptz '2099-01-01' AND fired_at IS NULL AND cancelled_at IS NULL
            """).first!.decode(0, as: Int.self)
    }

    /// Polls every 20 ms until no reminder is open; returns seconds since `dueAt`.
    func waitAllFired(since dueAt: Date, on db: PostgresConnection, check: () throws -> Void = {}) throws -> Double {
        let limit = Date() + 600
        while try open(on: db) > 0 {
            try check()
            guard Date() < limit else { throw Failure(description: "timers still open after 10 minutes") }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return Date().timeIntervalSince(dueAt)
    }

    struct WorkersRun {
        var seconds: Double
        var p50: Double
        var p99: Double
        var memoryMiB: [Double]
    }

    func runWorkers(replicas: Int, readMemory: Bool) throws -> WorkersRun {
        try withWorkers(replicas: replicas) { db, children in
            let dueAt = try resetDue(inSeconds: 3, on: db)
            let seconds = try waitAllFired(since: dueAt, on: db) {
                if let (_, log) = children.first(where: { !$0.0.isRunning }) { throw Failure(description: "a worker died; log: \(log)") }
            }
            let (p50, p99) = try lateness(kind: "reminder.0", on: db)
            var memory: [Double] = []
            if readMemory {
                Thread.sleep(forTimeInterval: settle)
                memory = children.compactMap { PipelineBench.memoryMiB(pid: $0.0.pid, field: "VmRSS") }
            }
            return WorkersRun(seconds: seconds, p50: p50, p99: p99, memoryMiB: memory)
        }
    }

    /// The steady run: `steady` reminders fall due `rate` a second while the workers run.
    func runSteady(replicas: Int, rate: Int) throws -> WorkersRun {
        try withWorkers(replicas: replicas) { db, children in
            try db.execute("TRUNCATE outbox")
            let last = try db.query("""
                UPDATE timers SET fire_at = now() + interval '3 seconds' + s.n / \(Double(rate)) * interval '1 second',
                                  fired_at = NULL, data = '{}'
                FROM (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM timers WHERE kind = 'reminder.2') s
                WHERE timers.id = s.id
                RETURNING timers.fire_at
                """).map { try $0.decode("fire_at", as: Date.self) }.max() ?? Date()
            let seconds = try waitAllFired(since: last, on: db) {
                if let (_, log) = children.first(where: { !$0.0.isRunning }) { throw Failure(description: "a worker died; log: \(log)") }
            }
            let (p50, p99) = try lateness(kind: "reminder.2", on: db)
            return WorkersRun(seconds: seconds, p50: p50, p99: p99, memoryMiB: [])
        }
    }

    func lateness(kind: String, on db: PostgresConnection) throws -> (Double, Double) {
        let row = try db.query("""
            SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM fired_at - fire_at))::float8 AS p50,
                   percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM fired_at - fire_at))::float8 AS p99
            FROM timers WHERE kind = \(kind)
            """).first!
        return (try row.decode("p50", as: Double.self), try row.decode("p99", as: Double.self))
    }

    /// Starts `replicas` workers, waits until their claimers run and go idle, runs `body`, stops them.
    func withWorkers<T>(replicas: Int, _ body: (PostgresConnection, [(Subprocess.Child, String)]) throws -> T) throws -> T {
        let db = try PostgresConnection(url: databaseURL, applicationName: "hotlinectl-bench-timers")
        defer { db.close() }
        var children: [(Subprocess.Child, String)] = []
        defer { for (child, _) in children where child.isRunning { _ = PipelineBench.stop(child) } }
        for index in 0..<replicas {
            let log = FileManager.default.temporaryDirectory.appendingPathComponent("bench-deadline-watch-\(index)-\(UUID().uuidString.prefix(8)).log").path
            let child = try Subprocess.start(executable, [], environment: [
                "HOTLINE_DATABASE_URL": databaseURL, "HOTLINE_AMQP_URL": amqpURL, "HOTLINE_PROFILE": "qidong",
                "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
            ], stdout: log, stderr: log)
            children.append((child, log))
        }
        let limit = Date() + 60
        for (child, log) in children {
            while !((try? String(contentsOfFile: log, encoding: .utf8))?.contains("claimer running") ?? false) {
                guard child.isRunning, Date() < limit else { throw Failure(description: "hotline-deadline-watch did not start; log: \(log)") }
                Thread.sleep(forTimeInterval: 0.05)
            }
        }
        Thread.sleep(forTimeInterval: 1)
        let result = try body(db, children)
        for (child, log) in children where PipelineBench.stop(child) != 0 {
            Self.progress("hotline-deadline-watch did not exit 0 on SIGTERM; log: \(log)")
        }
        return result
    }

    /// The baseline: pgbench clients run a plain claim-and-mark statement until nothing is open.
    func runBaseline(clients: Int) throws -> Double {
        let db = try PostgresConnection(url: databaseURL, applicationName: "hotlinectl-bench-timers")
        defer { db.close() }
        let script = FileManager.default.temporaryDirectory.appendingPathComponent("claim-and-mark-\(UUID().uuidString.prefix(8)).sql")
        defer { try? FileManager.default.removeItem(at: script) }
        try """
            WITH claimed AS (
                SELECT id FROM timers WHERE fire_at <= now() AND fired_at IS NULL AND cancelled_at IS NULL
                ORDER BY fire_at LIMIT \(batch) FOR UPDATE SKIP LOCKED)
            UPDATE timers t SET fired_at = now() FROM claimed WHERE t.id = claimed.id;

            """.write(to: script, atomically: true, encoding: .utf8)
        let dueAt = try resetDue(inSeconds: 2, on: db)
        let wait = dueAt.timeIntervalSinceNow
        if wait > 0 { Thread.sleep(forTimeInterval: wait) }
        let transactions = (due + batch * clients - 1) / (batch * clients) + 1
        repeat {
            try pgbench(script: script.path, clients: clients, transactions: transactions)
        } while try open(on: db) > 0
        return Date().timeIntervalSince(dueAt)
    }

    func pgbench(script: String, clients: Int, transactions: Int) throws {
        guard let components = URLComponents(string: databaseURL) else { throw Failure(description: "cannot parse the database URL") }
        var arguments = ["-n", "-f", script, "-c", String(clients), "-j", String(clients), "-t", String(transactions)]
        if let host = components.host { arguments += ["-h", host] }
        if let port = components.port { arguments += ["-p", String(port)] }
        if let user = components.user { arguments += ["-U", user] }
        var environment = ProcessInfo.processInfo.environment
        if let password = components.password { environment["PGPASSWORD"] = password }
        arguments.append(databaseName)
        let result = try Subprocess.run(PostgresBench.pgbenchPath, arguments, environment: environment)
        guard result.status == 0 else { throw Failure(description: "pgbench exited \(result.status): \((result.stdout + result.stderr).suffix(500))") }
    }
}
