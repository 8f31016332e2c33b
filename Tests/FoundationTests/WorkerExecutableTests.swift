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

extension WorkerKind: CustomTestStringConvertible {
    public var testDescription: String { executableName }
}
