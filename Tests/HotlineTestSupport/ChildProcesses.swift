import Foundation

/// Worker processes a test starts (the real executables), each logging to a file of its own:
/// started, waited on, stopped with SIGTERM (SIGKILL after a grace period), and their logs' tails
/// for failure messages.
public final class ChildProcesses: @unchecked Sendable {
    // @unchecked Sendable: used by one test at a time; the lists are only touched by that test.
    public private(set) var children: [Shell.Child] = []
    private var logs: [URL] = []

    public init() {}

    /// Starts `executable`, its standard output and error going to a fresh log file named after `name`.
    @discardableResult
    public func start(_ executable: String, _ arguments: [String], environment: [String: String], name: String) throws -> Shell.Child {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString.prefix(8)).log")
        let child = try Shell.start(executable, arguments, environment: environment, stdout: log.path, stderr: log.path)
        children.append(child)
        logs.append(log)
        return child
    }

    /// Everything every child wrote (standard output and error), in start order.
    public func fullLog() -> String {
        logs.map { (try? String(contentsOf: $0, encoding: .utf8)) ?? "" }.joined(separator: "\n")
    }

    /// The last lines of every child's log.
    public func logTail(lines: Int = 20) -> String {
        logs.map { url in
            let text = (try? String(contentsOf: url, encoding: .utf8)) ?? ""
            return "--- \(url.lastPathComponent)\n" + text.split(separator: "\n").suffix(lines).joined(separator: "\n")
        }.joined(separator: "\n")
    }

    /// SIGTERM to every running child, SIGKILL to those still running after `grace` seconds.
    public func stopAll(grace: TimeInterval = 30) {
        for child in children where child.isRunning { child.signal(SIGTERM) }
        let deadline = Date() + grace
        for child in children {
            while child.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
            if child.isRunning { child.signal(SIGKILL); child.wait() }
        }
    }

    /// Polls `condition` every 0.1 s; after `timeout` seconds throws `TimedOut` with the logs' tails.
    public func wait(_ what: String, timeout: TimeInterval, _ condition: () throws -> Bool) throws {
        let deadline = Date() + timeout
        while Date() < deadline {
            if try condition() { return }
            Thread.sleep(forTimeInterval: 0.1)
        }
        throw TimedOut(what: what, log: logTail())
    }

    public struct TimedOut: Error, CustomStringConvertible {
        public let what: String
        public let log: String
        public var description: String { "timed out waiting for \(what)\n\(log)" }
    }
}
