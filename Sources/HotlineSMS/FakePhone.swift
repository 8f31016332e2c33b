import Foundation

/// The fake SMS centre's two files (`ops/services` starts Kannel's `fakesmsc` with them): what the
/// "phones" received (`phone.log`, one `Got message N: <from to type data>` line per message at
/// `-v 0`, the data URL-encoded, UCS-2 as UTF-16BE) and what a citizen types (`mo.in`, one
/// `from to type data` line per message, read by fakesmsc as it is appended). For development
/// (`hotlinectl sms reply-as`, `hotlinectl sms log`) and the tests; never part of a real deployment.
public struct FakePhone: Sendable {
    public struct Message: Sendable, Equatable {
        public var from: String
        public var to: String
        /// **Personal data.**
        public var text: String
    }

    public let directory: URL

    public init(directory: URL) { self.directory = directory }

    /// `$HOTLINE_KANNEL_DIR`, as `ops/services env` exports it.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> FakePhone? {
        environment["HOTLINE_KANNEL_DIR"].flatMap { $0.isEmpty ? nil : FakePhone(directory: URL(fileURLWithPath: $0)) }
    }

    public var logFile: URL { directory.appendingPathComponent("phone.log") }
    public var inputFile: URL { directory.appendingPathComponent("mo.in") }

    /// Every message the fake SMS centre received from the gateway, oldest first (concatenated
    /// parts are joined when they arrive in order: their user data headers are dropped).
    public func received() throws -> [Message] {
        let text = (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { Self.parse(String($0)) }
    }

    /// Messages received by `phone`.
    public func received(by phone: String) throws -> [Message] { try received().filter { $0.to == phone } }

    static func parse(_ line: String) -> Message? {
        guard let start = line.range(of: "Got message "), let open = line[start.upperBound...].firstIndex(of: "<"),
              line.hasSuffix(">") else { return nil }
        let inner = line[line.index(after: open)..<line.index(before: line.endIndex)]
        let parts = inner.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 4 else { return nil }
        let data = parts[3]
        let text: String
        switch parts[2] {
        case "ucs-2":
            let bytes = percentDecoded(data)
            var units: [UInt16] = []
            var index = 0
            while index + 1 < bytes.count { units.append(UInt16(bytes[index]) << 8 | UInt16(bytes[index + 1])); index += 2 }
            text = String(decoding: units, as: UTF16.self)
        case "udh-ucs-2", "udh":
            return nil
        default:
            text = String(decoding: percentDecoded(data), as: UTF8.self)
        }
        return Message(from: parts[0], to: parts[1], text: text)
    }

    static func percentDecoded(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = []
        let utf8 = Array(text.utf8)
        var index = 0
        while index < utf8.count {
            if utf8[index] == UInt8(ascii: "%"), index + 2 < utf8.count,
               let value = UInt8(String(decoding: utf8[(index + 1)...(index + 2)], as: UTF8.self), radix: 16) {
                bytes.append(value)
                index += 3
            } else {
                bytes.append(utf8[index] == UInt8(ascii: "+") ? UInt8(ascii: " ") : utf8[index])
                index += 1
            }
        }
        return bytes
    }

    /// The citizen at `phone` sends `text` to `to` through the fake SMS centre. fakesmsc 1.4.5
    /// refuses `ucs-2` from its client ("invalid message syntax"), so the text goes as `text`,
    /// UTF-8 on one line (line breaks become spaces); smsbox posts it as UTF-8.
    public func send(from phone: String, to: String = "12345", text: String) throws {
        let line = "\(phone) \(to) text \(text.replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: "\r", with: " "))\n"
        guard let handle = try? FileHandle(forWritingTo: inputFile) else { throw NoFakeSMSCentre(path: inputFile.path) }
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(line.utf8))
    }

    public struct NoFakeSMSCentre: Error, CustomStringConvertible {
        public let path: String
        public var description: String { "no fake SMS centre input at \(path): start Kannel with `ops/services up`" }
    }
}
