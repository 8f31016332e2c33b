import ArgumentParser
import HotlineDeadlines
import HotlineRuntime

@main
struct DeadlineWatch: WorkerCommand {
    static let kind = WorkerKind.deadlineWatch
    static let configuration = workerConfiguration(
        abstract: "Fires due timers: reminders, overdue marks, auto-acceptance, supervision.",
        discussion: """
        Claims due timers with FOR UPDATE SKIP LOCKED, so any number may run, and applies each once: reminders before due times, overdue and supervision, acceptance after the return window, dispatch-time breaches. Each timer kind follows one rule (README, "deadline-watch").
        """
    )

    @OptionGroup var options: WorkerOptions

    /// The runtime's parts plus the claimer loop, its readiness and its metrics.
    static func worker(_ configuration: WorkerConfiguration) throws -> WorkerApplication {
        var worker = WorkerApplication(kind: kind.rawValue, configuration: configuration)
        var claimerConfiguration = TimerClaimer.Configuration(name: "\(kind.rawValue)-claimer", databaseURL: configuration.databaseURL)
        claimerConfiguration.faultMidBatch = FaultTrigger(at: FaultInjection.fromEnvironment().killMidBatch,
                                                          point: "mid batch, before commit")
        let calendars = try WorkerRules.calendar(logger: worker.logger)
        let claimer = TimerClaimer(configuration: claimerConfiguration, clock: worker.clock, calendars: calendars,
                                   metrics: DeadlineMetrics(worker: kind.rawValue, registry: worker.metrics.registry))
        worker.addLoop(claimer)
        worker.watchCalendar(calendars)
        worker.addReadiness("claimer") { claimer.isReady }
        return worker
    }
}
