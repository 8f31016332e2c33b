import ArgumentParser
import Foundation
import HotlineDomain

/// A bundled profile by name, or a profile file when the name is a path (contains '/' or ends in .json).
func loadProfile(_ name: String?) throws -> PolicyProfile {
    guard let name, !name.isEmpty else { throw usageFailure("missing profile (one of: \(PolicyProfile.bundledIDs.joined(separator: ", ")), or a file path)") }
    do {
        if name.contains("/") || name.hasSuffix(".json") {
            return try PolicyProfile.load(contentsOf: URL(fileURLWithPath: name))
        }
        guard PolicyProfile.bundledIDs.contains(name) else {
            throw usageFailure("unknown profile '\(name)' (known: \(PolicyProfile.bundledIDs.joined(separator: ", ")), or a file path)")
        }
        return try PolicyProfile.bundled(name)
    } catch let error as DataFileError {
        throw usageFailure(error.description)
    }
}

struct ProfilesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "profiles",
        abstract: "The policy profiles: every time limit, extension rule, SMS wording and scoring scheme of a hotline centre.",
        subcommands: [List.self, Show.self]
    )

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the bundled profiles: id, name, source document.")

        func run() throws {
            for id in PolicyProfile.bundledIDs {
                let profile = try loadProfile(id)
                print("\(profile.id)\t\(profile.name)\t\(profile.document)")
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a profile (bundled name or file path) as validated JSON.")
        @Argument(help: "A bundled profile name or a profile file.") var profile: String?

        func run() throws {
            let loaded = try loadProfile(profile)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(loaded), as: UTF8.self))
        }
    }
}
