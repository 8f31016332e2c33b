import Foundation
import HotlineContracts
import HotlineDomain
import HotlineIntake

/// A form-encoded body (`application/x-www-form-urlencoded`) or query string, as ordered pairs.
struct Open311Form: Sendable, Equatable {
    var pairs: [(String, String)]

    static func == (lhs: Open311Form, rhs: Open311Form) -> Bool {
        lhs.pairs.map { [$0.0, $0.1] } == rhs.pairs.map { [$0.0, $0.1] }
    }

    init(pairs: [(String, String)]) { self.pairs = pairs }

    /// Reads `a=1&b=%E4%B8%AD+x`: `+` is a space, `%XX` a byte of UTF-8. Malformed escapes are
    /// kept as they are; a part without `=` is a name with an empty value.
    init(encoded text: String) {
        pairs = text.split(separator: "&", omittingEmptySubsequences: true).map { part in
            let pieces = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (Self.decode(pieces[0]), pieces.count > 1 ? Self.decode(pieces[1]) : "")
        }
    }

    static func decode(_ text: Substring) -> String {
        let plus = text.replacingOccurrences(of: "+", with: " ")
        return plus.removingPercentEncoding ?? plus
    }

    /// The first value of `name`, nil when absent or blank.
    func first(_ name: String) -> String? {
        pairs.first { $0.0 == name }.map(\.1).flatMap { $0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? nil : $0 }
    }

    /// `attribute[code]` (and `attribute[code][]`) values, by code, in order.
    var attributes: [String: [String]] {
        var out: [String: [String]] = [:]
        for (name, value) in pairs where name.hasPrefix("attribute[") {
            var code = name.dropFirst("attribute[".count)
            if code.hasSuffix("[]") { code = code.dropLast(2) }
            guard code.hasSuffix("]") else { continue }
            out[String(code.dropLast()), default: []].append(value)
        }
        return out
    }
}

/// A POSTed service request read into intake's contract (`submission` v1): the standard's
/// fields mapped to the submission's, and every problem named by the standard's field.
struct Open311Submission: Sendable {
    var submission: SubmissionV1
    /// Problems found before intake's validation (a position that is not a number, ...).
    var formProblems: [HotlineContracts.FieldProblem]
    var serviceCode: String
    var lat: Double?
    var long: Double?
    var mediaURL: String?
    /// Whether the request was written in Chinese (its problems are answered in Chinese).
    var chinese: Bool

    /// The attribute codes a service may define (GET services/{code}).
    static let urgencyAttribute = "urgency"
    static let classAttribute = "class"

    /// The submission for `form` from a client whose key sends by `channel`; `submissionId` is
    /// ours (the client has none), `now` its receipt.
    init(form: Open311Form, channel: String, submissionId: String, now: Date) {
        var problems: [HotlineContracts.FieldProblem] = []
        serviceCode = form.first("service_code") ?? ""
        func coordinate(_ name: String, _ range: ClosedRange<Double>) -> Double? {
            guard let text = form.first(name) else { return nil }
            guard let value = Double(text.trimmingCharacters(in: .whitespaces)), range.contains(value) else {
                problems.append(.init(field: name, problem: "must be a number from \(Int(range.lowerBound)) to \(Int(range.upperBound))"))
                return nil
            }
            return value
        }
        lat = coordinate("lat", -90...90)
        long = coordinate("long", -180...180)
        if (lat == nil) != (long == nil), !problems.contains(where: { $0.field == "lat" || $0.field == "long" }) {
            problems.append(.init(field: lat == nil ? "lat" : "long", problem: "is required with \(lat == nil ? "long" : "lat")"))
        }
        mediaURL = form.first("media_url")
        if let url = mediaURL, url.count > 500 || !(url.hasPrefix("http://") || url.hasPrefix("https://")) {
            problems.append(.init(field: "media_url", problem: "must be an http or https URL of at most 500 characters"))
            mediaURL = nil
        }
        let attributes = form.attributes
        for code in attributes.keys.sorted() where code != Self.urgencyAttribute && code != Self.classAttribute {
            problems.append(.init(field: "attribute[\(code)]", problem: "is not an attribute of this service (urgency, class)"))
        }
        for code in [Self.urgencyAttribute, Self.classAttribute] where (attributes[code]?.count ?? 0) > 1 {
            problems.append(.init(field: "attribute[\(code)]", problem: "takes one value"))
        }
        let name = [form.first("last_name"), form.first("first_name")].compactMap { $0 }.joined()
        submission = SubmissionV1(
            submissionId: submissionId, channel: channel, receivedAt: now,
            citizen: .init(name: name.isEmpty ? nil : name, phone: form.first("phone")),
            category: serviceCode.isEmpty ? nil : serviceCode,
            urgency: attributes[Self.urgencyAttribute]?.first, caseClass: attributes[Self.classAttribute]?.first,
            title: nil, content: form.first("description"), address: form.first("address_string"),
            regionCode: form.first("address_id"))
        formProblems = problems
        chinese = form.pairs.contains { $0.0 != "api_key" && Self.isChinese($0.1) }
    }

