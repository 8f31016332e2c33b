import Foundation
import Synchronization
import HotlineDomain
import PostgresClient

/// A work order as stored: the domain's `WorkOrder` (what the rules see) plus the facts the
/// rules do not need, and the row version for optimistic concurrency.
public struct StoredOrder: Sendable, Equatable {
    public var id: UUID
    public var number: String
    public var profile: String
    public var order: WorkOrder
    /// The row version this was read at; `WorkOrders.apply` writes only if it is unchanged.
    public var version: Int
    public var title: String
    public var regionCode: String?
    public var localityCode: String?
    public var dispatchBy: Date?
    /// What the citizen said and where (personal data: never logged).
    public var contentPII: String
    public var addressPII: String?
}

/// A new work order, as intake creates it. `_pii` fields are personal data: never logged.
public struct NewWorkOrder: Sendable {
    public var id: UUID
    /// Taken beforehand (`WorkOrders.reserveNumbers`), so the order's messages can name it.
    public var number: String
    public var profile: String
    public var order: WorkOrder
    public var submissionId: String
    public var title: String
    public var contentPII: String
    public var citizenNamePII: String?
    public var citizenPhonePII: String?
    public var addressPII: String?
    public var regionCode: String?
    public var localityCode: String?
    public var repeatOf: UUID?
    public var clusterKey: String?
    /// The matters the text names (lexicon topics), for cluster detection.
    public var topics: [String] = []
    /// Stable hashes of the text's distinct bigrams, for comparing later orders with this one.
    public var shingles: [Int64]? = nil
    public var agentId: String?
    public var kbEntryId: Int64?
    /// Resolved at intake or not accepted: what the citizen was told.
    public var intakeAnswerPII: String?

    public init(id: UUID, number: String, profile: String, order: WorkOrder, submissionId: String, title: String, contentPII: String,
                citizenNamePII: String? = nil, citizenPhonePII: String? = nil, addressPII: String? = nil,
                regionCode: String? = nil, localityCode: String? = nil, repeatOf: UUID? = nil, clusterKey: String? = nil,
                agentId: String? = nil, kbEntryId: Int64? = nil, intakeAnswerPII: String? = nil) {
        self.id = id
        self.number = number
        self.profile = profile
        self.order = order
        self.submissionId = submissionId
        self.title = title
        self.contentPII = contentPII
        self.citizenNamePII = citizenNamePII
        self.citizenPhonePII = citizenPhonePII
        self.addressPII = addressPII
        self.regionCode = regionCode
        self.localityCode = localityCode
        self.repeatOf = repeatOf
        self.clusterKey = clusterKey
        self.agentId = agentId
        self.kbEntryId = kbEntryId
        self.intakeAnswerPII = intakeAnswerPII
    }
}

public enum WorkOrderStoreError: Error, Equatable, CustomStringConvertible {
    /// Someone else changed the order since it was read (its version moved on).
    case concurrentUpdate(number: String, readAt: Int)
    case notFound(UUID)
    /// A unit code the transition names is not in `units`.
    case unknownUnit(String)
    case corrupt(number: String, problem: String)

    public var description: String {
        switch self {
        case let .concurrentUpdate(number, version): "work order \(number) changed since it was read (version \(version)); read it again"
        case let .notFound(id): "no work order \(id)"
        case let .unknownUnit(code): "no unit \(code)"
        case let .corrupt(number, problem): "work order \(number) cannot be read: \(problem)"
        }
    }
}

/// A new order to write: the order (numbered), the transition intake applied to it, and the
/// messages that announce it.
public struct OrderCreation: Sendable {
    public var order: NewWorkOrder
    public var transition: Transition
    public var outbox: [OutboxMessage]

    public init(order: NewWorkOrder, transition: Transition, outbox: [OutboxMessage]) {
        self.order = order
        self.transition = transition
        self.outbox = outbox
    }
}

