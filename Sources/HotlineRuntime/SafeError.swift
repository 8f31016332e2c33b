import AMQPClient
import Foundation
import HotlineContracts
import HotlineDomain
import HotlineStore
import PostgresClient

/// An error that may leave the process: into a broker header (`x-hotline-error`), a parked
/// message's row, a log line or an answer. It carries a short stable `safeCode` and a `safeReason`
/// written to hold no personal data (no phone, name or citizen's text, no parameter value).
public protocol SafeError: Error {
    var safeCode: String { get }
    var safeReason: String { get }
}

/// The one way the runtime writes an error anywhere outside the process.
public enum SafeErrors {
    /// `safeCode: reason` for a `SafeError`; for an error of any other type only its type name,
    /// because its description may quote whatever data it was built from.
    public static func describe(_ error: any Error) -> String {
        if let safe = error as? any SafeError {
            return "\(safe.safeCode): \(safe.safeReason)"
        }
        return "\(type(of: error)) (not described: an error of this type may hold personal data)"
    }
}

/// The enum case's name (`concurrentUpdate`) of a case with a payload, as part of a code; nil
/// for anything else.
func caseName(of value: Any) -> String? {
    let mirror = Mirror(reflecting: value)
    guard mirror.displayStyle == .enum else { return nil }
    return mirror.children.first?.label
}

/// An error whose `description` is written to be safe (it names rules, units, fields and
/// statements, never values): its reason is its description and its code its kind and case.
public protocol SafelyDescribed: SafeError, CustomStringConvertible {
    static var kind: String { get }
}

extension SafelyDescribed {
    public var safeCode: String {
        caseName(of: self).map { "\(Self.kind)-\($0)" } ?? Self.kind
    }
    public var safeReason: String { description }
}

// The project's own errors, each declared safe here, in one place.
extension InvalidMessage: SafelyDescribed { public static let kind = "invalid-message" }
extension PostgresError: SafelyDescribed { public static let kind = "postgres" }
extension AMQPError: SafelyDescribed { public static let kind = "amqp" }
extension RuleError: SafelyDescribed { public static let kind = "rule" }
extension CalendarError: SafelyDescribed { public static let kind = "calendar" }
extension ContractError: SafelyDescribed { public static let kind = "contract" }
extension WorkOrderStoreError: SafelyDescribed { public static let kind = "store" }
extension OfficeAndUnitCommandError: SafelyDescribed { public static let kind = "command" }
extension DataFileError: SafelyDescribed { public static let kind = "data-file" }
extension MigrationError: SafelyDescribed { public static let kind = "migration" }
extension DedicatedThreadStopped: SafelyDescribed { public static let kind = "thread-stopped" }
