import Foundation

/// 诉求类型: what the citizen asks for.
public enum Category: String, CaseIterable, Codable, Sendable {
    case consult, help, suggestion, criticism, complaint, report

    /// Accepts the code name or the Chinese name (咨询, 求助, 建议 / 意见, 批评, 投诉, 举报).
    public init?(parsing text: String) {
        let t = text.trimmingCharacters(in: .whitespaces)
        if let value = Category(rawValue: t.lowercased()) { self = value; return }
        switch t {
        case "咨询", "咨询类": self = .consult
        case "求助", "求助类": self = .help
        case "建议", "意见", "意见建议", "建议类", "意见类": self = .suggestion
        case "批评", "批评类": self = .criticism
        case "投诉", "投诉类": self = .complaint
        case "举报", "举报类": self = .report
        default: return nil
        }
    }

    public var chineseName: String {
        switch self {
        case .consult: "咨询"
        case .help: "求助"
        case .suggestion: "建议"
        case .criticism: "批评"
        case .complaint: "投诉"
        case .report: "举报"
        }
    }
}

/// Urgency of an order.
public enum Urgency: String, CaseIterable, Codable, Sendable {
    case emergency, majorOutage, basicLiving, general, complex

    /// Accepts the code name or the Chinese name (紧急, 大面积停水停电..., 基本生活保障, 一般, 复杂疑难).
    public init?(parsing text: String) {
        let t = text.trimmingCharacters(in: .whitespaces)
        if let value = Urgency.allCases.first(where: { $0.rawValue.lowercased() == t.lowercased() }) { self = value; return }
        switch t {
        case "major-outage", "major_outage": self = .majorOutage
        case "basic-living", "basic_living": self = .basicLiving
        case "紧急", "紧急类", "突发", "突发类": self = .emergency
        case "重大停供", "大面积停水", "大面积停电", "大面积停气", "大面积停热", "环境污染", "大面积停水停电": self = .majorOutage
        case "基本生活保障", "基本生活保障类": self = .basicLiving
        case "一般", "一般类", "一般诉求": self = .general
        case "复杂疑难", "复杂", "疑难": self = .complex
        default: return nil
        }
    }
}

/// Pingdingshan's classes: A at once (即办), B general (5 working days), C important (progress
/// report in 5 working days), D important and urgent (at once).
public enum CaseClass: String, CaseIterable, Codable, Sendable {
    case A, B, C, D

    public init?(parsing text: String) {
        let t = text.trimmingCharacters(in: .whitespaces).uppercased()
        let stripped = t.hasSuffix("类") ? String(t.dropLast()) : t
        guard let value = CaseClass(rawValue: stripped) else { return nil }
        self = value
    }
}

/// How the request reached the hotline.
public enum Channel: String, CaseIterable, Codable, Sendable {
    case phone, sms, website, app, wechat, mayorMailbox, evaluationSystem, upperHotline
}

/// What a time limit is asked for: the category, and either an urgency or a class.
public struct OrderKind: Hashable, Sendable {
    public var category: Category
    public var urgency: Urgency?
    public var caseClass: CaseClass?

    public init(category: Category, urgency: Urgency? = nil, caseClass: CaseClass? = nil) {
        self.category = category
        self.urgency = urgency
        self.caseClass = caseClass
    }

    public var description: String {
        var text = category.rawValue
        if let urgency { text += ", urgency \(urgency.rawValue)" }
        if let caseClass { text += ", class \(caseClass.rawValue)" }
        return text
    }
}
