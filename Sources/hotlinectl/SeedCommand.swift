import ArgumentParser
import Foundation
import HotlineStore
import PostgresClient

struct Seed: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Load reference data: the gazetteer, units, routing rules and knowledge base.",
        subcommands: [Demo.self])

    struct Demo: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Load the demo county 石桥县 (439999): places, about forty units, routing rules, knowledge base.",
            discussion: """
            Applies missing migrations first, then upserts everything by code (rules by name) in one
            transaction: running it again changes nothing. Rows of other data are left alone.
            """)

        @OptionGroup var connection: DatabaseOption

        func run() throws {
            let demo = try ReferenceData.demoCounty()
            let database = try connection.connect(name: "hotlinectl-seed")
            defer { database.close() }
            try Migrator.bundled().migrate(database)
            let written = try database.withTransaction { try demo.write(on: $0) }
            let total = try ReferenceData.counts(on: database)
            print("demo county 石桥县 (439999): upserted \(written)")
            print("now in the database: \(total)")
        }
    }
}
