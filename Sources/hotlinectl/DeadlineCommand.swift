import ArgumentParser
import Foundation
import HotlineDomain

struct DeadlineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deadline",
        abstract: "Compute an order's deadlines under a profile and print them as JSON (ISO 8601, +08:00).",
        discussion: """
        --at is when the order reached the hotline and the unit (ISO 8601 with an offset, or a local
        time read as China Standard Time). Pingdingshan uses --class A-D instead of category limits;
        the other profiles take --urgency. Instants the profile does not state are null.
        """)

    @Option(help: "Profile: \(PolicyProfile.bundledIDs.joined(separator: ", ")), or a profile file.") var profile: String?
    @Option(help: "Category: consult, help, suggestion, criticism, complaint, report (or 咨询, 求助, 建议, 批评, 投诉, 举报).")
    var category: String?
    @Option(help: "Urgency: emergency, majorOutage, basicLiving, general, complex (or 紧急, 基本生活保障, ...).") var urgency: String?
    @Option(name: .customLong("class"), help: "Pingdingshan class: A, B, C or D.") var caseClass: String?
    @Option(help: "When the order was received/dispatched, ISO 8601.") var at: String?
    @OptionGroup var arrangements: ArrangementOptions

    func run() throws {
        let loaded = try loadProfile(profile)
        guard let categoryText = category else { throw usageFailure("missing --category") }
        guard let parsedCategory = Category(parsing: categoryText) else {
            throw usageFailure("unknown category '\(categoryText)' (expected \(Category.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        if urgency != nil && caseClass != nil { throw usageFailure("give either --urgency or --class, not both") }
        var parsedUrgency: Urgency?
        if let urgency {
            guard let value = Urgency(parsing: urgency) else {
                throw usageFailure("unknown urgency '\(urgency)' (expected \(Urgency.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            parsedUrgency = value
        }
        var parsedClass: CaseClass?
        if let caseClass {
            guard let value = CaseClass(parsing: caseClass) else { throw usageFailure("unknown class '\(caseClass)' (expected A, B, C or D)") }
            parsedClass = value
        }
        guard let at else { throw usageFailure("missing --at (ISO 8601, e.g. 2024-05-06T10:00:00+08:00)") }
        guard let start = ChinaTime.parse(at) else { throw usageFailure("--at '\(at)' is not an ISO 8601 instant") }
        let calendar = try arrangements.calendar()
        let kind = OrderKind(category: parsedCategory, urgency: parsedUrgency, caseClass: parsedClass)
        let set: DeadlineSet
        do { set = try Deadlines.compute(profile: loaded, kind: kind, start: start, calendar: calendar) } catch {
            throw usageFailure(error.description)
        }
        func instant(_ date: Date?) -> Any { date.map(ChinaTime.format) ?? NSNull() }
        let object: [String: Any] = [
            "profile": loaded.id,
            "category": parsedCategory.rawValue,
            "urgency": parsedUrgency?.rawValue ?? NSNull(),
            "class": parsedClass?.rawValue ?? NSNull(),
            "at": ChinaTime.format(start),
            "dispatchBy": instant(set.dispatchBy),
            "signBy": instant(set.signBy),
            "firstFeedbackBy": instant(set.firstFeedbackBy),
            "firstFeedbackAfterSigning": set.firstFeedbackAfterSigning?.description ?? NSNull(),
            "returnWindowEnd": instant(set.returnWindowEnd),
            "replyBy": ChinaTime.format(set.replyBy),
            "replyLimit": set.replyLimit.description,
            "replyBasis": set.replyBasis,
            "replyNote": set.replyNote ?? NSNull(),
            "reminders": set.reminders.map(ChinaTime.format),
        ]
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        print(String(decoding: data, as: UTF8.self))
    }
}
