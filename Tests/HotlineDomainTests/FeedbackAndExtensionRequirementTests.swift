import Foundation
import Testing
@testable import HotlineDomain

/// Progress feedback (反馈) and what an extension request must carry, as the profiles say.
@Suite struct FeedbackAndExtensionRequirementTests {
    @Test func baotou_aFeedbackWithinTheLimitMeetsIt() throws {
        let order = try dispatchedOrder("baotou", OrderKind(category: .help))
        expectError(.notAllowed(command: "give feedback on", state: "dispatched"), apply(.feedback(unit: "住建局"), order, "baotou"))
        let signed = try run([(.sign(unit: "住建局"), monday)], on: order, "baotou").0
        expectError(.wrongUnit(expected: "住建局"), apply(.feedback(unit: "水务局"), signed, "baotou"))
        let fed = try apply(.feedback(unit: "住建局"), signed, "baotou", at: monday.addingTimeInterval(3600)).get()
        #expect(fed.events == [.fedBack(unit: "住建局", satisfiesReplyLimit: true)])
        #expect(fed.timers.contains(.cancel(.replyBy)) && fed.timers.contains(.cancel(.reminder(0))))
        // The state does not move: the final reply follows.
        #expect(fed.order.assignment?.state == .signed)
        #expect((try? apply(.reply(unit: "住建局", contactedCitizen: true), fed.order, "baotou").get()) != nil)
        // Past the limit a feedback is recorded but meets nothing.
        let late = try apply(.feedback(unit: "住建局"), signed, "baotou", at: monday.addingTimeInterval(30 * 86_400)).get()
        #expect(late.events == [.fedBack(unit: "住建局", satisfiesReplyLimit: false)])
        #expect(late.timers.isEmpty)
    }

    @Test func pingdingshanClassCAndQidong_feedbackAsTheProfileSays() throws {
        let classC = try dispatchedOrder("pingdingshan", OrderKind(category: .complaint, caseClass: .C))
        let signedC = try run([(.sign(unit: "住建局"), monday)], on: classC, "pingdingshan").0
        #expect(try apply(.feedback(unit: "住建局"), signedC, "pingdingshan").get().events == [.fedBack(unit: "住建局", satisfiesReplyLimit: true)])
        let classB = try dispatchedOrder("pingdingshan", OrderKind(category: .complaint, caseClass: .B))
        let signedB = try run([(.sign(unit: "住建局"), monday)], on: classB, "pingdingshan").0
        #expect(try apply(.feedback(unit: "住建局"), signedB, "pingdingshan").get().events == [.fedBack(unit: "住建局", satisfiesReplyLimit: false)])
        let qidong = try dispatchedOrder("qidong", OrderKind(category: .help))
        let signedQ = try run([(.sign(unit: "住建局"), monday)], on: qidong, "qidong").0
        let recorded = try apply(.feedback(unit: "住建局"), signedQ, "qidong").get()
        #expect(recorded.events == [.fedBack(unit: "住建局", satisfiesReplyLimit: false)])
        #expect(recorded.timers.isEmpty)
    }

    /// pingdingshan 五(六) 原则上每件事项只能提出1次延期申请; qidong 附件2 一(四)2 最多可申请2次: applications
    /// are counted, so a rejected one counts too.
    @Test func extensionLimitsCountRequestsGrantedOrNot() throws {
        let ping = try run([(.sign(unit: "住建局"), monday)], on: try dispatchedOrder("pingdingshan", OrderKind(category: .help, caseClass: .B)),
                           "pingdingshan").0
        #expect((try? apply(.requestExtension(unit: "住建局", amount: .workingDays(2), citizenConsented: false), ping, "pingdingshan").get()) != nil)
        let (rejected, _, _) = try run([(.requestExtension(unit: "住建局", amount: .workingDays(2), citizenConsented: false), monday),
                                        (.rejectExtension, monday)], on: ping, "pingdingshan")
        #expect(rejected.assignment?.extensions.isEmpty == true)
        let again = apply(.requestExtension(unit: "住建局", amount: .workingDays(2), citizenConsented: false, earlierRequests: 1),
                          rejected, "pingdingshan")
        guard case .failure(.extensionLimit(_, 1, _)) = again else { Issue.record("\(again)"); return }
        let qidong = try run([(.sign(unit: "住建局"), monday)], on: try dispatchedOrder("qidong", help), "qidong").0
        #expect((try? apply(.requestExtension(unit: "住建局", amount: .workingDays(5), citizenConsented: false, earlierRequests: 1),
                            qidong, "qidong").get()) != nil)
        guard case .failure(.extensionLimit(_, 2, _)) = apply(.requestExtension(unit: "住建局", amount: .workingDays(5), citizenConsented: false,
                                                                                 earlierRequests: 2), qidong, "qidong") else {
            Issue.record("a third application is refused"); return
        }
    }

    @Test func extensionRequestsCarryWhatEachDocumentAsks() throws {
        #expect(profile("qidong").extensionRequires?.fields == [.reason, .basis, .citizenInformed])
        #expect(profile("qidong").extensionRequires?.basis.contains("与市民解释沟通情况") == true)
        #expect(profile("zezhou").extensionRequires?.fields == [.reason, .basis])
        #expect(profile("baotou").extensionRequires?.fields == [.reason, .citizenInformed, .leaderSignature])
        #expect(profile("baotou").extensionRequires?.basis.contains("单位分管领导审核签字") == true)
        #expect(profile("pingdingshan").extensionRequires == nil)
        // Only reply limits are met by a feedback.
        for id in PolicyProfile.bundledIDs {
            let p = profile(id)
            #expect((p.dispatch + p.sign + p.firstFeedback).allSatisfy { $0.satisfiedByFeedback == nil }, "\(id)")
        }
        #expect(profile("baotou").reply.allSatisfy { $0.satisfiedByFeedback == true })
    }
}
