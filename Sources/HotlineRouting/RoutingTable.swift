// The routing decision: which unit leads an order, which co-handle it. Pure: built from reference
// data, no I/O. Every unit code and keyword comes from the data (ReferenceData), none from code.
//
// Where the order is: the gazetteer's locality (HotlineStore/Gazetteer.swift), from the region code
// or the address.
//
// How a rule matches: its category (if any) and urgency (if any) are the order's; its region (if
// any) is the order's place or contains it; and one of its keywords occurs in the title or content
// (whitespace ignored; a keyword `小区+停水` needs every part). A keyword-less rule of the hotline
// needs a category or region (validation enforces it) and is a fallback: it is used only when no
// keyword rule is usable, since nothing in the text says the matter is that unit's.
//
// The decision, in order:
// 1. Units in `excluding` (they returned the order) and inactive units are never lead nor co-unit.
// 2. Locality first (属地管理优先): a matching rule limited to the order's township, street or a
//    village in it is a local-matter rule. If the best local rule's priority is the same as or
//    better than the best other rule's, the local unit leads and the other rule's unit co-handles.
// 3. Otherwise the best rule leads: lower priority, then more keyword hits, then rule name.
//    Its co-units come with it.
// 4. Three-level network: rules with `fromUnit` = the chosen level-2 lead are matched the same way
//    (keyword-less ones are normal there: "this area's water goes to its water station"); the best
//    is named in the basis as the level-3 unit the lead may hand the order down to. The level-2
//    unit stays the lead: level-3 units receive orders from their level-2 unit and report back to
//    it, and the level-2 unit replies to the hotline (pingdingshan 一(四): 三级网络单位……负责接收和办理二级网络单位交办的市长热线事项,并向二级网络单位报告办理情况; POLICIES.md §11).
//    The hand-down is the level-2 unit's own action (hotline-api `…/hand-down`).
// 5. Nothing usable: `.manual`, with a reason (no keyword, no place, or every unit returned it).
import Foundation
import HotlineDomain
import HotlineStore

/// What routing needs of an order. Title, content and address are personal data: they never reach
/// a decision's basis or reason.
public struct RoutingInput: Sendable, Equatable {
    public var category: Category
    public var urgency: Urgency?
    public var title: String
    public var content: String
    public var regionCode: String?
    public var address: String?

    public init(category: Category, urgency: Urgency? = nil, title: String, content: String,
                regionCode: String? = nil, address: String? = nil) {
        self.category = category
        self.urgency = urgency
        self.title = title
        self.content = content
        self.regionCode = regionCode
        self.address = address
    }
}

public enum RoutingDecision: Sendable, Equatable {
    /// Unit codes, and why (rule names, English and Chinese; no personal data).
    case dispatch(lead: String, coUnits: [String], basis: String)
    /// For the office's manual-dispatch queue.
    case manual(reason: String)
}

public struct RoutingTable: Sendable {
    private struct Rule: Sendable {
        var record: RoutingRuleRecord
        /// Each keyword with its parts (`a+b` → [a, b]), whitespace removed, as UTF-8.
        var keywords: [(text: String, parts: [[UInt8]])]
        /// Limited to a township, street or smaller place: a local-matter rule.
        var isLocal: Bool
    }

    private struct Candidate {
        var rule: Rule
        var hits: [String]
        var name: String { rule.record.name }
        var unit: String { rule.record.unit }
        var priority: Int { rule.record.priority }

        /// Lower priority, then more keyword hits, then name.
        static func precedes(_ a: Candidate, _ b: Candidate) -> Bool {
            if a.priority != b.priority { return a.priority < b.priority }
            if a.hits.count != b.hits.count { return a.hits.count > b.hits.count }
            return a.name < b.name
        }
    }

    /// Where orders are; jurisdiction is the gazetteer's question, not the table's.
    public let gazetteer: Gazetteer
    private let units: [String: UnitRecord]
    /// The hotline's rules (no `fromUnit`).
    private let rules: [Rule]
    /// Sub-dispatch rules by the unit they pass orders from.
    private let subRules: [String: [Rule]]

    /// The table of `reference`'s units and rules over its regions (the knowledge base is not used).
    public init(_ reference: ReferenceData) {
        let gazetteer = Gazetteer(reference.regions)
        var units: [String: UnitRecord] = [:]
        for unit in reference.units { units[unit.code] = unit }
        self.gazetteer = gazetteer
        self.units = units

        var rules: [Rule] = []
        var subRules: [String: [Rule]] = [:]
        for record in reference.routingRules {
            let keywords = record.keywords.map { keyword in
                (text: keyword, parts: keyword.split(separator: "+").map { Array(RoutingTable.squeezed(String($0)).utf8) }.filter { !$0.isEmpty })
            }.filter { !$0.parts.isEmpty }
            let rank = record.regionCode.flatMap { gazetteer.region($0) }.flatMap { RegionRecord.rank(of: $0.level) }
            let rule = Rule(record: record, keywords: keywords, isLocal: (rank ?? 0) >= RegionRecord.rank(of: "township")!)
            if let from = record.fromUnit { subRules[from, default: []].append(rule) } else { rules.append(rule) }
        }
        self.rules = rules
        self.subRules = subRules
    }

    public func unit(_ code: String) -> UnitRecord? { units[code] }

    // MARK: - Decision

