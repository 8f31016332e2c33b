import ArgumentParser
import Foundation
import HotlineContracts
import HotlineDomain
import HotlineRuntime
import HotlineStore
import PostgresClient

/// `hotlinectl score`: score a period (or replay it under another profile without writing), the
/// office's records for scoring, publishing a period.
struct ScoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "Score a period, replay it under another profile (--dry-run), record the office's findings, publish.",
        subcommands: [ScorePeriodCommand.self, ScoreWeekCommand.self, ScoreRecordCommand.self, ScoreExcludeCommand.self, ScorePublishCommand.self],
        defaultSubcommand: ScorePeriodCommand.self)
}

func parsePeriod(_ text: String) throws -> ScoringPeriod {
    guard let period = ScoringPeriod(text) else { throw UsageError("period: \(text) is not YYYY-MM") }
    return period
}

func scoringProfile(_ id: String?) throws -> PolicyProfile {
    let name = id ?? ProcessInfo.processInfo.environment["HOTLINE_PROFILE"].flatMap { $0.isEmpty ? nil : $0 } ?? "qidong"
    guard PolicyProfile.bundledIDs.contains(name) else {
        throw UsageError("profile: \(name) is not one of \(PolicyProfile.bundledIDs.joined(separator: ", "))")
    }
    return try PolicyProfile.bundled(name)
}

struct ScorePeriodCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "period",
        abstract: "Score a period now (as the batch does), or with --dry-run replay it under a profile and compare rankings, writing nothing.",
        discussion: """
        --dry-run reads in a read-only transaction and compares the profile's ranking with the period's latest stored run (or, when none is stored, with the ranking under $HOTLINE_PROFILE), side by side.
        """)

    @Option(help: "The month, YYYY-MM (China time).") var period: String
    @Option(help: "Profile whose scheme scores (default: $HOTLINE_PROFILE or qidong).") var profile: String?
    @Flag(name: .customLong("dry-run"), help: "Write nothing; show how the ranking would change.") var dryRun = false
    @Option(name: .customLong("as-of"), help: "Count the records as they stood at this instant (ISO 8601; default now).") var asOf: String?
    @Flag(help: "Print every unit's figures (numerator, denominator, rule).") var figures = false
    @Flag(help: "Do not score here: ask the staying-up hotline-scoring to score the period (a scoring.requested message through the outbox, published by any running worker's relay).")
    var request = false
    @OptionGroup var database: DatabaseOption

    func validate() throws {
        if request && (dryRun || asOf != nil || figures) { throw ValidationError("--request scores in hotline-scoring: --dry-run, --as-of and --figures do not apply") }
    }

    func run() throws {
        let month = try parsePeriod(period)
        let scoring = try scoringProfile(profile)
        if request {
            let connection = try database.connect(name: "hotlinectl-score")
            defer { connection.close() }
            let envelope = Envelope(type: ScoringRequested.type, version: ScoringRequested.version, occurredAt: Date(),
                                    data: ScoringRequested(period: month.description, profile: scoring.id, requestedBy: "hotlinectl"))
            try Outbox.append([.event(envelope)], on: connection)
            print("requested \(month) under \(scoring.id): message \(envelope.id.uuidString.lowercased()) in the outbox")
            return
        }
        var instant = Date()
        if let asOf {
            guard let parsed = ISO8601DateFormatter().date(from: asOf) else { throw UsageError("as-of: \(asOf) is not an ISO 8601 instant") }
            instant = parsed
        }
        let connection = try database.connect(name: "hotlinectl-score")
        defer { connection.close() }
        do {
            let outcome = try ScoringBatch.run(period: month, profile: scoring, asOf: instant, now: Date(), dryRun: dryRun, on: connection)
            if dryRun {
                let baseline: (String, [(unit: String, name: String, rank: Int?, score: Double?)])
                if let stored = try Scores.latestRun(period: month, on: connection) {
                    baseline = ("\(stored.profile) v\(stored.version) (stored)",
                                try Scores.results(of: stored, on: connection).map { ($0.unit, $0.unitName, $0.rank, $0.score) })
                } else {
                    let current = try scoringProfile(nil)
                    let replay = try ScoringBatch.run(period: month, profile: current, asOf: instant, now: Date(), dryRun: true, on: connection)
                    baseline = ("\(current.id) (not stored)", replay.cards.map { ($0.unit, $0.unitName, $0.rank, $0.score) })
                }
                print(Replay.sideBySide(period: month, before: baseline, afterName: "\(scoring.id) (dry run)",
                                        after: outcome.cards.map { ($0.unit, $0.unitName, $0.rank, $0.score) }), terminator: "")
                print("nothing written")
            } else {
                print("scored \(month) under \(scoring.id): \(outcome.cards.count) units, \(outcome.orders) orders, version \(outcome.version ?? 0)")
                for card in outcome.cards {
                    print("\(card.rank.map(String.init) ?? "-")\t\(card.unit)\t\(card.unitName)\t\(card.score.map { String(format: "%.2f", $0) } ?? "-")\t\(card.flags.joined(separator: "; "))")
                }
            }
            if figures { printFigures(outcome.cards) }
        } catch {
            FileHandle.standardError.write(Data("hotlinectl: \(SafeErrors.describe(error))\n".utf8))
            throw ExitCode(1)
        }
    }
}