/// Work orders in the system of record. Every change is one `Transition` of the domain, written
/// in the caller's transaction together with its events, timers and outgoing messages.
public enum WorkOrders {
    /// Creates each order in the state its transition left it in (a new order is `received`;
    /// intake applies accept / refuse / resolve-at-intake to it first), with the transition's
    /// events, timers and outgoing messages. An order whose channel already submitted its
    /// `submissionId` is not written, nor are its events, timers or messages (idempotency).
    /// Returns the ids of the orders written.
    @discardableResult
    public static func create(_ creations: [OrderCreation], actor: String, at now: Date,
                              on connection: PostgresConnection) throws -> Set<UUID> {
        var created: Set<UUID> = []
        var messages: [OutboxMessage] = []
        var writes = CombinedWrites()
        var fallbacks: [(UUID, [TimerKind: WeekdayFallback])] = []
        for creation in creations {
            let new = creation.order
            let transition = creation.transition
            let order = transition.order
            let dispatchBy = transition.starts(.dispatchBy)
            let inserted = try connection.execute("""
                INSERT INTO work_orders (id, number, profile, channel, submission_id, state, category, urgency, class,
                    confidential, title, content_pii, citizen_name_pii, citizen_phone_pii, address_pii, region_code,
                    locality_code, received_at, dispatch_by, supervised, supervision_reason, repeat_of, cluster_key,
                    not_accepted_reason, topics, shingles, agent_id, kb_entry_id, intake_answer_pii, closed_at)
                VALUES (\(new.id), \(new.number),
                    \(new.profile), \(order.channel.rawValue), \(new.submissionId), \(order.state.rawValue),
                    \(order.kind.category.rawValue), \(order.kind.urgency?.rawValue), \(order.kind.caseClass?.rawValue),
                    \(order.confidential), \(new.title), \(new.contentPII), \(new.citizenNamePII), \(new.citizenPhonePII),
                    \(new.addressPII), \(new.regionCode), \(new.localityCode), \(order.receivedAt), \(dispatchBy),
                    \(order.supervision != nil), \(order.supervision?.rawValue), \(new.repeatOf), \(new.clusterKey),
                    \(order.notAcceptedReason?.rawValue), \(new.topics), \(new.shingles), \(new.agentId), \(new.kbEntryId),
                    \(new.intakeAnswerPII), \(isFinal(order.state) ? now : nil))
                ON CONFLICT (channel, submission_id) DO NOTHING
                """)
            guard inserted == 1 else { continue }
            created.insert(new.id)
            writes.add(eventsInsert(transition.events.map(EventRecord.init), orderId: new.id, assignmentId: nil, actor: actor, at: now))
            writes.add(timerWrites(transition.timers, orderId: new.id, assignmentId: nil, at: now))
            if !transition.weekdayFallbacks.isEmpty { fallbacks.append((new.id, transition.weekdayFallbacks)) }
            messages += creation.outbox
        }
        writes.add(Outbox.insert(messages))
        try writes.execute(on: connection)
        // After the timers are written: the marks go on them.
        for (orderId, marks) in fallbacks {
            try CalendarStore.markWeekdayFallbacks(marks, orderId: orderId, actor: actor, at: now, on: connection)
        }
        return created
    }

