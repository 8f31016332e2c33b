import Foundation

/// A data file (holiday arrangement, policy profile) that could not be used: which file, where in
/// it, and what is wrong. The files hold rules, never personal data, so the text is safe to log.
public struct DataFileError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file's name or path as given ("<bundled>/qidong.json" for bundled files).
    public var file: String
    /// Where in the file, e.g. `years[2].holidays[5]` or `reply[0].limit.unit`; empty for the whole file.
    public var keyPath: String
    /// What is wrong, e.g. "2021-02-30 is not a date of the form YYYY-MM-DD".
    public var problem: String

    public init(file: String, keyPath: String, problem: String) {
        self.file = file
        self.keyPath = keyPath
        self.problem = problem
    }

    public var description: String {
        keyPath.isEmpty ? "\(file): \(problem)" : "\(file): \(keyPath): \(problem)"
    }

    /// Turns a `DecodingError` into a precise error naming the key path.
    public static func decoding(_ error: any Error, file: String) -> DataFileError { from(error, file: file) }

    /// Turns a `DecodingError` into a precise error naming the key path.
    static func from(_ error: any Error, file: String) -> DataFileError {
        if let error = error as? DataFileError { return error }
        guard let error = error as? DecodingError else {
            return DataFileError(file: file, keyPath: "", problem: "\(error)")
        }
        func path(_ keys: [any CodingKey]) -> String {
            var text = ""
            for key in keys {
                if let index = key.intValue { text += "[\(index)]" } else { text += text.isEmpty ? key.stringValue : ".\(key.stringValue)" }
            }
            return text
        }
        switch error {
        case let .keyNotFound(key, context):
            return DataFileError(file: file, keyPath: path(context.codingPath + [key]), problem: "required key is missing")
        case let .typeMismatch(type, context):
            return DataFileError(file: file, keyPath: path(context.codingPath), problem: "expected \(typeName(type))")
        case let .valueNotFound(type, context):
            return DataFileError(file: file, keyPath: path(context.codingPath), problem: "expected \(typeName(type)), found null")
        case let .dataCorrupted(context):
            let underlying = context.underlyingError.map { " (\($0.localizedDescription))" } ?? ""
            let problem = context.codingPath.isEmpty && context.underlyingError != nil
                ? "not valid JSON\(underlying)" : context.debugDescription
            return DataFileError(file: file, keyPath: path(context.codingPath), problem: problem)
        @unknown default:
            return DataFileError(file: file, keyPath: "", problem: "\(error)")
        }
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Int.Type, is Double.Type: return "a number"
        case is Bool.Type: return "true or false"
        default:
            let name = "\(type)"
            if name.hasPrefix("Array") { return "an array" }
            if name.hasPrefix("Dictionary") { return "an object" }
            return name
        }
    }
}

/// Decoding helper that rejects keys a type does not know, so a misspelt key is an error and not a
/// silently ignored rule.
struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(stringValue: String) { self.stringValue = stringValue; self.intValue = nil }
    init?(intValue: Int) { self.stringValue = String(intValue); self.intValue = intValue }
}

extension Decoder {
    /// Throws `dataCorrupted` at the offending key when the object has a key outside `known`.
    func rejectUnknownKeys(_ known: [String]) throws {
        let container = try container(keyedBy: AnyKey.self)
        for key in container.allKeys where !known.contains(key.stringValue) {
            throw DecodingError.dataCorrupted(.init(codingPath: codingPath + [key],
                debugDescription: "unknown key (expected one of: \(known.joined(separator: ", ")))"))
        }
    }
}

/// A JSON data file with rules (a policy profile, a holiday arrangement): decoded, then checked
/// for meaning, every problem reported as a `DataFileError`.
public protocol ValidatedDataFile: Decodable {
    /// Checks what decoding cannot: ranges, duplicates, consistency.
    func validate(file: String) throws(DataFileError)
}

extension ValidatedDataFile {
    /// Decodes and validates; `file` names the source in errors.
    public static func load(data: Data, file: String) throws(DataFileError) -> Self {
        let value: Self
        do { value = try JSONDecoder().decode(Self.self, from: data) } catch {
            throw DataFileError.from(error, file: file)
        }
        try value.validate(file: file)
        return value
    }

    /// Reads, decodes and validates a file.
    public static func load(contentsOf url: URL) throws(DataFileError) -> Self {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw DataFileError(file: url.path, keyPath: "", problem: "cannot be read")
        }
        return try load(data: data, file: url.path)
    }
}

extension ValidatedDataFile {
    /// A file bundled with this module (`Resources/[subdirectory/]name.json`), decoded and
    /// validated; named `<bundled>/...` in errors.
    static func bundledFile(_ name: String, subdirectory: String? = nil) throws(DataFileError) -> Self {
        let file = "<bundled>/" + (subdirectory.map { "\($0)/" } ?? "") + name + ".json"
        guard let url = HotlineDomain.resources.url(forResource: name, withExtension: "json", subdirectory: subdirectory) else {
            throw DataFileError(file: file, keyPath: "", problem: "missing from the module's resources")
        }
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw DataFileError(file: file, keyPath: "", problem: "cannot be read") }
        return try load(data: data, file: file)
    }

    /// `bundledFile`, for a value read once into a `static let`. The file ships inside the module
    /// and the module's tests load it, so a problem here is a broken build, not an operator's
    /// mistake: the process stops, naming the file's problem (rules only, never personal data).
    static func bundledOrStop(_ name: String) -> Self {
        do { return try bundledFile(name) } catch { fatalError("bundled data file is invalid: \(error)") }
    }
}

/// A data file whose validation reports every problem it finds, one `DataFileError` (one line)
/// each; `validate(file:)` throws the first.
public protocol ValidatedDataFileWithProblems: ValidatedDataFile {
    /// Every problem, in file order; empty when the file is valid.
    func problems(file: String) -> [DataFileError]
}

extension ValidatedDataFileWithProblems {
    public func validate(file: String) throws(DataFileError) {
        if let first = problems(file: file).first { throw first }
    }

    /// Decodes `data` and lists every problem: the decoding error alone when it cannot be decoded,
    /// otherwise every problem `problems(file:)` finds. Empty when the file is valid.
    public static func problems(data: Data, file: String) -> [DataFileError] {
        do { return try JSONDecoder().decode(Self.self, from: data).problems(file: file) } catch {
            return [DataFileError.from(error, file: file)]
        }
    }
}
