import Foundation

/// The standard guidance a citizen is given when a request is not accepted (不予受理), one text per
/// reason of POLICIES.md §6: why, and where to go instead. Intake uses it when the agent gave none.
///
/// Data, not code: `Resources/scope-guidance.json`, `{"basis": "...", "texts": {"<reason>": "..."}}`
/// with a text for each of the nine `NotAcceptedReason`s.
public struct ScopeGuidance: Hashable, Sendable, Decodable, ValidatedDataFileWithProblems {
    /// Where the texts come from (the reasons are the documents'; the wording is ours).
    public var basis: String
    /// The text per reason code, as in the file (a key that is no reason is a problem).
    public var texts: [String: String]

    enum CodingKeys: String, CodingKey, CaseIterable { case basis, texts }

    public init(basis: String, texts: [String: String]) {
        self.basis = basis
        self.texts = texts
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.allCases.map(\.rawValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        basis = try c.decode(String.self, forKey: .basis)
        texts = try c.decode([String: String].self, forKey: .texts)
    }

    /// A reason without its text, a key that is no reason, an empty text or basis.
    public func problems(file: String) -> [DataFileError] {
        var problems: [DataFileError] = []
        func problem(_ path: String, _ text: String) { problems.append(DataFileError(file: file, keyPath: path, problem: text)) }
        if basis.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { problem("basis", "is empty") }
        let known = NotAcceptedReason.allCases.map(\.rawValue)
        for key in texts.keys.sorted() where !known.contains(key) {
            problem("texts.\(key)", "is not a reason (expected one of: \(known.joined(separator: ", ")))")
        }
        for reason in NotAcceptedReason.allCases {
            guard let text = texts[reason.rawValue] else {
                problem("texts", "\(reason.rawValue) has no guidance text")
                continue
            }
            if text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { problem("texts.\(reason.rawValue)", "is empty") }
        }
        return problems
    }

    /// The guidance for `reason` (every reason has one in a validated file).
    public func text(for reason: NotAcceptedReason) -> String { texts[reason.rawValue] ?? "" }

    /// The bundled guidance, read once.
    public static let bundled: ScopeGuidance = bundledOrStop("scope-guidance")

    /// The bundled guidance for `reason`.
    public static func text(for reason: NotAcceptedReason) -> String { bundled.text(for: reason) }
}
