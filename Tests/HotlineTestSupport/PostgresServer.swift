import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Fault helpers for the local PostgreSQL server.
public enum PostgresServer {
    /// `ops/services restart pg` (`pg_ctl restart -m immediate`), waiting for it to finish.
    ///
    /// Runs the script with `posix_spawn` and `waitpid`, its output in a temporary file, rather than
    /// through `Shell.services`: the restarted postmaster outlives the script, and Foundation's
    /// `Process.waitUntilExit` was seen hanging on that child here (the script a zombie, never
    /// reaped), so the test would never return.
    public static func restartImmediately() throws {
        let script = TestServers.repositoryRoot.appendingPathComponent("ops/services").path
        let (status, output) = try spawnAndWait("/bin/bash", [script, "restart", "pg"])
        if status != 0 {
            throw Shell.Failure(command: "ops/services restart pg",
                                result: Shell.Result(status: status, stdout: "", stderr: output))
        }
    }

    /// Runs `executable` with stdin from /dev/null and stdout/stderr into a temporary file, waits
    /// for it with `waitpid`, and returns its exit status and output.
    public static func spawnAndWait(_ executable: String, _ arguments: [String]) throws -> (Int32, String) {
        let outputPath = FileManager.default.temporaryDirectory
            .appendingPathComponent("hotline-spawn-\(UUID().uuidString).log").path
        defer { try? FileManager.default.removeItem(atPath: outputPath) }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)

        let argv = ([executable] + arguments).map { strdup($0) }
        defer { argv.forEach { free($0) } }
        let environment = ProcessInfo.processInfo.environment.map { strdup("\($0.key)=\($0.value)") }
        defer { environment.forEach { free($0) } }

        // Threads of this process block most signals, and a spawned child inherits that mask
        // (pgbench's -T timer never fired that way): start the child with none blocked.
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

        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, &attributes, argv + [nil], environment + [nil])
        guard spawned == 0 else {
            throw Shell.Failure(command: executable, result: Shell.Result(status: -1, stdout: "",
                                                                          stderr: "posix_spawn failed: \(spawned)"))
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            if errno != EINTR { break }
        }
        let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        // WIFEXITED / WEXITSTATUS, spelled out (the C macros are not imported).
        let exitStatus: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return (exitStatus, output)
    }
}
