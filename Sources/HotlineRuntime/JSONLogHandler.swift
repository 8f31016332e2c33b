import Foundation
import Logging

/// Writes one JSON object per line to standard error: time, level, label, message and metadata
/// (dotted keys such as `hotline.work_order.id`).
///
/// Personal data is masked here, in one place, so no call site has to remember: a metadata value
/// under a personal key (`….phone`, `….name`, `….text`, `…_pii`) by its kind (`138****1234`,
/// `张**`, `<12 chars>`), and anything that looks like a phone number in every other value and in
/// the message itself.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    private let label: String

    public init(label: String) { self.label = label }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        var fields: [String: Logger.Metadata.Value] = [:]
        for (key, value) in merged { fields[key] = Self.masked(value, key: key) }
        fields["ts"] = .string(Date().formatted(Self.timestamp))
        fields["level"] = .string(event.level.rawValue)
        fields["logger"] = .string(label)
        fields["msg"] = .string(Masking.scrub(event.message.description))
        var line = Self.object(fields)
        line.append("\n")
        FileHandle.standardError.write(Data(line.utf8))
    }

    static func masked(_ value: Logger.Metadata.Value, key: String) -> Logger.Metadata.Value {
        switch value {
        case .string(let text): .string(Masking.metadataValue(key: key, text))
        case .stringConvertible(let convertible): .string(Masking.metadataValue(key: key, convertible.description))
        case .array(let values): .array(values.map { masked($0, key: key) })
        case .dictionary(let values): .dictionary(Dictionary(uniqueKeysWithValues: values.map { ($0.key, masked($0.value, key: "\(key).\($0.key)")) }))
        }
    }

    private static let timestamp = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    // A line is written by hand rather than with JSONSerialization, which boxes every value and
    // sorts keys through AnyHashable: measured with `perf` during `hotlinectl bench pipeline`,
    // that was 14–17% of a worker's CPU for its one line per message.

    /// One JSON object, keys sorted (so lines compare and grep alike).
    static func object(_ fields: [String: Logger.Metadata.Value]) -> String {
        var out = "{"
        for (index, key) in fields.keys.sorted().enumerated() {
            if index > 0 { out.append(",") }
            appendString(key, to: &out)
            out.append(":")
            appendValue(fields[key]!, to: &out)
        }
        out.append("}")
        return out
    }

    private static func appendValue(_ value: Logger.Metadata.Value, to out: inout String) {
        switch value {
        case .string(let text): appendString(text, to: &out)
        case .stringConvertible(let value): appendString(value.description, to: &out)
        case .array(let values):
            out.append("[")
            for (index, element) in values.enumerated() {
                if index > 0 { out.append(",") }
                appendValue(element, to: &out)
            }
            out.append("]")
        case .dictionary(let values): out.append(object(values))
        }
    }

    /// A JSON string: quotes and backslashes escaped, control characters (and U+2028/U+2029) as
    /// short escapes or `\u00XX`.
    static func appendString(_ text: String, to out: inout String) {
        out.append("\"")
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out.append("\\\"")
            case "\\": out.append("\\\\")
            case "\n": out.append("\\n")
            case "\r": out.append("\\r")
            case "\t": out.append("\\t")
            case _ where scalar.value < 0x20 || scalar.value == 0x2028 || scalar.value == 0x2029:
                let hex = String(scalar.value, radix: 16)
                out.append("\\u" + String(repeating: "0", count: 4 - hex.count) + hex)
            default: out.unicodeScalars.append(scalar)
            }
        }
        out.append("\"")
    }

    /// Installs this handler for the whole process; call once from `main`.
    public static func bootstrap(level: Logger.Level = .info) {
        LoggingSystem.bootstrap { label in
            var handler = JSONLogHandler(label: label)
            handler.logLevel = level
            return handler
        }
    }
}

