import Foundation
import Testing
@testable import HotlineDomain

/// The vocabulary, the scope guidance and the matter lexicon are validated data files: the bundled
/// ones load, and a broken one is answered with one line per problem.
@Suite struct DataFileTests {
    /// A bundled resource's JSON as a dictionary, to break on purpose.
    func json(_ name: String) throws -> [String: Any] {
        let url = try #require(HotlineDomain.resources.url(forResource: name, withExtension: "json"))
        return try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    }

    func lines<T: ValidatedDataFileWithProblems>(_ type: T.Type, _ json: [String: Any]) throws -> [String] {
        T.problems(data: try JSONSerialization.data(withJSONObject: json), file: "f.json").map(\.description)
    }

    @Test func theBundledFilesLoadAndValidate() throws {
        let files: [(String, any ValidatedDataFileWithProblems.Type)] = [
            ("scope-guidance", ScopeGuidance.self), ("matter-lexicon", MatterLexicon.self), ("vocabulary", Vocabulary.self)]
        for (name, type) in files {
            let url = try #require(HotlineDomain.resources.url(forResource: name, withExtension: "json"))
            #expect(type.problems(data: try Data(contentsOf: url), file: name) == [], "\(name)")
        }
        #expect(ScopeGuidance.bundled.texts.count == NotAcceptedReason.allCases.count)
        #expect(MatterLexicon.bundled.matters.count == 15)
        #expect(MatterLexicon.bundled.particles.count == 9)
        #expect(Vocabulary.bundled.channelNames == ["热线电话", "短信", "网站", "客户端", "微信", "市长信箱", "评价系统", "上级热线"])
    }