    /// Reads an order with its active lead assignment. `forUpdate` locks the row for the
    /// transaction (workers that will write it at once); the HTTP API reads without locking and
    /// relies on the version check. The lock is `FOR NO KEY UPDATE`, the lock an `UPDATE` takes
    /// anyway: it does not block an insert elsewhere whose foreign key names this order (intake
    /// starting a cluster at it), where `FOR UPDATE` made intake and routing wait on each other.
    public static func load(_ id: UUID, forUpdate: Bool = false, on connection: PostgresConnection) throws -> StoredOrder? {
        if forUpdate {
            // The row is locked by a statement of its own before it is read: a locking read that
            // joins the assignments and has to wait for another transaction re-reads the order's
            // row but not the joined assignment rows (READ COMMITTED re-checks only the locked
            // row), so two people signing at once both saw "dispatched" and both signed. Read
            // after the lock is held, in a new statement, the order is what the other committed.
            guard try !connection.query("SELECT 1 AS one FROM work_orders WHERE id = \(id) FOR NO KEY UPDATE").isEmpty else { return nil }
        }
        let rows = try connection.query("""
            SELECT o.number, o.profile, o.channel, o.state, o.category, o.urgency, o.class, o.confidential, o.title,
                   o.region_code, o.locality_code, o.received_at, o.dispatch_by, o.returns_count, o.redo_count,
                   o.rating, o.supervision_reason, o.not_accepted_reason, o.version, o.content_pii, o.address_pii,
                   ARRAY(SELECT u.code FROM units u WHERE u.id = ANY(o.returned_by_unit_ids)) AS returned_by,
                   a.state AS a_state, a.dispatched_at, a.reply_by, a.return_window_ends_at, a.original_limit,
                   a.extensions, a.pending_extension, a.return_rejected, lu.code AS lead_code,
                   ARRAY(SELECT cu.code FROM assignments c JOIN units cu ON cu.id = c.unit_id
                         WHERE c.work_order_id = o.id AND c.active AND c.role = 'co' ORDER BY c.id) AS co_codes
            FROM work_orders o
            LEFT JOIN assignments a ON a.work_order_id = o.id AND a.active AND a.role = 'lead'
            LEFT JOIN units lu ON lu.id = a.unit_id
            WHERE o.id = \(id)
            """)
        guard let row = rows.first else { return nil }
        let number = try row.decode("number", as: String.self)
        func corrupt(_ problem: String) -> WorkOrderStoreError { .corrupt(number: number, problem: problem) }
        guard let category = Category(rawValue: try row.decode("category", as: String.self)) else { throw corrupt("category") }
        guard let channel = Channel(rawValue: try row.decode("channel", as: String.self)) else { throw corrupt("channel") }
        guard let state = OrderState(rawValue: try row.decode("state", as: String.self)) else { throw corrupt("state") }
        let urgency = try row.decode("urgency", as: String?.self).map { try value(Urgency(rawValue: $0), "urgency", number) }
        let caseClass = try row.decode("class", as: String?.self).map { try value(CaseClass(rawValue: $0), "class", number) }
        var order = WorkOrder(id: id.uuidString, kind: OrderKind(category: category, urgency: urgency, caseClass: caseClass),
                              channel: channel, confidential: try row.decode("confidential", as: Bool.self),
                              receivedAt: try row.decode("received_at", as: Date.self))
        order.state = state
        order.returnCount = try row.decode("returns_count", as: Int.self)
        order.redoCount = try row.decode("redo_count", as: Int.self)
        order.rating = try row.decode("rating", as: String?.self).map { try value(Rating(rawValue: $0), "rating", number) }
        order.supervision = try row.decode("supervision_reason", as: String?.self).map { try value(SupervisionReason(rawValue: $0), "supervision", number) }
        order.notAcceptedReason = try row.decode("not_accepted_reason", as: String?.self).map { try value(NotAcceptedReason(rawValue: $0), "reason", number) }
        order.returnedBy = try row.decode("returned_by", as: [String].self)
        if let lead = try row.decode("lead_code", as: String?.self) {
            guard let aState = AssignmentState(rawValue: try row.decode("a_state", as: String.self)) else { throw corrupt("assignment state") }
            guard !(try row.isNull("original_limit")) else { throw corrupt("original limit") }
            let original = try row.decodeJSON("original_limit", as: TimeLimit.self)
            order.assignment = Assignment(
                leadUnit: lead, coUnits: try row.decode("co_codes", as: [String].self),
                dispatchedAt: try row.decode("dispatched_at", as: Date.self), state: aState, originalLimit: original,
                replyBy: try row.decode("reply_by", as: Date.self),
                returnWindowEnd: try row.decode("return_window_ends_at", as: Date?.self),
                extensions: try row.decodeJSON("extensions", as: [TimeLimit].self),
                pendingExtension: try row.isNull("pending_extension") ? nil : try row.decodeJSON("pending_extension", as: TimeLimit.self),
                returnRejected: try row.decode("return_rejected", as: Bool.self))
        }
        return StoredOrder(id: id, number: number, profile: try row.decode("profile", as: String.self), order: order,
                           version: try row.decode("version", as: Int.self), title: try row.decode("title", as: String.self),
                           regionCode: try row.decode("region_code", as: String?.self),
                           localityCode: try row.decode("locality_code", as: String?.self),
                           dispatchBy: try row.decode("dispatch_by", as: Date?.self),
                           contentPII: try row.decode("content_pii", as: String.self),
                           addressPII: try row.decode("address_pii", as: String?.self))
    }

