import Foundation
import HotlineTestSupport
import Testing

/// `hotlinectl calendar`, `deadline` and `profiles`, run as a built binary.
@Suite struct HotlinectlDomainCLITests {
    func ctl(_ arguments: String...) throws -> Shell.Result {
        try Shell.run(try Shell.product("hotlinectl"), arguments)
    }

    @Test func calendarAnswersForPeopleAndScripts() throws {
        let makeUpSaturday = try ctl("calendar", "is-workday", "2026-02-28")
        #expect(makeUpSaturday.status == 0)
        #expect(makeUpSaturday.stdout == "true\n")
        #expect(try ctl("calendar", "is-workday", "2026-02-16").stdout == "false\n")
        let added = try ctl("calendar", "add-workdays", "2024-09-13", "3")
        #expect(added.status == 0)
        #expect(added.stdout == "2024-09-19\n")
    }

    @Test func calendarLoadValidatesAYearFile() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("cli-2027-\(UUID()).json")
        try Data(#"{"year": 2027, "holidays": ["2027-01-01"], "workdays": ["2027-02-06"]}"#.utf8).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let ok = try ctl("calendar", "load", "--check", url.path)
        #expect(ok.status == 0)
        #expect(ok.stdout.contains("year 2027: valid"))
        #expect(ok.stdout.contains("2027-02-06"))
        try Data(#"{"year": 2027, "holidays": ["2027-02-30"], "workdays": []}"#.utf8).write(to: url)
        let bad = try ctl("calendar", "load", "--check", url.path)
        #expect(bad.status == 2)
        #expect(bad.stderr == "hotlinectl: \(url.path): holidays[0]: \"2027-02-30\" is not a date of the form YYYY-MM-DD\n")
        // With the file, 2027 is known.
        try Data(#"{"year": 2027, "holidays": ["2027-01-01"], "workdays": ["2027-02-06"]}"#.utf8).write(to: url)
        #expect(try ctl("calendar", "is-workday", "2027-02-06", "--arrangement", url.path).stdout == "true\n")
    }

    @Test(arguments: [
        ["calendar", "is-workday", "2024-13-01"],
        ["calendar", "is-workday", "2027-01-04"],
        ["calendar", "is-workday"],
        ["calendar", "add-workdays", "2024-09-13", "-1"],
        ["calendar", "add-workdays", "2024-09-13", "three"],
        ["calendar", "is-workday", "2024-09-14", "--bogus"],
        ["deadline", "--profile", "beijing", "--category", "help", "--at", "2024-05-06T10:00:00+08:00"],
        ["deadline", "--profile", "qidong", "--category", "praise", "--at", "2024-05-06T10:00:00+08:00"],
        ["deadline", "--profile", "qidong", "--category", "help", "--at", "yesterday"],
        ["deadline", "--profile", "qidong", "--category", "help", "--at"],
        ["deadline", "--profile", "qidong", "--category", "help", "--urgency", "general", "--class", "B", "--at", "2024-05-06T10:00:00+08:00"],
        ["deadline", "--profile", "pingdingshan", "--category", "help", "--at", "2024-05-06T10:00:00+08:00"],
        ["profiles", "show", "nowhere"],
    ])
    func badArgumentsGetOneLineAndStatus2(arguments: [String]) throws {
        let result = try Shell.run(try Shell.product("hotlinectl"), arguments)
        #expect(result.status == 2, "\(arguments): \(result.stderr)")
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.hasPrefix("hotlinectl: "))
        #expect(result.stderr.filter { $0 == "\n" }.count == 1, "\(result.stderr)")
    }

    @Test func deadlinePrintsJSONWithEveryInstantInChinaTime() throws {
        let result = try ctl("deadline", "--profile", "qidong", "--category", "咨询", "--at", "2024-05-06T02:00:00Z")
        #expect(result.status == 0, "\(result.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(json["profile"] as? String == "qidong")
        #expect(json["category"] as? String == "consult")
        #expect(json["at"] as? String == "2024-05-06T10:00:00+08:00")
        #expect(json["replyBy"] as? String == "2024-05-10T00:00:00+08:00")
        #expect(json["signBy"] as? String == "2024-05-07T10:00:00+08:00")
        #expect(json["returnWindowEnd"] as? String == "2024-05-08T00:00:00+08:00")
        #expect(json["dispatchBy"] is NSNull)
        let reminders = try #require(json["reminders"] as? [String])
        #expect(!reminders.isEmpty && reminders.allSatisfy { $0.hasSuffix("+08:00") })

        let henan = try ctl("deadline", "--profile", "henan", "--category", "help", "--urgency", "majorOutage", "--at", "2024-05-06T10:00:00+08:00")
        let outage = try #require(try JSONSerialization.jsonObject(with: Data(henan.stdout.utf8)) as? [String: Any])
        #expect(outage["dispatchBy"] as? String == "2024-05-06T12:00:00+08:00")
        // 签收后2个小时内反馈: counted from the signing, which a deadline computed at dispatch cannot know.
        #expect(outage["firstFeedbackBy"] is NSNull)
        #expect(outage["firstFeedbackAfterSigning"] as? String == "2 hours (natural time)")

        let classA = try ctl("deadline", "--profile", "pingdingshan", "--category", "consult", "--class", "A", "--at", "2024-10-03T10:00:00+08:00")
        let atOnce = try #require(try JSONSerialization.jsonObject(with: Data(classA.stdout.utf8)) as? [String: Any])
        #expect(atOnce["replyBy"] as? String == "2024-10-03T10:00:00+08:00")
        #expect(atOnce["replyLimit"] as? String == "at once")
    }

    @Test func profilesListAndShow() throws {
        let list = try ctl("profiles", "list")
        #expect(list.status == 0)
        #expect(list.stdout.split(separator: "\n").map { String($0.split(separator: "\t")[0]) } == ["qidong", "baotou", "zezhou", "pingdingshan", "henan"])
        let show = try ctl("profiles", "show", "zezhou")
        #expect(show.status == 0)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(show.stdout.utf8)) as? [String: Any])
        #expect(json["id"] as? String == "zezhou")
        #expect((json["scoring"] as? [String: Any])?["kind"] as? String == "points100")
    }
}
