import AMQPClient
import Foundation
import HotlineContracts
import HotlineTestSupport
import PostgresClient
import Testing

/// `hotline-scoring` staying up scores a period on demand: `hotlinectl score --request` puts a
/// `scoring.requested` message in the outbox, the worker's relay publishes it to the real RabbitMQ,
/// its lane consumes it. Killed with SIGKILL mid-run, it scores the period exactly once.
@Suite(.serialized) struct ScoringOnDemandTests {
    let history = ScoringBatchCLITests()

    func count(_ c: PostgresConnection, _ sql: SQL) throws -> Int { try c.query(sql).first!.decode(0, as: Int.self) }

    /// Messages left by an earlier test belong to another database: start from empty queues.
    func purgeScoringQueues() throws {
        let amqp = try AMQPConnection(url: try TestServers.amqpURL(), connectionName: "scoring-test-setup")
        defer { amqp.close() }
        for name in Topology.consumer("scoring", subscribesTo: []).queues.map(\.name) { _ = try? amqp.purgeQueue(name) }
    }

    /// Starts the worker, on demand only (no nightly run), and waits until its lane consumes.
    @discardableResult
    func startWorker(_ children: ChildProcesses, url: String, fault: String? = nil, name: String) throws -> Shell.Child {
        var environment = ["HOTLINE_DATABASE_URL": url, "HOTLINE_AMQP_URL": try TestServers.amqpURL()]
        if let fault { environment["HOTLINE_FAULT"] = fault }
        let before = children.fullLog().components(separatedBy: "lane consuming").count
        let child = try children.start(try Shell.product("hotline-scoring"), ["--nightly-at", "off", "--profile", "zezhou"],
                                       environment: environment, name: name)
        try children.wait("\(name): the lane consuming", timeout: 60) {
            children.fullLog().components(separatedBy: "lane consuming").count > before
        }
        return child
    }

    func request(_ url: String, profile: String = "qidong") throws {
        let result = try Shell.run(try Shell.product("hotlinectl"), ["score", "--request", "--period", "2026-11", "--profile", profile, "--database-url", url])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.hasPrefix("requested 2026-11 under \(profile): message "), "\(result.stdout)")
    }

    @Test func aRequestFromOutsideScoresThePeriodAndASecondReplacesIt() throws {
        try purgeScoringQueues()
        try history.withHistory { url, c in
            let children = ChildProcesses()
            defer { children.stopAll() }
            let child = try startWorker(children, url: url, name: "scoring-on-demand")
            // Nothing is scored until asked (the nightly run is off).
            #expect(try count(c, "SELECT count(*) FROM score_runs") == 0)
            try request(url)
            try children.wait("the requested period scored", timeout: 60) { try count(c, "SELECT count(*) FROM score_runs") == 1 }
            let first = try c.query("SELECT profile, version, computed_at::text AS t FROM score_runs").first!
            #expect(try first.decode("profile", as: String.self) == "qidong")
            #expect(try count(c, "SELECT count(*) FROM unit_scores") == 2)
            // qidong (the request's profile, not the worker's zezhou): WATER 100.00 first, ROADS 50.00.
            let ranking = try c.query("SELECT u.code, s.score::float8 AS s FROM unit_scores s JOIN units u ON u.id = s.unit_id ORDER BY s.rank")
                .map { "\(try $0.decode("code", as: String.self)) \(try $0.decode("s", as: Double.self))" }
            #expect(ranking == ["WATER 100.0", "ROADS 50.0"])
            // A second request rescores: the unpublished run is replaced, not added to.
            try request(url)
            try children.wait("the second request applied", timeout: 60) {
                try count(c, "SELECT count(*) FROM inbox WHERE consumer = 'scoring'") == 2
            }
            #expect(try count(c, "SELECT count(*) FROM score_runs") == 1)
            #expect(try count(c, "SELECT count(*) FROM unit_scores") == 2)
            #expect(try c.query("SELECT computed_at::text AS t FROM score_runs").first!.decode("t", as: String.self)
                    != first.decode("t", as: String.self))
            #expect(child.isRunning)
            child.signal(SIGTERM)
            #expect(child.wait() == 0, "\(children.logTail())")
        }
    }

    @Test func killedWithSIGKILLMidRunThePeriodIsScoredExactlyOnce() throws {
        try purgeScoringQueues()
        try history.withHistory { url, c in
            let children = ChildProcesses()
            defer { children.stopAll() }
            // 1. Killed after writing the results, before the commit: nothing of the run is left.
            let doomed = try startWorker(children, url: url, fault: "kill-mid-batch:1", name: "scoring-killed-mid-run")
            try request(url)
            try children.wait("the worker killed mid-run", timeout: 60) { !doomed.isRunning }
            #expect(children.fullLog().contains("fault injection: SIGKILL scoring: results written, before the commit"))
            #expect(try count(c, "SELECT count(*) FROM score_runs") == 0)
            #expect(try count(c, "SELECT count(*) FROM unit_scores") == 0)
            #expect(try count(c, "SELECT count(*) FROM inbox WHERE consumer = 'scoring'") == 0)
            // Restarted, it gets the request again and scores the period once.
            let second = try startWorker(children, url: url, fault: "kill-after-commit:1", name: "scoring-restarted")
            // 2. This one is killed after its commit, before the ack: the request comes a third time.
            try children.wait("the period scored, then the worker killed before the ack", timeout: 60) { !second.isRunning }
            #expect(try count(c, "SELECT count(*) FROM score_runs") == 1)
            let committed = try c.query("SELECT computed_at::text AS t FROM score_runs").first!.decode("t", as: String.self)
            let third = try startWorker(children, url: url, name: "scoring-restarted-again")
            try children.wait("the redelivered request absorbed as a duplicate", timeout: 60) {
                guard let port = children.fullLog().matches(of: /"hotline.http.port":"(\d+)"/).last.flatMap({ Int($0.1) }) else { return false }
                let metrics = try Shell.run("/usr/bin/curl", ["-s", "-m", "5", "http://127.0.0.1:\(port)/metrics"])
                return metrics.stdout.contains(/hotline_messages_total\{[^}]*outcome="duplicate"[^}]*\} 1/)
            }
            // Exactly once: one run, version 1, two units, its results from the committed run (the
            // inbox absorbed the redelivery), one inbox row.
            #expect(try count(c, "SELECT count(*) FROM score_runs") == 1)
            #expect(try count(c, "SELECT count(*) FROM score_runs WHERE version = 1 AND profile = 'qidong'") == 1)
            #expect(try count(c, "SELECT count(*) FROM unit_scores") == 2)
            #expect(try c.query("SELECT computed_at::text AS t FROM score_runs").first!.decode("t", as: String.self) == committed)
            #expect(try count(c, "SELECT count(*) FROM inbox WHERE consumer = 'scoring'") == 1)
            third.signal(SIGTERM)
            #expect(third.wait() == 0, "\(children.logTail())")
        }
    }

}
