import Foundation
import HotlineDomain
import HotlineStore
import Logging

/// The rules a worker runs under: its policy profile and the working-day calendar.
public enum WorkerRules {
    /// The profile named by the configuration (validated at start).
    public static func profile(_ configuration: WorkerConfiguration) throws -> PolicyProfile {
        try PolicyProfile.bundled(configuration.profile)
    }

    /// The working-day calendar of the system of record (`calendar_days`), for the handlers: read
    /// by the handler at its first message and again every `interval` (`CalendarSource`), so a
    /// year an operator loads reaches the running fleet without a restart. A due time past the
    /// last loaded year counts Monday to Friday rather than refusing the order (a hotline cannot
    /// stop taking calls in late December because next year's arrangement is not loaded yet); the
    /// timer is marked and counted again when that year is loaded. Each read that changes the
    /// loaded years is logged, with a warning while the current year is the last loaded.
    public static func calendar(interval: Duration = .seconds(30),
                                logger: Logger = Logger(label: "hotline-rules")) throws -> CalendarSource {
        var initial = try WorkingCalendar.bundled()
        initial.outsideLoadedYears = .weekdaysOnly
        return CalendarSource(initial: initial, interval: interval) { calendar in
            let years = calendar.loadedYears
            logger.info("working-day calendar read", metadata: [
                "hotline.calendar.years": "\(years.first.map(String.init) ?? "none")–\(years.last.map(String.init) ?? "none")"])
            if let last = years.last, LocalDate(instant: Date()).year >= last {
                logger.warning("working-day calendar loaded to \(last); due times after \(last)-12-31 count Monday to Friday until the next arrangement is loaded (`hotlinectl calendar load FILE`)")
            } else if years.isEmpty {
                logger.warning("no working-day calendar loaded; every due time counts Monday to Friday until one is loaded (`hotlinectl calendar load FILE`)")
            }
        }
    }
}
