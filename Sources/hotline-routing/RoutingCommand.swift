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

    static func handler(configuration: WorkerConfiguration) throws -> (any MessageHandler)? {
        // Orders are dispatched under the profile they were received under.
        RoutingHandler(profiles: try PolicyProfile.allBundled(), calendars: try WorkerRules.calendar())
    }
}
