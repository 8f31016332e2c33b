import Foundation
import HotlineDomain
import PostgresClient

// Reference data: the gazetteer (regions), the three-level network of units, routing rules and the
// knowledge base. Everything is keyed by a stable code (rules by name), never by database ids, so
// the same data can be written to any database, written again without change, and read back.

/// A place in the gazetteer (区划): a county, its townships and streets, their villages and communities.
public struct RegionRecord: Codable, Sendable, Equatable {
    public var code: String
    public var name: String
    /// province, city, county, township, street, village, community
    public var level: String
    public var parentCode: String?

    public init(code: String, name: String, level: String, parentCode: String? = nil) {
        self.code = code
        self.name = name
        self.level = level
        self.parentCode = parentCode
    }

    public static let levels = ["province", "city", "county", "township", "street", "village", "community"]

    private enum CodingKeys: String, CodingKey, CaseIterable {
        case code, name, level, parentCode
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.allCases.map(\.rawValue))
        let container = try decoder.container(keyedBy: CodingKeys.self)
        code = try container.decode(String.self, forKey: .code)
        name = try container.decode(String.self, forKey: .name)
        level = try container.decode(String.self, forKey: .level)
        parentCode = try container.decodeIfPresent(String.self, forKey: .parentCode)
    }

    /// Depth in the hierarchy: a child's rank is greater than its parent's. Townships and streets
    /// share a rank, as do villages and communities.
    public static func rank(of level: String) -> Int? {
        switch level {
        case "province": 0
        case "city": 1
        case "county": 2
        case "township", "street": 3
        case "village", "community": 4
        default: nil
        }
    }
}

/// A unit of the three-level network (POLICIES.md §9): level 1 the hotline office, level 2 the
/// township and street governments, county departments and key enterprises, level 3 their
/// subordinate units, which receive orders from their level-2 parent.
public struct UnitRecord: Codable, Sendable, Equatable {
    public var code: String
    public var name: String
    /// 1, 2 or 3
    public var level: Int
    public var parentCode: String?
    /// office, government, department, enterprise
    public var kind: String
    public var regionCode: String?
    /// An inactive unit is kept for history but never dispatched to. Optional in JSON (default true).
    public var active: Bool

    public init(code: String, name: String, level: Int, parentCode: String? = nil, kind: String,
                regionCode: String? = nil, active: Bool = true) {
        self.code = code
        self.name = name
        self.level = level
        self.parentCode = parentCode
        self.kind = kind
        self.regionCode = regionCode
        self.active = active
    }

    public static let kinds = ["office", "government", "department", "enterprise"]

    private enum CodingKeys: String, CodingKey, CaseIterable {
        case code, name, level, parentCode, kind, regionCode, active
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.allCases.map(\.rawValue))
        let container = try decoder.container(keyedBy: CodingKeys.self)
        code = try container.decode(String.self, forKey: .code)
        name = try container.decode(String.self, forKey: .name)
        level = try container.decode(Int.self, forKey: .level)
        parentCode = try container.decodeIfPresent(String.self, forKey: .parentCode)
        kind = try container.decode(String.self, forKey: .kind)
        regionCode = try container.decodeIfPresent(String.self, forKey: .regionCode)
        active = try container.decodeIfPresent(Bool.self, forKey: .active) ?? true
    }
}

/// A routing rule. It matches an order when its category and urgency (if given) are the order's,
/// its region (if given) is the order's place or contains it, and one of its keywords occurs in the
/// title or content. A keyword written `a+b` needs every part. `fromUnit` makes it a sub-dispatch
/// rule: applied after `fromUnit` was chosen as lead, to pass the order to one of its level-3 units.
public struct RoutingRuleRecord: Codable, Sendable, Equatable {
    /// Unique, stable: the key for upserts and the name a dispatch basis cites.
    public var name: String
    /// Lower wins.
    public var priority: Int
    /// A `Category` raw value, or nil for any.
    public var category: String?
    /// An `Urgency` raw value, or nil for any.
    public var urgency: String?
    public var keywords: [String]
    public var regionCode: String?
    /// The lead unit's code.
    public var unit: String
    public var coUnits: [String]
    /// The level-2 unit whose orders this rule sub-dispatches (nil: a rule of the hotline office).
    public var fromUnit: String?