    /// Writes `transition` (computed from `stored`) in the caller's transaction: the order's new
    /// state, its assignments, events, timers and `outbox` messages. Throws `concurrentUpdate`,
    /// writing nothing, when the order's version is no longer the one `stored` was read at.
    public static func apply(_ transition: Transition, to stored: StoredOrder, actor: String, at now: Date,
                             outbox: [OutboxMessage], basis: String? = nil, on connection: PostgresConnection) throws {
        let before = stored.order
        let after = transition.order
        let returnedIds = try unitIds(after.returnedBy, on: connection)
        let updated = try connection.execute("""
            UPDATE work_orders SET
                state = \(after.state.rawValue), returns_count = \(after.returnCount), redo_count = \(after.redoCount),
                rating = \(after.rating?.rawValue), supervised = \(after.supervision != nil),
                supervision_reason = \(after.supervision?.rawValue), not_accepted_reason = \(after.notAcceptedReason?.rawValue),
                returned_by_unit_ids = \(returnedIds), closed_at = \(isFinal(after.state) ? now : nil),
                lead_unit_id = \(try after.assignment.map { try unitId($0.leadUnit, on: connection) }),
                manual_dispatch_reason = CASE WHEN \(after.state.rawValue) = 'awaitingDispatch' THEN manual_dispatch_reason END,
                version = version + 1, updated_at = \(now)
            WHERE id = \(stored.id) AND version = \(stored.version)
            """)
        guard updated == 1 else {
            throw WorkOrderStoreError.concurrentUpdate(number: stored.number, readAt: stored.version)
        }
        let assignmentId = try writeAssignments(before: before.assignment, after: after.assignment, orderId: stored.id,
                                                at: now, basis: basis, on: connection)
        var writes = CombinedWrites()
        writes.add(eventsInsert(transition.events.map(EventRecord.init), orderId: stored.id, assignmentId: assignmentId, actor: actor, at: now))
        writes.add(timerWrites(transition.timers, orderId: stored.id, assignmentId: assignmentId, at: now))
        writes.add(Outbox.insert(outbox))
        try writes.execute(on: connection)
        try CalendarStore.markWeekdayFallbacks(transition.weekdayFallbacks, orderId: stored.id, actor: actor, at: now, on: connection)
    }

    /// Puts an order that waits for dispatch in the office's manual-dispatch queue with `reason`:
    /// no rule-visible state changes, so this is an event row and the reason, with the version
    /// bumped so concurrent writers notice, and its outgoing messages.
    public static func awaitManualDispatch(_ stored: StoredOrder, reason: String, actor: String, at now: Date,
                                           outbox: [OutboxMessage], on connection: PostgresConnection) throws {
        let updated = try connection.execute("""
            UPDATE work_orders SET version = version + 1, updated_at = \(now), manual_dispatch_reason = \(reason)
            WHERE id = \(stored.id) AND version = \(stored.version)
            """)
        guard updated == 1 else { throw WorkOrderStoreError.concurrentUpdate(number: stored.number, readAt: stored.version) }
        var writes = CombinedWrites()
        writes.add(eventsInsert([EventRecord(type: "manualDispatchNeeded", data: ["reason": reason])], orderId: stored.id,
                                assignmentId: nil, actor: actor, at: now))
        writes.add(Outbox.insert(outbox))
        try writes.execute(on: connection)
    }

