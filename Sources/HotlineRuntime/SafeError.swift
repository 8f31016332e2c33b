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

/// The enum case's name (`concurrentUpdate`), as a code.
func caseName(of value: Any) -> String {
    if let label = Mirror(reflecting: value).children.first?.label { return label }
    let text = String(describing: value)
    return text.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" } ? text : "\(type(of: value))"
}

// The project's own errors are written to be safe (their descriptions name rules, units, fields
// and statements, never values); each declares so here, in one place.

extension InvalidMessage: SafeError {
    public var safeCode: String { "invalid-message" }
    public var safeReason: String { reason }
}

extension PostgresError: SafeError {
    public var safeCode: String { sqlState.map { "postgres-\($0)" } ?? "postgres" }
    /// The kind, SQLSTATE, column and statement text with `$n` placeholders; never the server's
    /// message (it can quote data) nor parameter values.
    public var safeReason: String { description }
}

extension AMQPError: SafeError {
    public var safeCode: String { "amqp" }
    public var safeReason: String { description }
}

extension RuleError: SafeError {
    public var safeCode: String { "rule-\(caseName(of: self))" }
    public var safeReason: String { description }
}

extension CalendarError: SafeError {
    public var safeCode: String { "calendar" }
    public var safeReason: String { description }
}

extension ContractError: SafeError {
    public var safeCode: String { "contract-\(caseName(of: self))" }
    public var safeReason: String { description }
}

extension WorkOrderStoreError: SafeError {
    public var safeCode: String { "store-\(caseName(of: self))" }
    public var safeReason: String { description }
}

extension OrderCommandError: SafeError {
    public var safeCode: String { "command-\(caseName(of: self))" }
    public var safeReason: String { description }
}

extension DataFileError: SafeError {
    public var safeCode: String { "data-file" }
    public var safeReason: String { description }
}

extension MigrationError: SafeError {
    public var safeCode: String { "migration" }
    public var safeReason: String { description }
}

extension DedicatedThreadStopped: SafeError {
    public var safeCode: String { "thread-stopped" }
    public var safeReason: String { description }
}