/// Every unit's figures: name, numerator/denominator, points, rule.
func printFigures(_ cards: [Scorecard]) {
    for card in cards {
        print("\(card.unit) \(card.unitName)")
        for f in card.figures + card.extendedFigures {
            let ratio = f.denominator.map { "\(f.numerator ?? 0)/\($0)" } ?? f.numerator.map(String.init) ?? ""
            print("  \(f.name)\t\(ratio)\t\(f.points.map { String(format: "%.2f", $0) } ?? "")\t\(f.rule)")
        }
    }
}

/// pingdingshan's weekly analysis (周分析): one week, Monday to Sunday, read under the profile's
/// scheme; nothing is written.
struct ScoreWeekCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "week",
        abstract: "The weekly analysis (pingdingshan 周分析): the week containing a day, every unit's figures and the praise and criticism lists; writes nothing.")

    @Option(name: .customLong("week-of"), help: "A day of the week, YYYY-MM-DD (China time; the week runs Monday to Sunday).") var weekOf: String
    @Option(help: "Profile whose scheme reads the week (default: $HOTLINE_PROFILE or qidong).") var profile: String?
    @Flag(help: "Print every unit's figures (numerator, denominator, rule).") var figures = false
    @OptionGroup var database: DatabaseOption

    func run() throws {
        guard let day = LocalDate(weekOf) else { throw UsageError("week-of: \(weekOf) is not YYYY-MM-DD") }
        let scoring = try scoringProfile(profile)
        let connection = try database.connect(name: "hotlinectl-score-week")
        defer { connection.close() }
        do {
            let week = try WeeklyAnalysis.run(weekOf: day, profile: scoring, asOf: Date(), on: connection)
            print("week of \(week.monday) to \(week.monday.adding(days: 6)) under \(scoring.id): \(week.cards.count) units, \(week.orders) orders (nothing written)")
            for card in week.cards {
                let line = card.figures.prefix(5).map { f in f.denominator.map { "\(f.name) \(f.numerator ?? 0)/\($0)" } ?? "\(f.name) \(f.numerator ?? 0)" }
                print("\(card.unit)\t\(card.unitName)\t\(line.joined(separator: ", "))\t\(card.flags.joined(separator: "; "))")
            }
            for (title, prefix) in [("praised", "praised"), ("criticised", "criticised")] {
                let units = week.cards.filter { $0.flags.contains { $0.hasPrefix(prefix) } }.map(\.unit)
                print("\(title): \(units.isEmpty ? "none" : units.joined(separator: ", "))")
            }
            if figures { printFigures(week.cards) }
        } catch {
            FileHandle.standardError.write(Data("hotlinectl: \(SafeErrors.describe(error))\n".utf8))
            throw ExitCode(1)
        }
    }
}

enum Replay {
    typealias Line = (unit: String, name: String, rank: Int?, score: Double?)

