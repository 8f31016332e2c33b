import ArgumentParser
import HotlineIntake
import HotlineRuntime

@main
struct Intake: WorkerCommand {
    static let kind = WorkerKind.intake
    static let configuration = workerConfiguration(
        abstract: "Takes citizens' submissions from every channel and turns them into work orders.",
        discussion: """
        Consumes hotline.intake (submission.<channel>): validates and normalises each submission, stores and answers invalid ones with their reasons, applies the intake-scope rules, links repeats and counts clusters, and creates the work order with its dispatch timer (workorder.received).
        """
    )

    @OptionGroup var options: WorkerOptions

    static func worker(_ configuration: WorkerConfiguration) throws -> WorkerApplication {
        let calendars = try WorkerRules.calendar()
        var worker = try consuming(configuration, with: IntakeHandler(profile: try WorkerRules.profile(configuration),
                                                                      calendars: calendars))
        worker.watchCalendar(calendars)
        return worker
    }
}
