import Foundation
@testable import HotlineDomain
import Testing

/// The bundled qidong profile as JSON, to edit and load as a centre's own file.
func qidongJSON() throws -> [String: Any] {
    let url = try #require(HotlineDomain.resources.url(forResource: "qidong", withExtension: "json", subdirectory: "profiles"))
    return try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
}

/// The problem loading the qidong profile reports after `edit`, nil when it loads.
func profileLoadError(_ edit: (inout [String: Any]) -> Void) throws -> DataFileError? {
    var json = try qidongJSON()
    edit(&json)
    let data = try JSONSerialization.data(withJSONObject: json)
    do {
        _ = try PolicyProfile.load(data: data, file: "centre.json")
        return nil
    } catch {
        return error
    }
}
