/// An error from the PostgreSQL client.
///
/// `description` is generic on purpose: the kind, the SQLSTATE, the column (for decoding) and the
/// statement text with `$n` placeholders. It never holds parameter values or the server's message,
/// which can quote data (`Key (phone)=(13800000000) already exists`): read `message` for those.
public struct PostgresError: Error, CustomStringConvertible, Sendable {
    public enum Code: Sendable, Equatable {
        /// Could not connect (or reconnect).
        case connection
        /// The connection broke during the statement. It may or may not have taken effect (a
        /// COMMIT may have committed); the statement is not replayed. The next call reconnects.
        case connectionLost
        /// The server reported an error with this SQLSTATE.
        case sqlState(String)
        /// A value could not be decoded into the requested Swift type (see `column`).
        case decoding
        /// A transaction's body swallowed an SQL error, so the transaction was rolled back
        /// instead of committed.
        case transactionAborted
        /// The client was used wrongly (e.g. a column that does not exist).
        case usage
    }

    public var code: Code
    /// The SQLSTATE, when the server sent one.
    public var sqlState: String?
    /// The server's or libpq's message. May contain data: keep it out of logs.
    public var message: String
    /// The statement text with `$n` placeholders, never the parameter values.
    public var statement: String?
    /// The column, for decoding errors.
    public var column: String?

    public init(code: Code, sqlState: String? = nil, message: String, statement: String? = nil, column: String? = nil) {
        self.code = code
        self.sqlState = sqlState
        self.message = message
        self.statement = statement
        self.column = column
    }

    public var description: String {
        var text = "PostgresError(\(kind)"
        if let sqlState { text += ", SQLSTATE \(sqlState)" }
        if let column { text += ", column \"\(column)\"" }
        if let statement { text += ", statement: \(statement.prefix(500))" }
        return text + ")"
    }

    private var kind: String {
        switch code {
        case .connection: "connection failed"
        case .connectionLost: "connection lost"
        case .sqlState: "server error"
        case .decoding: "decoding failed"
        case .transactionAborted: "transaction aborted"
        case .usage: "usage"
        }
    }

    /// True when the statement failed because the connection broke (it may have taken effect).
    public var isConnectionLost: Bool { code == .connectionLost }
}
