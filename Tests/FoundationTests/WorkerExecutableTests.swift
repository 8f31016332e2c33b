import Foundation
import HotlineRuntime
import HotlineTestSupport
import Testing

/// Every worker is its own executable with a real `--help`, validates its configuration with one
/// line per problem, logs JSON lines without secrets, and stops cleanly on SIGTERM.
@Suite(.serialized) struct WorkerExecutableTests {
    @Test(arguments: WorkerKind.allCases)
    func helpDescribesTheWorkerAndItsOptions(kind: WorkerKind) throws {
        let result = try Shell.run(try Shell.product(kind.executableName), ["--help"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("USAGE: \(kind.executableName)"))
        for option in ["--database-url", "--amqp-url", "--lanes", "--prefetch", "--profile", "--http-port"] {
            #expect(result.stdout.contains(option), "\(kind.executableName) --help lacks \(option)")
        }
    }

    @Test func hotlinectlHelpListsItsCommands() throws {
        let result = try Shell.run(try Shell.product("hotlinectl"), ["--help"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("USAGE: hotlinectl"))
        #expect(result.stdout.contains("SUBCOMMANDS"))
    }

    @Test func badConfigurationIsOneLinePerProblem() throws {
        let result = try Shell.run(try Shell.product("hotline-intake"), ["--lanes", "0", "--profile", "atlantis"],
                                   environment: ["HOTLINE_DATABASE_URL": "", "HOTLINE_AMQP_URL": "", "HOTLINE_PREFETCH": "lots"])
        #expect(result.status != 0)
        let lines = result.stderr.split(separator: "\n").map(String.init)
        for expected in ["database URL: missing", "AMQP URL: missing", "lanes: 0 is outside", "prefetch: HOTLINE_PREFETCH=lots",
                         "profile: atlantis is not one of"] {
            #expect(lines.contains { $0.contains(expected) }, "no line says \(expected): \(result.stderr)")
        }
    }

    @Test func workerLogsJSONWithoutSecretsAndStopsOnSIGTERM() async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try Shell.product("hotline-routing"))
        process.environment = ProcessInfo.processInfo.environment.merging([
            "HOTLINE_DATABASE_URL": "postgres://hotline:s3cret-pw@127.0.0.1:1/hotline",
            "HOTLINE_AMQP_URL": "amqp://hotline:s3cret-pw@127.0.0.1:1/",
        ]) { _, new in new }
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        // Wait for its first log line, then ask it to stop.
        var seen = Data()
        let reader = errors.fileHandleForReading
        while !seen.contains(0x0A) {
            let chunk = reader.availableData
            if chunk.isEmpty { break }
            seen.append(chunk)
        }
        kill(process.processIdentifier, SIGTERM)
        seen.append(reader.readDataToEndOfFile())
        process.waitUntilExit()
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 0)

        let text = String(decoding: seen, as: UTF8.self)
        #expect(!text.contains("s3cret-pw"))
        let lines = text.split(separator: "\n")
        #expect(lines.count >= 2)
        for line in lines {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object?["level"] != nil && object?["msg"] != nil, "not a JSON log line: \(line)")
        }
        #expect(text.contains("\"stopped before starting\"") || text.contains("\"stopped\""))
    }
}

/// Against the real servers: every worker starts, applies the migrations, serves its endpoint,
/// stays up, and exits 0 on SIGTERM.
@Suite(.serialized) struct WorkerFleetTests {
    @Test(arguments: WorkerKind.allCases)
    func startsServesAndStopsCleanly(kind: WorkerKind) throws {
        let url = try TestServers.databaseURL()
        _ = try TestServers.amqpURL()
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-\(kind.rawValue)-\(UUID()).log").path
        let child = try Shell.start(try Shell.product(kind.executableName), [], environment: ["HOTLINE_DATABASE_URL": url],
                                    stdout: log, stderr: log)
        defer { if child.isRunning { child.signal(SIGKILL); child.wait() } }
        var port: Int?
        let deadline = Date() + 60
        while port == nil, Date() < deadline, child.isRunning {
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            if let match = text.firstMatch(of: /"hotline.http.port":"(\d+)"/) { port = Int(match.1) }
            Thread.sleep(forTimeInterval: 0.1)
        }
        let listening = try #require(port, "no endpoint: \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
        // Still up a while later: nothing in it gave up on its own.
        Thread.sleep(forTimeInterval: 2)
        #expect(child.isRunning, "\((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
        let health = try Shell.run("/usr/bin/curl", ["-s", "-m", "5", "http://127.0.0.1:\(listening)/healthz"])
        #expect(health.stdout == "ok\n")
        let metrics = try Shell.run("/usr/bin/curl", ["-s", "-m", "5", "http://127.0.0.1:\(listening)/metrics"])
        #expect(metrics.stdout.contains("hotline_outbox_published_total"))
        child.signal(SIGTERM)
        #expect(child.wait() == 0)
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        #expect(!text.contains("\"level\":\"error\""), "\(text)")
        #expect(!text.contains("hotline:hotline@"), "a password in the log")
    }
}

extension WorkerKind: CustomTestStringConvertible {
    public var testDescription: String { executableName }
}
