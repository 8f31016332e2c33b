import ArgumentParser
import Foundation
import HotlineDomain
import HotlineStore
import PostgresClient

/// Bearer tokens of the HTTP API (`hotline-api`): one per person, of a unit or of the office.
struct TokenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Issue, list or revoke bearer tokens of the HTTP API (one per person, of a unit or of the office).",
        subcommands: [Issue.self, List.self, Revoke.self])

    struct Issue: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Issue a token for a person of a unit (--unit CODE) or of the hotline office (--office).",
            discussion: "The token is printed once, on the last line; only its SHA-256 is stored.")
        @OptionGroup var database: DatabaseOption
        @Option(help: "The unit's code (e.g. WATER).") var unit: String?
        @Flag(help: "A token of the hotline office (acts on every order).") var office = false
        @Option(help: "The person's name (kept as personal data).") var name: String
        @Option(help: "Days until the token expires (1...366).") var days = 90

        func validate() throws {
            guard (unit == nil) == office else { throw ValidationError("give either --unit CODE or --office") }
            guard !name.trimmingCharacters(in: .whitespaces).isEmpty, name.count <= 100 else {
                throw ValidationError("--name must be 1 to 100 characters")
            }
            guard (1...366).contains(days) else { throw ValidationError("--days must be 1...366") }
        }

        func run() throws {
            let connection = try database.connect(name: "hotlinectl-token")
            defer { connection.close() }
            let token = ApiTokens.generate()
            let expires = Date().addingTimeInterval(Double(days) * 86_400)
            let id: Int64
            do {
                id = try ApiTokens.issue(token: token, unit: unit, personNamePII: name.trimmingCharacters(in: .whitespaces),
                                         expiresAt: expires, on: connection)
            } catch let error as ApiTokenError {
                throw UsageError(error.description)
            }
            print("id: \(id)")
            print("for: \(unit.map { "unit \($0)" } ?? "office")")
            print("expires: \(ChinaTime.format(expires))")
            print("token: \(token)")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List tokens (never the tokens themselves).")
        @OptionGroup var database: DatabaseOption

        func run() throws {
            let connection = try database.connect(name: "hotlinectl-token")
            defer { connection.close() }
            let now = Date()
            for token in try ApiTokens.list(on: connection) {
                let status = token.revokedAt != nil ? "revoked" : token.expiresAt <= now ? "expired" : "valid"
                print("\(token.id)\t\(token.unit ?? "office")\t\(token.personNamePII)\t\(ChinaTime.format(token.expiresAt))\t\(status)")
            }
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a token by its id: from now on it answers 401.")
        @OptionGroup var database: DatabaseOption
        @Argument(help: "The token's id (as `token issue` or `token list` printed it).") var id: Int64

        func run() throws {
            let connection = try database.connect(name: "hotlinectl-token")
            defer { connection.close() }
            do {
                try ApiTokens.revoke(id, at: Date(), on: connection)
            } catch let error as ApiTokenError {
                throw UsageError(error.description)
            }
            print("token \(id) revoked")
        }
    }
}