    public init(name: String, priority: Int = 100, category: String? = nil, urgency: String? = nil, keywords: [String] = [],
                regionCode: String? = nil, unit: String, coUnits: [String] = [], fromUnit: String? = nil) {
        self.name = name
        self.priority = priority
        self.category = category
        self.urgency = urgency
        self.keywords = keywords
        self.regionCode = regionCode
        self.unit = unit
        self.coUnits = coUnits
        self.fromUnit = fromUnit
    }

    private enum CodingKeys: String, CodingKey, CaseIterable {
        case name, priority, category, urgency, keywords, regionCode, unit, coUnits, fromUnit
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.allCases.map(\.rawValue))
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        priority = try container.decodeIfPresent(Int.self, forKey: .priority) ?? 100
        category = try container.decodeIfPresent(String.self, forKey: .category)
        urgency = try container.decodeIfPresent(String.self, forKey: .urgency)
        keywords = try container.decodeIfPresent([String].self, forKey: .keywords) ?? []
        regionCode = try container.decodeIfPresent(String.self, forKey: .regionCode)
        unit = try container.decode(String.self, forKey: .unit)
        coUnits = try container.decodeIfPresent([String].self, forKey: .coUnits) ?? []
        fromUnit = try container.decodeIfPresent(String.self, forKey: .fromUnit)
    }
}

/// A knowledge-base entry (POLICIES.md §7), maintained by the unit that provides it.
public struct KBEntryRecord: Codable, Sendable, Equatable {
    public var code: String
    public var unit: String?
    /// organisation, law, qa, service_guide, public_info, contact
    public var kind: String
    public var question: String
    public var answer: String
    public var keywords: [String]
    /// yyyy-MM-dd, or nil when it does not expire.
    public var validUntil: String?

    public init(code: String, unit: String? = nil, kind: String, question: String, answer: String,
                keywords: [String] = [], validUntil: String? = nil) {
        self.code = code
        self.unit = unit
        self.kind = kind
        self.question = question
        self.answer = answer
        self.keywords = keywords
        self.validUntil = validUntil
    }

    public static let kinds = ["organisation", "law", "qa", "service_guide", "public_info", "contact"]

    private enum CodingKeys: String, CodingKey, CaseIterable {
        case code, unit, kind, question, answer, keywords, validUntil
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.allCases.map(\.rawValue))
        let container = try decoder.container(keyedBy: CodingKeys.self)
        code = try container.decode(String.self, forKey: .code)
        unit = try container.decodeIfPresent(String.self, forKey: .unit)
        kind = try container.decode(String.self, forKey: .kind)
        question = try container.decode(String.self, forKey: .question)
        answer = try container.decode(String.self, forKey: .answer)
        keywords = try container.decodeIfPresent([String].self, forKey: .keywords) ?? []
        validUntil = try container.decodeIfPresent(String.self, forKey: .validUntil)
    }
}

/// Reference data that does not hold up: which entry, and what is wrong. Reference data holds no
/// personal data, so the text is safe to log.
public struct ReferenceDataError: Error, Equatable, Sendable, CustomStringConvertible {
    /// e.g. `units[12] (WATER-CG)`, or the file for decoding errors.
    public var entry: String
    public var problem: String

    public init(entry: String, problem: String) {
        self.entry = entry
        self.problem = problem
    }

    public var description: String { "\(entry): \(problem)" }
}

/// A hotline's reference data, as one value: written by `hotlinectl seed`, read by the routing worker.
public struct ReferenceData: Codable, Sendable, Equatable {
    public var regions: [RegionRecord]
    public var units: [UnitRecord]
    public var routingRules: [RoutingRuleRecord]
    public var kbEntries: [KBEntryRecord]

    public init(regions: [RegionRecord] = [], units: [UnitRecord] = [], routingRules: [RoutingRuleRecord] = [],
                kbEntries: [KBEntryRecord] = []) {
        self.regions = regions
        self.units = units
        self.routingRules = routingRules
        self.kbEntries = kbEntries
    }

    /// 石桥县 (439999), a fictional Hunan county written for this project: its townships, streets,
    /// villages and communities, about forty units, routing rules and a small knowledge base.
    /// Validated.
    public static func demoCounty() throws -> ReferenceData {
        guard let url = Bundle.module.url(forResource: "Resources", withExtension: nil)?
            .appendingPathComponent("demo-county.json") else {
            throw ReferenceDataError(entry: "demo-county.json", problem: "missing from the HotlineStore bundle")
        }
        return try decode(Data(contentsOf: url), file: "demo-county.json")
    }

