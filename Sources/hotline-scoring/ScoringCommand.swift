import ArgumentParser
import HotlineRuntime

@main
struct Scoring: WorkerCommand {
    static let kind = WorkerKind.scoring
    static let configuration = workerConfiguration(
        abstract: "Scores every unit for a period by its profile's scheme.",
        discussion: """
        Computes each unit's rates straight from the system of record (zezhou's 100 points, baotou's three rates, qidong's satisfaction ranking), writes scores and rankings, and produces the monthly report.
        """
    )

    @OptionGroup var options: WorkerOptions
}
