import Foundation

/// 诉求类型: what the citizen asks for.
public enum Category: String, CaseIterable, Codable, Sendable {
    case consult, help, suggestion, criticism, complaint, report

    /// Accepts the code name or one of its names in `Vocabulary` (咨询, 求助, 建议 / 意见, 批评, 投诉, 举报, ...).
    public init?(parsing text: String) {
        guard let value = Vocabulary.bundled.category(named: text.trimmingCharacters(in: .whitespaces)) else { return nil }
        self = value
    }

    /// The first of its names in `Vocabulary` (咨询, 求助, 建议, 批评, 投诉, 举报).
    public var chineseName: String { Vocabulary.bundled.categories[rawValue]?.first ?? rawValue }
}

/// Urgency of an order.
public enum Urgency: String, CaseIterable, Codable, Sendable {
    case emergency, majorOutage, basicLiving, general, complex

    /// Accepts the code name or one of its names in `Vocabulary` (紧急, 大面积停水..., 基本生活保障, 一般, 复杂疑难, ...).
    public init?(parsing text: String) {
        guard let value = Vocabulary.bundled.urgency(named: text.trimmingCharacters(in: .whitespaces)) else { return nil }
        self = value
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
