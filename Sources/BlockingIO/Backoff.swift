import Foundation

/// How a connection waits between attempts to come back: exponential backoff with jitter,
/// bounded, with a deadline (and optionally a number of attempts) after which it gives up.
public struct ReconnectPolicy: Sendable, Equatable {
    public var initialDelay: Duration
    public var maxDelay: Duration
    public var multiplier: Double
    /// Each delay is scaled by a random factor in `1 - jitter ... 1 + jitter`.
    public var jitter: Double
    /// Give up when an outage lasts longer than this (nil: only the stop flag stops it).
    public var giveUpAfter: Duration?
    /// Give up after this many failed attempts (nil: no limit).
    public var maxAttempts: Int?

    public init(initialDelay: Duration = .milliseconds(200), maxDelay: Duration = .seconds(10),
                multiplier: Double = 2, jitter: Double = 0.25, giveUpAfter: Duration? = .seconds(300),
                maxAttempts: Int? = nil) {
        self.initialDelay = initialDelay
        self.maxDelay = maxDelay
        self.multiplier = multiplier
        self.jitter = jitter
        self.giveUpAfter = giveUpAfter
        self.maxAttempts = maxAttempts
    }

    /// The delay before attempt `attempt` (1-based) given a random number in 0...1. Pure.
    public func delay(beforeAttempt attempt: Int, random: Double) -> Duration {
        let base = initialDelay * pow(multiplier, Double(max(attempt - 1, 0)))
        let bounded = min(base, maxDelay)
        let factor = 1 + jitter * (2 * min(max(random, 0), 1) - 1)
        return bounded * max(factor, 0)
    }

    /// Runs `attempt` until it succeeds: the one reconnect-with-backoff of the clients and the
    /// runtime. Each failure is told to `onFailure(attempt, error, nextDelay)`; then `wait`
    /// (by default a sleep in short slices that notices `stop`) waits out the delay. Gives up,
    /// rethrowing the last error, when `stop` is raised, after `giveUpAfter` or after
    /// `maxAttempts` failures.
    public func retry<T>(stop: StopFlag? = nil,
                         onFailure: (_ attempt: Int, _ error: any Error, _ nextDelay: Duration) -> Void = { _, _, _ in },
                         wait: ((Duration) throws -> Void)? = nil,
                         _ attempt: () throws -> T) throws -> T {
        let started = ContinuousClock.now
        var failures = 0
        while true {
            do {
                return try attempt()
            } catch {
                failures += 1
                let delay = self.delay(beforeAttempt: failures + 1, random: .random(in: 0...1))
                onFailure(failures, error, delay)
                if stop?.isRaised == true { throw error }
                if let maxAttempts, failures >= maxAttempts { throw error }
                if let giveUpAfter, ContinuousClock.now + delay - started > giveUpAfter { throw error }
                if let wait {
                    try wait(delay)
                } else if !Self.sleep(delay, stop: stop) {
                    throw error
                }
            }
        }
    }

    /// Sleeps `delay` in slices of at most 100 ms; false when `stop` was raised meanwhile.
    public static func sleep(_ delay: Duration, stop: StopFlag?) -> Bool {
        let until = ContinuousClock.now + delay
        while ContinuousClock.now < until {
            if stop?.isRaised == true { return false }
            Thread.sleep(forTimeInterval: min(0.1, (until - .now).inSeconds))
        }
        return stop?.isRaised != true
    }
}

/// A flag another thread raises to ask a loop, or a reconnect loop inside it, to stop.
public final class StopFlag: @unchecked Sendable {
    // @unchecked Sendable: the only state is a Bool guarded by `lock`.
    private let lock = NSLock()
    private var raised = false

    public init() {}

    public func raise() { lock.withLock { raised = true } }
    public var isRaised: Bool { lock.withLock { raised } }
}

extension Duration {
    /// The duration as a number of seconds (for `Thread.sleep` and rates).
    public var inSeconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
