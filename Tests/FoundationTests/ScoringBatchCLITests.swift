import Foundation
import HotlineTestSupport
import PostgresClient
import Testing

/// `hotline-scoring --period` (once, exit status), `hotline-scoring` staying up (the nightly loop,
/// its metrics) and `hotlinectl score --dry-run` (a replay that writes nothing), as the real
/// executables against a real PostgreSQL.
@Suite(.serialized) struct ScoringBatchCLITests {
    /// A migrated database with two units and four orders dispatched in November 2026.
    func withHistory(_ body: (String, PostgresConnection) throws -> Void) throws {
        try PostgresTestDatabase.with { url in
            let migrate = try Shell.run(try Shell.product("hotlinectl"), ["migrate", "--database-url", url])
            #expect(migrate.status == 0, "\(migrate.stderr)")
            let c = try PostgresConnection(url: url)
            defer { c.close() }
            // WATER: two orders, both signed and replied in time and rated satisfied.
            // ROADS: two complaints, signed late, one replied late, one open, rated dissatisfied and basically.
            try c.executeScript("""
                INSERT INTO units (code, name, level, kind) VALUES ('WATER', '水务局', 2, 'department'), ('ROADS', '交通运输局', 2, 'department');
                INSERT INTO work_orders (id, number, profile, channel, submission_id, state, category, title, content_pii, received_at)
                SELECT gen_random_uuid(), 'N' || i, 'zezhou', 'phone', 'S' || i, 'dispatched', CASE WHEN i > 2 THEN 'complaint' ELSE 'help' END,
                       '', '', timestamptz '2026-11-02 10:00+08' + i * interval '1 day'
                FROM generate_series(1, 4) i;
                INSERT INTO assignments (work_order_id, unit_id, role, state, dispatched_at, sign_by, signed_at, reply_by, replied_at)
                SELECT o.id, u.id, 'lead', 'replied', o.received_at, o.received_at + interval '2 hours',
                       o.received_at + CASE WHEN u.code = 'WATER' THEN interval '1 hour' ELSE interval '1 day' END,
                       o.received_at + interval '5 days',
                       CASE WHEN o.number = 'N4' THEN NULL WHEN u.code = 'WATER' THEN o.received_at + interval '2 days' ELSE o.received_at + interval '8 days' END
                FROM work_orders o JOIN units u ON u.code = CASE WHEN o.number IN ('N1', 'N2') THEN 'WATER' ELSE 'ROADS' END;
                INSERT INTO ratings (work_order_id, rating, source, rated_at)
                SELECT id, CASE number WHEN 'N3' THEN 'dissatisfied' WHEN 'N4' THEN 'basically_satisfied' ELSE 'satisfied' END, 'phone',
                       timestamptz '2026-11-20 10:00+08' FROM work_orders;
                """)
            try body(url, c)
        }
    }

    func count(_ c: PostgresConnection, _ sql: SQL) throws -> Int { try c.query(sql).first!.decode(0, as: Int.self) }