    // MARK: - Pieces

    static func isFinal(_ state: OrderState) -> Bool {
        state == .closed || state == .notAccepted || state == .resolvedAtIntake
    }

    private static func value<T>(_ value: T?, _ field: String, _ number: String) throws -> T {
        guard let value else { throw WorkOrderStoreError.corrupt(number: number, problem: field) }
        return value
    }

    static func unitId(_ code: String, on connection: PostgresConnection) throws -> Int64 {
        try unitIds([code], on: connection)[0]
    }

    /// Unit ids by code. A unit's id never changes once written (rows are deactivated, never
    /// deleted), so ids are remembered per database for the life of the process.
    static func unitIds(_ codes: [String], on connection: PostgresConnection) throws -> [Int64] {
        guard !codes.isEmpty else { return [] }
        let database = connection.url
        var ids = unitIdCache.withLock { cache in codes.compactMap { code in cache[database + "/" + code].map { (code, $0) } } }
            .reduce(into: [String: Int64]()) { $0[$1.0] = $1.1 }
        let missing = codes.filter { ids[$0] == nil }
        if !missing.isEmpty {
            for row in try connection.query("SELECT id, code FROM units WHERE code = ANY(\(missing))") {
                ids[try row.decode("code", as: String.self)] = try row.decode("id", as: Int64.self)
            }
            unitIdCache.withLock { cache in for code in missing { if let id = ids[code] { cache[database + "/" + code] = id } } }
        }
        return try codes.map { code in
            guard let id = ids[code] else { throw WorkOrderStoreError.unknownUnit(code) }
            return id
        }
    }

    private static let unitIdCache = Mutex<[String: Int64]>([:])

    /// Inserts, updates or retires assignment rows so they match the domain's `after`; returns the
    /// active lead assignment's id (events and timers refer to it).
    private static func writeAssignments(before: Assignment?, after: Assignment?, orderId: UUID, at now: Date,
                                         basis: String?, on connection: PostgresConnection) throws -> Int64? {
        switch (before, after) {
        case (nil, nil):
            return nil
        case (_?, nil):
            // Returned (approved): the order leaves these units.
            // The lead's row was the active one until this statement: its id is returned.
            return try connection.query("""
                UPDATE assignments SET active = false, state = \(AssignmentState.returnApproved.rawValue), updated_at = \(now)
                WHERE work_order_id = \(orderId) AND active
                RETURNING id, role
                """).first { try $0.decode("role", as: String.self) == "lead" }?.decode("id", as: Int64.self)
        case (nil, let a?):
            let leadId = try unitId(a.leadUnit, on: connection)
            let coIds = try unitIds(a.coUnits, on: connection)
            let id = try connection.query("""
                INSERT INTO assignments (work_order_id, unit_id, role, state, dispatched_at, return_window_ends_at, reply_by,
                                         original_limit, extensions, pending_extension, return_rejected, basis)
                VALUES (\(orderId), \(leadId), 'lead', \(a.state.rawValue), \(a.dispatchedAt), \(a.returnWindowEnd), \(a.replyBy),
                        \(json(a.originalLimit)), \(json(a.extensions)), \(a.pendingExtension.map(json)), \(a.returnRejected), \(basis))
                RETURNING id
                """).first!.decode("id", as: Int64.self)
            if !coIds.isEmpty {
                try connection.execute("""
                    INSERT INTO assignments (work_order_id, unit_id, role, state, dispatched_at, reply_by, original_limit, basis)
                    SELECT \(orderId), unit, 'co', \(a.state.rawValue), \(a.dispatchedAt), \(a.replyBy), \(json(a.originalLimit)), \(basis)
                    FROM unnest(\(coIds)::bigint[]) AS unit
                    """)
            }
            return id
        case (_?, let a?):
            // Looked up only here, where an assignment stays: `before` says one exists (it was read
            // at the version the order's update just matched, and every change of assignments
            // moves that version), and a first dispatch has none to look up.
            let activeLead = try connection.query("""
                SELECT id FROM assignments WHERE work_order_id = \(orderId) AND active AND role = 'lead'
                """).first?.decode("id", as: Int64.self)
            guard let activeLead else { return nil }
            try connection.execute("""
                UPDATE assignments SET state = \(a.state.rawValue), reply_by = \(a.replyBy),
                    return_window_ends_at = \(a.returnWindowEnd), extensions = \(json(a.extensions)),
                    extensions_count = \(a.extensions.count), pending_extension = \(a.pendingExtension.map(json)),
                    return_rejected = \(a.returnRejected), updated_at = \(now),
                    signed_at = CASE WHEN \(a.state.rawValue) = 'signed' AND signed_at IS NULL THEN \(now) ELSE signed_at END,
                    replied_at = CASE WHEN \(a.state.rawValue) = 'replied' THEN \(now) ELSE replied_at END
                WHERE id = \(activeLead)
                """)
            return activeLead
        }
    }

