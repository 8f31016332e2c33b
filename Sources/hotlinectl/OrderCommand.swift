import ArgumentParser
import Foundation
import HotlineDomain
import HotlineRuntime
import HotlineStore
import PostgresClient

/// The office's and units' actions on one order, until the HTTP API exists: each is one
/// transaction through the same store API the workers use.
struct OrderCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "order",
        abstract: "Show a work order, or act on it as a unit or the office (return, approve or reject a return, dispatch by hand).",
        subcommands: [Show.self, RequestReturn.self, ApproveReturn.self, RejectReturn.self, Dispatch.self])

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "State, units, timers and history of one order (no personal data).")
        @OptionGroup var database: DatabaseOption
        @Argument(help: "The order number, e.g. 12345-20261121-0000001.") var number: String

        func run() throws {
            let connection = try database.connect(name: "hotlinectl-order")
            defer { connection.close() }
            guard let row = try connection.query("""
                SELECT id, state, category, urgency, class, profile, region_code, locality_code, received_at, dispatch_by,
                       returns_count, supervision_reason, repeat_of, cluster_key, manual_dispatch_reason, version
                FROM work_orders WHERE number = \(number)
                """).first else { throw UsageError("no work order numbered \(number)") }
            let id = try row.decode("id", as: UUID.self)
            print("number:   \(number)")
            print("state:    \(try row.decode("state", as: String.self)) (version \(try row.decode("version", as: Int.self)))")
            print("kind:     \(try row.decode("category", as: String.self)) \(try row.decode("urgency", as: String?.self) ?? "") \(try row.decode("class", as: String?.self) ?? "")")
            print("profile:  \(try row.decode("profile", as: String.self))")
            let place = try row.decode("locality_code", as: String?.self) ?? row.decode("region_code", as: String?.self)
            print("place:    \(place ?? "-")")
            print("received: \(ChinaTime.format(try row.decode("received_at", as: Date.self)))")
            if let by = try row.decode("dispatch_by", as: Date?.self) { print("dispatch by: \(ChinaTime.format(by))") }
            print("returns:  \(try row.decode("returns_count", as: Int.self))")
            if let reason = try row.decode("supervision_reason", as: String?.self) { print("supervised: \(reason)") }
            if let reason = try row.decode("manual_dispatch_reason", as: String?.self) { print("manual dispatch: \(reason)") }
            if let cluster = try row.decode("cluster_key", as: String?.self) { print("cluster:  \(cluster)") }
            for a in try connection.query("""
                SELECT u.code, u.name, a.role, a.state, a.active, a.reply_by FROM assignments a JOIN units u ON u.id = a.unit_id
                WHERE a.work_order_id = \(id) ORDER BY a.id
                """) {
                let active = try a.decode("active", as: Bool.self) ? "" : " (no longer)"
                print("unit:     \(try a.decode("role", as: String.self)) \(try a.decode("code", as: String.self)) \(try a.decode("name", as: String.self)) \(try a.decode("state", as: String.self)), reply by \(ChinaTime.format(try a.decode("reply_by", as: Date.self)))\(active)")
            }
            for t in try connection.query("""
                SELECT kind, fire_at, fired_at IS NOT NULL AS fired, cancelled_at IS NOT NULL AS cancelled FROM timers
                WHERE work_order_id = \(id) ORDER BY fire_at
                """) {
                let fired = try t.decode("fired", as: Bool.self), cancelled = try t.decode("cancelled", as: Bool.self)
                let status = fired ? "fired" : cancelled ? "cancelled" : "pending"
                print("timer:    \(try t.decode("kind", as: String.self)) at \(ChinaTime.format(try t.decode("fire_at", as: Date.self))) \(status)")
            }
            for e in try connection.query("SELECT type, occurred_at, actor, data::text AS data FROM events WHERE work_order_id = \(id) ORDER BY id") {
                print("event:    \(ChinaTime.format(try e.decode("occurred_at", as: Date.self))) \(try e.decode("type", as: String.self)) by \(try e.decode("actor", as: String?.self) ?? "-") \(try e.decode("data", as: String.self))")
            }
        }
    }

    struct RequestReturn: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "return", abstract: "The lead unit asks to return the order (退件).")
        @OptionGroup var database: DatabaseOption
        @Argument(help: "The order number.") var number: String
        @Option(help: "The lead unit's code.") var unit: String
        @Option(help: "Why the order is not the unit's (退回理由).") var reason: String?
        @Option(help: "Which unit should have it (转办建议).") var suggestion: String?
        @Option(help: "The legal or policy basis (有效依据).") var basis: String?
        @Option(help: "The unit leader's opinion (部门领导签署意见).") var leaderOpinion: String?
        func run() throws {
            let request = ReturnRequest(reason: reason, redispatchSuggestion: suggestion, basis: basis, leaderOpinion: leaderOpinion)
            try OrderCommand.perform(.requestReturn(unit: unit, request), number: number, actor: "unit:\(unit)", database: database)
        }
    }

    struct ApproveReturn: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "approve-return", abstract: "The office approves the return: routing re-dispatches, never to the unit that returned it.")
        @OptionGroup var database: DatabaseOption
        @Argument(help: "The order number.") var number: String
        func run() throws { try OrderCommand.perform(.approveReturn, number: number, actor: "office", database: database) }
    }

    struct RejectReturn: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "reject-return", abstract: "The office rejects the return (驳回): the unit keeps the order.")
        @OptionGroup var database: DatabaseOption
        @Argument(help: "The order number.") var number: String
        @Option(help: "Why the return is rejected.") var reason: String?
        func run() throws { try OrderCommand.perform(.rejectReturn(reason: reason), number: number, actor: "office", database: database) }
    }

    struct Dispatch: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The office dispatches an order by hand (the manual-dispatch queue).")
        @OptionGroup var database: DatabaseOption
        @Argument(help: "The order number.") var number: String
        @Option(help: "The lead unit's code.") var lead: String
        @Option(parsing: .upToNextOption, help: "Co-unit codes.") var co: [String] = []
        func run() throws { try OrderCommand.perform(.dispatch(lead: lead, coUnits: co), number: number, actor: "office", database: database) }
    }

    /// The same application layer as the HTTP API (`OrderActions`): one implementation of each action.
    static func perform(_ action: OrderAction, number: String, actor: String, database: DatabaseOption) throws {
        let connection = try database.connect(name: "hotlinectl-order")
        defer { connection.close() }
        let profiles = Dictionary(uniqueKeysWithValues: try PolicyProfile.allBundled().map { ($0.id, $0) })
        let calendar = try WorkerRules.calendar()
        do {
            let outcome = try connection.withTransaction { tx in
                try OrderActions.perform(action, number: number, actor: actor, at: Date(), profiles: profiles, calendar: calendar, on: tx)
            }
            print("\(number): \(outcome.transition.order.stateName)")
        } catch let error as OrderCommandError {
            throw UsageError(error.description)
        } catch let error as ReturnIncomplete {
            throw UsageError(error.description)
        }
    }
}

