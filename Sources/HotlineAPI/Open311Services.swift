import Foundation
import HotlineDomain
import HotlineRuntime
import HotlineStore

/// What Open311 shows of the hotline: its services (the profile's categories) with their
/// attributes, and its orders as service requests.
enum Open311Services {
    /// The `jurisdiction_id` this endpoint answers to (optional in every request: one hotline).
    static let jurisdiction = "12345"

    struct Service: Sendable {
        var category: Category
        /// The urgencies the profile states a time limit for (the `urgency` attribute's values).
        var urgencies: [Urgency]
        /// The classes, for a profile that sets limits by class A–D (the `class` attribute, required).
        var classes: [CaseClass]

        var code: String { category.rawValue }

        static let descriptions: [Category: String] = [
            .consult: "咨询政策、办事流程等（Ask about a policy or how to get something done）",
            .help: "求助：需要政府部门帮助解决的困难（Ask for help with a problem）",
            .suggestion: "意见建议（Suggest an improvement）",
            .criticism: "批评（Criticise a service）",
            .complaint: "投诉：停水停电、噪音、违建等（Complain about a problem: outages, noise, illegal building）",
            .report: "举报违法违规行为（Report a violation）",
        ]

        var value: Open311Value {
            var keywords = Vocabulary.bundled.categories[category.rawValue] ?? []
            keywords.append(category.rawValue)
            return .object([
                ("service_code", .text(code)),
                ("service_name", .text(category.chineseName)),
                ("description", .text(Self.descriptions[category])),
                ("metadata", .bool(!urgencies.isEmpty || !classes.isEmpty)),
                ("type", .text("realtime")),
                ("keywords", .text(keywords.joined(separator: ", "))),
                ("group", .text("12345热线")),
            ])
        }

        /// `GET services/{code}`: its attributes.
        var definition: Open311Value {
            var attributes: [Open311Value] = []
            if !urgencies.isEmpty {
                attributes.append(.object([
                    ("variable", .bool(true)),
                    ("code", .text(Open311Submission.urgencyAttribute)),
                    ("datatype", .text("singlevaluelist")),
                    ("required", .bool(false)),
                    ("datatype_description", .text("不填为一般（general when absent）")),
                    ("order", .int(attributes.count + 1)),
                    ("description", .text("紧急程度（urgency）")),
                    ("values", .list(element: "value", urgencies.map {
                        .object([("key", .text($0.rawValue)), ("name", .text(Vocabulary.bundled.urgencies[$0.rawValue]?.first ?? $0.rawValue))])
                    })),
                ]))
            }
            if !classes.isEmpty {
                attributes.append(.object([
                    ("variable", .bool(true)),
                    ("code", .text(Open311Submission.classAttribute)),
                    ("datatype", .text("singlevaluelist")),
                    ("required", .bool(true)),
                    ("datatype_description", .text(nil)),
                    ("order", .int(attributes.count + 1)),
                    ("description", .text("类别 A–D（class）")),
                    ("values", .list(element: "value", classes.map { .object([("key", .text($0.rawValue)), ("name", .text("\($0.rawValue)类"))]) })),
                ]))
            }
            return .object([("service_code", .text(code)), ("attributes", .list(element: "attribute", attributes))])
        }
    }

    /// A service per category the profile takes (intake's validation would refuse the others),
    /// with the urgencies (or classes) it states a time limit for.
    static func list(profile: PolicyProfile) -> [Service] {
        func takes(_ kind: OrderKind) -> Bool { (try? Deadlines.replyRule(kind, profile: profile)) != nil }
        return Category.allCases.compactMap { category in
            let classes = CaseClass.allCases.filter { takes(OrderKind(category: category, caseClass: $0)) }
            if !classes.isEmpty { return Service(category: category, urgencies: [], classes: classes) }
            guard takes(OrderKind(category: category)) else { return nil }
            let urgencies = Urgency.allCases.filter { takes(OrderKind(category: category, urgency: $0)) }
            return Service(category: category, urgencies: urgencies, classes: [])
        }
    }

    /// An order as a service request. Nothing personal of the citizen: the service and its matters
    /// instead of what they wrote, the gazetteer's place instead of their address;
    /// a confidential order shows no description, place, position or media at all.
    static func request(_ order: Open311Order) -> Open311Value {
        let open = !order.confidential
        let category = Category(rawValue: order.category)
        return .object([
            ("service_request_id", .text(order.number)),
            ("status", .text(order.closed ? "closed" : "open")),
            ("status_notes", .text(statusNotes(order))),
            ("service_name", .text(category?.chineseName ?? order.category)),
            ("service_code", .text(order.category)),
            ("description", .text(open ? description(order) : nil)),
            ("agency_responsible", .text(order.leadUnitName)),
            ("service_notice", .text(order.closed ? nil : order.replyBy.map { "承办单位须在 \(ChinaTime.format($0)) 前答复" })),
            ("requested_datetime", .text(ChinaTime.format(order.receivedAt))),
            ("updated_datetime", .text(ChinaTime.format(order.updatedAt))),
            ("expected_datetime", .text(order.replyBy.map(ChinaTime.format))),
            ("address", .text(open ? order.placeName : nil)),
            ("address_id", .text(open ? order.placeCode : nil)),
            ("zipcode", .text(nil)),
            ("lat", open ? .coordinate(order.lat) : .text(nil)),
            ("long", open ? .coordinate(order.long) : .text(nil)),
            ("media_url", .text(open ? order.mediaURL : nil)),
        ])
    }

