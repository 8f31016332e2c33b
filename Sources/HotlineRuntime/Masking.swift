/// Personal data never reaches a log line or an error message unmasked.
public enum Masking {
    /// `13812341234` → `138****1234`; shorter numbers keep at most their last two digits.
    public static func phone(_ raw: String) -> String {
        // Full-width digits count as digits too (wholeNumberValue maps "１" to 1).
        var digits = Substring(raw.compactMap { $0.wholeNumberValue.map(String.init) }.joined())
        if digits.count == 15, digits.hasPrefix("0086") { digits = digits.dropFirst(4) }
        if digits.count == 13, digits.hasPrefix("86") { digits = digits.dropFirst(2) }
        if digits.count >= 11 {
            return String(digits.prefix(3)) + "****" + String(digits.suffix(4))
        }
        if digits.count >= 4 {
            return String(repeating: "*", count: digits.count - 2) + String(digits.suffix(2))
        }
        return String(repeating: "*", count: digits.count)
    }

    /// A citizen's name keeps its first character: `张三丰` → `张**`.
    public static func name(_ raw: String) -> String {
        guard let first = raw.first else { return "" }
        return String(first) + String(repeating: "*", count: max(raw.count - 1, 1))
    }

    /// Free text (SMS bodies, complaints) is reduced to its length.
    public static func text(_ raw: String) -> String {
        "<\(raw.count) chars>"
    }

    /// A connection URL without its password: `amqp://hotline:***@127.0.0.1:5672/`.
    public static func url(_ raw: String) -> String {
        guard let scheme = raw.range(of: "://"),
              let at = raw[scheme.upperBound...].lastIndex(of: "@") else { return raw }
        let credentials = raw[scheme.upperBound..<at]
        guard let colon = credentials.firstIndex(of: ":") else { return raw }
        return String(raw[..<colon]) + ":***" + String(raw[at...])
    }
}
