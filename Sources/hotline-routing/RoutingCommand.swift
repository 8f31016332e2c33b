import ArgumentParser
import HotlineDomain
import HotlineRouting
import HotlineRuntime

@main
struct Routing: WorkerCommand {
    static let kind = WorkerKind.routing
    static let configuration = workerConfiguration(
        abstract: "Dispatches work orders to their lead unit and co-units.",
        discussion: """
        Consumes workorder.received and approved returns: explicit routing rules, locality first, the three-level network, and the office's manual-dispatch queue when no rule is confident. Writes assignments and their sign, return-window, reply and reminder timers (workorder.dispatched).
        """
    )

    @OptionGroup var options: WorkerOptions

    static func worker(_ configuration: WorkerConfiguration) throws -> WorkerApplication {
        // Orders are dispatched under the profile they were received under.
        let calendars = try WorkerRules.calendar()
        var worker = try consuming(configuration, with: RoutingHandler(profiles: try PolicyProfile.allBundled(),
                                                                       calendars: calendars))
        worker.watchCalendar(calendars)
        return worker
    }
}
