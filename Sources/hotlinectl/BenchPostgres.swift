import ArgumentParser
import Foundation
import HotlineRuntime
import PostgresClient
#if canImport(Glibc)
import Glibc
#endif

struct BenchPostgres: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "postgres",
        abstract: "PostgreSQL single-row commits/s and batched rows/s, ours beside pgbench.",
        discussion: """
        Inserts into a normal (logged) table, fsync on, in rounds alternating our client and
        `pgbench -n -f <script> -c 1 -j 1 -T <seconds>`, then prints the medians and the ratios.
        Reads HOTLINE_DATABASE_URL unless --database-url is given.
        """
    )

    @Option(help: "Rounds (each runs every shape with our client and with pgbench).")
    var rounds: Int = 3

    @Option(help: "Seconds per measured run.")
    var seconds: Int = 5

    @Option(help: "postgres:// URL (default: $HOTLINE_DATABASE_URL).")
    var databaseURL: String?

    func validate() throws {
        guard rounds > 0 else { throw ValidationError("--rounds must be positive") }
        guard seconds > 0 else { throw ValidationError("--seconds must be positive") }
    }

    func run() throws {
        guard let url = databaseURL ?? ProcessInfo.processInfo.environment["HOTLINE_DATABASE_URL"], !url.isEmpty else {
            throw ValidationError("HOTLINE_DATABASE_URL is not set and --database-url was not given")
        }
        let figures = try PostgresBench.run(databaseURL: url, rounds: rounds, secondsPerRun: seconds) { line in
            print(line)
        }
        print("")
        for figure in figures { print(figure.line) }
    }
}

/// The PostgreSQL benchmark: our client against pgbench, same shapes, same table, same run.
enum PostgresBench {
    static let pgbenchPath = "/usr/lib/postgresql/15/bin/pgbench"
    static let table = "hotline_bench_rows"
    static let batchSize = 100

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static func run(databaseURL: String, rounds: Int, secondsPerRun: Int = 5,
                    progress: (String) -> Void = { _ in }) throws -> [BenchFigure] {
        let db = try PostgresConnection(url: databaseURL, applicationName: "hotline-bench")
        try db.execute(SQL(unsafeSQL: """
            CREATE TABLE IF NOT EXISTS \(table) (
                id bigserial PRIMARY KEY,
                payload text NOT NULL,
                created_at timestamptz NOT NULL DEFAULT now()
            )
            """))
        try db.execute(SQL(unsafeSQL: "TRUNCATE \(table)"))
        defer { _ = try? db.execute(SQL(unsafeSQL: "DROP TABLE IF EXISTS \(table)")) }

        let scripts = FileManager.default.temporaryDirectory.appendingPathComponent("hotline-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scripts, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scripts) }
        let insert = "INSERT INTO \(table) (payload) VALUES ('投诉：小区供暖不热，室温仅12℃');"
        let single = scripts.appendingPathComponent("single.sql")
        let batch = scripts.appendingPathComponent("batch.sql")
        try (insert + "\n").write(to: single, atomically: true, encoding: .utf8)
        try (["BEGIN;"] + Array(repeating: insert, count: batchSize) + ["COMMIT;"])
            .joined(separator: "\n").appending("\n").write(to: batch, atomically: true, encoding: .utf8)

        var oursSingle: [Double] = [], refSingle: [Double] = []
        var oursBatch: [Double] = [], refBatch: [Double] = []
        let payload = "投诉：小区供暖不热，室温仅12℃"
        let duration = Double(secondsPerRun)
        for round in 1...rounds {
            let singleRate = try measure(duration) {
                try db.execute("INSERT INTO hotline_bench_rows (payload) VALUES (\(payload))")
                return 1
            }
            oursSingle.append(singleRate)
            let pgbenchSingle = try pgbench(url: databaseURL, script: single.path, seconds: secondsPerRun)
            refSingle.append(pgbenchSingle)
            let batchRate = try measure(duration) {
                try db.withTransaction { tx in
                    for _ in 0..<batchSize {
                        try tx.execute("INSERT INTO hotline_bench_rows (payload) VALUES (\(payload))")
                    }
                }
                return batchSize
            }
            oursBatch.append(batchRate)
            let pgbenchBatch = try pgbench(url: databaseURL, script: batch.path, seconds: secondsPerRun) * Double(batchSize)
            refBatch.append(pgbenchBatch)
            progress(String(format: "round %d: single ours %.0f / pgbench %.0f commits/s; batched ours %.0f / pgbench %.0f rows/s",
                            round, singleRate, pgbenchSingle, batchRate, pgbenchBatch))
        }
        return [
            BenchFigure(name: "PostgreSQL single-row commits", unit: "commits/s", ours: median(oursSingle),
                        reference: median(refSingle), referenceTool: "pgbench -f"),
            BenchFigure(name: "PostgreSQL batched rows (100 per transaction)", unit: "rows/s", ours: median(oursBatch),
                        reference: median(refBatch), referenceTool: "pgbench -f"),
        ]
    }

    /// Runs `step` (which returns how many rows it wrote) for `seconds`; returns rows per second.
    static func measure(_ seconds: Double, _ step: () throws -> Int) throws -> Double {
        let clock = ContinuousClock()
        let start = clock.now
        let end = start + .milliseconds(Int(seconds * 1000))
        var rows = 0
        while clock.now < end { rows += try step() }
        let elapsed = start.duration(to: clock.now)
        let secondsElapsed = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return Double(rows) / secondsElapsed
    }

    /// `pgbench -n -f script -c 1 -j 1 -T seconds`; returns its tps.
    static func pgbench(url: String, script: String, seconds: Int) throws -> Double {
        guard let components = URLComponents(string: url) else { throw Failure(description: "cannot parse the database URL") }
        var arguments = ["-n", "-f", script, "-c", "1", "-j", "1", "-T", String(seconds)]
        if let host = components.host { arguments += ["-h", host] }
        if let port = components.port { arguments += ["-p", String(port)] }
        if let user = components.user { arguments += ["-U", user] }
        var environment = ProcessInfo.processInfo.environment
        if let password = components.password { environment["PGPASSWORD"] = password }
        if let sslmode = components.queryItems?.first(where: { $0.name == "sslmode" })?.value {
            environment["PGSSLMODE"] = sslmode
        }
        let database = String(components.path.drop(while: { $0 == "/" }))
        if !database.isEmpty { arguments.append(database) }

        // Not Foundation's Process: its children inherit this process's blocked signal mask, and
        // pgbench's -T timer (SIGALRM) then never fires.
        let result = try Subprocess.run(pgbenchPath, arguments, environment: environment)
        let (status, text) = (result.status, result.stdout + result.stderr)
        guard status == 0 else {
            throw Failure(description: "pgbench exited \(status): \(text.suffix(500))")
        }
        // "tps = 1234.567890 (without initial connection time)"
        for line in text.split(separator: "\n") where line.hasPrefix("tps = ") {
            let number = line.dropFirst("tps = ".count).prefix { $0.isNumber || $0 == "." }
            if let tps = Double(number) { return tps }
        }
        throw Failure(description: "no tps line in pgbench's output")
    }

}
