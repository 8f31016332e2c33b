import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Child processes without Foundation's `Process`: spawned with posix_spawn, reaped with waitpid.
/// `Process.waitUntilExit` was seen to hang here once a child had left a server running, and
/// `Process`'s children start with most signals blocked (pgbench's -T timer never fired). Used by
/// the CLI's benchmarks and by the tests.
public enum Subprocess {
    public struct Result: Sendable {
        public let status: Int32
        public let stdout: String
        public let stderr: String

        public init(status: Int32, stdout: String, stderr: String) {
            self.status = status
            self.stdout = stdout
            self.stderr = stderr
        }
    }

    public struct SpawnFailure: Error, CustomStringConvertible {
        public let executable: String
        public let code: Int32
        public var description: String { "could not start \(executable): error \(code)" }
    }

    /// Runs `executable` with `arguments` (the environment adds to this process's), waiting for it
    /// to exit. Standard input is empty. Output goes to temporary files, so a grandchild that
    /// outlives the command (a restarted server) cannot hold a pipe open.
    @discardableResult
    public static func run(_ executable: String, _ arguments: [String] = [],
                           environment: [String: String]? = nil) throws -> Result {
        let directory = FileManager.default.temporaryDirectory
        let outPath = directory.appendingPathComponent("hotline-shell-\(UUID().uuidString).out").path
        let errPath = directory.appendingPathComponent("hotline-shell-\(UUID().uuidString).err").path
        defer {
            try? FileManager.default.removeItem(atPath: outPath)
            try? FileManager.default.removeItem(atPath: errPath)
        }
        let child = try start(executable, arguments, environment: environment, stdout: outPath, stderr: errPath)
        let status = child.wait()
        return Result(status: status,
                      stdout: (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "",
                      stderr: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "")
    }

    /// Starts `executable` without waiting: standard input empty, output appended to the given
    /// files, no signal blocked.
    public static func start(_ executable: String, _ arguments: [String] = [], environment: [String: String]? = nil,
                             stdout: String, stderr: String) throws -> Child {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        if stderr == stdout {
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        } else {
            posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        }

        // Threads of this process block most signals and a spawned child inherits that mask:
        // start the child with none blocked and the usual signals at their defaults.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGALRM, SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGCHLD, SIGUSR1, SIGUSR2] {
            sigaddset(&defaults, signal)
        }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let merged = ProcessInfo.processInfo.environment.merging(environment ?? [:]) { _, new in new }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard spawned == 0 else { throw SpawnFailure(executable: executable, code: spawned) }
        return Child(pid: pid)
    }

    /// A child process started by `start`, reaped with waitpid.
    public final class Child: @unchecked Sendable {
        // @unchecked Sendable: `status` is only touched under `lock`.
        public let pid: pid_t
        private let lock = NSLock()
        private var status: Int32?

        init(pid: pid_t) { self.pid = pid }

        /// Reaps the child if it has exited (without blocking).
        public var isRunning: Bool {
            lock.withLock {
                if status != nil { return false }
                var raw: Int32 = 0
                if waitpid(pid, &raw, WNOHANG) == pid { status = raw; return false }
                return true
            }
        }

        /// Blocks until the child exits; returns its exit status, or 128 + the signal that ended it.
        @discardableResult
        public func wait() -> Int32 {
            lock.withLock {
                if status == nil {
                    var raw: Int32 = 0
                    while waitpid(pid, &raw, 0) == -1 && errno == EINTR {}
                    status = raw
                }
            }
            return exitStatus!
        }

        /// Exit status once exited: the code, or 128 + the signal (WIFEXITED / WEXITSTATUS spelled
        /// out; the C macros are not imported). Nil while running.
        public var exitStatus: Int32? {
            lock.withLock { status.map { ($0 & 0x7F) == 0 ? ($0 >> 8) & 0xFF : 128 + ($0 & 0x7F) } }
        }

        /// The signal that ended it, if one did.
        public var terminatingSignal: Int32? {
            lock.withLock { status.flatMap { ($0 & 0x7F) == 0 ? nil : $0 & 0x7F } }
        }

        public func signal(_ number: Int32) { kill(pid, number) }
    }

}
