import Foundation
import HotlineTestSupport
import PostgresClient
import Testing

/// `hotlinectl simulate` against a real PostgreSQL: complete lifecycles of every kind, the same
/// history for the same seed, another for another seed, progress by month, a second run refused.
@Suite(.serialized) struct SimulateCLITests {
    func simulate(_ url: String, seed: String) throws -> Shell.Result {
        try Shell.run(try Shell.product("hotlinectl"), ["simulate", "--profile", "baotou", "--months", "3", "--orders-per-day", "20",
                                                        "--seed", seed, "--until", "2026-10", "--database-url", url])
    }

    /// What the history holds, as one line of counts and a digest of every row that matters.
    func fingerprint(_ c: PostgresConnection) throws -> String {
        try c.query("""
            SELECT (SELECT count(*) FROM work_orders) || ' ' ||
                   (SELECT md5(string_agg(number || state || category || coalesce(rating, '') || supervised || redo_count, ',' ORDER BY number)) FROM work_orders) || ' ' ||
                   (SELECT md5(string_agg(a.state || a.dispatched_at || coalesce(a.signed_at::text, '') || coalesce(a.replied_at::text, ''), ',' ORDER BY o.number, a.id))
                      FROM assignments a JOIN work_orders o ON o.id = a.work_order_id) AS f
            """).first!.decode("f", as: String.self)
    }

    func count(_ c: PostgresConnection, _ sql: SQL) throws -> Int { try c.query(sql).first!.decode(0, as: Int.self) }

    @Test func writesCompleteLifecyclesDeterministicallyBySeed() throws {
        var prints: [String] = []
        for seed in ["7", "7", "8"] {
            try PostgresTestDatabase.with { url in
                let result = try simulate(url, seed: seed)
                #expect(result.status == 0, "\(result.stderr)")
                #expect(result.stderr.contains("simulate: 2026-08 done"), "\(result.stderr)")
                #expect(result.stderr.contains("(3/3 months, ~100%)"), "\(result.stderr)")
                let c = try PostgresConnection(url: url)
                defer { c.close() }
                prints.append(try fingerprint(c))
                // Three months from 2026-08 to 2026-10, no later.
                #expect(try count(c, "SELECT count(*) FROM work_orders WHERE received_at < '2026-08-01 00:00+08' OR received_at >= '2026-11-01 00:00+08'") == 0)
                #expect(try count(c, "SELECT count(*) FROM events WHERE occurred_at >= '2026-11-01 00:00+08'") == 0)
                // Fewer orders on rest days: 2026-10-01 (National Day) against 2026-10-09 (a working day).
                #expect(try count(c, "SELECT count(*) FROM work_orders WHERE received_at::date = '2026-10-01' AND cluster_key IS NULL") < 20)
                #expect(try count(c, "SELECT count(*) FROM work_orders WHERE (received_at AT TIME ZONE 'Asia/Shanghai')::date = '2026-10-09' AND cluster_key IS NULL") == 20)
                // Every kind of lifecycle is there.
                #expect(try count(c, "SELECT count(*) FROM assignments WHERE signed_at > sign_by") > 0)
                #expect(try count(c, "SELECT count(*) FROM assignments WHERE state = 'returnApproved'") > 0)
                #expect(try count(c, "SELECT count(*) FROM assignments WHERE extensions_count > 0") > 0)
                #expect(try count(c, "SELECT count(*) FROM assignments WHERE replied_at > reply_by") > 0)
                #expect(try count(c, "SELECT count(*) FROM assignments WHERE replied_at IS NULL AND role = 'lead' AND active") > 0)
                #expect(try count(c, "SELECT count(*) FROM ratings WHERE rating = 'dissatisfied'") > 0)
                #expect(try count(c, "SELECT count(*) FROM work_orders WHERE redo_count > 0") > 0)
                #expect(try count(c, "SELECT count(*) FROM work_orders WHERE supervised") > 0)
                #expect(try count(c, "SELECT count(*) FROM order_exclusions") > 0)
                #expect(try count(c, "SELECT count(*) FROM work_orders WHERE cluster_key IS NOT NULL") > 0)
                #expect(try count(c, "SELECT count(*) FROM events WHERE type = 'rated'") == count(c, "SELECT count(*) FROM ratings"))
                // Scores come out of it.
                let scored = try Shell.run(try Shell.product("hotline-scoring"), ["--period", "2026-10", "--database-url", url, "--profile", "baotou"])
                #expect(scored.status == 0, "\(scored.stderr)")
                #expect(try count(c, "SELECT count(*) FROM unit_scores WHERE score IS NOT NULL") > 10)
                if seed == "8" {
                    let again = try simulate(url, seed: seed)
                    #expect(again.status == 1)
                    #expect(again.stderr.contains("already holds a simulated history"), "\(again.stderr)")
                }
            }
        }
        #expect(prints[0] == prints[1])
        #expect(prints[0] != prints[2])
    }
}