    /// Decodes JSON reference data and validates it; errors name the file and the entry.
    public static func decode(_ data: Data, file: String) throws -> ReferenceData {
        let value: ReferenceData
        do {
            value = try JSONDecoder().decode(ReferenceData.self, from: data)
        } catch let error as DecodingError {
            throw ReferenceDataError(entry: file, problem: Self.describe(error))
        }
        try value.validate()
        return value
    }

    private static func describe(_ error: DecodingError) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        }
        switch error {
        case let .keyNotFound(key, context): return "\(path(context.codingPath + [key])): required key is missing"
        case let .typeMismatch(type, context): return "\(path(context.codingPath)): expected \(type)"
        case let .valueNotFound(type, context): return "\(path(context.codingPath)): expected \(type), found null"
        case let .dataCorrupted(context):
            return context.codingPath.isEmpty ? "not valid JSON" : "\(path(context.codingPath)): \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }

    // MARK: - Validation

    /// Checks that codes are unique, every reference resolves, levels are consistent and rules make
    /// sense; throws one `ReferenceDataError` naming the first entry that does not.
    public func validate() throws {
        func fail(_ entry: String, _ problem: String) -> ReferenceDataError { ReferenceDataError(entry: entry, problem: problem) }

        var regionsByCode: [String: RegionRecord] = [:]
        for (index, region) in regions.enumerated() {
            let entry = "regions[\(index)] (\(region.code))"
            guard !region.code.isEmpty, !region.name.isEmpty else { throw fail(entry, "code and name must not be empty") }
            guard regionsByCode[region.code] == nil else { throw fail(entry, "the code \(region.code) is used twice") }
            guard RegionRecord.rank(of: region.level) != nil else {
                throw fail(entry, "level \"\(region.level)\" is not one of \(RegionRecord.levels.joined(separator: ", "))")
            }
            regionsByCode[region.code] = region
        }
        for (index, region) in regions.enumerated() {
            let entry = "regions[\(index)] (\(region.code))"
            guard let parentCode = region.parentCode else { continue }
            guard let parent = regionsByCode[parentCode] else { throw fail(entry, "parent region \(parentCode) is not in the gazetteer") }
            // Ranks strictly increase downwards, so the parents form no cycle.
            guard RegionRecord.rank(of: parent.level)! < RegionRecord.rank(of: region.level)! else {
                throw fail(entry, "a \(region.level) cannot lie in a \(parent.level) (\(parentCode))")
            }
        }

        var unitsByCode: [String: UnitRecord] = [:]
        for (index, unit) in units.enumerated() {
            let entry = "units[\(index)] (\(unit.code))"
            guard !unit.code.isEmpty, !unit.name.isEmpty else { throw fail(entry, "code and name must not be empty") }
            guard unitsByCode[unit.code] == nil else { throw fail(entry, "the code \(unit.code) is used twice") }
            guard (1...3).contains(unit.level) else { throw fail(entry, "level \(unit.level) is not 1, 2 or 3") }
            guard UnitRecord.kinds.contains(unit.kind) else {
                throw fail(entry, "kind \"\(unit.kind)\" is not one of \(UnitRecord.kinds.joined(separator: ", "))")
            }
            guard (unit.kind == "office") == (unit.level == 1) else {
                throw fail(entry, "the hotline office, and only it, is level 1 of kind office")
            }
            if let regionCode = unit.regionCode, regionsByCode[regionCode] == nil {
                throw fail(entry, "region \(regionCode) is not in the gazetteer")
            }
            unitsByCode[unit.code] = unit
        }
        for (index, unit) in units.enumerated() {
            let entry = "units[\(index)] (\(unit.code))"
            switch (unit.level, unit.parentCode) {
            case (1, nil): continue
            case (1, .some): throw fail(entry, "a level-1 unit has no parent")
            case (_, nil): throw fail(entry, "a level-\(unit.level) unit needs its level-\(unit.level - 1) parent")
            case let (_, .some(parentCode)):
                guard let parent = unitsByCode[parentCode] else { throw fail(entry, "parent unit \(parentCode) does not exist") }
                guard parent.level == unit.level - 1 else {
                    throw fail(entry, "a level-\(unit.level) unit's parent must be level \(unit.level - 1); \(parentCode) is level \(parent.level)")
                }
            }
        }

        var ruleNames: Set<String> = []
        for (index, rule) in routingRules.enumerated() {
            let entry = "routingRules[\(index)] (\(rule.name))"
            guard !rule.name.isEmpty else { throw fail("routingRules[\(index)]", "a rule needs a name") }
            guard ruleNames.insert(rule.name).inserted else { throw fail(entry, "the name \(rule.name) is used twice") }
            if let category = rule.category, Category(rawValue: category) == nil {
                throw fail(entry, "category \"\(category)\" is not one of \(Category.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            if let urgency = rule.urgency, Urgency(rawValue: urgency) == nil {
                throw fail(entry, "urgency \"\(urgency)\" is not one of \(Urgency.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            for keyword in rule.keywords where keyword.split(separator: "+", omittingEmptySubsequences: false)
                .contains(where: { $0.trimmingCharacters(in: .whitespaces).isEmpty }) {
                throw fail(entry, "keyword \"\(keyword)\" has an empty part")
            }
            if let regionCode = rule.regionCode, regionsByCode[regionCode] == nil {
                throw fail(entry, "region \(regionCode) is not in the gazetteer")
            }
            guard let lead = unitsByCode[rule.unit] else { throw fail(entry, "unit \(rule.unit) does not exist") }
            if let fromUnit = rule.fromUnit {
                guard unitsByCode[fromUnit] != nil else { throw fail(entry, "fromUnit \(fromUnit) does not exist") }
                guard lead.parentCode == fromUnit else {
                    throw fail(entry, "a sub-dispatch rule passes orders from a unit to one of its subordinate units; \(rule.unit) is not under \(fromUnit)")
                }
                guard rule.coUnits.isEmpty else {
                    throw fail(entry, "a sub-dispatch rule changes the lead only; co-units come from the hotline's rule")
                }
            } else {
                guard lead.level == 2 else {
                    throw fail(entry, "the hotline dispatches to level-2 units; \(rule.unit) is level \(lead.level) (use a sub-dispatch rule with fromUnit)")
                }
                guard !rule.keywords.isEmpty || rule.category != nil || rule.regionCode != nil else {
                    throw fail(entry, "a rule without keywords needs a category or a region, or it would take every order")
                }
            }
            var seen: Set<String> = [rule.unit]
            for co in rule.coUnits {
                guard let unit = unitsByCode[co] else { throw fail(entry, "co-unit \(co) does not exist") }
                guard unit.level == 2 else { throw fail(entry, "co-unit \(co) is level \(unit.level); co-units are level-2 units") }
                guard seen.insert(co).inserted else { throw fail(entry, "co-unit \(co) is the lead or listed twice") }
            }
        }

        var kbCodes: Set<String> = []
        for (index, kb) in kbEntries.enumerated() {
            let entry = "kbEntries[\(index)] (\(kb.code))"
            guard !kb.code.isEmpty else { throw fail("kbEntries[\(index)]", "an entry needs a code") }
            guard kbCodes.insert(kb.code).inserted else { throw fail(entry, "the code \(kb.code) is used twice") }
            guard KBEntryRecord.kinds.contains(kb.kind) else {
                throw fail(entry, "kind \"\(kb.kind)\" is not one of \(KBEntryRecord.kinds.joined(separator: ", "))")
            }
            guard !kb.question.isEmpty, !kb.answer.isEmpty else { throw fail(entry, "question and answer must not be empty") }
            if let unit = kb.unit, unitsByCode[unit] == nil { throw fail(entry, "unit \(unit) does not exist") }
            if let validUntil = kb.validUntil, LocalDate(validUntil) == nil {
                throw fail(entry, "validUntil \"\(validUntil)\" is not a date of the form yyyy-MM-dd")
            }
        }
    }

    // MARK: - Database

    /// How many rows of each kind.
    public struct Counts: Sendable, Equatable, CustomStringConvertible {
        public var regions: Int
        public var units: Int
        public var routingRules: Int
        public var kbEntries: Int

        public init(regions: Int, units: Int, routingRules: Int, kbEntries: Int) {
            self.regions = regions
            self.units = units
            self.routingRules = routingRules
            self.kbEntries = kbEntries
        }

        public var description: String {
            "\(regions) regions, \(units) units, \(routingRules) routing rules, \(kbEntries) knowledge-base entries"
        }
    }

    /// The entries of this value.
    public var counts: Counts {
        Counts(regions: regions.count, units: units.count, routingRules: routingRules.count, kbEntries: kbEntries.count)
    }

    /// Rows in the reference tables (all of them, active or not).
    public static func counts(on connection: PostgresConnection) throws -> Counts {
        let row = try connection.query("""
            SELECT (SELECT count(*) FROM regions) AS regions, (SELECT count(*) FROM units) AS units,
                   (SELECT count(*) FROM routing_rules) AS rules, (SELECT count(*) FROM kb_entries) AS kb
            """).first!
        return Counts(regions: try row.decode("regions"), units: try row.decode("units"),
                      routingRules: try row.decode("rules"), kbEntries: try row.decode("kb"))
    }

    /// Validates, then upserts everything by code (rules by name) in the caller's transaction (run
    /// it inside `withTransaction`): writing the same data twice changes nothing. Rows not in this
    /// value are left as they are; every row written is made active. Returns the entries written.
    @discardableResult
    public func write(on connection: PostgresConnection) throws -> Counts {
        try validate()
        // Parents before children: regions by rank, units by level.
        for region in regions.sorted(by: { RegionRecord.rank(of: $0.level)! < RegionRecord.rank(of: $1.level)! }) {
            try connection.execute("""
                INSERT INTO regions (code, name, level, parent_code)
                VALUES (\(region.code), \(region.name), \(region.level), \(region.parentCode))
                ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, level = EXCLUDED.level, parent_code = EXCLUDED.parent_code
                """)
        }
        for unit in units.sorted(by: { $0.level < $1.level }) {
            try connection.execute("""
                INSERT INTO units (code, name, level, parent_id, kind, region_code, active)
                VALUES (\(unit.code), \(unit.name), \(Int16(unit.level)), (SELECT id FROM units WHERE code = \(unit.parentCode)),
                        \(unit.kind), \(unit.regionCode), \(unit.active))
                ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, level = EXCLUDED.level, parent_id = EXCLUDED.parent_id,
                    kind = EXCLUDED.kind, region_code = EXCLUDED.region_code, active = EXCLUDED.active
                """)
        }
        for rule in routingRules {
            try connection.execute("""
                INSERT INTO routing_rules (name, priority, category, urgency, keywords, region_code, unit_id, co_unit_ids, from_unit_id, active)
                VALUES (\(rule.name), \(Int32(rule.priority)), \(rule.category), \(rule.urgency), \(rule.keywords), \(rule.regionCode),
                        (SELECT id FROM units WHERE code = \(rule.unit)),
                        ARRAY(SELECT id FROM units WHERE code = ANY(\(rule.coUnits)) ORDER BY array_position(\(rule.coUnits), code)),
                        (SELECT id FROM units WHERE code = \(rule.fromUnit)), true)
                ON CONFLICT (name) WHERE name IS NOT NULL DO UPDATE SET priority = EXCLUDED.priority,
                    category = EXCLUDED.category, urgency = EXCLUDED.urgency, keywords = EXCLUDED.keywords,
                    region_code = EXCLUDED.region_code, unit_id = EXCLUDED.unit_id, co_unit_ids = EXCLUDED.co_unit_ids,
                    from_unit_id = EXCLUDED.from_unit_id, active = true
                """)
        }
        for entry in kbEntries {
            try connection.execute("""
                INSERT INTO kb_entries (code, unit_id, kind, question, answer, keywords, valid_until)
                VALUES (\(entry.code), (SELECT id FROM units WHERE code = \(entry.unit)), \(entry.kind), \(entry.question),
                        \(entry.answer), \(entry.keywords), \(entry.validUntil)::date)
                ON CONFLICT (code) WHERE code IS NOT NULL DO UPDATE SET unit_id = EXCLUDED.unit_id, kind = EXCLUDED.kind,
                    question = EXCLUDED.question, answer = EXCLUDED.answer, keywords = EXCLUDED.keywords,
                    valid_until = EXCLUDED.valid_until,
                    updated_at = CASE WHEN (kb_entries.unit_id, kb_entries.kind, kb_entries.question, kb_entries.answer,
                                            kb_entries.keywords, kb_entries.valid_until)
                                           IS NOT DISTINCT FROM (EXCLUDED.unit_id, EXCLUDED.kind, EXCLUDED.question,
                                            EXCLUDED.answer, EXCLUDED.keywords, EXCLUDED.valid_until)
                                      THEN kb_entries.updated_at ELSE now() END
                """)
        }
        return counts
    }

    /// Reads the gazetteer alone (what intake needs of the reference data).
    public static func loadRegions(on connection: PostgresConnection) throws -> [RegionRecord] {
        try connection.query("SELECT code, name, level, parent_code FROM regions ORDER BY code").map { row in
            RegionRecord(code: try row.decode("code"), name: try row.decode("name"), level: try row.decode("level"),
                         parentCode: try row.decode("parent_code"))
        }
    }

    /// Reads the gazetteer, every unit (inactive ones too, marked so), the active routing rules and,
    /// unless `knowledgeBase` is false, the knowledge base. Rows written without a name or code
    /// (by hand) are read as `rule-<id>` / `kb-<id>`.
    public static func load(on connection: PostgresConnection, knowledgeBase: Bool = true) throws -> ReferenceData {
        let regions = try loadRegions(on: connection)
        let units = try connection.query("""
            SELECT u.code, u.name, u.level, p.code AS parent_code, u.kind, u.region_code, u.active
            FROM units u LEFT JOIN units p ON p.id = u.parent_id
            ORDER BY u.level, u.code
            """).map { row in
            UnitRecord(code: try row.decode("code"), name: try row.decode("name"), level: try row.decode("level"),
                       parentCode: try row.decode("parent_code"), kind: try row.decode("kind"),
                       regionCode: try row.decode("region_code"), active: try row.decode("active"))
        }
        let rules = try connection.query("""
            SELECT COALESCE(r.name, 'rule-' || r.id) AS name, r.priority, r.category, r.urgency, r.keywords, r.region_code,
                   u.code AS unit, f.code AS from_unit,
                   ARRAY(SELECT c.code FROM unnest(r.co_unit_ids) WITH ORDINALITY AS co(id, position)
                         JOIN units c ON c.id = co.id ORDER BY co.position) AS co_units
            FROM routing_rules r
            JOIN units u ON u.id = r.unit_id
            LEFT JOIN units f ON f.id = r.from_unit_id
            WHERE r.active
            ORDER BY r.priority, name
            """).map { row in
            RoutingRuleRecord(name: try row.decode("name"), priority: try row.decode("priority"),
                              category: try row.decode("category"), urgency: try row.decode("urgency"),
                              keywords: try row.decode("keywords"), regionCode: try row.decode("region_code"),
                              unit: try row.decode("unit"), coUnits: try row.decode("co_units"),
                              fromUnit: try row.decode("from_unit"))
        }
        var kbEntries: [KBEntryRecord] = []
        if knowledgeBase {
            kbEntries = try connection.query("""
                SELECT COALESCE(k.code, 'kb-' || k.id) AS code, u.code AS unit, k.kind, k.question, k.answer, k.keywords,
                       to_char(k.valid_until, 'YYYY-MM-DD') AS valid_until
                FROM kb_entries k LEFT JOIN units u ON u.id = k.unit_id
                WHERE k.retired_at IS NULL
                ORDER BY code
                """).map { row in
                KBEntryRecord(code: try row.decode("code"), unit: try row.decode("unit"), kind: try row.decode("kind"),
                              question: try row.decode("question"), answer: try row.decode("answer"),
                              keywords: try row.decode("keywords"), validUntil: try row.decode("valid_until"))
            }
        }
        return ReferenceData(regions: regions, units: units, routingRules: rules, kbEntries: kbEntries)
    }
}

// MARK: - Decoding helpers

/// Any key, to list an object's keys.
private struct AnyCodingKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(stringValue: String) { self.stringValue = stringValue; self.intValue = nil }
    init?(intValue: Int) { self.stringValue = String(intValue); self.intValue = intValue }
}

extension Decoder {
    /// A misspelt key in reference data is an error, not a silently ignored field.
    fileprivate func rejectUnknownKeys(_ known: [String]) throws {
        let container = try container(keyedBy: AnyCodingKey.self)
        for key in container.allKeys where !known.contains(key.stringValue) {
            throw DecodingError.dataCorrupted(.init(codingPath: codingPath + [key],
                debugDescription: "unknown key (expected one of: \(known.joined(separator: ", ")))"))
        }
    }
}
