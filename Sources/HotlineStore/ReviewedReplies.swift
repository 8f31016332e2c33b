import Foundation
import HotlineDomain
import PostgresClient

/// Orders taken to a reviewed reply in bulk, through the same application layer the API uses
/// (`OrderActions`): accepted, dispatched to `lead`, signed, the reply drafted and reviewed, so
/// `workorder.replied` waits in the outbox. For `hotlinectl bench sms` and the SMS tests.
public enum ReviewedReplies {
    public struct Made: Sendable, Equatable {
        public var number: String
        public var id: UUID
        public var phone: String
    }

    /// One order per phone, each replied with `text(index)` and reviewed at `now`, in the caller's
    /// transaction.
    public static func make(profile: PolicyProfile, lead: String, phones: [String], confidential: Bool = false, urgency: Urgency? = nil,
                            text: (Int) -> String, at now: Date, profiles: [String: PolicyProfile], calendar: WorkingCalendar,
                            on connection: PostgresConnection) throws -> [Made] {
        let received = now.addingTimeInterval(-3_600)
        let caseClass: CaseClass? = profile.keyedBy == .caseClass ? .B : nil
        let numbers = try WorkOrders.reserveNumbers(receivedAt: Array(repeating: received, count: phones.count), on: connection)
        var creations: [OrderCreation] = []
        var made: [Made] = []
        for (index, phone) in phones.enumerated() {
            let id = UUID()
            let order = WorkOrder(id: id.uuidString, kind: OrderKind(category: .help, urgency: urgency, caseClass: caseClass), channel: .phone,
                                  confidential: confidential, receivedAt: received)
            let accepted = try Lifecycle.apply(.accept, to: order, now: received, profile: profile, calendar: calendar).get()
            creations.append(OrderCreation(order: NewWorkOrder(id: id, number: numbers[index], profile: profile.id, order: order,
                                                               submissionId: "reviewed-reply-\(id.uuidString)", title: "小区停水",
                                                               contentPII: "幸福小区3栋停水三天", citizenNamePII: "李华",
                                                               citizenPhonePII: phone, addressPII: "石桥县幸福小区3栋"),
                                           transition: accepted, outbox: []))
            made.append(Made(number: numbers[index], id: id, phone: phone))
        }
        _ = try WorkOrders.create(creations, actor: "reviewed-replies", at: received, on: connection)
        for (index, order) in made.enumerated() {
            let steps: [(OrderAction, String, Date)] = [
                (.dispatch(lead: lead, coUnits: []), "routing", now.addingTimeInterval(-3_000)),
                (.sign(unit: lead), "unit:\(lead)", now.addingTimeInterval(-2_000)),
                (.saveReplyDraft(unit: lead, ReplyDraft(textPII: text(index), contactedCitizen: false, contact: nil)), "unit:\(lead)",
                 now.addingTimeInterval(-60)),
                (.reviewReply(unit: lead), "unit:\(lead)", now),
            ]
            for (action, actor, at) in steps {
                _ = try OrderActions.perform(action, number: order.number, actor: actor, at: at, profiles: profiles, calendar: calendar,
                                             on: connection)
            }
        }
        return made
    }
}
