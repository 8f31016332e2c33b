import Foundation
import HotlineStore
import PostgresClient

/// hotline-sms-reply's part of `hotlinectl status`: reply SMS by status, due and held, answers the
/// revisit staff must read, open phone revisits.
struct SMSState: Encodable {
    var outbound: [String: Int]
    var due: Int
    var held: Int
    var toLookAt: Int
    var phoneRevisits: Int
}

extension StatusReport {
    mutating func readSMS(_ db: PostgresConnection) throws {
        guard try db.query("SELECT to_regclass('phone_revisits') IS NOT NULL AS ok").first?.decode("ok", as: Bool.self) ?? false else { return }
        let status = try SMSMessages.status(at: Date(), on: db)
        sms = SMSState(outbound: status.outbound, due: status.due, held: status.held, toLookAt: status.toLookAt,
                       phoneRevisits: status.phoneRevisits)
    }

    var smsText: String {
        guard let sms else { return "sms: unavailable\n" }
        let counts = sms.outbound.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        return "sms out: \(counts.isEmpty ? "none" : counts); due \(sms.due), held \(sms.held)\n"
            + "  answers to look at: \(sms.toLookAt); phone revisits open: \(sms.phoneRevisits)\n"
    }
}
