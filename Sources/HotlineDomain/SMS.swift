import Foundation

/// The citizen's rating of a unit's result.
public enum Rating: String, Hashable, Sendable, Codable, CaseIterable {
    case satisfied, basicallySatisfied, dissatisfied
}

/// What a citizen's SMS reply says.
public enum RatingReply: String, Hashable, Sendable, CaseIterable {
    case satisfied, basicallySatisfied, dissatisfied, unknown

    public var rating: Rating? { Rating(rawValue: rawValue) }
}

public enum SMSText {
    /// The reply SMS: the unit's name in the profile's prefix, the unit's result cleaned of what the
    /// rules forbid, then the rating request.
    public static func render(template: SMSTemplate, unitName: String, result: String) -> String {
        let prefix = template.prefix.replacingOccurrences(of: "{unit}", with: clean(unitName, template: template))
        var body = clean(result, template: template)
        if body.hasSuffix(template.suffix) { body = String(body.dropLast(template.suffix.count)) }
        if let last = body.last, !isSentenceEnd(last) { body += "。" }
        return prefix + body + template.suffix
    }

    /// Removes forbidden symbols, emoji, control characters and stray whitespace (all whitespace
    /// next to Chinese text; runs between Latin words or digits become one space).
    public static func clean(_ text: String, template: SMSTemplate) -> String {
        let forbidden = Set(template.forbiddenCharacters.unicodeScalars)
        var kept: [Character] = []
        for character in text {
            let scalars = character.unicodeScalars
            if scalars.contains(where: { forbidden.contains($0) }) { continue }
            if scalars.contains(where: { $0.properties.isEmojiPresentation || ($0.properties.isEmoji && $0.value > 0x2000) }) { continue }
            if character.isWhitespace || character.isNewline { kept.append(" "); continue }
            if scalars.allSatisfy({ $0.properties.generalCategory == .control || $0.properties.generalCategory == .format }) { continue }
            kept.append(character)
        }
        var output: [Character] = []
        var index = 0
        while index < kept.count {
            if kept[index] == " " {
                var end = index
                while end < kept.count, kept[end] == " " { end += 1 }
                let before = output.last
                let after = end < kept.count ? kept[end] : nil
                if let before, let after, !isWide(before), !isWide(after) { output.append(" ") }
                index = end
            } else {
                output.append(kept[index])
                index += 1
            }
        }
        return String(output)
    }

    /// What is wrong with the wording of a unit's result before it is sent (qidong 附件2 一(五)5:
    /// 不得有空格和特殊符号字样): one sentence per kind of fault, naming the fault, never the text.
    /// Empty when `clean` would leave the text as it is.
    public static func wordingProblems(_ text: String, template: SMSTemplate) -> [String] {
        let forbidden = Set(template.forbiddenCharacters.unicodeScalars)
        var problems: [String] = []
        if text.unicodeScalars.contains(where: forbidden.contains) {
            problems.append("contains special symbols an SMS may not carry (the profile's sms.forbiddenCharacters)")
        }
        if text.contains(where: { $0.unicodeScalars.contains { $0.properties.isEmojiPresentation || ($0.properties.isEmoji && $0.value > 0x2000) } }) {
            problems.append("contains emoji")
        }
        if text.contains(where: { !$0.isWhitespace && $0.unicodeScalars.allSatisfy { $0.properties.generalCategory == .control || $0.properties.generalCategory == .format } }) {
            problems.append("contains control characters")
        }
        if hasStrayWhitespace(text) {
            problems.append("contains stray spaces or line breaks (none next to Chinese text, at either end, or two in a row)")
        }
        return problems
    }

    /// Whitespace `clean` would remove or change: any but a single ASCII space between Latin
    /// words or digits.
    static func hasStrayWhitespace(_ text: String) -> Bool {
        let characters = Array(text)
        for (index, character) in characters.enumerated() where character.isWhitespace || character.isNewline {
            guard character == " ", index > 0, index < characters.count - 1 else { return true }
            let before = characters[index - 1], after = characters[index + 1]
            if before.isWhitespace || after.isWhitespace || isWide(before) || isWide(after) { return true }
        }
        return false
    }

    /// SMS segments in UCS-2: up to 70 characters is one message, longer texts go in parts of 67.
    public static func segmentCount(_ text: String) -> Int {
        let units = text.utf16.count
        if units == 0 { return 0 }
        return units <= 70 ? 1 : (units + 66) / 67
    }

    /// Reads a citizen's reply: a digit 1–3 (half- or full-width, words may follow), or the words
    /// 满意 / 基本满意 / 不满意. Conflicting or several different answers, or none, are unknown.
    public static func parseReply(_ text: String) -> RatingReply {
        let normalized = text.precomposedStringWithCompatibilityMapping
        // Digits.
        var runs: [String] = []
        var current = ""
        for character in normalized {
            if character.isASCII, character.isNumber { current.append(character) } else if !current.isEmpty {
                runs.append(current); current = ""
            }
        }
        if !current.isEmpty { runs.append(current) }
        var digitAnswers = Set<RatingReply>()
        for run in runs {
            switch run {
            case "1": digitAnswers.insert(.satisfied)
            case "2": digitAnswers.insert(.basicallySatisfied)
            case "3": digitAnswers.insert(.dissatisfied)
            default: digitAnswers.insert(.unknown)
            }
        }
        let wordAnswers = Set(ratingWords(in: normalized).compactMap { RatingReply(rawValue: $0.rawValue) })
        let answers = digitAnswers.union(wordAnswers)
        guard answers.count == 1, let answer = answers.first else { return .unknown }
        return answer
    }

    /// The ratings the words 满意 / 基本满意 / 不满意 in `text` name: each 满意 is read with what
    /// precedes it (不满意 and 基本满意 both contain 满意; 非常满意 is 满意).
    public static func ratingWords(in text: String) -> Set<Rating> {
        var answers = Set<Rating>()
        let characters = Array(text)
        var i = 0
        while i + 1 < characters.count {
            if characters[i] == "满", characters[i + 1] == "意" {
                if i >= 1, characters[i - 1] == "不" {
                    answers.insert(.dissatisfied)
                } else if i >= 2, characters[i - 2] == "基", characters[i - 1] == "本" {
                    answers.insert(.basicallySatisfied)
                } else {
                    answers.insert(.satisfied)
                }
                i += 2
            } else {
                i += 1
            }
        }
        return answers
    }

    static func isSentenceEnd(_ character: Character) -> Bool {
        "。！？.!?；;".contains(character)
    }

    /// Chinese characters and full-width punctuation: no space belongs next to them.
    static func isWide(_ character: Character) -> Bool {
        guard let scalar = character.unicodeScalars.first else { return false }
        switch scalar.value {
        case 0x2E80...0x9FFF, 0xF900...0xFAFF, 0xFF00...0xFFEF, 0x3000...0x303F, 0x20000...0x2FFFF: return true
        default: return false
        }
    }
}
