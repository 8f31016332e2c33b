import Foundation
import HotlineStore
import PostgresClient

/// The reference data (gazetteer, units, routing rules) a worker routes with, read from the
/// system of record and re-read once it is older than `maxAge`, so an operator's change to the
/// rules (`hotlinectl seed`, later the API) reaches running workers within that time.
/// Shared by a worker's lanes; each reads it through its own connection.
public final class ReferenceCache: @unchecked Sendable {
    // @unchecked Sendable: `table` and `loadedAt` are only touched under `lock`.
    private let lock = NSLock()
    private var table: RoutingTable?
    private var loadedAt = ContinuousClock.now
    public let maxAge: Duration

    public init(maxAge: Duration = .seconds(30)) {
        self.maxAge = maxAge
    }

    /// The current table, loading it through `connection` when missing or stale.
    public func table(on connection: PostgresConnection) throws -> RoutingTable {
        if let cached = lock.withLock({ table.flatMap { ContinuousClock.now - loadedAt < maxAge ? $0 : nil } }) {
            return cached
        }
        let fresh = RoutingTable(try ReferenceData.load(on: connection))
        lock.withLock {
            table = fresh
            loadedAt = .now
        }
        return fresh
    }
}