    /// Two rankings side by side: each unit's rank and score before and after, and how it moved.
    static func sideBySide(period: ScoringPeriod, before: (String, [Line]), afterName: String, after: [Line]) -> String {
        func num(_ value: Double?) -> String { value.map { String(format: "%.2f", $0) } ?? "-" }
        var text = "\(period): \(before.0) → \(afterName)\n"
        text += "unit\tname\trank\tscore\t→ rank\tscore\tmove\n"
        let old = Dictionary(before.1.map { ($0.unit, $0) }, uniquingKeysWith: { a, _ in a })
        var seen = Set<String>()
        for line in after {
            seen.insert(line.unit)
            let was = old[line.unit]
            var move = ""
            if let r0 = was?.rank, let r1 = line.rank { move = r1 < r0 ? "up \(r0 - r1)" : r1 > r0 ? "down \(r1 - r0)" : "=" }
            text += "\(line.unit)\t\(line.name)\t\(was?.rank.map(String.init) ?? "-")\t\(num(was?.score))\t→ \(line.rank.map(String.init) ?? "-")\t\(num(line.score))\t\(move)\n"
        }
        for line in before.1 where !seen.contains(line.unit) {
            text += "\(line.unit)\t\(line.name)\t\(line.rank.map(String.init) ?? "-")\t\(num(line.score))\t→ -\t-\t\n"
        }
        return text
    }
}

struct ScoreRecordCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record",
        abstract: "Record the office's finding for a unit and period (zezhou: missingItem, deduction, bonus, veto by the profile's item names).")

    @Option(help: "Unit code.") var unit: String
    @Option(help: "The month, YYYY-MM.") var period: String
    @Option(help: "missingItem, deduction, bonus or veto.") var kind: String
    @Option(help: "The profile's name of the item (e.g. missedMeeting, cityMedia, falsifiedResults).") var item: String
    @Option(help: "How many times.") var count = 1
    @Option(help: "A note (no personal data).") var note: String?
    @Option(help: "Profile naming the items (default: $HOTLINE_PROFILE or qidong).") var profile: String?
    @OptionGroup var database: DatabaseOption

    func run() throws {
        let month = try parsePeriod(period)
        guard let recordKind = AssessmentRecordKind(rawValue: kind) else {
            throw UsageError("kind: \(kind) is not one of \(AssessmentRecordKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard count > 0 else { throw UsageError("count: must be at least 1") }
        let scoring = try scoringProfile(profile)
        let connection = try database.connect(name: "hotlinectl-score")
        defer { connection.close() }
        do {
            let id = try Scores.record(unit: unit, period: month, kind: recordKind, item: item, count: count, note: note,
                                       recordedBy: "hotlinectl", profile: scoring, on: connection)
            print("recorded \(id)")
        } catch let error as ScoresError {
            throw UsageError(error.description)
        }
    }
}

struct ScoreExcludeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exclude",
        abstract: "Record the office's approval of an order's exclusion from assessment (剔除), with its basis.")

    @Argument(help: "The order's number.") var number: String
    @Option(help: "The basis of the exclusion.") var basis: String
    @OptionGroup var database: DatabaseOption

    func run() throws {
        let connection = try database.connect(name: "hotlinectl-score")
        defer { connection.close() }
        guard let id = try connection.query("SELECT id FROM work_orders WHERE number = \(number)").first?.decode("id", as: UUID.self) else {
            throw UsageError("no order \(number)")
        }
        try Scores.exclude(order: id, basis: basis, approvedAt: Date(), approvedBy: "hotlinectl", on: connection)
        print("excluded \(number)")
    }
}

struct ScorePublishCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "publish",
        abstract: "Publish a period's latest run: a later rerun writes a new version and this one is kept as published.")

    @Option(help: "The month, YYYY-MM.") var period: String
    @Option(help: "Profile (default: $HOTLINE_PROFILE or qidong).") var profile: String?
    @OptionGroup var database: DatabaseOption

    func run() throws {
        let month = try parsePeriod(period)
        let scoring = try scoringProfile(profile)
        let connection = try database.connect(name: "hotlinectl-score")
        defer { connection.close() }
        do {
            print("published \(month) under \(scoring.id), version \(try Scores.publish(period: month, profile: scoring.id, at: Date(), on: connection))")
        } catch let error as ScoresError {
            throw UsageError(error.description)
        }
    }
}

// Unit codes and item names only: safe to print.
extension ScoresError: SafelyDescribed { public static let kind = "scores" }
