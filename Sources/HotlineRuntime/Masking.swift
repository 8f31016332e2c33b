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

    /// Metadata keys that hold personal data, by their last part: `hotline.citizen.phone`,
    /// `hotline.citizen.name`, `hotline.sms.text` (and any key ending in `_pii`, like the columns).
    public static func metadataValue(key: String, _ value: String) -> String {
        if key.hasSuffix(".phone") || key.hasSuffix("_phone") || key.hasSuffix("phone_pii") { return phone(value) }
        if key.hasSuffix(".name") || key.hasSuffix("name_pii") { return name(value) }
        if key.hasSuffix(".text") || key.hasSuffix(".content") || key.hasSuffix("_pii") { return text(value) }
        return scrub(value)
    }

    /// Free text that is not supposed to hold personal data (a message, an error) with anything
    /// that looks like a phone number masked all the same: a mobile number (11 digits from 1,
    /// optionally after 86 or 0086, full-width digits too) or a landline (0 and 9 to 11 more
    /// digits, with at most one `-` or space after the area code). Order numbers
    /// (`12345-20261130-000123`) do not look like either.
    public static func scrub(_ text: String) -> String {
        guard mayHoldPhone(text) else { return text }
        return scrubbedFully(text)
    }

    /// `scrub` without the quick check: every run of digits read and judged.
    static func scrubbedFully(_ text: String) -> String {
        let scalars = Array(text.unicodeScalars)
        var out = String.UnicodeScalarView()
        var index = 0
        while index < scalars.count {
            guard digitValue(scalars[index]) != nil, index == 0 || digitValue(scalars[index - 1]) == nil else {
                out.append(scalars[index])
                index += 1
                continue
            }
            // A run of digits, allowing one separator after 3 or 4 digits (a landline's area code).
            var end = index
            var digits = ""
            var separated = false
            while end < scalars.count {
                if let digit = digitValue(scalars[end]) {
                    digits.append(Character(String(digit)))
                    end += 1
                } else if !separated, (scalars[end] == "-" || scalars[end] == " "), digits.hasPrefix("0"),
                          digits.count == 3 || digits.count == 4, end + 1 < scalars.count, digitValue(scalars[end + 1]) != nil {
                    separated = true
                    end += 1
                } else {
                    break
                }
            }
            if looksLikePhone(digits) {
                out.append(contentsOf: phone(digits).unicodeScalars)
            } else {
                out.append(contentsOf: scalars[index..<end])
            }
            index = end
        }
        return String(out)
    }

    /// False when no run of digits in `text` is long enough to be a phone number (every number
    /// `looksLikePhone` accepts has at least 10 digits), read over the UTF-8 bytes without
    /// allocating: most log values (ids, order numbers, states) take this way out. A run follows
    /// `scrub`'s rule (one `-` or space after a 3- or 4-digit run starting with 0); any byte that
    /// may start a full-width digit (U+FF10–FF19 begin with 0xEF) sends the text to `scrub`'s
    /// full reading.
    static func mayHoldPhone(_ text: String) -> Bool {
        var run = 0
        var startsWithZero = false
        var separated = false
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                if run == 0 {
                    startsWithZero = byte == UInt8(ascii: "0")
                    separated = false
                }
                run += 1
                if run >= 10 { return true }
            case 0xEF:
                return true
            default:
                let separator = byte == UInt8(ascii: "-") || byte == UInt8(ascii: " ")
                if separator && !separated && startsWithZero && (run == 3 || run == 4) {
                    separated = true
                } else {
                    run = 0
                }
            }
        }
        return false
    }

    private static func looksLikePhone(_ digits: String) -> Bool {
        var mobile = Substring(digits)
        if mobile.count == 15, mobile.hasPrefix("0086") { mobile = mobile.dropFirst(4) }
        if mobile.count == 13, mobile.hasPrefix("86") { mobile = mobile.dropFirst(2) }
        if mobile.count == 11, mobile.hasPrefix("1") { return true }
        return digits.hasPrefix("0") && (10...12).contains(digits.count)
    }

    private static func digitValue(_ scalar: Unicode.Scalar) -> Int? {
        switch scalar.value {
        case 0x30...0x39: Int(scalar.value - 0x30)
        case 0xFF10...0xFF19: Int(scalar.value - 0xFF10)
        default: nil
        }
    }
}
