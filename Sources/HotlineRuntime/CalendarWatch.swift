import Foundation
import HotlineStore
import Logging
import PostgresClient

/// Listens for `NOTIFY hotline_calendar` (sent when an operator loads a year) and expires the
/// worker's `CalendarSource`, so the handlers read the new year at their next message instead of
/// up to the source's interval later. A lost connection expires it too (a notification may have
/// been missed meanwhile).
public final class CalendarWatch: ThreadLoop, @unchecked Sendable {
    // @unchecked Sendable: the connection lives on the loop's thread only; the rest is immutable.
    public let name: String
    public let logger: Logger
    private let source: CalendarSource
    private let databaseURL: String

    public init(worker: String, databaseURL: String, source: CalendarSource) {
        self.name = "\(worker)-calendar"
        self.databaseURL = databaseURL
        self.source = source
        self.logger = Logger(label: "hotline-\(worker).calendar")
    }

    public func run(until stop: StopFlag) throws {
        let connection = try connectPostgres(url: databaseURL, name: name, policy: ReconnectPolicy(giveUpAfter: nil),
                                             logger: logger, stop: stop)
        defer { connection.close() }
        try connection.listen(CalendarStore.notificationChannel)
        while !stop.isRaised {
            do {
                switch try connection.waitForNotifications(timeout: .seconds(1)) {
                case .timedOut: break
                case .notifications(let notes):
                    logger.info("working-day calendar loaded; reading it again", metadata: [
                        "hotline.calendar.years": "\(notes.map(\.payload).joined(separator: ","))"])
                    source.expire()
                case .reconnected:
                    source.expire()
                }
            } catch let error where isConnectionFailure(error) {
                source.expire()
                _ = ReconnectPolicy.sleep(.seconds(1), stop: stop)
            }
        }
    }
}

extension WorkerApplication {
    /// The handlers count with `calendars`; a year an operator loads reaches them at once.
    public mutating func watchCalendar(_ calendars: CalendarSource) {
        addLoop(CalendarWatch(worker: kind, databaseURL: configuration.databaseURL, source: calendars))
    }
}
