import Foundation
import HotlineDomain
import PostgresClient

/// A knowledge-base entry as written through the workbench (POLICIES.md §7: 谁提供谁负责).
public struct KBDraft: Sendable, Equatable {
    /// organisation, law, qa, service_guide, public_info, contact (`KBEntryRecord.kinds`).
    public var kind: String
    public var question: String
    public var answer: String
    public var keywords: [String]
    /// yyyy-MM-dd, or nil when it does not expire.
    public var validUntil: String?

    public init(kind: String, question: String, answer: String, keywords: [String] = [], validUntil: String? = nil) {
        self.kind = kind
        self.question = question
        self.answer = answer
        self.keywords = keywords
        self.validUntil = validUntil
    }
}

/// A knowledge-base entry as stored.
public struct KBEntry: Sendable, Equatable {
    public var id: Int64
    public var unit: String?
    public var draft: KBDraft
    public var version: Int
    public var createdBy: String?
    public var updatedBy: String?
    public var updatedAt: Date
    public var retiredAt: Date?
    /// The order marked for the knowledge base this entry answers.
    public var order: String?
}

/// Why a knowledge-base change was refused.
public enum KnowledgeBaseError: Error, Equatable, CustomStringConvertible {
    case noSuchEntry(Int64)
    /// Another unit's entry: a unit keeps its own entries only.
    case notYours(Int64)
    case concurrentUpdate(id: Int64, version: Int)
    case retired(Int64)
    /// The order named is not one this unit leads (or does not exist).
    case noSuchOrder(String)

    public var description: String {
        switch self {
        case .noSuchEntry(let id): "no knowledge-base entry \(id)"
        case .notYours(let id): "entry \(id) belongs to another unit: each unit keeps its own entries"
        case let .concurrentUpdate(id, version): "entry \(id) changed since version \(version); read it again"
        case .retired(let id): "entry \(id) is retired"
        case .noSuchOrder: "the order named is not one of this unit's orders"
        }
    }
}

/// The knowledge base (`kb_entries`) kept by the units and the office, and the entries owed by
/// orders marked for it (a `kbEntryDue` timer, qidong 附件2 二(五)5).
public enum KnowledgeBase {
    static let columns: SQL = """
        k.id, u.code AS unit, k.kind, k.question, k.answer, k.keywords, to_char(k.valid_until, 'YYYY-MM-DD') AS valid_until,
        k.version, k.created_by, k.updated_by, k.updated_at, k.retired_at, o.number AS order_number
        """

    static func entry(_ row: PostgresRow) throws -> KBEntry {
        KBEntry(id: try row.decode("id"), unit: try row.decode("unit"),
                draft: KBDraft(kind: try row.decode("kind"), question: try row.decode("question"), answer: try row.decode("answer"),
                               keywords: try row.decode("keywords"), validUntil: try row.decode("valid_until")),
                version: try row.decode("version"), createdBy: try row.decode("created_by"), updatedBy: try row.decode("updated_by"),
                updatedAt: try row.decode("updated_at"), retiredAt: try row.decode("retired_at"), order: try row.decode("order_number"))
    }

    /// Entries after id `after`, oldest first: of `unit` when given, matching `text` in the question,
    /// answer or keywords when given; retired ones only when asked for.
    public static func list(unit: String?, text: String?, includeRetired: Bool, after: Int64?, limit: Int,
                            on connection: PostgresConnection) throws -> [KBEntry] {
        let pattern = text.map { "%" + $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
            .replacingOccurrences(of: "_", with: "\\_") + "%" }
        return try connection.query("""
            SELECT \(columns)
            FROM kb_entries k LEFT JOIN units u ON u.id = k.unit_id LEFT JOIN work_orders o ON o.id = k.work_order_id
            WHERE (\(unit)::text IS NULL OR u.code = \(unit)) AND (\(includeRetired) OR k.retired_at IS NULL)
              AND k.id > \(after ?? 0)
              AND (\(pattern)::text IS NULL OR k.question ILIKE \(pattern) OR k.answer ILIKE \(pattern)
                   OR array_to_string(k.keywords, ' ') ILIKE \(pattern))
            ORDER BY k.id LIMIT \(limit)
            """).map(entry)
    }

    public static func get(_ id: Int64, on connection: PostgresConnection) throws -> KBEntry? {
        try connection.query("""
            SELECT \(columns)
            FROM kb_entries k LEFT JOIN units u ON u.id = k.unit_id LEFT JOIN work_orders o ON o.id = k.work_order_id
            WHERE k.id = \(id)
            """).first.map(entry)
    }

