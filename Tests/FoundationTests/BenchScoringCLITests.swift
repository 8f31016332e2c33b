import Foundation
import HotlineTestSupport
import Testing

/// `hotlinectl bench scoring` at a tiny size: it simulates, measures and prints every figure
/// (the figures themselves are printed, never asserted), and drops its database.
@Suite(.serialized) struct BenchScoringCLITests {
    @Test func printsItsFiguresBesideThePsqlBaseline() throws {
        let url = try TestServers.databaseURL()
        let result = try Shell.run(try Shell.product("hotlinectl"), ["bench", "scoring", "--orders-per-day", "30", "--months", "2",
                                                                     "--rounds", "1", "--database-url", url])
        #expect(result.status == 0, "\(result.stderr)")
        for line in ["history: ", "score and write one month (zezhou): ", "(psql, the core aggregation as one plain query: ",
                     "score one month, dry run (zezhou): ", "re-score 2 months under qidong, dry run: ",
                     "(psql, the same aggregation month by month: ", "hotline-scoring --period ", "peak resident memory"] {
            #expect(result.stdout.contains(line), "missing \(line) in \(result.stdout)")
        }
        // Each ratio is a number computed in this run, beside its baseline.
        #expect(result.stdout.matches(of: /; ratio \d+\.\d\d\)/).count == 2, "\(result.stdout)")
        let left = try Shell.run("/usr/bin/psql", ["-X", "-tA", "-d", url, "-c", "SELECT count(*) FROM pg_database WHERE datname = 'hotline_bench_scoring'"])
        #expect(left.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "0")
    }
}
