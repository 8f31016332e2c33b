/// How intake cleans what channels send before it validates, stores or compares it.
///
/// - Full-width ASCII letters and digits (`０`–`９`, `Ａ`–`Ｚ`, `ａ`–`ｚ`) and the full-width
///   `＋ － （ ） ＃ ＠ ．` become their ASCII forms; the ideographic space U+3000 becomes a space.
/// - Chinese punctuation (，。！？、：；“” and the rest) is kept as written.
/// - Control and format characters (C0/C1 controls, zero-width spaces, BOM, bidi marks) are removed;
///   tabs and line breaks count as whitespace.
/// - Every run of whitespace becomes one space; the result is trimmed.
public enum TextNormalisation {
    public static func normalise(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        var pendingSpace = false
        for scalar in text.unicodeScalars {
            let value = scalar.value
            if scalar.properties.isWhitespace {
                pendingSpace = !out.isEmpty
                continue
            }
            switch scalar.properties.generalCategory {
            case .control, .format: continue
            default: break
            }
            let mapped: Unicode.Scalar
            switch value {
            case 0xFF10...0xFF19, 0xFF21...0xFF3A, 0xFF41...0xFF5A,
                 0xFF0B, 0xFF0D, 0xFF08, 0xFF09, 0xFF03, 0xFF20, 0xFF0E:
                mapped = Unicode.Scalar(value - 0xFEE0)!
            default:
                mapped = scalar
            }
            if pendingSpace {
                out.append(" ")
                pendingSpace = false
            }
            out.append(mapped)
        }
        return String(out)
    }

    /// A person's name: normalised, the spaces agents and forms put between Chinese characters
    /// removed ("张 三" → "张三"; "John Smith" keeps its space), and the middle-dot variants of
    /// transliterated names (•, ‧, ・, ･, and "." or "．" between Chinese characters) written as "·"
    /// ("阿卜杜．热合曼" → "阿卜杜·热合曼").
    public static func normaliseName(_ text: String) -> String {
        let scalars = Array(normalise(text).unicodeScalars)
        func isHanAt(_ index: Int) -> Bool { scalars.indices.contains(index) && isHan(scalars[index]) }
        let dotted: [Unicode.Scalar] = scalars.indices.map { index in
            switch scalars[index] {
            case "•", "‧", "・", "･": "·"
            case "." where isHanAt(index - 1) && isHanAt(index + 1): "·"
            default: scalars[index]
            }
        }
        func joins(_ index: Int) -> Bool {
            dotted.indices.contains(index) && (isHan(dotted[index]) || dotted[index] == "·")
        }
        var out = String.UnicodeScalarView()
        for (index, scalar) in dotted.enumerated() where !(scalar == " " && joins(index - 1) && joins(index + 1)) {
            out.append(scalar)
        }
        return String(out)
    }

    /// A Chinese character (CJK unified ideograph, any block).
    static func isHan(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.isUnifiedIdeograph
    }
}
