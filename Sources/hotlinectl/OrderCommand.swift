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
        abstract: "Show a work order, or act on it as a unit or the office (return, extend, approve or reject them, dispatch by hand).",
        subcommands: [Show.self, RequestReturn.self, ApproveReturn.self, RejectReturn.self, RequestExtension.self, ApproveExtension.self,
                      RejectExtension.self, Dispatch.self])

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "State, units, timers and history of one order (no personal data).")
        @OptionGroup var database: DatabaseOption
        @Argument(help: "The order number, e.g. 12345-20261121-0000001.") var number: String

        func run() throws {
            let connection = try database.connect(name: "hotlinectl-order")
            defer { connection.close() }
            guard let order = try WorkOrders.details(number: number, on: connection) else {
                throw UsageError("no work order numbered \(number)")
            }
            print("number:   \(number)")
            print("state:    \(order.state) (version \(order.version))")
            print("kind:     \(order.category) \(order.urgency ?? "") \(order.caseClass ?? "")")
            print("profile:  \(order.profile)")
            print("place:    \(order.localityCode ?? order.regionCode ?? "-")")
            print("received: \(ChinaTime.format(order.receivedAt))")
            if let by = order.dispatchBy { print("dispatch by: \(ChinaTime.format(by))") }
            print("returns:  \(order.returns)")
            if let reason = order.supervisionReason { print("supervised: \(reason)") }
            if let reason = order.manualDispatchReason { print("manual dispatch: \(reason)") }
            if let cluster = order.clusterKey { print("cluster:  \(cluster)") }
            for a in order.units {
                let replyBy = a.replyBy.map(ChinaTime.format) ?? "-"
                print("unit:     \(a.role) \(a.code) \(a.name) \(a.state), reply by \(replyBy)\(a.active ? "" : " (no longer)")")
            }
            for t in order.timers {
                print("timer:    \(t.kind) at \(ChinaTime.format(t.fireAt)) \(t.fired ? "fired" : t.cancelled ? "cancelled" : "pending")")
            }
            for e in order.events {
                print("event:    \(ChinaTime.format(e.occurredAt)) \(e.type) by \(e.actor ?? "-") \(e.data)")
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

    struct RequestExtension: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "extend", abstract: "The lead unit asks for more time (延期), before the reply-by, within the profile's limits.")
        @OptionGroup var database: DatabaseOption
        @Argument(help: "The order number.") var number: String
        @Option(help: "The lead unit's code.") var unit: String
        @Option(help: "Working days asked for.") var days: Int
        @Option(help: "Why (延期理由).") var reason: String?
        @Option(help: "The basis (延期依据).") var basis: String?
        @Option(help: "What the citizen was told (与市民解释沟通情况).") var informed: String?
        @Flag(help: "The citizen agreed (baotou 延时挂账).") var consented = false
        @Option(help: "The unit leader's signature (baotou: 分管领导审核签字).") var signature: String?
        func run() throws {
            guard days > 0 else { throw UsageError("--days must be a positive number of working days") }
            let request = ExtensionRequest(amount: .workingDays(days), reason: reason, basis: basis, citizenInformedPII: informed,
                                           citizenConsented: consented, leaderSignaturePII: signature)
            try OrderCommand.perform(.requestExtension(unit: unit, request), number: number, actor: "unit:\(unit)", database: database)
        }
    }

    struct ApproveExtension: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "approve-extension", abstract: "The office approves the extension asked (pingdingshan: --days sets the new amount).")
        @OptionGroup var database: DatabaseOption
        @Argument(help: "The order number.") var number: String
        @Option(help: "Working days the office sets (only where the profile lets it).") var days: Int?
        func run() throws {
            if let days, days <= 0 { throw UsageError("--days must be a positive number of working days") }
            try OrderCommand.perform(.approveExtension(amount: days.map(TimeLimit.workingDays)), number: number, actor: "office",
                                     database: database)
        }
    }

    struct RejectExtension: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "reject-extension", abstract: "The office rejects the extension (驳回): the reply-by stays.")
        @OptionGroup var database: DatabaseOption
        @Argument(help: "The order number.") var number: String
        @Option(help: "Why the extension is rejected.") var reason: String?
        func run() throws { try OrderCommand.perform(.rejectExtension(reason: reason), number: number, actor: "office", database: database) }
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
        let calendar = try CalendarStore.read(on: connection)
        do {
            let outcome = try connection.withTransaction { tx in
                try OrderActions.perform(action, number: number, actor: actor, at: Date(), profiles: profiles, calendar: calendar, on: tx)
            }
            print("\(number): \((outcome.transition?.order ?? outcome.before.order).stateName)")
        } catch let error as OfficeAndUnitCommandError {
            throw UsageError(error.description)
        } catch let error as ReturnIncomplete {
            throw UsageError(error.description)
        } catch let error as ExtensionIncomplete {
            throw UsageError(error.description)
        } catch let error as ExtensionAmountNotSetByOffice {
            throw UsageError(error.description)
        }
    }
}

