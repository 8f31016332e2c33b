import Foundation
import Testing
@testable import HotlineDomain

@Suite struct ProfileLoadingTests {
    @Test func everyBundledProfileLoadsAndValidates() throws {
        let profiles = try PolicyProfile.allBundled()
        #expect(profiles.map(\.id) == ["qidong", "baotou", "zezhou", "pingdingshan", "henan"])
    }

    /// Rules are data: a centre's own copy under another name behaves the same.
    @Test func aProfileLoadsFromAPathAndRulesAreData() throws {
        var json = try qidongJSON()
        json["id"] = "my-centre"
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("profile-\(UUID()).json")
        try JSONSerialization.data(withJSONObject: json).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let custom = try PolicyProfile.load(contentsOf: url)
        #expect(custom.id == "my-centre")
        let a = try Deadlines.compute(profile: custom, kind: consult, start: monday, calendar: bundledCalendar)
        let b = try Deadlines.compute(profile: profile("qidong"), kind: consult, start: monday, calendar: bundledCalendar)
        #expect(a.replyBy == b.replyBy && a.signBy == b.signBy && a.returnWindowEnd == b.returnWindowEnd)
    }

    @Test func invalidProfilesAreRejectedWithFileKeyPathAndProblem() throws {
        let badUnit = try #require(try profileLoadError { json in
            var reply = json["reply"] as! [[String: Any]]
            reply[1]["limit"] = ["amount": 3, "unit": "workdays"]
            json["reply"] = reply
        })
        #expect(badUnit.file == "centre.json")
        #expect(badUnit.keyPath == "reply[1].limit.unit")
        #expect(badUnit.problem.contains("\"workdays\" is not a unit"))
        #expect(badUnit.description.hasPrefix("centre.json: reply[1].limit.unit: "))

        let negative = try #require(try profileLoadError { json in
            json["sign"] = [["match": [:], "limit": ["amount": -24, "unit": "workingHours"], "basis": "x"]]
        })
        #expect(negative.keyPath == "sign[0].limit.amount")

        let missing = try #require(try profileLoadError { json in json.removeValue(forKey: "sms") })
        #expect(missing.keyPath == "sms")
        #expect(missing.problem == "required key is missing")

        let typo = try #require(try profileLoadError { json in
            var reply = json["reply"] as! [[String: Any]]
            reply[0]["match"] = ["urgncy": "emergency"]
            json["reply"] = reply
        })
        #expect(typo.keyPath == "reply[0].match.urgncy")
        #expect(typo.problem.contains("unknown key"))

        let uncovered = try #require(try profileLoadError { json in
            json["reply"] = (json["reply"] as! [[String: Any]]).filter { ($0["match"] as? [String: Any])?["categories"] as? [String] != ["consult"] }
        })
        #expect(uncovered.keyPath == "reply")
        #expect(uncovered.problem.contains("consult"))

        let reminder = try #require(try profileLoadError { json in json["remindersBeforeReply"] = [["amount": 1, "unit": "workingDays"]] })
        #expect(reminder.keyPath == "remindersBeforeReply[0].unit")

        let scheme = try #require(try profileLoadError { json in json["scoring"] = ["kind": "stars"] })
        #expect(scheme.keyPath == "scoring.kind")

        #expect(throws: DataFileError.self) { try PolicyProfile.bundled("beijing") }
    }

    @Test func zezhou_8_scoringMaximaAddUpTo100OrTheProfileIsRejected() throws {
        let url = try #require(HotlineDomain.resources.url(forResource: "zezhou", withExtension: "json", subdirectory: "profiles"))
        var json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        var scoring = json["scoring"] as! [String: Any]
        scoring["organisationItemPoints"] = 3
        json["scoring"] = scoring
        let data = try JSONSerialization.data(withJSONObject: json)
        do {
            _ = try PolicyProfile.load(data: data, file: "z.json")
            Issue.record("accepted maxima that do not add up to 100")
        } catch {
            #expect(error.keyPath == "scoring")
            #expect(error.problem.contains("106"))
        }
    }

    /// The domain module stays pure: no networking, no C shims.
    @Test func domainSourcesImportNothingButFoundation() throws {
        let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Sources/HotlineDomain")
        let files = try FileManager.default.contentsOfDirectory(atPath: sources.path).filter { $0.hasSuffix(".swift") }
        #expect(files.count >= 5)
        for file in files {
            let text = try String(contentsOf: sources.appendingPathComponent(file), encoding: .utf8)
            let imports = text.split(separator: "\n").filter { $0.hasPrefix("import ") }
            #expect(imports.allSatisfy { $0 == "import Foundation" }, "\(file): \(imports)")
            // Rules are data: no branching on a profile's name.
            for id in PolicyProfile.bundledIDs {
                for pattern in ["== \"\(id)\"", "!= \"\(id)\"", "case \"\(id)\""] {
                    #expect(!text.contains(pattern), "\(file) branches on profile \(id)")
                }
            }
        }
    }
}
