import Foundation
import HotlineStore
import PostgresClient

/// Open311's part of `hotlinectl status`: requests POSTed, those intake has not answered yet, and
/// the API keys that are valid.
struct Open311State: Encodable {
    var posted: Int
    /// POSTed, in the outbox or intake's queue, neither an order nor a rejection yet.
    var pending: Int
    var validKeys: Int
}

extension StatusReport {
    mutating func readOpen311(_ db: PostgresConnection) throws {
        guard try db.query("SELECT to_regclass('open311_requests') IS NOT NULL AS ok").first?.decode("ok", as: Bool.self) ?? false else {
            return
        }
        let counts = try Open311Requests.counts(on: db)
        let now = Date()
        open311 = Open311State(posted: counts.posted, pending: counts.pending,
                               validKeys: try Open311Keys.list(on: db).filter { $0.revokedAt == nil && $0.expiresAt > now }.count)
    }

    var open311Text: String {
        guard let open311 else { return "open311: unavailable\n" }
        return "open311: \(open311.posted) requests posted, \(open311.pending) not yet answered by intake; \(open311.validKeys) valid API keys\n"
    }
}