    static func json<T: Encodable>(_ value: T) -> PostgresJSON<T> { PostgresJSON(value) }

    static func appendEvents(_ records: [EventRecord], orderId: UUID, assignmentId: Int64?, actor: String, at now: Date,
                             on connection: PostgresConnection) throws {
        guard let insert = eventsInsert(records, orderId: orderId, assignmentId: assignmentId, actor: actor, at: now) else { return }
        try connection.execute(insert)
    }

    /// The statement that appends `records` to the order's archive (nil when there are none).
    static func eventsInsert(_ records: [EventRecord], orderId: UUID, assignmentId: Int64?, actor: String, at now: Date) -> SQL? {
        guard !records.isEmpty else { return nil }
        var sql: SQL = "INSERT INTO events (work_order_id, assignment_id, type, occurred_at, actor, data) VALUES "
        for (index, record) in records.enumerated() {
            if index > 0 { sql.append(", ") }
            sql.append("(\(orderId), \(assignmentId), \(record.type), \(now), \(actor), \(record.json)::jsonb)")
        }
        return sql
    }

    /// The statements that cancel and start the order's timers as `timers` says (none, one or two).
    static func timerWrites(_ timers: [TimerAction], orderId: UUID, assignmentId: Int64?, at now: Date) -> [SQL] {
        var cancel: [String] = []
        var starts: [(kind: String, at: Date)] = []
        for action in timers {
            switch action {
            case .cancel(let kind): cancel.append(kind.name)
            case .start(let kind, let at): starts.append((kind.name, at))
            }
        }
        // A transition that restarts a timer cancels the old one and starts it anew.
        // "Still open" is written `coalesce(fired_at, cancelled_at) IS NULL` on purpose: spelt
        // `fired_at IS NULL AND cancelled_at IS NULL`, it matches the predicate of the partial
        // index `timers_due`, and on a table without statistics yet (a new hotline, a bench
        // database) the planner picks that index and reads every open timer: 4.6 ms a dispatch,
        // growing with the table, measured with pg_stat_statements. This form can only use
        // `timers_work_order`.
        //
        // Written in one statement with the rest of a change (`CombinedWrites`), the cancelling
        // `UPDATE` runs on the statement's snapshot and never sees the rows the `INSERT` adds, so a
        // restarted kind keeps its new timer.
        var writes: [SQL] = []
        if !cancel.isEmpty {
            writes.append("""
                UPDATE timers SET cancelled_at = \(now)
                WHERE work_order_id = \(orderId) AND kind \(KeyRows.equalsAny(cancel)) AND coalesce(fired_at, cancelled_at) IS NULL
                """)
        }
        if !starts.isEmpty {
            var insert: SQL = "INSERT INTO timers (work_order_id, assignment_id, kind, fire_at) VALUES "
            for (index, start) in starts.enumerated() {
                if index > 0 { insert.append(", ") }
                insert.append("(\(orderId), \(assignmentId), \(start.kind), \(start.at))")
            }
            writes.append(insert)
        }
        return writes
    }
}

