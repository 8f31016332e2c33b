import Foundation
import HotlineRuntime
#if canImport(Glibc)
import Glibc
#endif

/// Runs programs from tests: the project's own scripts and built executables.
public enum Shell {
    public typealias Result = Subprocess.Result
    public typealias Child = Subprocess.Child

    /// `Subprocess.run`: spawned and reaped without Foundation's `Process` (see there why).
    @discardableResult
    public static func run(_ executable: String, _ arguments: [String] = [],
                           environment: [String: String]? = nil) throws -> Result {
        try Subprocess.run(executable, arguments, environment: environment)
    }

    public static func start(_ executable: String, _ arguments: [String] = [], environment: [String: String]? = nil,
                             stdout: String, stderr: String) throws -> Child {
        try Subprocess.start(executable, arguments, environment: environment, stdout: stdout, stderr: stderr)
    }

    /// `ops/services <arguments>` of this repository (e.g. `["kill", "amqp"]`, `["up", "amqp"]`,
    /// `["restart", "pg"]`), using the same state directory as the running tests.
    @discardableResult
    public static func services(_ arguments: String...) throws -> Result {
        let script = TestServers.repositoryRoot.appendingPathComponent("ops/services").path
        let result = try run("/bin/bash", [script] + arguments)
        if result.status != 0 {
            throw Failure(command: "ops/services \(arguments.joined(separator: " "))", result: result)
        }
        return result
    }

    /// A built executable of this package (`hotlinectl`, `hotline-intake`, ...), found beside the
    /// test bundle in the build folder.
    public static func product(_ name: String) throws -> String {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent(name).path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory.deleteLastPathComponent()
        }
        throw Failure(command: name, result: Result(status: -1, stdout: "",
                      stderr: "executable \(name) not found near \(CommandLine.arguments[0]); run `swift build` first"))
    }

    public struct Failure: Error, CustomStringConvertible {
        public let command: String
        public let result: Result

        public init(command: String, result: Result) {
            self.command = command
            self.result = result
        }

        public var description: String {
            "\(command) exited \(result.status): \(result.stderr.suffix(2000))"
        }
    }
}
