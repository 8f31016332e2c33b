import CLibPQ
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A notification received on a channel this connection listens to.
public struct PostgresNotification: Sendable, Equatable {
    public var channel: String
    public var payload: String
    /// The server process that sent it.
    public var backendPID: Int32

    public init(channel: String, payload: String, backendPID: Int32) {
        self.channel = channel
        self.payload = payload
        self.backendPID = backendPID
    }
}

/// What `waitForNotifications(timeout:)` saw.
public enum NotificationWait: Sendable, Equatable {
    /// Notifications arrived (at least one).
    case notifications([PostgresNotification])
    /// None arrived before the timeout.
    case timedOut
    /// The connection was lost and is back, with its LISTENs re-issued. Notifications sent while it
    /// was down are lost: the caller must poll to catch up.
    case reconnected
}

/// One blocking PostgreSQL connection (libpq), used by one thread at a time: its owner's.
///
/// Not `Sendable` on purpose. Blocking calls belong on a dedicated thread (see `DedicatedThread`
/// and `PostgresPool`), never on Swift's cooperative pool.
///
/// When the server restarts, the call that finds the connection broken fails with
/// `.connectionLost` (its statement may or may not have taken effect and is not replayed), the
/// connection reconnects (a bounded number of attempts with backoff), re-issues its LISTENs and
/// forgets its prepared statements; the next call works on the same object.
public final class PostgresConnection {
    /// Connection settings beyond the URL. Values in the URL's query (`?connect_timeout=2`) win
    /// over these, except `client_encoding`, which is always UTF8.
    public struct Options: Sendable {
        public var connectTimeoutSeconds: Int = 5
        public var keepalivesIdleSeconds: Int = 30
        public var keepalivesIntervalSeconds: Int = 10
        public var keepalivesCount: Int = 3
        /// The server ends a session idle inside a transaction for longer than this.
        public var idleInTransactionSessionTimeout: Duration = .seconds(60)
        /// Attempts to reconnect after the connection broke, before a call gives up.
        public var reconnectAttempts: Int = 10
        /// Backoff between attempts doubles from 100 ms up to this.
        public var reconnectMaxDelay: Duration = .seconds(2)
        /// Statements are prepared once per connection and reused (up to this many; 0 disables).
        public var preparedStatementCacheSize: Int = 256

        public init() {}
    }

    private var connection: OpaquePointer?
    private let keywords: [String]
    private let values: [String]
    private let options: Options
    private var listening: [String] = []
    private var transactionDepth = 0
    /// The connection broke inside `withTransaction`: every statement until the outermost
    /// `withTransaction` returns fails with `.connectionLost`.
    private var transactionBroken = false
    /// A reconnect happened since the last `waitForNotifications` returned.
    private var reconnectedSinceWait = false
    private var prepared: [String: String] = [:]
    private var preparedCounter = 0

    /// Connects to `url` (`postgres://user:pass@host:port/db?sslmode=...`).
    /// The URL this connection was opened with, password included: for keys, never for logs.
    public let url: String

    public init(url: String, applicationName: String = "hotline", options: Options = Options()) throws {
        self.url = url
        self.options = options
        let idleMilliseconds = Self.milliseconds(options.idleInTransactionSessionTimeout)
        // libpq reads these in order and a later keyword overrides an earlier one: the defaults
        // come first, then the URL (expanded from `dbname`), then what must not be overridden.
        var pairs: [(String, String)] = [
            ("connect_timeout", String(options.connectTimeoutSeconds)),
            ("keepalives", "1"),
            ("keepalives_idle", String(options.keepalivesIdleSeconds)),
            ("keepalives_interval", String(options.keepalivesIntervalSeconds)),
            ("keepalives_count", String(options.keepalivesCount)),
            ("application_name", applicationName),
            ("options", "-c idle_in_transaction_session_timeout=\(idleMilliseconds)"),
        ]
        pairs.append(("dbname", url))
        pairs.append(("client_encoding", "UTF8"))
        keywords = pairs.map(\.0)
        values = pairs.map(\.1)
        try reconnect(attempts: 1)
        reconnectedSinceWait = false
    }

    deinit {
        if let connection { PQfinish(connection) }
    }

    /// Closes the connection. A later call reconnects.
    public func close() {
        if let connection { PQfinish(connection) }
        connection = nil
        prepared.removeAll()
    }

    /// True while the connection is open and healthy as far as libpq knows.
    public var isConnected: Bool {
        guard let connection else { return false }
        return PQstatus(connection) == CONNECTION_OK
    }

