/// A mainland China phone number, in one canonical form so the same citizen is recognised whatever
/// the channel typed (repeats, the harassment limit, the reply SMS).
///
/// Accepted: mobile numbers `1[3-9]` + 9 digits, and landlines written with their area code: `010`
/// and `020`–`029` (three digits with the 0), every other code four digits with the 0, then a
/// 7- or 8-digit local number that does not start with 0 or 1. Separators (spaces, `-`, `.`,
/// parentheses, as in `(0734)8123456`) and full-width digits are fine; so are the country prefixes
/// `+86`, `0086` and `86` (`+86 734 8123456` is area code 0734; a trunk 0 after `+86` is dropped).
///
/// Extensions are dropped, not kept: `转123`, `分机123`, `ext 123` or `x123` at the end, and a
/// final `-123` group after an otherwise complete landline (`0734-8123456-123`). The hotline calls
/// back and sends SMS to the main number; an extension cannot receive SMS.
public struct PhoneNumber: Hashable, Sendable, CustomStringConvertible {
    public enum Kind: String, Hashable, Sendable {
        case mobile, landline
    }

    public let kind: Kind
    /// Canonical: mobile `13800138000`; landline `07348123456` (area code with its 0, then the
    /// local number, no separators).
    public let digits: String

    /// Mobile as is; landline `0734-8123456`.
    public var display: String {
        switch kind {
        case .mobile: digits
        case .landline: "\(digits.prefix(areaCodeLength))-\(digits.dropFirst(areaCodeLength))"
        }
    }

    /// For logs and screens: mobile `138****8000` (first 3 and last 4), landline `0734****456`
    /// (area code and last 3).
    public var masked: String {
        switch kind {
        case .mobile: "\(digits.prefix(3))****\(digits.suffix(4))"
        case .landline: "\(digits.prefix(areaCodeLength))****\(digits.suffix(3))"
        }
    }

    /// The masked form: a phone number interpolated into a log line stays masked.
    public var description: String { masked }

    var areaCodeLength: Int { Self.areaCodeLength(digits) }

    /// 3 for 010 and 020–029, 4 otherwise (with the 0).
    static func areaCodeLength<S: StringProtocol>(_ digits: S) -> Int {
        digits.hasPrefix("010") || digits.hasPrefix("02") ? 3 : 4
    }

    private init(kind: Kind, digits: String) {
        self.kind = kind
        self.digits = digits
    }

    public static func parse(_ raw: String) -> Result<PhoneNumber, PhoneProblem> {
        var text = TextNormalisation.normalise(raw).lowercased()
        guard !text.isEmpty else { return .failure(.empty) }
        let extensionDropped = dropExtension(&text)

        // Only digits, separators and one leading '+' may remain.
        var groups: [String] = []
        var current = ""
        var international = false
        for (index, character) in text.enumerated() {
            if character.isASCII, character.isNumber {
                current.append(character)
                continue
            }
            if !current.isEmpty {
                groups.append(current)
                current = ""
            }
            switch character {
            case " ", "-", "–", "—", ".", "(", ")", "/": continue
            case "+" where index == 0: international = true
            default: return .failure(character.isLetter ? .containsLetters : .invalidCharacters)
            }
        }
        if !current.isEmpty { groups.append(current) }
        var digits = groups.joined()
        guard digits.count >= 7 else { return .failure(.tooFewDigits) }

        // Country prefix: +86, 0086, or 86 before a number too long to be domestic.
        if international || digits.hasPrefix("00") {
            if international, digits.hasPrefix("86") {
                digits.removeFirst(2)
            } else if !international, digits.hasPrefix("0086") {
                digits.removeFirst(4)
            } else {
                return .failure(.foreignCountryCode)
            }
            international = true
        } else if digits.hasPrefix("86"), digits.count >= 12 {
            digits.removeFirst(2)
            international = true
        }
        if international {
            // After the country code: a mobile, or an area code without (or with) its trunk 0
            // (+86 10 … is Beijing, 010).
            if !digits.hasPrefix("0"), !digits.hasPrefix("1") || digits.hasPrefix("10") { digits = "0" + digits }
        }

        let result = classify(digits)
        // A last group of 1–5 digits after a complete landline is an extension.
        if case .failure(.tooManyDigits) = result, !extensionDropped, groups.count >= 3,
           let last = groups.last, last.count <= 5 {
            let shorter = String(digits.dropLast(last.count))
            if case .success(let number) = classify(shorter), number.kind == .landline { return .success(number) }
        }
        return result
    }

