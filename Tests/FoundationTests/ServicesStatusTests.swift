import Foundation
import HotlineTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `ops/services status` judges RabbitMQ by the broker itself (its own pid and an AMQP
/// handshake), not by the wrapper script that started it; `down` still stops it.
@Suite(.serialized) struct ServicesStatusTests {
    /// `$HOTLINE_STATE_DIR/rabbitmq` (set by `eval "$(ops/services env)"`, as for every test).
    func rabbitDirectory() throws -> URL {
        let state = try #require(ProcessInfo.processInfo.environment["HOTLINE_STATE_DIR"].flatMap { $0.isEmpty ? nil : $0 },
                                 "HOTLINE_STATE_DIR is not set: start the servers with `ops/services up` and `eval \"$(ops/services env)\"`")
        return URL(fileURLWithPath: state).appendingPathComponent("rabbitmq")
    }

    func pid(_ file: String) throws -> pid_t? {
        let path = try rabbitDirectory().appendingPathComponent(file).path
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        return pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    func alive(_ pid: pid_t) -> Bool { kill(pid, 0) == 0 }

    func status() throws -> Shell.Result {
        try Shell.run("/bin/bash", [TestServers.repositoryRoot.appendingPathComponent("ops/services").path, "status"])
    }

    @Test func withOnlyTheWrapperKilledTheBrokerStillCountsAsRunningAndDownStopsIt() throws {
        // Leave the broker up for the tests after this one, whatever happens here.
        defer { _ = try? Shell.services("up", "amqp") }
        let wrapper = try #require(try pid("rabbitmq.pid"), "ops/services up must have written the wrapper's pid")
        let broker = try #require(try pid("beam.pid"), "the broker writes RABBITMQ_PID_FILE once it runs")
        #expect(wrapper != broker)
        #expect(try status().stdout.contains("rabbitmq  running  pid \(broker)"))

        // The wrapper dies (SIGKILL: it cannot pass it on); the broker keeps serving.
        #expect(kill(wrapper, SIGKILL) == 0)
        for _ in 0..<40 where alive(wrapper) { usleep(50_000) }
        #expect(!alive(wrapper))
        #expect(alive(broker))
        let afterKill = try status()
        #expect(afterKill.status == 0, "\(afterKill.stdout)")
        #expect(afterKill.stdout.contains("rabbitmq  running  pid \(broker)"), "\(afterKill.stdout)")
        #expect(afterKill.stdout.contains("wrapper script has exited"))

        // `down` stops the broker by its own pid; status then says stopped.
        try Shell.services("down", "amqp")
        for _ in 0..<100 where alive(broker) { usleep(100_000) }
        #expect(!alive(broker))
        let stopped = try status()
        #expect(stopped.status != 0)
        #expect(stopped.stdout.contains("rabbitmq  stopped"))

        try Shell.services("up", "amqp")
        let back = try status()
        #expect(back.status == 0, "\(back.stdout)")
        #expect(back.stdout.contains("rabbitmq  running"))
    }
}
