import ArgumentParser
import Foundation
import HotlineDomain
import HotlineStore
import PostgresClient

/// API keys of Open311 GeoReport v2 (`hotline-api`, `/open311/v2/`): one per client (a website,
/// an app), needed to POST requests; reading needs none.
struct Open311Command: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "open311",
        abstract: "Open311 GeoReport v2: issue, list or revoke the API keys clients POST requests with.",
        subcommands: [Key.self])

    struct Key: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Issue, list or revoke Open311 API keys.", subcommands: [Issue.self, List.self, Revoke.self])
    }

    struct Issue: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Issue an API key for a client: its requests come in by --channel, at most --per-minute a minute.",
            discussion: "The key is printed once, on the last line; only its SHA-256 is stored.")
        @OptionGroup var database: DatabaseOption
        @Option(help: "Whom the key is for (a client, a person; kept as personal data).") var name: String
        @Option(help: "The channel its requests come in by: website, app or wechat.") var channel = "website"
        @Option(help: "Requests a minute the key may make (POSTs; 1...10000).") var perMinute = 60
        @Option(help: "Days until the key expires (1...1096).") var days = 365

        func validate() throws {
            guard !name.trimmingCharacters(in: .whitespaces).isEmpty, name.count <= 100 else {
                throw ValidationError("--name must be 1 to 100 characters")
            }
            guard ["website", "app", "wechat"].contains(channel) else { throw ValidationError("--channel must be website, app or wechat") }
            guard (1...10_000).contains(perMinute) else { throw ValidationError("--per-minute must be 1...10000") }
            guard (1...1096).contains(days) else { throw ValidationError("--days must be 1...1096") }
        }

        func run() throws {
            let connection = try database.connect(name: "hotlinectl-open311")
            defer { connection.close() }
            let key = Open311Keys.generate()
            let expires = Date().addingTimeInterval(Double(days) * 86_400)
            let id = try Open311Keys.issue(key: key, clientPII: name.trimmingCharacters(in: .whitespaces), channel: channel,
                                           perMinute: perMinute, expiresAt: expires, on: connection)
            print("id: \(id)")
            print("channel: \(channel)")
            print("per-minute: \(perMinute)")
            print("expires: \(ChinaTime.format(expires))")
            print("api_key: \(key)")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List Open311 API keys (never the keys themselves).")
        @OptionGroup var database: DatabaseOption

        func run() throws {
            let connection = try database.connect(name: "hotlinectl-open311")
            defer { connection.close() }
            let now = Date()
            for key in try Open311Keys.list(on: connection) {
                let status = key.revokedAt != nil ? "revoked" : key.expiresAt <= now ? "expired" : "valid"
                print("\(key.id)\t\(key.channel)\t\(key.perMinute)/min\t\(key.clientPII)\t\(ChinaTime.format(key.expiresAt))\t\(status)")
            }
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke an API key by its id: from now on its POSTs get 403.")
        @OptionGroup var database: DatabaseOption
        @Argument(help: "The key's id (as `open311 key issue` or `open311 key list` printed it).") var id: Int64

        func run() throws {
            let connection = try database.connect(name: "hotlinectl-open311")
            defer { connection.close() }
            do {
                try Open311Keys.revoke(id, at: Date(), on: connection)
            } catch let error as ApiTokenError {
                throw UsageError(error.description.replacingOccurrences(of: "token", with: "open311 key"))
            }
            print("open311 key \(id) revoked")
        }
    }
}
