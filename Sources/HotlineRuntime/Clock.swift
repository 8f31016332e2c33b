import Foundation

/// Where workers get `now` from, so tests can move time and watch deadlines fire.
public protocol HotlineClock: Sendable {
    func now() -> Date
}

public struct SystemClock: HotlineClock {
    public init() {}
    public func now() -> Date { Date() }
}

/// A clock tests move by hand.
public final class ManualClock: HotlineClock, @unchecked Sendable {
    // @unchecked Sendable: `current` is only read and written under `lock`.
    private let lock = NSLock()
    private var current: Date

    public init(_ start: Date) { current = start }

    public func now() -> Date { lock.withLock { current } }
    public func advance(by seconds: TimeInterval) { lock.withLock { current += seconds } }
    public func set(_ date: Date) { lock.withLock { current = date } }
}
