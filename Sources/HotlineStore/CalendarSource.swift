import Foundation
import HotlineDomain
import PostgresClient
import Synchronization

/// The working-day calendar a worker's handlers count with, read from the system of record
/// (`CalendarStore.read`) and read again without a restart: handlers call `refreshIfDue(on:)`
/// with their own connection before they count (a read at most every `interval`, the first at the
/// first message), and whoever hears `NOTIFY hotline_calendar` may call `refresh(on:)` or
/// `expire()` to pick up a loaded year at once. Thread-safe: every lane of a worker shares one.
public final class CalendarSource: Sendable {
    struct State {
        var calendar: WorkingCalendar
        /// When the table was last read (nil: never, or expired).
        var readAt: ContinuousClock.Instant?
        var everRead = false
    }

    private let state: Mutex<State>
    /// How long a read calendar is used before the table is read again.
    public let interval: Duration
    /// Called after each read that changed the loaded years (e.g. to log them).
    private let onChange: @Sendable (WorkingCalendar) -> Void
    /// False for a fixed source (tests, the CLI): it never reads the table.
    private let reads: Bool

    /// A source that reads the table at the first `refreshIfDue` and then every `interval`.
    /// `initial` is what `current` gives before the first read (the built-in arrangements).
    public init(initial: WorkingCalendar, interval: Duration = .seconds(30),
                onChange: @escaping @Sendable (WorkingCalendar) -> Void = { _ in }) {
        self.state = Mutex(State(calendar: initial, readAt: nil))
        self.interval = interval
        self.onChange = onChange
        self.reads = true
    }

    /// A source that always gives `calendar` and never reads the table.
    public init(fixed calendar: WorkingCalendar) {
        self.state = Mutex(State(calendar: calendar, readAt: nil))
        self.interval = .zero
        self.onChange = { _ in }
        self.reads = false
    }

    /// The calendar to count with now.
    public var current: WorkingCalendar { state.withLock { $0.calendar } }

    /// Reads the table when it was never read, or was read `interval` ago or more, or `expire()`
    /// was called. Cheap otherwise (a clock reading under a lock).
    public func refreshIfDue(on connection: PostgresConnection) throws {
        guard reads else { return }
        let due = state.withLock { state in state.readAt.map { ContinuousClock.now - $0 >= interval } ?? true }
        if due { try refresh(on: connection) }
    }

    /// Reads the table now.
    public func refresh(on connection: PostgresConnection) throws {
        guard reads else { return }
        let calendar = try CalendarStore.read(on: connection)
        let changed = state.withLock { state in
            let changed = !state.everRead || state.calendar.arrangements != calendar.arrangements
            state.calendar = calendar
            state.readAt = .now
            state.everRead = true
            return changed
        }
        if changed { onChange(calendar) }
    }

    /// Makes the next `refreshIfDue` read the table (e.g. on `NOTIFY hotline_calendar`).
    public func expire() {
        state.withLock { $0.readAt = nil }
    }
}
