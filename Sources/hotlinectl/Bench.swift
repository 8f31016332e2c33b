import ArgumentParser

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure the clients against reference tools on this machine (figures are ratios).",
        subcommands: [BenchPostgres.self, BenchAMQP.self]
    )
}
