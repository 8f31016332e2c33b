import Foundation
import HotlineStore
import HotlineTestSupport
import PostgresClient
import Testing

@Suite(.serialized) struct ReferenceDataStoreTests {
    @Test func demoCountyWritesIdempotentlyAndLoadsBackEqual() throws {
        try PostgresTestDatabase.with { url in
            let connection = try PostgresConnection(url: url)
            defer { connection.close() }
            try Migrator.bundled().migrate(connection)
            let demo = try ReferenceData.demoCounty()

            let written = try connection.withTransaction { try demo.write(on: $0) }
            #expect(written == demo.counts)
            let first = try ReferenceData.counts(on: connection)
            #expect(first == demo.counts)
            let kbStamp = try connection.query("SELECT max(updated_at) AS t FROM kb_entries").first!.decode("t", as: Date.self)

            try connection.withTransaction { try demo.write(on: $0) }
            #expect(try ReferenceData.counts(on: connection) == first)
            #expect(try connection.query("SELECT max(updated_at) AS t FROM kb_entries").first!.decode("t", as: Date.self) == kbStamp)

            let loaded = try ReferenceData.load(on: connection)
            #expect(loaded.regions.sorted { $0.code < $1.code } == demo.regions.sorted { $0.code < $1.code })
            #expect(loaded.units.sorted { $0.code < $1.code } == demo.units.sorted { $0.code < $1.code })
            #expect(loaded.routingRules.sorted { $0.name < $1.name } == demo.routingRules.sorted { $0.name < $1.name })
            #expect(loaded.kbEntries.sorted { $0.code < $1.code } == demo.kbEntries.sorted { $0.code < $1.code })
            #expect(try ReferenceData.load(on: connection, knowledgeBase: false).kbEntries.isEmpty)

            // A change is an update in place, not a new row.
            var changed = demo
            changed.routingRules[0].priority = 5
            changed.units[0].name = "石桥县12345热线办"
            try connection.withTransaction { try changed.write(on: $0) }
            #expect(try ReferenceData.counts(on: connection) == first)
            let reloaded = try ReferenceData.load(on: connection)
            #expect(reloaded.routingRules.first { $0.name == demo.routingRules[0].name }?.priority == 5)
            #expect(reloaded.units.first { $0.code == demo.units[0].code }?.name == "石桥县12345热线办")
        }
    }
}
