import AMQPClient
import Foundation
import HotlineTestSupport
import PostgresClient
import Testing

/// A worker is a list of services: the runtime's (migrations, relay, lanes, endpoint) and the
/// worker's own (a loop on its own thread, a route). Driven through `hotline-probe --ticker`.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct WorkerCompositionTests {
    @Test func aWorkersOwnLoopAndRouteRunBesideTheLanesAndStopOnSIGTERM() throws {
        try PostgresTestDatabase.with { url in
            let fleet = try ProbeFleet(databaseURL: url)
            defer { fleet.stopAll(); fleet.deleteQueues() }
            let port = try freePort()
            let probe = try fleet.start(httpPort: port, ticker: true)
            try fleet.waitForQueue()
            // Ready means every part is up: the lane, the relay and the ticker (its own check).
            try fleet.wait("ready", timeout: 30) { (try? httpGet(port: port, path: "/readyz"))?.status == 200 }
            let first = try #require(Int(try httpGet(port: port, path: "/probe/ticks").body.trimmingCharacters(in: .whitespacesAndNewlines)))
            try fleet.wait("the ticker's count to move", timeout: 10) {
                (Int(try httpGet(port: port, path: "/probe/ticks").body.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0) > first
            }
            #expect(first > 0)
            // The loop really runs on its own connection: its rows are in the database.
            let effects = try Effects(url: url)
            #expect(try effects.scalar("SELECT count(*)::int8 FROM probe_ticks") > 0)
            // And the lanes consume beside it.
            let amqp = try AMQPConnection(url: fleet.amqpURL, connectionName: "test")
            defer { amqp.close() }
            try fleet.publish(keys: ["a", "b", "c"], connection: amqp)
            try fleet.wait("3 effects", timeout: 30) { try effects.counts().rows == 3 }

            probe.signal(SIGTERM)
            try fleet.wait("the probe to exit", timeout: 30) { !probe.isRunning }
            #expect(probe.terminatingSignal == nil)
            #expect(probe.exitStatus == 0)
            let log = fleet.fullLog()
            #expect(log.contains("ticker stopped"))
            #expect(log.contains("lane stopped"))
            // Stopped means stopped: no tick after the exit.
            let after = try effects.scalar("SELECT count(*)::int8 FROM probe_ticks")
            Thread.sleep(forTimeInterval: 0.5)
            #expect(try effects.scalar("SELECT count(*)::int8 FROM probe_ticks") == after)
        }
    }

    @Test func aWorkerWhosePortIsTakenExitsNonZeroAndSaysWhy() throws {
        try PostgresTestDatabase.with { url in
            let fleet = try ProbeFleet(databaseURL: url)
            defer { fleet.stopAll(); fleet.deleteQueues() }
            let port = try freePort()
            let holder = try fleet.start(httpPort: port)
            try fleet.waitForQueue()
            try fleet.wait("the first probe listening", timeout: 30) { (try? httpGet(port: port, path: "/healthz"))?.status == 200 }

            // A second worker on the same port: its lanes must not go on consuming without an
            // endpoint; the process ends, non-zero, within seconds.
            let second = try ProbeFleet(databaseURL: url, consumer: fleet.consumer)
            defer { second.stopAll() }
            let loser = try second.start(httpPort: port)
            try second.wait("the second probe to exit", timeout: 30) { !loser.isRunning }
            #expect(loser.terminatingSignal == nil)
            #expect(loser.exitStatus != 0 && loser.exitStatus != nil)
            let log = second.fullLog()
            let why = log.split(separator: "\n").filter { $0.contains("cannot listen on 127.0.0.1:\(port)") }
            #expect(!why.isEmpty, "\(log)")
            // The first worker is unharmed.
            #expect(holder.isRunning)
            #expect(try httpGet(port: port, path: "/healthz").status == 200)
        }
    }
}