    /// The server process id of this session (changes after a reconnect).
    public var backendPID: Int32 {
        connection.map { PQbackendPID($0) } ?? 0
    }

    // MARK: - Statements

    /// Runs a statement and returns its rows.
    public func query(_ sql: SQL) throws -> PostgresRows {
        PostgresRows(result: try run(sql))
    }

    /// Runs a statement and returns the number of rows it affected.
    @discardableResult
    public func execute(_ sql: SQL) throws -> Int {
        let result = try run(sql)
        return result.affectedRows
    }

    /// Runs a script of several statements through the simple query protocol, with no
    /// parameters: for trusted, constant SQL such as migrations. Never build a script from input.
    public func executeScript(_ script: String) throws {
        let label = "script (\(script.utf8.count) bytes)"
        if transactionBroken {
            throw PostgresError(code: .connectionLost, message: "the connection broke during the transaction", statement: label)
        }
        if connection == nil || PQstatus(connection) != CONNECTION_OK {
            if transactionDepth > 0 {
                try? reconnectAfterLoss(statement: label)
                transactionBroken = true
                throw PostgresError(code: .connectionLost, message: "the connection broke during the transaction", statement: label)
            }
            try reconnect(attempts: options.reconnectAttempts)
        }
        guard let connection else { throw PostgresError(code: .connection, message: "not connected", statement: label) }
        _ = try check(PQexec(connection, script), statement: label)
    }

