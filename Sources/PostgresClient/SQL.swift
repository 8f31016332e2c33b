import Foundation

/// A SQL statement whose interpolated values are bind parameters (`$1`, `$2`, ...), never text.
///
///     let rows = try connection.query("SELECT id FROM work_orders WHERE caller_phone = \(phone)")
///
/// Interpolating another `SQL` splices its text and its parameters (renumbered). Interpolating
/// `identifier:` quotes a name (`"name"`), for the few places that take no parameters (LISTEN).
/// `SQL(unsafeSQL:)` takes text as is: only for text the program itself wrote.
public struct SQL: ExpressibleByStringInterpolation, Sendable, CustomStringConvertible {
    enum Part: Sendable {
        case text(String)
        case bind(PostgresValue)
    }

    var parts: [Part]

    /// Text written by the program itself, taken as is. Never pass data here.
    public init(unsafeSQL text: String) {
        parts = [.text(text)]
    }

    public init(stringLiteral value: String) {
        parts = [.text(value)]
    }

    public init(stringInterpolation: StringInterpolation) {
        parts = stringInterpolation.parts
    }

    public struct StringInterpolation: StringInterpolationProtocol {
        var parts: [Part] = []

        public init(literalCapacity: Int, interpolationCount: Int) {
            parts.reserveCapacity(interpolationCount * 2 + 1)
        }

        public mutating func appendLiteral(_ literal: String) {
            if !literal.isEmpty { parts.append(.text(literal)) }
        }

        /// A value: always a bind parameter.
        public mutating func appendInterpolation<T: PostgresEncodable>(_ value: T) {
            parts.append(.bind(value.postgresValue))
        }

        /// An optional value: NULL when nil.
        public mutating func appendInterpolation<T: PostgresEncodable>(_ value: T?) {
            parts.append(.bind(value.postgresValue))
        }

        /// Another statement fragment: its text and its parameters.
        public mutating func appendInterpolation(_ fragment: SQL) {
            parts.append(contentsOf: fragment.parts)
        }

        /// A quoted identifier (table, column or channel name).
        public mutating func appendInterpolation(identifier: String) {
            parts.append(.text(SQL.quoteIdentifier(identifier)))
        }
    }

    /// Appends a fragment (text and parameters).
    public mutating func append(_ other: SQL) {
        parts.append(contentsOf: other.parts)
    }

    public static func + (lhs: SQL, rhs: SQL) -> SQL {
        var result = lhs
        result.append(rhs)
        return result
    }

    /// `name` as a double-quoted identifier, with embedded quotes doubled.
    public static func quoteIdentifier(_ name: String) -> String {
        "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// The statement text with `$n` placeholders (no parameter values).
    public var text: String { rendered().text }

    /// The number of bind parameters.
    public var parameterCount: Int {
        parts.reduce(0) { count, part in
            if case .bind = part { return count + 1 }
            return count
        }
    }

    /// The statement text only: parameter values never appear here.
    public var description: String { text }

    func rendered() -> (text: String, binds: [PostgresValue]) {
        if parts.count == 1, case .text(let text) = parts[0] { return (text, []) }
        var text = ""
        var binds: [PostgresValue] = []
        for part in parts {
            switch part {
            case .text(let fragment):
                text += fragment
            case .bind(let value):
                binds.append(value)
                text += "$\(binds.count)"
            }
        }
        return (text, binds)
    }
}