    /// Adds an entry of `unit` (nil: the office's own). Naming `order` (one the unit leads, marked
    /// for the knowledge base) settles what that order owed: its `kbEntryDue` timer is cancelled.
    public static func create(_ draft: KBDraft, unit: String?, order: String?, actor: String, at now: Date,
                              on connection: PostgresConnection) throws -> Int64 {
        var orderId: UUID?
        if let order {
            orderId = try connection.query("""
                SELECT o.id FROM work_orders o JOIN assignments a ON a.work_order_id = o.id AND a.role = 'lead'
                JOIN units u ON u.id = a.unit_id
                WHERE o.number = \(order) AND (\(unit)::text IS NULL OR (u.code = \(unit) AND a.active))
                ORDER BY a.id DESC LIMIT 1
                """).first?.decode("id", as: UUID.self)
            guard orderId != nil else { throw KnowledgeBaseError.noSuchOrder(order) }
        }
        let unitId: Int64? = try unit.map { try WorkOrders.unitId($0, on: connection) }
        let id = try connection.query("""
            INSERT INTO kb_entries (unit_id, kind, question, answer, keywords, valid_until, created_by, updated_by, created_at, updated_at,
                                    work_order_id)
            VALUES (\(unitId), \(draft.kind), \(draft.question), \(draft.answer), \(draft.keywords), \(draft.validUntil)::date, \(actor),
                    \(actor), \(now), \(now), \(orderId))
            RETURNING id
            """).first!.decode("id", as: Int64.self)
        if let orderId {
            try connection.execute("""
                UPDATE timers SET cancelled_at = \(now), data = data || jsonb_build_object('kbEntryId', \(id))
                WHERE work_order_id = \(orderId) AND kind = 'kbEntryDue' AND fired_at IS NULL AND cancelled_at IS NULL
                """)
            try WorkOrders.appendEvents([EventRecord(type: "knowledgeBaseEntered", data: ["entry": String(id)])], orderId: orderId,
                                        assignmentId: nil, actor: actor, at: now, on: connection)
        }
        return id
    }

    /// Rewrites entry `id` at `expectedVersion` (nil: whatever it is now) as `unit` (nil: the office).
    public static func update(_ id: Int64, _ draft: KBDraft, expectedVersion: Int?, unit: String?, actor: String, at now: Date,
                              on connection: PostgresConnection) throws {
        let current = try owned(id, unit: unit, on: connection)
        if current.retiredAt != nil { throw KnowledgeBaseError.retired(id) }
        let updated = try connection.execute("""
            UPDATE kb_entries SET kind = \(draft.kind), question = \(draft.question), answer = \(draft.answer), keywords = \(draft.keywords),
                valid_until = \(draft.validUntil)::date, updated_by = \(actor), updated_at = \(now), version = version + 1
            WHERE id = \(id) AND version = \(expectedVersion ?? current.version)
            """)
        guard updated == 1 else { throw KnowledgeBaseError.concurrentUpdate(id: id, version: expectedVersion ?? current.version) }
    }

    /// Retires entry `id` (kept, no longer listed): 及时清理过期信息.
    public static func retire(_ id: Int64, expectedVersion: Int?, unit: String?, actor: String, at now: Date,
                              on connection: PostgresConnection) throws {
        let current = try owned(id, unit: unit, on: connection)
        if current.retiredAt != nil { throw KnowledgeBaseError.retired(id) }
        let updated = try connection.execute("""
            UPDATE kb_entries SET retired_at = \(now), updated_by = \(actor), updated_at = \(now), version = version + 1
            WHERE id = \(id) AND version = \(expectedVersion ?? current.version)
            """)
        guard updated == 1 else { throw KnowledgeBaseError.concurrentUpdate(id: id, version: expectedVersion ?? current.version) }
    }

    static func owned(_ id: Int64, unit: String?, on connection: PostgresConnection) throws -> KBEntry {
        guard let entry = try connection.query("""
            SELECT \(columns)
            FROM kb_entries k LEFT JOIN units u ON u.id = k.unit_id LEFT JOIN work_orders o ON o.id = k.work_order_id
            WHERE k.id = \(id) FOR UPDATE OF k
            """).first.map(entry) else { throw KnowledgeBaseError.noSuchEntry(id) }
        if let unit, entry.unit != unit { throw KnowledgeBaseError.notYours(id) }
        return entry
    }

    /// An order marked for the knowledge base, replied: the lead unit owes an entry within the
    /// profile's limit (`knowledgeBase.entryAfterReply`) from `now`. Does nothing when the order is
    /// not marked, already has its entry, or already has the timer.
    static func scheduleEntryDue(orderId: UUID, at now: Date, profile: PolicyProfile?, calendar: WorkingCalendar,
                                 actor: String, on connection: PostgresConnection) throws {
        let owed = try connection.query("""
            SELECT lu.code AS unit FROM work_orders o LEFT JOIN units lu ON lu.id = o.lead_unit_id
            WHERE o.id = \(orderId) AND o.kb_marked_at IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM kb_entries k WHERE k.work_order_id = o.id)
              AND NOT EXISTS (SELECT 1 FROM timers t WHERE t.work_order_id = o.id AND t.kind = 'kbEntryDue' AND t.cancelled_at IS NULL)
            """)
        guard let row = owed.first else { return }
        let limit = profile?.followUpLimit(.kbEntryDue) ?? .workingDays(1)
        do {
            try Timers.schedule(.kbEntryDue, workOrder: orderId, assignment: nil, unit: try row.decode("unit", as: String?.self),
                                rule: DueRule(from: now, limit: limit), calendar: calendar, actor: actor, at: now, on: connection)
        } catch let error as CalendarError {
            throw OfficeAndUnitCommandError.refused(number: orderId.uuidString, .calendar(error))
        }
    }
}
