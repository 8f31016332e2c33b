import Foundation

/// A small pool of connections for async code (the HTTP side).
///
/// Each connection lives on its own `DedicatedThread` for life: `withConnection` waits for a free
/// one, runs `body` on that connection's thread (never on the cooperative pool) and resumes the
/// caller with the result. Connections are opened lazily, on their thread, at first use, and
/// reconnect by themselves after a server restart (see `PostgresConnection`).
public final class PostgresPool: Sendable {
    private let members: [Member]
    private let state = PoolState()

    public init(url: String, size: Int = 4, applicationName: String = "hotline",
                options: PostgresConnection.Options = PostgresConnection.Options()) {
        precondition(size > 0, "a pool needs at least one connection")
        members = (0..<size).map { index in
            Member(thread: DedicatedThread(name: "postgres-pool-\(index)"),
                   slot: ConnectionSlot(url: url, applicationName: applicationName, options: options))
        }
        state.setIdle(Array(0..<size))
    }

    deinit {
        close()
    }

    /// The number of connections.
    public var size: Int { members.count }

    /// Runs `body` with a connection of the pool, on that connection's own thread. A transaction
    /// `body` left open is rolled back before the connection is used again.
    @discardableResult
    public func withConnection<T: Sendable>(_ body: @Sendable (PostgresConnection) throws -> T) async throws -> T {
        let index = await state.acquire()
        defer { state.release(index) }
        let member = members[index]
        return try await withoutActuallyEscaping(body) { escapable in
            // `escapable` does not outlive this call: `run` returns only after the thread ran it.
            let job = UncheckedSendable(escapable)
            return try await member.thread.run {
                let connection = try member.slot.connection()
                defer { connection.rollbackIfInTransaction() }
                return try job.value(connection)
            }
        }
    }

    /// Closes every connection (on its thread) and ends the threads. Later calls fail.
    public func close() {
        for member in members {
            let slot = member.slot
            member.thread.submit { slot.close() }
            member.thread.shutdown()
        }
    }
}

private struct Member: Sendable {
    let thread: DedicatedThread
    let slot: ConnectionSlot
}

/// `@unchecked Sendable`: wraps a `@Sendable` closure whose escaping is only formal (see
/// `withConnection`).
private struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// `@unchecked Sendable`: `connection` is only read and written by jobs on the member's own
/// `DedicatedThread`, which runs them one at a time.
private final class ConnectionSlot: @unchecked Sendable {
    private let url: String
    private let applicationName: String
    private let options: PostgresConnection.Options
    private var current: PostgresConnection?

    init(url: String, applicationName: String, options: PostgresConnection.Options) {
        self.url = url
        self.applicationName = applicationName
        self.options = options
    }

    func connection() throws -> PostgresConnection {
        if let current { return current }
        let opened = try PostgresConnection(url: url, applicationName: applicationName, options: options)
        current = opened
        return opened
    }

    func close() {
        current?.close()
        current = nil
    }
}

/// Which members are free, and who waits for one.
///
/// `@unchecked Sendable`: every field is read and written only with `lock` held.
private final class PoolState: @unchecked Sendable {
    private let lock = NSLock()
    private var idle: [Int] = []
    private var waiters: [CheckedContinuation<Int, Never>] = []

    func setIdle(_ indices: [Int]) {
        lock.withLock { idle = indices }
    }

    func acquire() async -> Int {
        await withCheckedContinuation { continuation in
            lock.lock()
            if let index = idle.popLast() {
                lock.unlock()
                continuation.resume(returning: index)
            } else {
                waiters.append(continuation)
                lock.unlock()
            }
        }
    }

    func release(_ index: Int) {
        lock.lock()
        if waiters.isEmpty {
            idle.append(index)
            lock.unlock()
        } else {
            let next = waiters.removeFirst()
            lock.unlock()
            next.resume(returning: index)
        }
    }
}