    public func decide(_ input: RoutingInput, excluding: Set<String>) -> RoutingDecision {
        let locality = gazetteer.locality(regionCode: input.regionCode, address: input.address)
        let chain = Set(locality.mostSpecific.map(gazetteer.chain(from:)) ?? [])
        let text = SearchableText(Self.squeezed(input.title + "\n" + input.content))

        func hits(_ rule: Rule) -> [String] {
            rule.keywords.compactMap { keyword in
                keyword.parts.allSatisfy { text.contains($0) } ? keyword.text : nil
            }
        }
        func applies(_ rule: Rule) -> Bool {
            if let category = rule.record.category, category != input.category.rawValue { return false }
            if let urgency = rule.record.urgency, urgency != input.urgency?.rawValue { return false }
            if let region = rule.record.regionCode, !chain.contains(region) { return false }
            return true
        }
        func usable(_ code: String) -> Bool { !excluding.contains(code) && units[code]?.active == true }

        // The hotline's rules that match: keyword rules, and keyword-less fallbacks.
        var keywordMatches: [Candidate] = []
        var fallbackMatches: [Candidate] = []
        var keywordSeen = false
        for rule in rules {
            if rule.keywords.isEmpty {
                if applies(rule) { fallbackMatches.append(Candidate(rule: rule, hits: [])) }
                continue
            }
            let found = hits(rule)
            guard !found.isEmpty else { continue }
            keywordSeen = true
            if applies(rule) { keywordMatches.append(Candidate(rule: rule, hits: found)) }
        }
        var skipped: [String] = []
        func usableOnes(_ candidates: [Candidate]) -> [Candidate] {
            candidates.sorted(by: Candidate.precedes).filter { candidate in
                if usable(candidate.unit) { return true }
                if !skipped.contains(candidate.unit) { skipped.append(candidate.unit) }
                return false
            }
        }
        var fallback = false
        var candidates = usableOnes(keywordMatches)
        if candidates.isEmpty {
            candidates = usableOnes(fallbackMatches)
            fallback = !candidates.isEmpty
        }

        guard let first = candidates.first else {
            if !skipped.isEmpty {
                return .manual(reason: "every unit the matching rules name has returned this order or is inactive (\(skipped.joined(separator: ", "))) · 匹配的承办单位均已退回或停用，转人工派单")
            }
            let placeKnown = locality.township != nil
            if keywordSeen {
                return .manual(reason: "the rules whose keywords occur are limited to another category, urgency or place\(placeKnown ? "" : " (the place is unknown)") · 匹配关键词的规则均不适用，转人工派单")
            }
            if placeKnown {
                return .manual(reason: "no rule keyword in the title or content, and no local rule for \(locality.township!) applies · 未识别诉求事项，转人工派单")
            }
            return .manual(reason: "no rule keyword in the title or content, and no known place (no region code of the gazetteer, no place name in the address) · 未识别诉求事项及属地，转人工派单")
        }

        // Locality first, else the best rule.
        var lead = first
        var coUnits = first.rule.record.coUnits
        var basis: String
        let bestLocal = candidates.first { $0.rule.isLocal }
        let bestOther = candidates.first { !$0.rule.isLocal }
        if let local = bestLocal, let other = bestOther, local.priority <= other.priority {
            lead = local
            coUnits = local.rule.record.coUnits + (other.unit == local.unit ? [] : [other.unit])
            basis = "locality first: rule \(local.name)\(Self.quote(local.hits)) → \(local.unit) leads over rule \(other.name)\(Self.quote(other.hits))"
                + (other.unit == local.unit ? "" : ", \(other.unit) co-handles") + " · 属地管理优先"
        } else if fallback {
            basis = "fallback rule \(first.name) (no keyword matched) → \(first.unit) · 兜底规则派单"
        } else {
            basis = "rule \(first.name)\(Self.quote(first.hits)) → \(first.unit) · 按规则派单"
        }

        // Three-level network: name the level-3 unit the lead may hand the order down to; the
        // lead stays the level-2 unit.
        let leadUnit = lead.unit
        let subCandidates = (subRules[lead.unit] ?? []).compactMap { rule -> Candidate? in
            guard applies(rule) else { return nil }
            let found = hits(rule)
            guard rule.keywords.isEmpty || !found.isEmpty else { return nil }
            return Candidate(rule: rule, hits: found)
        }
        if let sub = usableOnes(subCandidates).first {
            basis += "; level 3: rule \(sub.name)\(Self.quote(sub.hits)) suggests \(sub.unit), for \(lead.unit) to hand down · 三级网络由二级单位转办"
        }
        if !skipped.isEmpty {
            basis += "; not back to \(skipped.joined(separator: ", ")) · 不派回退件单位"
        }

        var seen: Set<String> = [leadUnit]
        let co = coUnits.filter { usable($0) && seen.insert($0).inserted }
        return .dispatch(lead: leadUnit, coUnits: co, basis: basis)
    }

    /// " (停水, 水压)", or "" without hits; at most three keywords.
    private static func quote(_ hits: [String]) -> String {
        hits.isEmpty ? "" : " (" + hits.prefix(3).joined(separator: ", ") + ")"
    }

    /// Text with whitespace removed, for keyword matching.
    static func squeezed(_ text: String) -> String {
        String(text.unicodeScalars.filter { !CharacterSet.whitespacesAndNewlines.contains($0) })
    }
}