    /// `COPY … FROM STDIN` with `data` in COPY's text format (tab-separated fields, `\N` for NULL,
    /// a line per row): bulk loading of rows a program generated (`hotlinectl simulate`).
    /// `statement` is constant SQL, never built from input. Returns the rows copied.
    @discardableResult
    public func copyIn(_ statement: String, data: [UInt8]) throws -> Int {
        let label = "copy (\(data.count) bytes)"
        if transactionBroken {
            throw PostgresError(code: .connectionLost, message: "the connection broke during the transaction", statement: label)
        }
        guard let connection, PQstatus(connection) == CONNECTION_OK else {
            throw PostgresError(code: .connection, message: "not connected", statement: label)
        }
        guard let started = PQexec(connection, statement) else {
            throw PostgresError(code: .connection, message: lastConnectionMessage(), statement: label)
        }
        guard PQresultStatus(started) == PGRES_COPY_IN else {
            _ = try check(started, statement: label)  // throws the server's error, or owns and frees the result
            throw PostgresError(code: .connection, message: "not a COPY … FROM STDIN statement", statement: label)
        }
        PQclear(started)
        var failure: String?
        data.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count && failure == nil {
                let length = min(1 << 20, bytes.count - offset)
                let base = bytes.baseAddress!.advanced(by: offset).assumingMemoryBound(to: CChar.self)
                if PQputCopyData(connection, base, Int32(length)) != 1 { failure = lastConnectionMessage() }
                offset += length
            }
        }
        if PQputCopyEnd(connection, failure) != 1 && failure == nil { failure = lastConnectionMessage() }
        var copied = 0
        var firstError: (any Error)?
        while let result = PQgetResult(connection) {
            do { copied = try check(result, statement: label).affectedRows } catch { firstError = firstError ?? error }
        }
        if let firstError { throw firstError }
        if let failure { throw PostgresError(code: .connection, message: failure, statement: label) }
        return copied
    }

    // MARK: - Transactions

    /// Runs `body` in a transaction: commit when it returns, rollback when it throws. A nested call
    /// runs in a savepoint. If `body` swallowed an SQL error the transaction cannot commit: it is
    /// rolled back and `.transactionAborted` is thrown.
    @discardableResult
    public func withTransaction<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        let depth = transactionDepth
        let savepoint = "hotline_savepoint_\(depth)"
        if depth == 0 {
            try execute("BEGIN")
        } else {
            try execute(SQL(unsafeSQL: "SAVEPOINT \(savepoint)"))
        }
        transactionDepth += 1
        let value: T
        do {
            value = try body(self)
        } catch {
            transactionDepth -= 1
            if !transactionBroken, isConnected {
                if depth == 0 {
                    _ = try? run("ROLLBACK")
                } else {
                    _ = try? run(SQL(unsafeSQL: "ROLLBACK TO SAVEPOINT \(savepoint)"))
                    _ = try? run(SQL(unsafeSQL: "RELEASE SAVEPOINT \(savepoint)"))
                }
            }
            if depth == 0 { transactionBroken = false }
            throw error
        }
        transactionDepth -= 1
        if transactionBroken {
            if depth == 0 { transactionBroken = false }
            throw PostgresError(code: .connectionLost, message: "the connection broke during the transaction",
                                statement: depth == 0 ? "COMMIT" : "RELEASE SAVEPOINT")
        }
        let failed = connection.map { PQtransactionStatus($0) == PQTRANS_INERROR } ?? false
        if depth == 0 {
            if failed {
                _ = try? run("ROLLBACK")
                throw PostgresError(code: .transactionAborted,
                                    message: "a statement failed inside the transaction; rolled back", statement: "COMMIT")
            }
            try execute("COMMIT")
        } else {
            if failed {
                _ = try? run(SQL(unsafeSQL: "ROLLBACK TO SAVEPOINT \(savepoint)"))
                _ = try? run(SQL(unsafeSQL: "RELEASE SAVEPOINT \(savepoint)"))
                throw PostgresError(code: .transactionAborted,
                                    message: "a statement failed inside the savepoint; rolled back to it",
                                    statement: "RELEASE SAVEPOINT")
            }
            try execute(SQL(unsafeSQL: "RELEASE SAVEPOINT \(savepoint)"))
        }
        return value
    }

    // MARK: - LISTEN / NOTIFY

    /// Listens to `channel` (kept across reconnects).
    public func listen(_ channel: String) throws {
        try execute(SQL(unsafeSQL: "LISTEN " + SQL.quoteIdentifier(channel)))
        if !listening.contains(channel) { listening.append(channel) }
    }

    /// Stops listening to `channel`.
    public func unlisten(_ channel: String) throws {
        listening.removeAll { $0 == channel }
        try execute(SQL(unsafeSQL: "UNLISTEN " + SQL.quoteIdentifier(channel)))
    }

    /// Sends a notification (delivered when the surrounding transaction commits).
    public func notify(_ channel: String, payload: String) throws {
        _ = try run("SELECT pg_notify(\(channel), \(payload))")
    }

    /// Waits up to `timeout` for notifications on the channels this connection listens to.
    ///
    /// Returns `.reconnected` when the connection was lost and is back (LISTENs re-issued); then the
    /// caller must poll, as notifications sent meanwhile are gone. Throws `.connectionLost` when the
    /// connection broke and could not be re-established yet; the next call tries again.
    public func waitForNotifications(timeout: Duration) throws -> NotificationWait {
        if connection == nil || PQstatus(connection) != CONNECTION_OK {
            try reconnectAfterLoss(statement: nil)
        }
        if reconnectedSinceWait {
            reconnectedSinceWait = false
            return .reconnected
        }
        var received = drainNotifications()
        if !received.isEmpty { return .notifications(received) }

        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while true {
            let remaining = clock.now.duration(to: deadline)
            if remaining <= .zero { return .timedOut }
            guard let connection else { return .timedOut }
            let socket = PQsocket(connection)
            var descriptor = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
            let milliseconds = max(1, min(Self.milliseconds(remaining), Int(Int32.max)))
            let ready = poll(&descriptor, 1, Int32(milliseconds))
            if ready < 0 {
                if errno == EINTR { continue }
                throw PostgresError(code: .connection, message: "poll failed: errno \(errno)")
            }
            if ready > 0 {
                // The first PQconsumeInput after a server restart can still say OK: check
                // PQstatus as well.
                if PQconsumeInput(connection) == 0 || PQstatus(connection) != CONNECTION_OK {
                    try reconnectAfterLoss(statement: nil)
                    reconnectedSinceWait = false
                    return .reconnected
                }
                received = drainNotifications()
                if !received.isEmpty { return .notifications(received) }
            }
        }
    }

    private func drainNotifications() -> [PostgresNotification] {
        guard let connection else { return [] }
        var received: [PostgresNotification] = []
        while let notify = PQnotifies(connection) {
            let item = notify.pointee
            received.append(PostgresNotification(channel: item.relname.map { String(cString: $0) } ?? "",
                                                 payload: item.extra.map { String(cString: $0) } ?? "",
                                                 backendPID: item.be_pid))
            PQfreemem(notify)
        }
        return received
    }

    // MARK: - Running statements

    private func run(_ sql: SQL) throws -> ResultHandle {
        let (text, binds) = sql.rendered()
        if let failure = binds.lazy.compactMap(\.encodingFailure).first {
            throw PostgresError(code: .usage, message: failure, statement: text)
        }
        if transactionBroken {
            throw PostgresError(code: .connectionLost, message: "the connection broke during the transaction",
                                statement: text)
        }
        if connection == nil || PQstatus(connection) != CONNECTION_OK {
            if transactionDepth > 0 {
                try? reconnectAfterLoss(statement: text)
                transactionBroken = true
                throw PostgresError(code: .connectionLost, message: "the connection broke during the transaction",
                                    statement: text)
            }
            try reconnect(attempts: options.reconnectAttempts)
        }
        guard let connection else { throw PostgresError(code: .connection, message: "not connected", statement: text) }

        let cacheable = options.preparedStatementCacheSize > 0 && Self.worthPreparing(text)
        let pointer = withParameters(binds) { count, types, values, lengths, formats -> OpaquePointer? in
            if cacheable {
                return runPrepared(connection, text: text, count: count, types: types, values: values,
                                   lengths: lengths, formats: formats)
            }
            return PQexecParams(connection, text, count, types, values, lengths, formats, 1)
        }
        return try check(pointer, statement: text)
    }

    /// Data statements are prepared and kept; one-off text (DDL, LISTEN, SAVEPOINT, ...) is not.
    private static func worthPreparing(_ text: String) -> Bool {
        guard text.utf8.count <= 8_192 else { return false }
        let keyword = text.drop(while: { $0.isWhitespace || $0 == "(" }).prefix(7).uppercased()
        return ["SELECT", "INSERT", "UPDATE", "DELETE", "WITH", "VALUES"].contains { keyword.hasPrefix($0) }
    }

    /// Rolls back a transaction left open (e.g. by a `BEGIN` whose caller threw before `COMMIT`),
    /// so the next user of a pooled connection starts clean.
    func rollbackIfInTransaction() {
        guard transactionDepth == 0, let connection else { return }
        let status = PQtransactionStatus(connection)
        if status == PQTRANS_INTRANS || status == PQTRANS_INERROR {
            _ = try? run("ROLLBACK")
        }
    }

    /// PQexecPrepared with a statement prepared once per connection (keyed by text and types).
    private func runPrepared(_ connection: OpaquePointer, text: String, count: Int32,
                             types: UnsafePointer<Oid>?, values: UnsafePointer<UnsafePointer<CChar>?>?,
                             lengths: UnsafePointer<Int32>?, formats: UnsafePointer<Int32>?) -> OpaquePointer? {
        var key = text
        for index in 0..<Int(count) { key += "\u{0}\(types![index])" }
        if let name = prepared[key] {
            return PQexecPrepared(connection, name, count, values, lengths, formats, 1)
        }
        if prepared.count >= options.preparedStatementCacheSize {
            return PQexecParams(connection, text, count, types, values, lengths, formats, 1)
        }
        preparedCounter += 1
        let name = "hotline_\(preparedCounter)"
        let preparation = PQprepare(connection, name, text, count, types)
        if let preparation, PQresultStatus(preparation) == PGRES_COMMAND_OK {
            PQclear(preparation)
            prepared[key] = name
            return PQexecPrepared(connection, name, count, values, lengths, formats, 1)
        }
        // The preparation failed (a syntax error, a lost connection): its result carries the error.
        return preparation
    }

    /// Turns a PGresult into a handle, or throws the error it carries.
    private func check(_ pointer: OpaquePointer?, statement: String) throws -> ResultHandle {
        guard let pointer else {
            if connection == nil || PQstatus(connection) != CONNECTION_OK {
                try reconnectAfterLoss(statement: statement)
            }
            throw PostgresError(code: .connection, message: lastConnectionMessage(), statement: statement)
        }
        switch PQresultStatus(pointer) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY:
            return ResultHandle(pointer, statement: statement)
        default:
            let sqlState = Self.field(pointer, "C")
            let message = Self.field(pointer, "M") ?? String(cString: PQresultErrorMessage(pointer))
            PQclear(pointer)
            if PQstatus(connection) != CONNECTION_OK {
                try reconnectAfterLoss(statement: statement)
            }
            if sqlState == "0A000" || sqlState == "26000" {
                // "cached plan must not change result type" / unknown prepared statement: prepare
                // again next time.
                prepared.removeAll()
            }
            throw PostgresError(code: sqlState.map { .sqlState($0) } ?? .connection, sqlState: sqlState,
                                message: message, statement: statement)
        }
    }

    /// The connection broke: reconnect (bounded) and throw `.connectionLost` for the statement
    /// that found it broken; with `statement == nil` (waiting for notifications) return normally
    /// after a successful reconnect.
    private func reconnectAfterLoss(statement: String?) throws {
        if transactionDepth > 0 { transactionBroken = true }
        let lostMessage = lastConnectionMessage()
        do {
            try reconnect(attempts: options.reconnectAttempts)
        } catch let error as PostgresError {
            throw PostgresError(code: .connectionLost, message: "\(lostMessage); reconnecting failed: \(error.message)",
                                statement: statement)
        }
        if let statement {
            throw PostgresError(code: .connectionLost, message: lostMessage, statement: statement)
        }
    }

    private func reconnect(attempts: Int) throws {
        // Bounded by attempts, not time: a statement waits at most about ten seconds before it
        // fails, and the caller (a lane, a relay) decides what to do with a lost connection.
        let policy = ReconnectPolicy(initialDelay: .milliseconds(100), maxDelay: options.reconnectMaxDelay,
                                     jitter: 0, giveUpAfter: nil, maxAttempts: max(1, attempts))
        do {
            try policy.retry { try connectOnce() }
        } catch {
            close()
            throw error
        }
    }

    /// One attempt to (re)connect and re-issue the LISTENs.
    private func connectOnce() throws {
        close()
        guard let candidate = connect() else { throw PostgresError(code: .connection, message: "out of memory") }
        if PQstatus(candidate) != CONNECTION_OK {
            let message = Self.trimmed(String(cString: PQerrorMessage(candidate)))
            PQfinish(candidate)
            throw PostgresError(code: .connection, message: message)
        }
        // The default notice processor prints to stderr, and notices can quote data.
        PQsetNoticeProcessor(candidate, { _, _ in }, nil)
        connection = candidate
        guard relisten() else { throw PostgresError(code: .connection, message: lastConnectionMessage()) }
        reconnectedSinceWait = true
    }

    private func relisten() -> Bool {
        guard let connection else { return false }
        for channel in listening {
            guard let result = PQexec(connection, "LISTEN " + SQL.quoteIdentifier(channel)) else { return false }
            let ok = PQresultStatus(result) == PGRES_COMMAND_OK
            PQclear(result)
            if !ok { return false }
        }
        return true
    }

    private func connect() -> OpaquePointer? {
        let cKeywords = keywords.map { strdup($0) }
        let cValues = values.map { strdup($0) }
        defer {
            cKeywords.forEach { free($0) }
            cValues.forEach { free($0) }
        }
        let keywordPointers = cKeywords.map { UnsafePointer($0) } + [nil]
        let valuePointers = cValues.map { UnsafePointer($0) } + [nil]
        return PQconnectdbParams(keywordPointers, valuePointers, 1)
    }

    private func lastConnectionMessage() -> String {
        guard let connection, let message = PQerrorMessage(connection) else { return "connection lost" }
        let text = Self.trimmed(String(cString: message))
        return text.isEmpty ? "connection lost" : text
    }

    // MARK: - Helpers

    private static func field(_ result: OpaquePointer, _ code: Character) -> String? {
        guard let value = PQresultErrorField(result, Int32(code.asciiValue!)) else { return nil }
        return String(cString: value)
    }

    private static func trimmed(_ text: String) -> String {
        text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        return Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000)
    }
}

