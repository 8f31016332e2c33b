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
    /// Characters of a reply's text (an SMS body of at most a few parts).
    public static let replyText = 500
    /// Largest amount of one extension asked for, in its unit.
    public static let extensionAmount: Double = 100
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
        if text.unicodeScalars.contains("\u{0}") {
            // PostgreSQL's text holds no NUL.
            problems.append(FieldProblem("/\(name)", "must not contain NUL characters"))
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

    static func extensionRequest(_ data: Data, profile: PolicyProfile?) throws(APIError) -> ExtensionRequest {
        var body = try BodyReader(data)
        let required = Set(profile?.extensionRequires?.fields ?? [])
        let amount = body.timeLimit("extension", required: true)
        let reason = body.text("reason", required: required.contains(.reason))
        let basis = body.text("basis", required: required.contains(.basis))
        let informed = body.text("citizenInformed", required: required.contains(.citizenInformed))
        let consented = body.bool("citizenConsented") ?? false
        let signature = body.text("leaderSignature", required: required.contains(.leaderSignature))
        let clause = profile?.extensionRequires?.basis
        try body.finish("an extension request must carry what the profile requires" + (clause.map { " (\($0))" } ?? ""))
        return ExtensionRequest(amount: amount ?? .atOnce, reason: reason, basis: basis, citizenInformedPII: informed,
                                citizenConsented: consented, leaderSignaturePII: signature)
    }

    static func approveExtension(_ data: Data) throws(APIError) -> TimeLimit? {
        var body = try BodyReader(data)
        let amount = body.timeLimit("extension", required: false)
        try body.finish("the approval is not valid")
        return amount
    }

    static func reason(_ data: Data) throws(APIError) -> String? {
        var body = try BodyReader(data)
        let reason = body.text("reason")
        try body.finish("the decision is not valid")
        return reason
    }

    static func replyDraft(_ data: Data) throws(APIError) -> ReplyDraft {
        var body = try BodyReader(data)
        let text = body.text("text", required: true, limit: Limits.replyText)
        let contacted = body.bool("contactedCitizen", required: true)
        var contact: ContactRecord?
        if let object = body.nested("contact") {
            var inner = BodyReader(object: object)
            let person = inner.text("person", required: true, limit: 100)
            let at = inner.instant("at", required: true)
            let said = inner.text("citizenSaid", required: true)
            body.addProblems(inner.problems.map { FieldProblem("/contact" + $0.pointer, $0.detail) })
            if let person, let at, let said { contact = ContactRecord(personPII: person, at: at, citizenSaidPII: said) }
        } else if contacted == true && !body.problems.contains(where: { $0.pointer == "/contact" }) {
            // 一(五)3: 电话接通的, 记录与谁、何时、市民怎么说.
            body.addProblem(FieldProblem("/contact", "is required when contactedCitizen is true (with whom, when, what the citizen said)"))
        }
        if contacted == false, body.object["contact"].map({ !($0 is NSNull) }) == true {
            body.addProblem(FieldProblem("/contact", "must be absent when contactedCitizen is false"))
        }
        try body.finish("the reply is not valid")
        return ReplyDraft(textPII: text ?? "", contactedCitizen: contacted ?? false, contact: contact)
    }

    static func feedback(_ data: Data) throws(APIError) -> (text: String, plan: String?) {
        var body = try BodyReader(data)
        let text = body.text("text", required: true)
        let plan = body.text("plan")
        try body.finish("the feedback is not valid")
        return (text ?? "", plan)
    }

    static func contribution(_ data: Data) throws(APIError) -> String {
        var body = try BodyReader(data)
        let text = body.text("text", required: true)
        try body.finish("the contribution is not valid")
        return text ?? ""
    }

    static func handDown(_ data: Data) throws(APIError) -> String {
        var body = try BodyReader(data)
        let unit = body.unitCode("unit", required: true)
        try body.finish("the hand-down is not valid")
        return unit ?? ""
    }

    static func empty(_ data: Data) throws(APIError) {
        _ = try BodyReader(data)
    }
}

extension BodyReader {
    mutating func addProblem(_ problem: FieldProblem) { problems.append(problem) }
    mutating func addProblems(_ more: [FieldProblem]) { problems += more }

    /// A nested object's reader (its problems' pointers are relative to it).
    init(object: [String: Any]) {
        self.object = object
    }

    /// A JSON object, or nil (absent or null); anything else is a problem.
    mutating func nested(_ name: String) -> [String: Any]? {
        guard let value = object[name], !(value is NSNull) else { return nil }
        guard let inner = value as? [String: Any] else {
            problems.append(FieldProblem("/\(name)", "must be an object"))
            return nil
        }
        return inner
    }

    /// JSON true/false as JSONSerialization reads them (an NSNumber of type "c", on Linux and macOS).
    static func isBool(_ number: NSNumber) -> Bool {
        String(cString: number.objCType) == "c"
    }

    /// true or false.
    mutating func bool(_ name: String, required: Bool = false) -> Bool? {
        guard let value = object[name], !(value is NSNull) else {
            if required { problems.append(FieldProblem("/\(name)", "is required")) }
            return nil
        }
        guard let number = value as? NSNumber, Self.isBool(number) else {
            problems.append(FieldProblem("/\(name)", "must be true or false"))
            return nil
        }
        return number.boolValue
    }

    /// An ISO 8601 instant with its offset.
    mutating func instant(_ name: String, required: Bool) -> Date? {
        guard let text = text(name, required: required, limit: 40) else { return nil }
        guard let date = ChinaTime.parse(text) else {
            problems.append(FieldProblem("/\(name)", "must be an ISO 8601 instant, e.g. 2026-12-01T18:00:00+08:00"))
            return nil
        }
        return date
    }

    /// A time limit `{"amount": 3, "unit": "workingDays"}` (workingDays, workingHours or naturalHours).
    mutating func timeLimit(_ name: String, required: Bool) -> TimeLimit? {
        guard let value = object[name], !(value is NSNull) else {
            if required { problems.append(FieldProblem("/\(name)", "is required")) }
            return nil
        }
        guard let inner = value as? [String: Any] else {
            problems.append(FieldProblem("/\(name)", "must be an object {amount, unit}"))
            return nil
        }
        let units = [TimeLimit.Unit.workingDays, .workingHours, .naturalHours]
        guard let unitText = inner["unit"] as? String, !(inner["unit"] is NSNumber), let unit = TimeLimit.Unit(rawValue: unitText),
              units.contains(unit) else {
            problems.append(FieldProblem("/\(name)/unit", "must be one of \(units.map(\.rawValue).joined(separator: ", "))"))
            return nil
        }
        guard let number = inner["amount"] as? NSNumber, !Self.isBool(number),
              number.doubleValue > 0, number.doubleValue <= Limits.extensionAmount,
              unit != .workingDays || number.doubleValue == number.doubleValue.rounded() else {
            problems.append(FieldProblem("/\(name)/amount", "must be a positive number up to \(Int(Limits.extensionAmount)) (whole for workingDays)"))
            return nil
        }
        let amount = number.doubleValue
        switch unit {
        case .workingDays: return .workingDays(Int(amount))
        case .workingHours: return .workingHours(amount)
        default: return .naturalHours(amount)
        }
    }
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
