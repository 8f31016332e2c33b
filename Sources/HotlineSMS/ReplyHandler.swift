import Foundation
import HotlineContracts
import HotlineDomain
import HotlineRuntime
import HotlineStore
import PostgresClient

/// Consumes `workorder.replied`: renders the reply SMS from the order's profile (the unit's name as
/// prefix, the unit's result, the rating request; under the hotline's own name when the order is
/// confidential), starts the revisit (`revisitPending`) and stores the message, all in the lane's
/// transaction. The sender (`SMSSender`) sends it later, outside that transaction. The message's
/// key is the event's message id, so a redelivery writes nothing twice.
///
/// A citizen with no mobile number, or who opted out (退订), gets no SMS: the message is stored
/// with that status and the order goes to the office's phone-revisit queue.
public struct ReplyHandler: MessageHandler {
    public let profiles: [String: PolicyProfile]
    public let calendars: CalendarSource
    public let metrics: SMSMetrics?
    /// False only when the operator turned quiet hours off (`HOTLINE_SMS_QUIET_HOURS=off`).
    public var quietHours = true
    public var actor = "sms-reply"

    public init(profiles: [String: PolicyProfile], calendars: CalendarSource, metrics: SMSMetrics? = nil, quietHours: Bool = true) {
        self.profiles = profiles
        self.calendars = calendars
        self.metrics = metrics
        self.quietHours = quietHours
    }

    public func handle(_ message: IncomingMessage, context: HandlerContext) throws {
        guard message.type == WorkOrderReplied.type else { throw InvalidMessage(reason: "sms-reply does not handle \(message.type)") }
        let envelope = try message.decode(WorkOrderReplied.self)
        let reply = envelope.data
        guard let orderId = envelope.workOrderId else { throw InvalidMessage(reason: "workorder.replied without a workOrderId") }
        guard let profile = profiles[reply.profile] else { throw InvalidMessage(reason: "unknown profile \(reply.profile)") }
        let connection = context.connection
        guard let stored = try WorkOrders.load(orderId, forUpdate: true, on: connection) else {
            throw InvalidMessage(reason: "work order \(reply.number) not found")
        }
        let now = context.now
        let text = ReplySMS.text(template: profile.sms, unitName: reply.unitName, result: reply.replyText,
                                 confidential: reply.confidential || stored.order.confidential)
        // The revisit starts with the reply SMS (qidong 附件2 一(五)4: 审核后…同时触发短信).
        if case .success(let transition) = Lifecycle.apply(.startRevisit, to: stored.order, now: now, profile: profile,
                                                           calendar: calendars.current) {
            try WorkOrders.apply(transition, to: stored, actor: actor, at: now, outbox: [], on: connection)
        } else {
            context.logger.warning("reply SMS for an order not waiting for its revisit", metadata: [
                "hotline.work_order.number": "\(reply.number)", "hotline.work_order.state": "\(stored.order.stateName)"])
        }
        let citizen = try SMSMessages.citizen(of: orderId, on: connection)
        let mobile = citizen?.phone.flatMap(MobileNumber.canonical)
        let urgency = citizen?.urgency.flatMap(Urgency.init(rawValue:))
        let status: String
        if mobile == nil {
            status = "noPhone"
        } else if try SMSMessages.isOptedOut(mobile!, on: connection) {
            status = "optedOut"
        } else {
            status = "queued"
        }
        let sendAt = quietHours ? profile.sms.delivery.quietHours?.sendAt(now, urgency: urgency) ?? now : now
        guard let id = try SMSMessages.queue(key: "replied:\(message.messageId)", workOrderId: orderId, phone: mobile ?? citizen?.phone ?? "",
                                             body: text, segments: SMSText.segmentCount(text), urgent: sendAt == now && urgency != nil
                                                 && profile.sms.delivery.quietHours?.exceptUrgencies.contains(urgency!) == true,
                                             status: status, sendAt: sendAt, at: now, on: connection) else { return }
        if status != "queued" {
            try PhoneRevisits.enqueue(orderId, reason: status, smsMessageId: id, at: now, on: connection)
        } else {
            metrics?.queuedOne()
        }
        context.logger.info("reply SMS stored", metadata: [
            "hotline.work_order.number": "\(reply.number)", "hotline.sms.id": "\(id)", "hotline.sms.status": "\(status)",
            "hotline.sms.held_until": "\(sendAt > now ? ChinaTime.format(sendAt) : "-")"])
    }
}