/// Lays the parameters out for libpq: one buffer holding every value, and arrays of pointers,
/// lengths, types and formats (all binary), valid during `body`.
private func withParameters<R>(
    _ binds: [PostgresValue],
    _ body: (Int32, UnsafePointer<Oid>?, UnsafePointer<UnsafePointer<CChar>?>?, UnsafePointer<Int32>?,
             UnsafePointer<Int32>?) -> R
) -> R {
    if binds.isEmpty { return body(0, nil, nil, nil, nil) }
    var storage: [UInt8] = []
    var offsets: [Int] = []
    var lengths: [Int32] = []
    var types: [Oid] = []
    offsets.reserveCapacity(binds.count)
    lengths.reserveCapacity(binds.count)
    types.reserveCapacity(binds.count)
    for bind in binds {
        types.append(bind.type.rawValue)
        if let bytes = bind.bytes {
            offsets.append(storage.count)
            lengths.append(Int32(bytes.count))
            storage.append(contentsOf: bytes)
        } else {
            offsets.append(-1)
            lengths.append(0)
        }
    }
    storage.append(0) // never empty, so an empty (non-NULL) value still gets a pointer
    let formats = [Int32](repeating: 1, count: binds.count)
    return storage.withUnsafeBytes { raw in
        let base = raw.baseAddress!.assumingMemoryBound(to: CChar.self)
        let values: [UnsafePointer<CChar>?] = offsets.map { $0 < 0 ? nil : base + $0 }
        return body(Int32(binds.count), types, values, lengths, formats)
    }
}
