import Foundation

/// The names channels, categories and urgencies go by besides their codes: Chinese names and
/// variants (电话, 咨询类, 大面积停水, ...). Intake reads a submission's `channel`, `category` and
/// `urgency` through it; `Category(parsing:)` and `Urgency(parsing:)` use it.
///
/// Data, not code: `Resources/vocabulary.json`,
/// `{"basis": "...", "channels": {"phone": ["热线电话", ...]}, "categories": {...}, "urgencies": {...}}`.
/// Every code has at least one name (the first is the one shown in messages); a name belongs to
/// one code only; names and codes are compared ignoring ASCII case.
public struct Vocabulary: Hashable, Sendable, Decodable, ValidatedDataFileWithProblems {
    /// Where the names come from.
    public var basis: String
    /// Names per code, as in the file (a key that is no code is a problem).
    public var channels: [String: [String]]
    public var categories: [String: [String]]
    public var urgencies: [String: [String]]

    /// Per table, every code and name lower-cased → its code (the first owner wins), so that
    /// reading a name is one dictionary lookup (intake reads three per submission).
    private let keys: [String: [String: String]]

    enum CodingKeys: String, CodingKey, CaseIterable { case basis, channels, categories, urgencies }

    public init(basis: String, channels: [String: [String]], categories: [String: [String]], urgencies: [String: [String]]) {
        self.basis = basis
        self.channels = channels
        self.categories = categories
        self.urgencies = urgencies
        func keys<Code: RawRepresentable & CaseIterable>(_ names: [String: [String]], _: Code.Type) -> [String: String]
        where Code.RawValue == String {
            var keys: [String: String] = [:]
            for code in Code.allCases { keys[code.rawValue.lowercased()] = code.rawValue }
            for code in Code.allCases {
                for name in names[code.rawValue] ?? [] where keys[name.lowercased()] == nil { keys[name.lowercased()] = code.rawValue }
            }
            return keys
        }
        self.keys = ["channels": keys(channels, Channel.self), "categories": keys(categories, Category.self),
                     "urgencies": keys(urgencies, Urgency.self)]
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.allCases.map(\.rawValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(basis: try c.decode(String.self, forKey: .basis),
                  channels: try c.decode([String: [String]].self, forKey: .channels),
                  categories: try c.decode([String: [String]].self, forKey: .categories),
                  urgencies: try c.decode([String: [String]].self, forKey: .urgencies))
    }

    /// A code without names, a key that is no code, an empty name, a name given to two codes (or
    /// twice to one), a name that is another code.
    public func problems(file: String) -> [DataFileError] {
        var problems: [DataFileError] = []
        func problem(_ path: String, _ text: String) { problems.append(DataFileError(file: file, keyPath: path, problem: text)) }
        if basis.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { problem("basis", "is empty") }
        func check(_ table: String, _ names: [String: [String]], codes: [String], what: String) {
            for key in names.keys.sorted() where !codes.contains(key) {
                problem("\(table).\(key)", "is not a \(what) (expected one of: \(codes.joined(separator: ", ")))")
            }
            var owner: [String: String] = [:]
            for code in codes {
                guard let list = names[code], !list.isEmpty else {
                    problem(table, "\(code) has no name")
                    continue
                }
                for (index, name) in list.enumerated() {
                    let path = "\(table).\(code)[\(index)]"
                    let key = name.lowercased()
                    if name.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                        problem(path, "is empty")
                    } else if name != name.trimmingCharacters(in: .whitespacesAndNewlines) {
                        problem(path, "\"\(name)\" has leading or trailing whitespace")
                    } else if let named = codes.first(where: { $0.lowercased() == key }) {
                        problem(path, named == code ? "\"\(name)\" is the code itself (codes are always accepted)"
                                                    : "\"\(name)\" is the code of \(named)")
                    } else if let other = owner[key] {
                        problem(path, other == code ? "\"\(name)\" is listed twice" : "\"\(name)\" also names \(other)")
                    } else {
                        owner[key] = code
                    }
                }
            }
        }
        check("channels", channels, codes: Channel.allCases.map(\.rawValue), what: "channel")
        check("categories", categories, codes: Category.allCases.map(\.rawValue), what: "category")
        check("urgencies", urgencies, codes: Urgency.allCases.map(\.rawValue), what: "urgency")
        return problems
    }

    /// The code a text names (its code or one of its names, ignoring case), from one table.
    func lookup<Code: RawRepresentable>(_ text: String, _ table: String) -> Code? where Code.RawValue == String {
        keys[table]?[text.lowercased()].flatMap(Code.init(rawValue:))
    }

    /// The channel `text` names (code or name); the caller normalises the text first.
    public func channel(named text: String) -> Channel? { lookup(text, "channels") }
    public func category(named text: String) -> Category? { lookup(text, "categories") }
    public func urgency(named text: String) -> Urgency? { lookup(text, "urgencies") }

    /// The first name of each code, in code order, e.g. 热线电话, 短信, ... for messages.
    public var channelNames: [String] { Channel.allCases.compactMap { channels[$0.rawValue]?.first } }
    public var categoryNames: [String] { Category.allCases.compactMap { categories[$0.rawValue]?.first } }
    public var urgencyNames: [String] { Urgency.allCases.compactMap { urgencies[$0.rawValue]?.first } }

    /// The bundled vocabulary, read once.
    public static let bundled: Vocabulary = bundledOrStop("vocabulary")
}
