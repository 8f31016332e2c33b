import ArgumentParser
import HotlineRuntime

@main
struct DeadlineWatch: WorkerCommand {
    static let kind = WorkerKind.deadlineWatch
    static let configuration = workerConfiguration(
        abstract: "Fires due timers: reminders, overdue marks, auto-acceptance, supervision.",
        discussion: """
        Claims due timers with FOR UPDATE SKIP LOCKED, so any number may run, and applies each once: reminders before due times, overdue and supervision, acceptance after the return window, dispatch-time breaches and expired revisits.
        """
    )

    @OptionGroup var options: WorkerOptions
}
