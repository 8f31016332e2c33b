import Foundation
import HotlineContracts
import HotlineDomain
import HotlineIntake
import Testing

/// The contract's documentation and its example stay true: the example is a valid submission, and
/// the markdown shows exactly the example file.
@Suite struct SubmissionDocumentationTests {
    static let documentation = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Sources/HotlineContracts/Documentation")

    func read(_ name: String) throws -> String {
        try String(contentsOf: Self.documentation.appendingPathComponent(name), encoding: .utf8)
    }

    @Test func theExampleIsAValidSubmissionForQidong() throws {
        let json = try read("submission-v1.example.json")
        let envelope = try Contracts.decode(SubmissionV1.self, from: Array(json.utf8))
        #expect(envelope.type == "submission")
        #expect(envelope.version == 1)
        #expect(envelope.data.readProblems.isEmpty)

        let data = envelope.data
        let channel = try #require(data.channel)
        let now = try #require(data.receivedAt).addingTimeInterval(60)
        let request = try SubmissionValidation.validate(data, routingChannel: "phone", profile: PolicyProfile.bundled("qidong"),
                                                        now: now).get()
        #expect(channel == "热线电话")
        #expect(request.channel == .phone)
        #expect(request.kind == OrderKind(category: .complaint, urgency: .general))
        #expect(request.phone?.digits == "13800138000")
        #expect(request.regionCode == "320681100")
    }

    @Test func theMarkdownShowsTheExampleFile() throws {
        let json = try read("submission-v1.example.json").trimmingCharacters(in: .whitespacesAndNewlines)
        let markdown = try read("submission-v1.md")
        #expect(markdown.contains("```json\n\(json)\n```"))
    }

    @Test func theMarkdownNamesEveryField() throws {
        let markdown = try read("submission-v1.md")
        for field in ["submissionId", "channel", "receivedAt", "citizen.name", "citizen.phone", "confidential", "category",
                      "urgency", "class", "title", "content", "address", "regionCode", "agentId", "outcome.kind",
                      "outcome.kbEntryId", "outcome.answer", "outcome.reason", "outcome.guidance"] {
            #expect(markdown.contains("`\(field)`"), "\(field) is not documented")
        }
    }
}