    static func isChinese(_ text: String) -> Bool {
        text.unicodeScalars.contains { (0x4E00...0x9FFF).contains($0.value) || (0x3400...0x4DBF).contains($0.value) }
    }

    /// The standard's name for a submission field.
    static func open311Field(_ field: String) -> String {
        switch field {
        case "citizen.phone": "phone"
        case "citizen.name", "citizen": "first_name"
        case "category": "service_code"
        case "urgency": "attribute[urgency]"
        case "class": "attribute[class]"
        case "content", "title": "description"
        case "address": "address_string"
        case "regionCode": "address_id"
        case "channel": "api_key"
        default: field
        }
    }

    /// One description per problem, `field: problem`, in Chinese when the request was written in
    /// Chinese and the problem has a Chinese wording (else in English). Never the value.
    static func descriptions(_ problems: [HotlineContracts.FieldProblem], chinese: Bool) -> [String] {
        problems.map { problem in
            let field = open311Field(problem.field)
            if problem.field == "address", problem.problem == "address or regionCode is required" {
                return chinese ? "lat/long、address_string 或 address_id：请至少提供一项（诉求发生的位置）"
                    : "lat/long, address_string or address_id: one of them is required (where the matter is)"
            }
            if chinese, let text = chineseWording(problem.problem) { return "\(field)：\(text)" }
            return "\(field): \(problem.problem)"
        }
    }

    /// Chinese for intake's problem texts (and ours above), by their beginning; nil when there is none.
    static func chineseWording(_ problem: String) -> String? {
        let table: [(String, String)] = [
            ("is required for this channel", "必填（答复短信和回访都发到这个号码）"),
            ("is required with", "lat 和 long 须同时提供"),
            ("is required", "必填"),
            ("must be at most", "太长（" + problem.replacingOccurrences(of: "must be at most ", with: "最多 ").replacingOccurrences(of: " characters", with: " 个字") + "）"),
            ("is not a known category", "不是本热线的服务类型（见 GET services）"),
            ("is not a known urgency", "不是已知的紧急程度（见 GET services/{service_code}）"),
            ("must be A, B, C or D", "须为 A、B、C 或 D（或 A类–D类）"),
            ("is not used by profile", "本热线不按 A–D 类办理，请勿填写"),
            ("profile", "本热线对这类诉求没有规定办理时限"),
            ("must be 6, 9 or 12 digits", "须为 6、9 或 12 位数字的行政区划代码"),
            ("is empty", "为空"),
            ("contains letters", "含有字母"),
            ("contains characters other than digits", "含有数字、空格、“-”、“.”、括号和开头的“+”以外的字符"),
            ("has too few digits", "位数太少"),
            ("has too many digits", "位数太多"),
            ("has a country code other than +86", "国家代码不是 +86"),
            ("is a local number without its area code", "缺少区号"),
            ("is not a mainland mobile or landline number", "不是大陆手机或固定电话号码"),
            ("must be a number from", "须为数字（" + problem.replacingOccurrences(of: "must be a number from ", with: "").replacingOccurrences(of: " to ", with: " 至 ") + "）"),
            ("must be an http or https URL", "须为 http 或 https 网址（最多 500 个字符）"),
            ("is not an attribute of this service", "不是该服务的属性（urgency、class）"),
            ("takes one value", "只能有一个值"),
        ]
        return table.first { problem.hasPrefix($0.0) }?.1
    }

    /// Intake's validation of the submission (the same code intake runs), with the problems found
    /// before it.
    func validate(profile: PolicyProfile, channel: String, now: Date) -> Result<IntakeRequest, SubmissionProblems> {
        let result = SubmissionValidation.validate(submission, routingChannel: channel, profile: profile, now: now)
        guard !formProblems.isEmpty else { return result }
        switch result {
        case .success: return .failure(SubmissionProblems(formProblems))
        case .failure(let failure): return .failure(SubmissionProblems(formProblems + failure.problems))
        }
    }
}