    /// The service and the matters intake found (井盖, 停水, ...), never the citizen's words: the
    /// title is the first characters of what they wrote, and may name their home or themselves.
    static func description(_ order: Open311Order) -> String {
        let name = Category(rawValue: order.category)?.chineseName ?? order.category
        let words = MatterLexicon.bundled.matters.filter { order.topics.contains($0.topic) }.compactMap(\.words.first)
        return words.isEmpty ? name : name + "：" + words.joined(separator: "、")
    }

    /// What the hotline says publicly about where the order is: the unit's reviewed reply (phone-like
    /// numbers masked; on a confidential order only that it was answered), the guidance of a refusal.
    static func statusNotes(_ order: Open311Order) -> String? {
        if let reply = order.replyTextPII, order.closed {
            return order.confidential ? "已答复" : "已答复：" + Masking.scrub(reply)
        }
        switch order.state {
        case "received", "awaitingDispatch": return "已受理，等待派发"
        case "notAccepted":
            if let reason = order.notAcceptedReason.flatMap(NotAcceptedReason.init(rawValue:)) {
                return "不予受理：" + ScopeGuidance.text(for: reason)
            }
            return "不予受理"
        case "resolvedAtIntake": return "已当场答复"
        case "dispatched": return order.leadUnitName.map { "已派发至\($0)" } ?? "已派发"
        case "signed", "extensionRequested", "extensionApproved", "extensionRejected", "returnRejected":
            return order.leadUnitName.map { "\($0)正在办理" } ?? "办理中"
        case "returnRequested", "returnApproved": return "重新派发中"
        case "redo": return "重新办理中"
        case "revisitPending", "rated", "closed": return "已办结"
        default: return nil
        }
    }
}

/// `GET requests`'s parameters, as GeoReport v2 names them (and `page_size`, the common extension).
enum Open311RequestsQuery {
    /// Requests in one answer unless `page_size` says fewer (ours: GeoReport's default of 1000 is
    /// more than a phone needs).
    static let defaultPage = 100
    static let maxPage = 1000
    /// GeoReport v2: the default range is the last 90 days, and a range may not span more.
    static let maxSpan: TimeInterval = 90 * 86_400

    static func parse(_ parameters: [(String, String)], now: Date) throws -> Open311Query {
        var problems: [String] = []
        func value(_ name: String) -> String? {
            parameters.last { $0.0 == name }.map(\.1).flatMap { $0.isEmpty ? nil : $0 }
        }
        func list(_ name: String) -> [String] {
            (value(name) ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        func date(_ name: String) -> Date? {
            guard let text = value(name) else { return nil }
            guard let date = ChinaTime.parse(text) else {
                problems.append("\(name): must be a w3 date-time, e.g. 2026-11-30T00:00:00+08:00")
                return nil
            }
            return date
        }
        var limit = defaultPage
        if let text = value("page_size") {
            if let n = Int(text), (1...maxPage).contains(n) { limit = n } else { problems.append("page_size: must be from 1 to \(maxPage)") }
        }
        let numbers = list("service_request_id")
        if numbers.count > maxPage { problems.append("service_request_id: at most \(maxPage) ids") }
        if !numbers.isEmpty {
            guard problems.isEmpty else { throw Open311Error(400, problems) }
            // GeoReport v2: service_request_id overrides every other parameter.
            return Open311Query(numbers: numbers, limit: min(numbers.count, maxPage))
        }
        let codes = list("service_code")
        for code in codes where Category(rawValue: code) == nil { problems.append("service_code: \(code.prefix(40)) is not a service") }
        var closed: Bool?
        let statuses = Set(list("status").map { $0.lowercased() })
        if !statuses.isSubset(of: ["open", "closed"]) { problems.append("status: must be open, closed or both") }
        if statuses.count == 1 { closed = statuses.contains("closed") }
        var start = date("start_date"), end = date("end_date")
        if let s = start, let e = end {
            if e < s { problems.append("end_date: must not be before start_date") }
            if e.timeIntervalSince(s) > maxSpan { problems.append("start_date, end_date: may not span more than 90 days") }
        } else if let s = start {
            end = s.addingTimeInterval(maxSpan)
        } else if let e = end {
            start = e.addingTimeInterval(-maxSpan)
        } else {
            start = now.addingTimeInterval(-maxSpan)
        }
        guard problems.isEmpty else { throw Open311Error(400, problems) }
        return Open311Query(categories: codes, start: start, end: end, closed: closed, limit: limit)
    }
}