    @Test func scoringOnePeriodWritesItsResultsAndExitsZeroAndARerunReplaces() throws {
        try withHistory { url, c in
            let scoring = try Shell.product("hotline-scoring")
            for _ in 0..<2 {
                let result = try Shell.run(scoring, ["--period", "2026-11", "--database-url", url, "--profile", "qidong"])
                #expect(result.status == 0, "\(result.stderr)")
                #expect(result.stdout.contains("scored 2026-11 under qidong: 2 units, 4 orders, version 1"), "\(result.stdout)")
            }
            #expect(try count(c, "SELECT count(*) FROM score_runs") == 1)
            #expect(try count(c, "SELECT count(*) FROM unit_scores") == 2)
            // As cron or a CronJob runs it: PostgreSQL only, no AMQP URL anywhere.
            let alone = try Shell.run(scoring, ["--period", "2026-11", "--profile", "qidong"],
                                      environment: ["HOTLINE_DATABASE_URL": url, "HOTLINE_AMQP_URL": ""])
            #expect(alone.status == 0, "\(alone.stderr)")
            #expect(alone.stdout.contains("scored 2026-11 under qidong: 2 units, 4 orders, version 1"), "\(alone.stdout)")
            #expect(try count(c, "SELECT count(*) FROM score_runs") == 1)
            // qidong: WATER 2/2 = 100.00, ROADS (0 + 1 basically)/2 = 50.00; both among the bottom three of two.
            let scores = try c.query("SELECT u.code, s.score::float8 AS s, s.rank FROM unit_scores s JOIN units u ON u.id = s.unit_id ORDER BY s.rank")
                .map { "\(try $0.decode("code", as: String.self)) \(try $0.decode("s", as: Double.self)) \(try $0.decode("rank", as: Int.self))" }
            #expect(scores == ["WATER 100.0 1", "ROADS 50.0 2"])
            // hotlinectl status names the period scored and when.
            let status = try Shell.run(try Shell.product("hotlinectl"), ["status", "--database-url", url])
            #expect(status.stdout.contains("scoring: 2026-11 under qidong v1, computed "), "\(status.stdout)")
            #expect(status.stdout.contains("(2 units, 4 orders; not published)"), "\(status.stdout)")
        }
    }

    @Test func aBadPeriodIsStatus2AndAnUnreachableDatabaseIsStatus1() throws {
        let scoring = try Shell.product("hotline-scoring")
        let bad = try Shell.run(scoring, ["--period", "2026-13", "--database-url", "postgres://x:y@127.0.0.1:1/none"])
        #expect(bad.status != 0 && bad.status != 1, "\(bad.stderr)")
        #expect(bad.stderr.contains("2026-13 is not YYYY-MM"))
        let down = try Shell.run(scoring, ["--period", "2026-11", "--database-url", "postgres://hotline:s3cret@127.0.0.1:1/none"])
        #expect(down.status == 1, "\(down.stderr)")
        #expect(down.stderr.hasPrefix("hotline-scoring: "))
        #expect(!down.stderr.contains("s3cret"))
    }

    @Test func aDryRunReplayUnderZezhouWritesNothingAndShowsTheRankingSideBySide() throws {
        try withHistory { url, c in
            let ctl = try Shell.product("hotlinectl")
            let stored = try Shell.run(ctl, ["score", "--period", "2026-11", "--profile", "qidong", "--database-url", url])
            #expect(stored.status == 0, "\(stored.stderr)")
            let before = try c.query("SELECT count(*) AS n, coalesce(max(computed_at)::text, '') AS t FROM score_runs").first!
            let runs = try before.decode("n", as: Int.self), last = try before.decode("t", as: String.self)
            let rows = try count(c, "SELECT count(*) FROM unit_scores")
            let replay = try Shell.run(ctl, ["score", "--period", "2026-11", "--profile", "zezhou", "--dry-run", "--database-url", url])
            #expect(replay.status == 0, "\(replay.stderr)")
            #expect(replay.stdout.contains("2026-11: qidong v1 (stored) → zezhou (dry run)"), "\(replay.stdout)")
            // zezhou, WATER: 12 + 10 + 15 + 20 + 10 + 15 + 18 = 100.00. ROADS: items 7 0/2 → 0; 8 (1 − 2/2) × 15 = 0;
            // 9 0/2 → 0; 10 overdue 2/2 → 0; 11 0/2 → 0; so 12 + 18 = 30.00.
            #expect(replay.stdout.contains("WATER\t水务局\t1\t100.00\t→ 1\t100.00\t="), "\(replay.stdout)")
            #expect(replay.stdout.contains("ROADS\t交通运输局\t2\t50.00\t→ 2\t30.00\t="), "\(replay.stdout)")
            #expect(replay.stdout.contains("nothing written"))
            let after = try c.query("SELECT count(*) AS n, coalesce(max(computed_at)::text, '') AS t FROM score_runs").first!
            #expect(try after.decode("n", as: Int.self) == runs)
            #expect(try after.decode("t", as: String.self) == last)
            #expect(try count(c, "SELECT count(*) FROM unit_scores") == rows)
            #expect(try count(c, "SELECT count(*) FROM score_runs WHERE profile = 'zezhou'") == 0)
        }
    }