    /// Removes a trailing extension (`转123`, `分机123`, `ext 123`, `ext.123`, `x123`); true when one was there.
    private static func dropExtension(_ text: inout String) -> Bool {
        for marker in ["转", "分机", "ext", "x"] {
            guard let range = text.range(of: marker, options: .backwards) else { continue }
            let tail = text[range.upperBound...].drop { $0 == " " || $0 == "." || $0 == ":" || $0 == "：" }
            guard !tail.isEmpty, tail.count <= 6, tail.allSatisfy({ $0.isASCII && $0.isNumber }) else { continue }
            text = String(text[..<range.lowerBound]).trimmingTrailingSeparators()
            return true
        }
        return false
    }

    private static func classify(_ digits: String) -> Result<PhoneNumber, PhoneProblem> {
        let d = Array(digits.utf8)
        guard d.count >= 7 else { return .failure(.tooFewDigits) }
        switch d[0] {
        case UInt8(ascii: "1"):
            guard (UInt8(ascii: "3")...UInt8(ascii: "9")).contains(d[1]) else { return .failure(.notMainlandNumber) }
            if d.count < 11 { return .failure(.tooFewDigits) }
            if d.count > 11 { return .failure(.tooManyDigits) }
            return .success(PhoneNumber(kind: .mobile, digits: digits))
        case UInt8(ascii: "0"):
            // 00 is an international prefix; 011–019 are not area codes.
            guard d[1] != UInt8(ascii: "0"), d[1] != UInt8(ascii: "1") || d[2] == UInt8(ascii: "0") else {
                return .failure(.notMainlandNumber)
            }
            let area = areaCodeLength(digits)
            let local = d.count - area
            if local < 7 { return .failure(.tooFewDigits) }
            if local > 8 { return .failure(.tooManyDigits) }
            guard d[area] != UInt8(ascii: "0"), d[area] != UInt8(ascii: "1") else { return .failure(.notMainlandNumber) }
            return .success(PhoneNumber(kind: .landline, digits: digits))
        default:
            // 7–8 digits not starting with 0 or 1: a local number someone forgot the area code of.
            return d.count <= 8 ? .failure(.missingAreaCode) : .failure(.notMainlandNumber)
        }
    }
}

/// Why a phone number was not accepted. Descriptions never contain the number.
public enum PhoneProblem: Error, Hashable, Sendable, CustomStringConvertible {
    case empty
    case containsLetters
    case invalidCharacters
    case tooFewDigits
    case tooManyDigits
    case foreignCountryCode
    case missingAreaCode
    case notMainlandNumber

    public var description: String {
        switch self {
        case .empty: "is empty"
        case .containsLetters: "contains letters"
        case .invalidCharacters: "contains characters other than digits, spaces, '-', '.', parentheses and a leading '+'"
        case .tooFewDigits: "has too few digits"
        case .tooManyDigits: "has too many digits"
        case .foreignCountryCode: "has a country code other than +86"
        case .missingAreaCode: "is a local number without its area code"
        case .notMainlandNumber: "is not a mainland mobile or landline number"
        }
    }
}

extension String {
    fileprivate func trimmingTrailingSeparators() -> String {
        var text = self
        while let last = text.last, last == " " || last == "-" || last == "," || last == "，" { text.removeLast() }
        return text
    }
}
