import Foundation

/// One Open311 answer as a tree, written as JSON or as XML from the same value, so the two
/// formats always carry the same data. Element names are GeoReport v2's (`services`/`service`,
/// `service_requests`/`request`, `errors`/`error`, `attributes`/`attribute`, `values`/`value`).
indirect enum Open311Value: Sendable, Equatable {
    /// Text, or null (`<name/>` in XML) when nil.
    case text(String?)
    /// A number as its decimal text.
    case number(String)
    case bool(Bool)
    case object([(String, Open311Value)])
    /// A list whose XML elements are each named `element`.
    case list(element: String, [Open311Value])

    static func == (lhs: Open311Value, rhs: Open311Value) -> Bool { lhs.json.text == rhs.json.text }

    static func int(_ value: Int) -> Open311Value { .number(String(value)) }

    static func coordinate(_ value: Double?) -> Open311Value {
        value.map { .number(String(format: "%.6f", $0)) } ?? .text(nil)
    }

    /// The JSON form: a list is an array, an object an object, text a string or null.
    var json: JSON {
        switch self {
        case .text(let text): text.map(JSON.string) ?? .null
        case .number(let text): .raw(text)
        case .bool(let value): .bool(value)
        case .object(let members): .object(members.map { ($0.0, $0.1.json) })
        case .list(_, let items): .array(items.map(\.json))
        }
    }

    /// The XML document: `<?xml version="1.0" encoding="utf-8"?>` and the value as element `root`.
    func xml(root: String) -> String {
        var out = #"<?xml version="1.0" encoding="utf-8"?>"#
        write(name: root, into: &out)
        return out
    }

    private func write(name: String, into out: inout String) {
        switch self {
        case .text(nil):
            out += "<\(name)/>"
        case .text(let text?):
            out += "<\(name)>" + Self.escape(text) + "</\(name)>"
        case .number(let text):
            out += "<\(name)>\(text)</\(name)>"
        case .bool(let value):
            out += "<\(name)>\(value ? "true" : "false")</\(name)>"
        case .object(let members):
            out += "<\(name)>"
            for (key, value) in members { value.write(name: key, into: &out) }
            out += "</\(name)>"
        case .list(let element, let items):
            out += "<\(name)>"
            for item in items { item.write(name: element, into: &out) }
            out += "</\(name)>"
        }
    }

    /// Escapes markup characters and drops the characters XML 1.0 cannot carry.
    static func escape(_ text: String) -> String {
        var out = ""
        out.unicodeScalars.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
            case _ where scalar.value < 0x20 || (0xFFFE...0xFFFF).contains(scalar.value): continue
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}

/// `.json` or `.xml`, as the path's suffix says.
enum Open311Format: String, Sendable, CaseIterable {
    case json, xml

    /// Splits `requests.json` into (`requests`, .json); nil without a known suffix.
    static func split(_ file: String) -> (name: String, format: Open311Format)? {
        guard let dot = file.lastIndex(of: "."), let format = Open311Format(rawValue: file[file.index(after: dot)...].lowercased()) else {
            return nil
        }
        return (String(file[..<dot]), format)
    }

    var contentType: String {
        switch self {
        case .json: "application/json; charset=utf-8"
        case .xml: "text/xml; charset=utf-8"
        }
    }

    /// The document for `value` under XML root element `root`.
    func render(_ value: Open311Value, root: String) -> Data {
        switch self {
        case .json: value.json.data
        case .xml: Data(value.xml(root: root).utf8)
        }
    }
}

/// An answer in Open311's error format: `[{code, description}]`, `<errors><error>…`.
struct Open311Error: Error, Sendable, Equatable {
    var status: Int
    var descriptions: [String]
    /// Seconds, for a 429.
    var retryAfter: Int?

    init(_ status: Int, _ descriptions: [String], retryAfter: Int? = nil) {
        self.status = status
        self.descriptions = descriptions
        self.retryAfter = retryAfter
    }

    init(_ status: Int, _ description: String) { self.init(status, [description]) }

    var value: Open311Value {
        .list(element: "error", descriptions.map { .object([("code", .int(status)), ("description", .text($0))]) })
    }

    static let root = "errors"
}
