import Foundation
import HotlineTestSupport
import PostgresClient
import Testing

/// `hotlinectl calendar load FILE` against a real database (every problem one line, exit status
/// 2, nothing stored; a valid year stored and replacing), and `hotlinectl status` warning while
/// fewer than 60 days of loaded calendar remain.
@Suite(.serialized) struct CalendarLoadAndStatusCLITests {
    func ctl(_ arguments: [String]) throws -> Shell.Result {
        try Shell.run(try Shell.product("hotlinectl"), arguments)
    }

    func file(_ json: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("calendar-\(UUID()).json")
        try Data(json.utf8).write(to: url)
        return url
    }

    func withMigratedDatabase(_ body: (String, PostgresConnection) throws -> Void) throws {
        try PostgresTestDatabase.with { url in
            let migrate = try ctl(["migrate", "--database-url", url])
            #expect(migrate.status == 0, "\(migrate.stderr)")
            let connection = try PostgresConnection(url: url)
            defer { connection.close() }
            try body(url, connection)
        }
    }

    func years(_ connection: PostgresConnection) throws -> [String] {
        try connection.query("SELECT year || ':' || source AS y FROM calendar_years ORDER BY year").map { try $0.decode("y", as: String.self) }
    }

    @Test func anInvalidYearGetsALinePerProblemAndStatus2AndNothingIsStored() throws {
        try withMigratedDatabase { url, connection in
            let bad = try file(#"{"year": 2027, "holidays": ["2027-01-01", "2026-12-31", "2027-01-01"], "workdays": ["2027-01-04", "2027-02-06"]}"#)
            defer { try? FileManager.default.removeItem(at: bad) }
            let result = try ctl(["calendar", "load", bad.path, "--database-url", url])
            #expect(result.status == 2)
            #expect(result.stdout.isEmpty)
            #expect(result.stderr == """
                hotlinectl: \(bad.path): holidays[1]: 2026-12-31 is not in 2027
                hotlinectl: \(bad.path): holidays[2]: 2027-01-01 is listed twice
                hotlinectl: \(bad.path): workdays[0]: 2027-01-04 is a weekday; a make-up working day (调休) must fall on a Saturday or Sunday

                """)
            // Unreadable JSON: one line.
            let broken = try file(#"{"year": 2027, "holidays": ["2027-13-01"], "workdays": []}"#)
            defer { try? FileManager.default.removeItem(at: broken) }
            let unreadable = try ctl(["calendar", "load", broken.path, "--database-url", url])
            #expect(unreadable.status == 2)
            #expect(unreadable.stderr.hasPrefix("hotlinectl: \(broken.path): holidays[0]: "))
            #expect(unreadable.stderr.filter { $0 == "\n" }.count == 1)
            #expect(try years(connection).last == "2026:built-in")
        }
    }

    @Test func aValidYearIsStoredAndLoadingItAgainReplacesIt() throws {
        try withMigratedDatabase { url, connection in
            let year = try file(#"{"year": 2027, "holidays": ["2027-01-01", "2027-02-08"], "workdays": ["2027-02-06"]}"#)
            defer { try? FileManager.default.removeItem(at: year) }
            let result = try ctl(["calendar", "load", year.path, "--database-url", url])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.contains("year 2027: valid"))
            #expect(result.stdout.contains("stored"))
            #expect(try years(connection).last == "2027:operator")
            #expect(try connection.query("SELECT count(*)::int8 AS n FROM calendar_days WHERE year = 2027").first!.decode("n", as: Int.self) == 3)

            try Data(#"{"year": 2027, "holidays": ["2027-01-01"], "workdays": []}"#.utf8).write(to: year)
            let again = try ctl(["calendar", "load", year.path, "--database-url", url])
            #expect(again.status == 0, "\(again.stderr)")
            #expect(again.stdout.contains("replacing"))
            #expect(try connection.query("SELECT day::text AS d FROM calendar_days WHERE year = 2027").map { try $0.decode("d", as: String.self) } == ["2027-01-01"])
        }
    }

    @Test func loadingIntoANewDatabaseMigratesItAndSeedsTheBuiltInYearsFirst() throws {
        try PostgresTestDatabase.with { url in
            let year = try file(#"{"year": 2027, "holidays": ["2027-01-01"], "workdays": []}"#)
            defer { try? FileManager.default.removeItem(at: year) }
            let result = try ctl(["calendar", "load", year.path, "--database-url", url])
            #expect(result.status == 0, "\(result.stderr)")
            let connection = try PostgresConnection(url: url)
            defer { connection.close() }
            #expect(try years(connection) == (2020...2026).map { "\($0):built-in" } + ["2027:operator"])
        }
    }

    @Test func statusWarnsWhileFewerThan60DaysOfCalendarRemain() throws {
        // Relative to today, whatever the date: first without this year, then with it and the next.
        let thisYear = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(secondsFromGMT: 8 * 3600)!, from: Date()).year!
        try withMigratedDatabase { url, connection in
            try connection.execute("DELETE FROM calendar_years WHERE year >= \(thisYear)")
            func status() throws -> (text: String, calendar: [String: Any]) {
                let text = try ctl(["status", "--database-url", url, "--amqp-url", try TestServers.amqpURL()])
                #expect(text.status == 0, "\(text.stderr)")
                let json = try ctl(["status", "--json", "--database-url", url, "--amqp-url", try TestServers.amqpURL()])
                let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
                return (text.stdout, try #require(object["calendar"] as? [String: Any]))
            }
            let short = try status()
            #expect(short.calendar["daysRemaining"] as? Int == 0)
            let warning = try #require(short.calendar["warning"] as? String)
            #expect(warning.contains("load the \(thisYear) arrangement"))
            #expect(short.text.contains("warning: \(warning)"))

            for year in [thisYear, thisYear + 1] {
                let empty = try file(#"{"year": \#(year), "holidays": [], "workdays": []}"#)
                defer { try? FileManager.default.removeItem(at: empty) }
                #expect(try ctl(["calendar", "load", empty.path, "--database-url", url]).status == 0)
            }
            let long = try status()
            #expect(long.calendar["loadedThrough"] as? String == "\(thisYear + 1)-12-31")
            #expect((long.calendar["daysRemaining"] as? Int ?? 0) >= 365)
            #expect(long.calendar["warning"] == nil)
            #expect(!long.text.contains("warning:"))
            #expect(long.text.contains("through \(thisYear + 1)-12-31"))
        }
    }
}
