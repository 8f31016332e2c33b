import Foundation
import HotlineDomain
import HotlineStore

/// Limits on what a caller sends. Ours, not a document's: sized for a unit's return form.
public enum Limits {
    /// Bytes of a request body.
    public static let body = 16 * 1024
    /// Characters of one free-text field (a return's reason, basis, ...).
    public static let text = 2000
    /// Co-units in a hand dispatch.
    public static let coUnits = 10
    /// Orders in one page of a list.
    public static let page = 100
    public static let defaultPage = 50
    /// States named in one list filter.
    public static let states = 20
    /// Characters of an `Idempotency-Key`.
    public static let idempotencyKey = 100
}

/// Reads a request body's fields one by one, collecting one problem per field; fields it is not
/// asked about are ignored.
struct BodyReader {
    let object: [String: Any]
    private(set) var problems: [FieldProblem] = []

    /// An empty body reads as `{}`; anything but a JSON object is refused.
    init(_ data: Data) throws(APIError) {
        if data.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
            object = [:]
            return
        }
        guard let parsed = try? JSONSerialization.jsonObject(with: data) else {
            throw .malformedBody("the body is not valid JSON")
        }
        guard let object = parsed as? [String: Any] else { throw .malformedBody("the body must be a JSON object") }
        self.object = object
    }

    /// A string of at most `limit` characters (blank counts as absent when `required`).
    mutating func text(_ name: String, required: Bool = false, limit: Int = Limits.text) -> String? {
        guard let value = object[name], !(value is NSNull) else {
            if required { problems.append(FieldProblem("/\(name)", "is required")) }
            return nil
        }
        guard let text = value as? String, !(value is NSNumber) else {
            problems.append(FieldProblem("/\(name)", "must be a string"))
            return nil
        }
        if text.count > limit {
            problems.append(FieldProblem("/\(name)", "must be at most \(limit) characters"))
            return nil
        }
        if required && text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            problems.append(FieldProblem("/\(name)", "must not be blank"))
            return nil
        }
        return text
    }

    /// A unit code (letters, digits, '-', at most 64).
    mutating func unitCode(_ name: String, required: Bool) -> String? {
        guard let text = text(name, required: required, limit: 64) else { return nil }
        guard UnitCode.isValid(text) else {
            problems.append(FieldProblem("/\(name)", "must be a unit code (letters, digits and '-')"))
            return nil
        }
        return text
    }

    /// A list of unit codes, at most `limit`.
    mutating func unitCodes(_ name: String, limit: Int) -> [String] {
        guard let value = object[name], !(value is NSNull) else { return [] }
        guard let list = value as? [Any] else {
            problems.append(FieldProblem("/\(name)", "must be an array of unit codes"))
            return []
        }
        if list.count > limit {
            problems.append(FieldProblem("/\(name)", "must list at most \(limit) units"))
            return []
        }
        var codes: [String] = []
        for (index, item) in list.enumerated() {
            guard let code = item as? String, !(item is NSNumber), UnitCode.isValid(code) else {
                problems.append(FieldProblem("/\(name)/\(index)", "must be a unit code (letters, digits and '-')"))
                continue
            }
            codes.append(code)
        }
        return codes
    }

    func finish(_ detail: String) throws(APIError) {
        if !problems.isEmpty { throw .invalid(problems, detail: detail) }
    }
}

enum UnitCode {
    static func isValid(_ text: String) -> Bool {
        !text.isEmpty && text.count <= 64 && text.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || $0 == "-" || $0 == "_") }
    }
}

enum OrderNumber {
    /// Order numbers look like `12345-20261130-0000001`; anything else is not an order.
    static func isPlausible(_ text: String) -> Bool {
        !text.isEmpty && text.count <= 40 && text.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.decimalDigits.contains($0) || $0 == "-") }
    }
}

/// The body of each action, validated field by field.
enum ActionBodies {
    static func returnRequest(_ data: Data, profile: PolicyProfile?) throws(APIError) -> ReturnRequest {
        var body = try BodyReader(data)
        let required = Set(profile?.returns?.requires?.fields ?? [])
        let request = ReturnRequest(
            reason: body.text("reason", required: required.contains(.reason)),
            redispatchSuggestion: body.text("redispatchSuggestion", required: required.contains(.redispatchSuggestion)),
            basis: body.text("basis", required: required.contains(.basis)),
            leaderOpinion: body.text("leaderOpinion", required: required.contains(.leaderOpinion)))
        let clause = profile?.returns?.requires?.basis
        try body.finish("a return must carry what the profile requires" + (clause.map { " (\($0))" } ?? ""))
        return request
    }

    static func rejectReturn(_ data: Data) throws(APIError) -> String? {
        var body = try BodyReader(data)
        let reason = body.text("reason")
        try body.finish("the rejection is not valid")
        return reason
    }

    static func dispatch(_ data: Data) throws(APIError) -> (lead: String, coUnits: [String]) {
        var body = try BodyReader(data)
        let lead = body.unitCode("lead", required: true)
        var coUnits = body.unitCodes("coUnits", limit: Limits.coUnits)
        if let lead, coUnits.contains(lead) {
            coUnits.removeAll { $0 == lead }
        }
        if Set(coUnits).count != coUnits.count {
            body.addProblem(FieldProblem("/coUnits", "must not name a unit twice"))
        }
        try body.finish("the dispatch is not valid")
        return (lead ?? "", coUnits)
    }

    static func empty(_ data: Data) throws(APIError) {
        _ = try BodyReader(data)
    }
}

extension BodyReader {
    mutating func addProblem(_ problem: FieldProblem) { problems.append(problem) }
}

/// The query of "my orders", validated parameter by parameter.
struct ListQuery: Sendable {
    var states: [String] = []
    var dueBefore: Date?
    var after: String?
    var limit = Limits.defaultPage

    static let stateNames = Set(OrderState.allCases.map(\.rawValue) + AssignmentState.allCases.map(\.rawValue))

    init(_ parameters: [(String, String)]) throws(APIError) {
        var problems: [FieldProblem] = []
        for (name, value) in parameters {
            switch name {
            case "state":
                let names = value.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
                if names.count + states.count > Limits.states {
                    problems.append(FieldProblem("state", "names at most \(Limits.states) states"))
                } else if let bad = names.first(where: { !Self.stateNames.contains($0) }) {
                    _ = bad
                    problems.append(FieldProblem("state", "must be one of \(Self.stateNames.sorted().joined(separator: ", "))"))
                } else {
                    states += names
                }
            case "dueBefore":
                if let date = ChinaTime.parse(value) { dueBefore = date }
                else { problems.append(FieldProblem("dueBefore", "must be an ISO 8601 instant, e.g. 2026-12-01T18:00:00+08:00")) }
            case "after":
                if OrderNumber.isPlausible(value) { after = value }
                else { problems.append(FieldProblem("after", "must be an order number")) }
            case "limit":
                if let n = Int(value), (1...Limits.page).contains(n) { limit = n }
                else { problems.append(FieldProblem("limit", "must be a whole number from 1 to \(Limits.page)")) }
            default:
                continue
            }
        }
        if !problems.isEmpty { throw .invalid(problems, detail: "the query is not valid") }
    }
}
