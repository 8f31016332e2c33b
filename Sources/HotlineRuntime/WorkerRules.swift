import Foundation
import HotlineDomain
import Logging

/// The rules a worker runs under: its policy profile and the working-day calendar.
public enum WorkerRules {
    /// The profile named by the configuration (validated at start).
    public static func profile(_ configuration: WorkerConfiguration) throws -> PolicyProfile {
        try PolicyProfile.bundled(configuration.profile)
    }

    /// The bundled calendar. A due time past the last loaded year counts Monday to Friday rather
    /// than refusing the order (a hotline cannot stop taking calls in late December because next
    /// year's arrangement is not loaded yet); the worker says so at start.
    public static func calendar(logger: Logger = Logger(label: "hotline-rules")) throws -> WorkingCalendar {
        var calendar = try WorkingCalendar.bundled()
        calendar.outsideLoadedYears = .weekdaysOnly
        if let last = calendar.loadedYears.last, LocalDate(instant: Date()).year >= last {
            logger.warning("working-day calendar loaded to \(last); due times after \(last)-12-31 count Monday to Friday until the next arrangement is loaded")
        }
        return calendar
    }
}