    @Test func scopeGuidanceNamesEveryProblem() throws {
        var file = try json("scope-guidance")
        var texts = file["texts"] as! [String: String]
        texts.removeValue(forKey: "outsideJurisdiction")
        texts["militaryMatter"] = "  "
        texts["outOfScope"] = "不属于受理范围。"
        file["texts"] = texts
        #expect(try lines(ScopeGuidance.self, file) == [
            "f.json: texts.outOfScope: is not a reason (expected one of: \(NotAcceptedReason.allCases.map(\.rawValue).joined(separator: ", ")))",
            "f.json: texts.militaryMatter: is empty",
            "f.json: texts: outsideJurisdiction has no guidance text",
        ])
        file["basis"] = nil
        #expect(try lines(ScopeGuidance.self, file) == ["f.json: basis: required key is missing"])
        file["basis"] = "x"
        file["text"] = [:]
        #expect(try lines(ScopeGuidance.self, file).first?.hasPrefix("f.json: text: unknown key") == true)
    }

    @Test func theLexiconNamesEveryProblem() throws {
        var file = try json("matter-lexicon")
        var matters = file["matters"] as! [[String: Any]]
        matters[0]["words"] = ["停水", "", "停 水", "来水", "Tap", "停水了"]
        matters[1]["words"] = ["来水"]          // also a word of waterOutage
        matters[2]["topic"] = "waterOutage"     // a second waterOutage
        matters[3]["words"] = [String]()
        matters[4]["topic"] = "噪音"
        file["matters"] = matters
        file["particles"] = ["的", "了了", "的"]
        #expect(try lines(MatterLexicon.self, file) == [
            "f.json: particles[1]: \"了了\" is not a single letter",
            "f.json: particles[2]: \"的\" is listed twice",
            "f.json: matters[0].words[1]: is empty",
            "f.json: matters[0].words[2]: \"停 水\" has characters other than letters (texts are compared letters only, so it could never match)",
            "f.json: matters[0].words[4]: \"Tap\" has upper-case letters (texts are compared lower-cased, so it could never match)",
            "f.json: matters[1].words[0]: \"来水\" is also a word of waterOutage",
            "f.json: matters[2].topic: waterOutage is also matters[0]",
            "f.json: matters[3].words: lists no word",
            "f.json: matters[4].topic: must be a non-empty ASCII code (letters and digits), e.g. waterOutage",
        ])
        // 停水了 is not reported above because 了 is no longer a particle there: put it back.
        file["particles"] = ["的", "了"]
        #expect(try lines(MatterLexicon.self, file).contains(
            "f.json: matters[0].words[5]: \"停水了\" contains the particle 了, which is dropped from texts, so it could never match"))
    }

    @Test func theVocabularyNamesEveryProblem() throws {
        var file = try json("vocabulary")
        var channels = file["channels"] as! [String: [String]]
        channels["sms"] = ["短信", "电话"]       // 电话 already names phone
        channels["website"] = ["网站", "", " 网页"]
        channels["fax"] = ["传真"]
        channels["wechat"] = ["微信", "WeChat"]  // its own code
        channels["app"] = ["客户端", "Sms"]      // another channel's code
        channels["mayorMailbox"] = ["市长信箱", "市长信箱"]
        channels.removeValue(forKey: "upperHotline")
        file["channels"] = channels
        var urgencies = file["urgencies"] as! [String: [String]]
        urgencies["general"] = []
        file["urgencies"] = urgencies
        #expect(try lines(Vocabulary.self, file) == [
            "f.json: channels.fax: is not a channel (expected one of: \(Channel.allCases.map(\.rawValue).joined(separator: ", ")))",
            "f.json: channels.sms[1]: \"电话\" also names phone",
            "f.json: channels.website[1]: is empty",
            "f.json: channels.website[2]: \" 网页\" has leading or trailing whitespace",
            "f.json: channels.app[1]: \"Sms\" is the code of sms",
            "f.json: channels.wechat[1]: \"WeChat\" is the code itself (codes are always accepted)",
            "f.json: channels.mayorMailbox[1]: \"市长信箱\" is listed twice",
            "f.json: channels: upperHotline has no name",
            "f.json: urgencies: general has no name",
        ])
    }

    @Test func namesAreReadFromTheVocabulary() {
        let vocabulary = Vocabulary.bundled
        #expect(vocabulary.channel(named: "好差评") == .evaluationSystem)
        #expect(vocabulary.channel(named: "MayorMailbox") == .mayorMailbox)
        #expect(vocabulary.channel(named: "传真") == nil)
        #expect(Category(parsing: " 意见类 ") == .suggestion)
        #expect(Category(parsing: "Complaint") == .complaint)
        #expect(Urgency(parsing: "大面积停热") == .majorOutage)
        #expect(Urgency(parsing: "basic_living") == .basicLiving)
        #expect(Urgency(parsing: "很急") == nil)
        #expect(Category.allCases.map(\.chineseName) == ["咨询", "求助", "建议", "批评", "投诉", "举报"])
        // Every name of every code reads back as that code.
        for channel in Channel.allCases {
            for name in vocabulary.channels[channel.rawValue] ?? [] { #expect(vocabulary.channel(named: name) == channel, "\(name)") }
        }
        for urgency in Urgency.allCases {
            for name in vocabulary.urgencies[urgency.rawValue] ?? [] { #expect(Urgency(parsing: name) == urgency, "\(name)") }
        }
    }

    /// The list of profiles is the files: one written beside them would be listed (read from the
    /// source tree, which the bundle copies), and they come in the order of their documents.
    @Test func theProfileListIsDerivedFromTheProfileFiles() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources/HotlineDomain/Resources/profiles")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".json") }
        #expect(Set(PolicyProfile.bundledIDs) == Set(files.map { String($0.dropLast(5)) }))
        let profiles = try PolicyProfile.allBundled()
        #expect(profiles.map(\.id) == PolicyProfile.bundledIDs)
        #expect(profiles.map(\.document) == profiles.map(\.document).sorted())
        #expect(profiles.map { String($0.document.prefix(3)) } == ["000", "001", "002", "003", "004"])
    }
}