    @Test func theWeeklyAnalysisListsWhoIsCriticisedAndWritesNothing() throws {
        try withHistory { url, c in
            // The week of Monday 2026-11-02 holds all four orders. pingdingshan: WATER 2 on time and
            // satisfied, too few (5) to be praised; ROADS 0 on time of 2 due, 1 of 2 satisfied
            // (基本满意 counts), 2 overdue: criticised.
            let week = try Shell.run(try Shell.product("hotlinectl"), ["score", "week", "--week-of", "2026-11-05", "--profile", "pingdingshan",
                                                                       "--database-url", url])
            #expect(week.status == 0, "\(week.stderr)")
            #expect(week.stdout.contains("week of 2026-11-02 to 2026-11-08 under pingdingshan: 2 units, 4 orders (nothing written)"), "\(week.stdout)")
            #expect(week.stdout.contains("ROADS\t交通运输局\tdispatched 2, onTime 0/2, satisfaction 1/2, overdue 2/2, supervised 0/2\tcriticised: on-time rate 0.00% below 80.00%; satisfaction 50.00% below 80.00%"), "\(week.stdout)")
            #expect(week.stdout.contains("praised: none\ncriticised: ROADS\n"), "\(week.stdout)")
            #expect(try count(c, "SELECT count(*) FROM score_runs") == 0)
            let bad = try Shell.run(try Shell.product("hotlinectl"), ["score", "week", "--week-of", "2026-11-31", "--database-url", url])
            #expect(bad.status == 2 && bad.stderr.contains("2026-11-31 is not YYYY-MM-DD"), "\(bad.stderr)")
        }
    }

    @Test func withoutAPeriodItStaysUpAndScoresThePreviousAndCurrentMonthEachNight() throws {
        try withHistory { url, c in
            let amqp = try TestServers.amqpURL()
            let children = ChildProcesses()
            defer { children.stopAll() }
            // 00:00 has always passed today: the night's run is due at once.
            let child = try children.start(try Shell.product("hotline-scoring"), ["--nightly-at", "00:00", "--profile", "zezhou"],
                                           environment: ["HOTLINE_DATABASE_URL": url, "HOTLINE_AMQP_URL": amqp], name: "scoring")
            try children.wait("two periods scored", timeout: 60) { try count(c, "SELECT count(*) FROM score_runs") == 2 }
            var port: Int?
            try children.wait("the endpoint's port", timeout: 30) {
                port = children.fullLog().firstMatch(of: /"hotline.http.port":"(\d+)"/).flatMap { Int($0.1) }
                return port != nil
            }
            let metrics = try Shell.run("/usr/bin/curl", ["-s", "-m", "5", "http://127.0.0.1:\(port!)/metrics"])
            #expect(metrics.stdout.contains(#"hotline_scoring_runs_total{outcome="succeeded"} 2"#), "\(metrics.stdout)")
            #expect(metrics.stdout.contains("hotline_scoring_last_success_timestamp_seconds"))
            let periods = try c.query("SELECT period FROM score_runs ORDER BY period").map { try $0.decode("period", as: String.self) }
            let now = Date()
            let month = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(secondsFromGMT: 8 * 3600)!, from: now)
            let current = String(format: "%04d-%02d", month.year!, month.month!)
            #expect(periods.count == 2 && periods.last == current, "\(periods)")
            #expect(child.isRunning)
            child.signal(SIGTERM)
            #expect(child.wait() == 0, "\(children.logTail())")
        }
    }
}
