import Foundation

/// Runs programs from tests: the project's own scripts and built executables.
public enum Shell {
    public struct Result: Sendable {
        public let status: Int32
        public let stdout: String
        public let stderr: String
    }

    /// Runs `executable` with `arguments`, waiting for it to exit. Standard input is empty.
    @discardableResult
    public static func run(_ executable: String, _ arguments: [String] = [],
                           environment: [String: String]? = nil) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Read both pipes to the end before waiting, so a chatty child cannot block on a full pipe.
        let group = DispatchGroup()
        nonisolated(unsafe) var errData = Data()
        group.enter()
        DispatchQueue.global().async {
            errData = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return Result(status: process.terminationStatus,
                      stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self))
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
        public var description: String {
            "\(command) exited \(result.status): \(result.stderr.suffix(2000))"
        }
    }
}