/// Writes of one change that read nothing another of them writes (an order's events, its timers,
/// the outbox), sent as one statement: each but the last as a data-modifying `WITH`, so a
/// dispatch or a new order makes one round trip for them instead of three or four. All of them
/// run on the statement's snapshot (none sees another's rows) and foreign keys are checked when
/// the statement ends. Counted with pg_stat_statements over `hotlinectl bench pipeline`.
///
/// Rows travel as `VALUES (…), (…)`, not arrays: PostgreSQL assumes 10 elements for an array in a
/// generic plan, and the combined statement then looked dearer generic than planned with its
/// values, so it was planned anew on about half the dispatches (2,600 of 4,872); with the rows
/// counted in the text the two plans cost the same and the generic one is kept.
struct CombinedWrites {
    private(set) var parts: [SQL] = []

    mutating func add(_ part: SQL?) {
        if let part { parts.append(part) }
    }

    mutating func add(_ more: [SQL]) {
        parts += more
    }

    func execute(on connection: PostgresConnection) throws {
        guard let last = parts.last else { return }
        var sql: SQL = ""
        for (index, part) in parts.dropLast().enumerated() {
            sql.append(SQL(unsafeSQL: index == 0 ? "WITH w0 AS (" : ", w\(index) AS ("))
            sql.append(part)
            sql.append(")\n")
        }
        sql.append(last)
        try connection.execute(sql)
    }
}

/// An event as stored: its type and its data as JSON.
struct EventRecord {
    var type: String
    var json: String

    init(type: String, data: [String: String]) {
        self.type = type
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        json = String(decoding: (try? encoder.encode(data)) ?? Data("{}".utf8), as: UTF8.self)
    }

    init(_ event: Event) {
        let type: String
        func instant(_ date: Date) -> String { ChinaTime.format(date) }
        var data: [String: String] = [:]
        switch event {
        case .accepted: type = "accepted"
        case .notAccepted(let reason): type = "notAccepted"; data["reason"] = reason.rawValue
        case .resolvedAtIntake: type = "resolvedAtIntake"
        case let .dispatched(lead, coUnits, replyBy):
            type = "dispatched"; data["lead"] = lead; data["coUnits"] = coUnits.joined(separator: ","); data["replyBy"] = instant(replyBy)
        case .signed(let unit): type = "signed"; data["unit"] = unit
        case .returnRequested(let unit): type = "returnRequested"; data["unit"] = unit
        case .returnApproved(let unit): type = "returnApproved"; data["unit"] = unit
        case .returnRejected(let unit): type = "returnRejected"; data["unit"] = unit
        case .extensionRequested(let limit): type = "extensionRequested"; data["amount"] = limit.description
        case .extensionApproved(let replyBy): type = "extensionApproved"; data["replyBy"] = instant(replyBy)
        case .extensionRejected: type = "extensionRejected"
        case let .replied(unit, late): type = "replied"; data["unit"] = unit; data["late"] = String(late)
        case let .fedBack(unit, satisfies): type = "fedBack"; data["unit"] = unit; data["satisfiesReplyLimit"] = String(satisfies)
        case .revisitStarted: type = "revisitStarted"
        case .rated(let rating): type = "rated"; data["rating"] = rating.rawValue
        case .redone(let replyBy): type = "redone"; data["replyBy"] = instant(replyBy)
        case .exempted(let reason): type = "exempted"; data["reason"] = reason.rawValue
        case .closed: type = "closed"
        case .supervised(let reason): type = "supervised"; data["reason"] = reason.rawValue
        case .overdue(let timer): type = "overdue"; data["timer"] = timer.name
        }
        self.init(type: type, data: data)
    }
}
