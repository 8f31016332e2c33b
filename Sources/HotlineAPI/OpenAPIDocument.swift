import Foundation

/// The OpenAPI 3.1 document of the workbench (`Resources/openapi.json`, kept in the repository and
/// served at `/openapi.json`).
public enum OpenAPIDocument {
    public static let data: Data = {
        guard let url = Bundle.module.url(forResource: "Resources", withExtension: nil)?.appendingPathComponent("openapi.json"),
              let data = try? Data(contentsOf: url) else {
            fatalError("openapi.json is missing from the HotlineAPI bundle")
        }
        return data
    }()
}
