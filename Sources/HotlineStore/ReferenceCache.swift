import Foundation
import PostgresClient

/// Reference data a worker decides with (intake: the `Gazetteer`; routing: its `RoutingTable`),
/// read from the system of record and re-read once it is older than `maxAge`, so an operator's
/// change (`hotlinectl seed`, later the API) reaches running workers within that time. Shared by a
/// worker's lanes; each reads it through its own connection. Each worker loads only what it uses.
public final class ReferenceCache<Value: Sendable>: @unchecked Sendable {
    // @unchecked Sendable: `value` and `loadedAt` are only touched under `lock`; `load` is a
    // @Sendable function.
    private let lock = NSLock()
    private var value: Value?
    private var loadedAt = ContinuousClock.now
    private let load: @Sendable (PostgresConnection) throws -> Value
    public let maxAge: Duration

    public init(maxAge: Duration = .seconds(30), load: @escaping @Sendable (PostgresConnection) throws -> Value) {
        self.maxAge = maxAge
        self.load = load
    }

    /// The current value, loading it through `connection` when missing or stale.
    public func value(on connection: PostgresConnection) throws -> Value {
        if let cached = lock.withLock({ value.flatMap { ContinuousClock.now - loadedAt < maxAge ? $0 : nil } }) {
            return cached
        }
        let fresh = try load(connection)
        lock.withLock {
            value = fresh
            loadedAt = .now
        }
        return fresh
    }
}

extension ReferenceCache where Value == Gazetteer {
    /// The gazetteer alone (the `regions` table).
    public static func gazetteer(maxAge: Duration = .seconds(30)) -> ReferenceCache<Gazetteer> {
        ReferenceCache(maxAge: maxAge, load: Gazetteer.load)
    }
}
