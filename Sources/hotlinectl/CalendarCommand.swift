import ArgumentParser
import Foundation
import HotlineDomain
import HotlineStore

/// A bad argument the command found itself: one line on standard error, exit status 2 (see
/// `Hotlinectl.main`).
func usageFailure(_ message: String) -> UsageError { UsageError(message) }

/// `--arrangement FILE` (repeatable): the bundled calendar plus these years' arrangements.
struct ArrangementOptions: ParsableArguments {
    @Option(name: .customLong("arrangement"), help: "Also load this year's arrangement file (JSON); repeatable.")
    var files: [String] = []

    func calendar() throws -> WorkingCalendar {
        var calendar = try WorkingCalendar.bundled()
        for file in files {
            do { calendar.replace(try HolidayArrangement.load(contentsOf: URL(fileURLWithPath: file))) } catch {
                throw usageFailure(error.description)
            }
        }
        return calendar
    }
}

func parseDate(_ text: String?, name: String = "DATE") throws -> LocalDate {
    guard let text else { throw usageFailure("missing \(name) (YYYY-MM-DD)") }
    guard let date = LocalDate(text) else { throw usageFailure("\(name) '\(text)' is not a date of the form YYYY-MM-DD") }
    return date
}

struct CalendarCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calendar",
        abstract: "China's working-day calendar (State Council holiday arrangements 2020–2026, with make-up working days).",
        subcommands: [IsWorkday.self, AddWorkdays.self, Load.self]
    )

    struct IsWorkday: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "is-workday",
            abstract: "Print true when DATE (YYYY-MM-DD, China Standard Time) is a working day, false otherwise.",
            discussion: "Dates outside the loaded years are an error (exit status 2), never a guess.")

        @Argument(help: "The date, YYYY-MM-DD.") var date: String?
        @OptionGroup var arrangements: ArrangementOptions

        func run() throws {
            let day = try parseDate(date)
            let calendar = try arrangements.calendar()
            do { print(try calendar.isWorkingDay(day)) } catch { throw usageFailure(error.description) }
        }
    }

    struct AddWorkdays: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add-workdays",
            abstract: "Print the Nth working day after DATE (the date itself not counted; N = 0 gives DATE or the next working day).",
            discussion: "Civil Code arts. 201 and 203: a period of N working days from DATE ends at 24:00 on the printed date.")

        @Argument(help: "The date, YYYY-MM-DD.") var date: String?
        @Argument(help: "Working days to add, 0 or more.") var count: String?
        @OptionGroup var arrangements: ArrangementOptions

        func run() throws {
            let day = try parseDate(date)
            guard let count else { throw usageFailure("missing N (working days to add)") }
            guard let n = Int(count), n >= 0 else { throw usageFailure("N '\(count)' is not a whole number of working days (0 or more)") }
            let calendar = try arrangements.calendar()
            do { print(try calendar.addWorkingDays(n, to: day)) } catch { throw usageFailure(error.description) }
        }
    }

    struct Load: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "load",
            abstract: "Validate a year's holiday arrangement file and store it as the fleet's calendar.",
            discussion: """
            The file is JSON: {"year": 2027, "holidays": ["2027-01-01", ...], "workdays": ["2027-02-06", ...]}
            (workdays: the Saturdays and Sundays made working days). Every problem gets a line naming the
            file, the key path and the problem, and exit status 2; nothing is stored then.
            A valid year is stored in one transaction, replacing the year if it was loaded (by an operator
            or by the built-in seed); timers that counted Monday to Friday for that year are counted again,
            with an event on each order whose due time moved. Running workers read it within 30 seconds.
            """)

        @Argument(help: "The arrangement file.") var file: String?
        @Flag(help: "Only validate and print the file; store nothing.") var check = false
        @OptionGroup var database: DatabaseOption

        func run() throws {
            guard let file else { throw usageFailure("missing FILE") }
            let arrangement: HolidayArrangement
            do {
                let data: Data
                do { data = try Data(contentsOf: URL(fileURLWithPath: file)) } catch {
                    throw DataFileError(file: file, keyPath: "", problem: "cannot be read")
                }
                do { arrangement = try JSONDecoder().decode(HolidayArrangement.self, from: data) } catch {
                    throw DataFileError.decoding(error, file: file)
                }
            } catch let error as DataFileError {
                throw usageFailure(error.description)
            }
            let problems = arrangement.problems(file: file)
            guard problems.isEmpty else {
                for problem in problems { FileHandle.standardError.write(Data("hotlinectl: \(problem)\n".utf8)) }
                throw ExitCode(2)
            }
            var calendar = WorkingCalendar(arrangements: [arrangement])
            calendar.outsideLoadedYears = .error
            let count = (try? calendar.workingDayCount(year: arrangement.year)).map(String.init) ?? "?"
            print("year \(arrangement.year): valid")
            print("holidays (\(arrangement.holidays.count)): \(arrangement.holidays.map(\.description).joined(separator: " "))")
            print("make-up working days (\(arrangement.workdays.count)): \(arrangement.workdays.map(\.description).joined(separator: " "))")
            print("working days in the year: \(count)")
            if check { return }
            let connection = try database.connect(name: "hotlinectl-calendar")
            defer { connection.close() }
            // On a new database: the tables, and the built-in years seeded, before this one.
            try Migrator.bundled().migrate(connection)
            let outcome = try connection.withTransaction { tx in
                try CalendarStore.load(arrangement, source: .operator, actor: "hotlinectl calendar load", at: Date(), on: tx)
            }
            print("stored\(outcome.replaced ? " (replacing the year loaded before)" : ""): running workers count with it within 30 s")
            print("timers counted again: \(outcome.recomputedTimers); orders whose due times moved: \(outcome.movedOrders.count)"
                  + (outcome.movedOrders.isEmpty ? "" : " (\(outcome.movedOrders.prefix(10).joined(separator: ", "))\(outcome.movedOrders.count > 10 ? ", ..." : ""))"))
        }
    }
}
