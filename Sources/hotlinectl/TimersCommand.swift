import ArgumentParser
import Foundation
import HotlineDomain
import HotlineStore
import PostgresClient

/// `hotlinectl timers`: what the deadline watch lists for the office beyond `status`.
struct TimersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "timers",
        abstract: "The deadline watch's lists: baotou's month-end orders, timers given up.",
        subcommands: [MonthEnd.self, GivenUp.self])

    /// `timers month-end YYYY-MM`: the orders the month-end timers listed (baotou 每月清零).
    struct MonthEnd: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "month-end",
            abstract: "Orders due in the month that were neither replied, nor extended nor excluded with approval by its end (baotou 每月清零).")

        @Argument(help: "The month, YYYY-MM (China time).") var month: String
        @Flag(help: "Print the list as JSON.") var json = false
        @OptionGroup var database: DatabaseOption

        func validate() throws {
            guard month.range(of: #"^[0-9]{4}-(0[1-9]|1[0-2])$"#, options: .regularExpression) != nil else {
                throw ValidationError("the month must be YYYY-MM, e.g. 2026-10")
            }
        }

        func run() throws {
            let db = try PostgresConnection(url: try database.url(), applicationName: "hotlinectl-timers")
            defer { db.close() }
            let entries = try Timers.monthEndList(month: month, on: db)
            if json {
                struct Entry: Encodable { var number: String; var unit: String; var replyBy: String; var listedAt: String }
                print(encodeJSON(entries.map { Entry(number: $0.number, unit: $0.unit, replyBy: ChinaTime.format($0.replyBy),
                                                     listedAt: ChinaTime.format($0.listedAt)) }))
                return
            }
            print("month-end \(month): \(entries.count) order(s) not cleared")
            for entry in entries {
                print("  \(entry.unit)  \(entry.number)  due \(ChinaTime.format(entry.replyBy))")
            }
        }
    }

    /// `timers given-up`: timers whose firing kept failing, latest first.
    struct GivenUp: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "given-up", abstract: "Timers the deadline watch gave up on (their firing kept failing), latest first, with the reason.")

        @Option(help: "How many to show.") var limit = 50
        @OptionGroup var database: DatabaseOption

        func validate() throws {
            guard (1...10_000).contains(limit) else { throw ValidationError("--limit must be between 1 and 10000") }
        }

        func run() throws {
            let db = try PostgresConnection(url: try database.url(), applicationName: "hotlinectl-timers")
            defer { db.close() }
            let timers = try Timers.givenUp(limit: limit, on: db)
            print("timers given up: \(timers.count)\(timers.count == limit ? " (or more)" : "")")
            for timer in timers {
                print("  timer \(timer.id) \(timer.kind) of order \(timer.number), due \(ChinaTime.format(timer.fireAt)), "
                      + "given up \(ChinaTime.format(timer.givenUpAt)) after \(timer.attempts) attempts: \(timer.reason)")
            }
        }
    }
}
