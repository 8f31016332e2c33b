import AMQPClient
import Foundation
import HotlineContracts
import HotlineDomain
import HotlineRouting
import HotlineRuntime
import HotlineStore
import Logging
import PostgresClient

/// The intake worker's handler: one submission in, one work order (or one stored, answered
/// rejection) out, inside the lane's batch transaction.
///
/// In order: read the contract (every problem at once); validate and normalise; the same
/// (channel, submission id) twice makes one order; then the scope rules — the agent's own
/// outcome (answered at intake, or not accepted with one of the nine reasons), a region outside
/// the gazetteer (outside jurisdiction), a caller over the profile's daily limit, a repeat of a
/// request closed under an exempt revisit rule (answered from that closing) — and otherwise an
/// accepted order with its dispatch-by timer. Repeats from the same phone are linked; the same
/// matter from many citizens in one place is a cluster, supervised at the profile's threshold.
public struct IntakeHandler: MessageHandler {
    public let profile: PolicyProfile
    /// The working-day calendar of the system of record, read again while the worker runs.
    public let calendars: CalendarSource
    public var calendar: WorkingCalendar { calendars.current }
    let reference: ReferenceCache

    /// How far back a repeat from the same citizen is looked for.
    public static let repeatWindow: TimeInterval = 30 * 86_400
    /// How far back the same matter from other citizens in the same place counts towards a cluster.
    public static let clusterWindow: TimeInterval = 72 * 3_600
    /// How far back a request closed under an exempt revisit rule answers a repeat.
    public static let exemptRepeatWindow: TimeInterval = 365 * 86_400

    public init(profile: PolicyProfile, calendars: CalendarSource, reference: ReferenceCache = ReferenceCache()) {
        self.profile = profile
        self.calendars = calendars
        self.reference = reference
    }

    /// With a fixed calendar (tests).
    public init(profile: PolicyProfile, calendar: WorkingCalendar, reference: ReferenceCache = ReferenceCache()) {
        self.init(profile: profile, calendars: CalendarSource(fixed: calendar), reference: reference)
    }

    public func handle(_ message: IncomingMessage, context: HandlerContext) throws {
        try calendars.refreshIfDue(on: context.connection)
        let routingChannel = message.delivery.routingKey.hasPrefix("submission.")
            ? String(message.delivery.routingKey.dropFirst("submission.".count)) : nil
        let envelope: Envelope<SubmissionV1>
        do {
            envelope = try Contracts.decode(SubmissionV1.self, from: message.body)
        } catch {
            try reject(messageId: message.messageId, submission: nil, routingChannel: routingChannel,
                       problems: [FieldProblem(field: "envelope", problem: error.description)], body: message.body, context: context)
            return
        }
        let request: IntakeRequest
        switch SubmissionValidation.validate(envelope.data, routingChannel: routingChannel, profile: profile, now: context.now) {
        case .failure(let failure):
            try reject(messageId: message.messageId, submission: envelope.data, routingChannel: routingChannel,
                       problems: failure.problems, body: message.body, context: context)
            return
        case .success(let valid):
            request = valid
        }
        try accept(request, context: context)
    }

    public func handleUnreadable(_ delivery: Delivery, messageId: String?, reason: String, context: HandlerContext) throws {
        let channel = delivery.routingKey.hasPrefix("submission.") ? String(delivery.routingKey.dropFirst("submission.".count)) : nil
        try reject(messageId: messageId, submission: nil, routingChannel: channel,
                   problems: [FieldProblem(field: "body", problem: reason)], body: delivery.body, context: context, park: false)
    }

    // MARK: - Rejection

    /// Stores the submission with its reasons, answers it with `submission.rejected`, and parks it.
    func reject(messageId: String?, submission: SubmissionV1?, routingChannel: String?, problems: [FieldProblem],
                body: [UInt8], context: HandlerContext, park: Bool = true) throws {
        let channel = submission?.channel ?? routingChannel
        let submissionId = submission?.submissionId
        let inserted = try context.connection.execute("""
            INSERT INTO rejected_submissions (channel, submission_id, message_id, reasons, payload_pii, received_at)
            VALUES (\(channel), \(submissionId), \(messageId), \(PostgresJSON(problems)), \(body), \(context.now))
            ON CONFLICT (message_id) WHERE message_id IS NOT NULL DO NOTHING
            """)
        if inserted == 1 {
            try context.emit(Contracts.envelope(
                SubmissionRejected(channel: channel, submissionId: submissionId, messageId: messageId ?? "", problems: problems),
                occurredAt: context.now))
        }
        context.logger.warning("submission rejected", metadata: [
            "hotline.problems": "\(problems.map(\.field).joined(separator: ","))", "hotline.channel": "\(channel ?? "-")"])
        if park { context.park(reason: "rejected submission: " + problems.map(\.description).joined(separator: "; ")) }
    }

    // MARK: - Accepting

    func accept(_ request: IntakeRequest, context: HandlerContext) throws {
        let tx = context.connection
        if let existing = try WorkOrders.find(channel: request.channel.rawValue, submissionId: request.submissionId, on: tx) {
            context.logger.info("duplicate submission: already work order \(existing.number)")
            return
        }
        let table = try reference.table(on: tx)
        let locality = table.locality(regionCode: request.regionCode, address: request.address)
        let place = locality.village ?? locality.township
        let text = request.title + " " + request.content
        let matter = Fingerprint.Matter(text)
        let topics = matter.topics.sorted()
        let id = UUID()
        let order = WorkOrder(id: id.uuidString, kind: request.kind, channel: request.channel,
                              confidential: request.confidential, receivedAt: request.receivedAt)
        var new = NewWorkOrder(
            id: id, profile: profile.id, order: order, submissionId: request.submissionId, title: request.title,
            contentPII: request.content, citizenNamePII: request.citizenName, citizenPhonePII: request.phone?.digits,
            addressPII: request.address, regionCode: request.regionCode, localityCode: place,
            agentId: request.agentId)
        new.topics = topics
        new.shingles = matter.shingles

        let decision = try scope(request, matter: matter, table: table, on: tx, now: context.now)
        var transition: Transition
        var messages: [(String) -> OutboxMessage] = []
        switch decision {
        case .notAccepted(let reason, let guidance, let decidedBy):
            transition = try rules(.refuse(reason), order, context.now)
            new.intakeAnswerPII = guidance
            messages.append { number in
                .event(Contracts.envelope(WorkOrderNotAccepted(number: number, channel: request.channel.rawValue, submissionId: request.submissionId, reason: reason.rawValue, guidance: guidance, decidedBy: decidedBy),
                                          occurredAt: context.now, workOrderId: id))
            }
        case .resolved(let basis, let kbEntryId, let answer, let answeredFrom):
            transition = try rules(.resolveAtIntake, order, context.now)
            new.kbEntryId = kbEntryId
            new.intakeAnswerPII = answer
            new.repeatOf = answeredFrom
            messages.append { number in
                .event(Contracts.envelope(WorkOrderResolvedAtIntake(number: number, channel: request.channel.rawValue, submissionId: request.submissionId, basis: basis, kbEntryId: kbEntryId, answeredFrom: answeredFrom),
                                          occurredAt: context.now, workOrderId: id))
            }
        case .accept:
            transition = try rules(.accept, order, context.now)
            new.repeatOf = try findRepeat(request, matter: matter, on: tx, now: context.now)
            let cluster = try joinCluster(request, matter: matter, orderId: id, place: place, topics: topics, on: tx, now: context.now)
            new.clusterKey = cluster?.key
            if let cluster, cluster.supervise {
                transition = transition.then(try rules(.supervise(.clusterOfCitizens), transition.order, context.now))
            }
            if let cluster, cluster.announce {
                messages.append { number in
                    .event(Contracts.envelope(WorkOrderSupervised(number: number, reason: SupervisionReason.clusterOfCitizens.rawValue,
                                                                  clusterKey: cluster.key, citizens: cluster.citizens),
                                              occurredAt: context.now, workOrderId: id))
                }
            }
            let dispatchBy = transition.starts(.dispatchBy)
            let repeatOf = new.repeatOf
            let clusterKey = new.clusterKey
            messages.insert({ number in
                .event(Contracts.envelope(
                    WorkOrderReceived(number: number, submissionId: request.submissionId, profile: profile.id, channel: request.channel.rawValue,
                                      category: request.kind.category.rawValue, urgency: request.kind.urgency?.rawValue,
                                      caseClass: request.kind.caseClass?.rawValue, regionCode: place ?? request.regionCode,
                                      repeatOf: repeatOf, clusterKey: clusterKey, dispatchBy: dispatchBy),
                    occurredAt: context.now, workOrderId: id))
            }, at: 0)
        }
        let number = try WorkOrders.create(new, transition: transition, actor: "intake", at: context.now,
                                           outbox: { number in messages.map { $0(number) } }, on: tx)
        if let number {
            context.logger.info("work order created", metadata: [
                "hotline.work_order.id": "\(id)", "hotline.work_order.number": "\(number)",
                "hotline.state": "\(transition.order.state.rawValue)"])
        } else {
            context.logger.info("duplicate submission (concurrent): one work order kept")
        }
    }

    func rules(_ command: Command, _ order: WorkOrder, _ now: Date) throws -> Transition {
        switch Lifecycle.apply(command, to: order, now: now, profile: profile, calendar: calendar) {
        case .success(let transition): return transition
        case .failure(let error): throw InvalidMessage(reason: "intake rules: \(error)")
        }
    }

    // MARK: - Scope

    enum ScopeDecision {
        case accept
        case notAccepted(NotAcceptedReason, guidance: String, decidedBy: String)
        case resolved(basis: String, kbEntryId: Int64?, answer: String?, answeredFrom: UUID?)
    }

    func scope(_ request: IntakeRequest, matter: Fingerprint.Matter, table: RoutingTable, on tx: PostgresConnection, now: Date) throws -> ScopeDecision {
        switch request.outcome {
        case .notAccepted(let reason, let guidance)?:
            return .notAccepted(reason, guidance: guidance, decidedBy: "agent")
        case .answered(let kbEntryId, let answer)?:
            return .resolved(basis: "agent", kbEntryId: kbEntryId, answer: answer, answeredFrom: nil)
        case nil:
            break
        }
        if let code = request.regionCode, table.hasGazetteer, !table.knows(regionCode: code) {
            return .notAccepted(.outsideJurisdiction, guidance: ScopeGuidance.text(for: .outsideJurisdiction), decidedBy: "jurisdiction")
        }
        if let limit = profile.intake.harassmentLimitPerPhonePerDay, let phone = request.phone?.digits {
            let dayStart = LocalDate(instant: request.receivedAt).startInstant
            let calls = try tx.query("""
                SELECT count(*)::int8 AS n FROM work_orders
                WHERE citizen_phone_pii = \(phone) AND received_at >= \(dayStart) AND received_at < \(dayStart.addingTimeInterval(86_400))
                """).first!.decode("n", as: Int64.self)
            if calls >= limit {
                return .notAccepted(.harassmentOrNoRequest, guidance: ScopeGuidance.text(for: .harassmentOrNoRequest), decidedBy: "harassmentLimit")
            }
        }
        if let exempt = try findExemptClosing(request, matter: matter, on: tx, now: now) {
            return .resolved(basis: "exemptRepeat", kbEntryId: nil, answer: exempt.answer, answeredFrom: exempt.id)
        }
        return .accept
    }

    /// A request from the same phone, about the same matter, closed under an exempt revisit rule
    /// for which the profile closes on proof (POLICIES.md §4): the repeat is answered from it. The
    /// phone narrows the candidates to a handful; the text decides (a citizen rephrases a repeat).
    func findExemptClosing(_ request: IntakeRequest, matter: Fingerprint.Matter, on tx: PostgresConnection, now: Date) throws -> (id: UUID, answer: String?)? {
        guard let phone = request.phone?.digits, let reasons = profile.revisit?.closeOnProofFor, !reasons.isEmpty else { return nil }
        let rows = try tx.query("""
            SELECT o.id, o.shingles, o.topics, \(Self.textWhenNotStored),
                   (SELECT a.reply_text_pii FROM assignments a WHERE a.work_order_id = o.id AND a.role = 'lead'
                    ORDER BY a.id DESC LIMIT 1) AS answer
            FROM work_orders o
            WHERE o.citizen_phone_pii = \(phone) AND o.state = 'closed' AND o.exempt_reason = ANY(\(reasons.map(\.rawValue)))
              AND o.received_at > \(now.addingTimeInterval(-Self.exemptRepeatWindow))
            ORDER BY o.received_at DESC LIMIT 20
            """)
        return try firstSameMatter(rows, matter).map { row in
            (try row.decode("id", as: UUID.self), try row.decode("answer", as: String?.self))
        }
    }

    /// The earliest open order from the same phone about the same matter.
    func findRepeat(_ request: IntakeRequest, matter: Fingerprint.Matter, on tx: PostgresConnection, now: Date) throws -> UUID? {
        guard let phone = request.phone?.digits else { return nil }
        let rows = try tx.query("""
            SELECT o.id, o.shingles, o.topics, \(Self.textWhenNotStored) FROM work_orders o
            WHERE citizen_phone_pii = \(phone) AND state NOT IN ('closed', 'notAccepted', 'resolvedAtIntake')
              AND received_at > \(now.addingTimeInterval(-Self.repeatWindow))
            ORDER BY received_at LIMIT 50
            """)
        return try firstSameMatter(rows, matter)?.decode("id", as: UUID.self)
    }

    /// The text of an order written before its matter was stored (`work_orders.shingles` NULL),
    /// as column `text`; NULL otherwise, so that the text is not read for nothing.
    static let textWhenNotStored: SQL = "CASE WHEN o.shingles IS NULL THEN o.title || ' ' || o.content_pii END AS text"

    /// Whether a stored order is about `matter`: from its stored bigram hashes and topics (no text
    /// work), or from its text for an order stored without them.
    func sameMatter(_ matter: Fingerprint.Matter, _ row: PostgresRow) throws -> Bool {
        let stored = if let shingles = try row.decode("shingles", as: [Int64]?.self) {
            Fingerprint.Matter(shingles: shingles, topics: try row.decode("topics", as: [String].self))
        } else {
            Fingerprint.Matter(try row.decode("text", as: String.self))
        }
        return matter.isSame(as: stored)
    }

    func firstSameMatter(_ rows: PostgresRows, _ matter: Fingerprint.Matter) throws -> PostgresRow? {
        for row in rows where try sameMatter(matter, row) { return row }
        return nil
    }

    struct ClusterMembership {
        var key: String
        var citizens: Int
        /// This order tips (or joins an already supervised) cluster.
        var supervise: Bool
        /// This order tipped it: it announces the cluster's supervision.
        var announce = false
    }

    /// The first key of the advisory locks taken when a cluster tips (the second is the hash of
    /// the cluster's key); an arbitrary constant of ours.
    static let tippingLockSpace: Int32 = 12_345_006

    /// How many recent orders of the same place and matter a new order is compared with.
    public static let clusterCandidates = 20
    /// How many of the newest orders of the place are looked at for those candidates.
    public static let placeWindow = 200

    /// The same matter from other citizens in the same place within the window makes a cluster
    /// (keyed by its earliest order); the order that brings it to the profile's threshold of
    /// citizens, and every later one, is supervised (`clusterOfCitizens`), and the cluster records
    /// when. Candidates are the most recent orders of the place that name the same lexicon matter
    /// (or, for a text naming none, that name none), confirmed one by one with
    /// `Fingerprint.isSameMatter`, newest first: the first that already belongs to a cluster
    /// decides. Membership lives in `cluster_members`, so earlier orders are never locked, and
    /// `clusters` has a row only once a cluster is supervised.
    func joinCluster(_ request: IntakeRequest, matter: Fingerprint.Matter, orderId: UUID, place: String?, topics: [String],
                     on tx: PostgresConnection, now: Date) throws -> ClusterMembership? {
        guard let place, let phone = request.phone?.digits else { return nil }
        let sameTopics: SQL = topics.isEmpty ? "o.topics = '{}'" : "o.topics && \(topics)"
        // The newest orders of the place first (a bounded index scan, whatever the place's volume),
        // then those of the same matter among them.
        let candidates = try tx.query("""
            SELECT o.id, o.shingles, o.topics, \(Self.textWhenNotStored), o.citizen_phone_pii,
                   (SELECT m.key FROM cluster_members m WHERE m.order_id = o.id LIMIT 1) AS cluster_key
            FROM (SELECT id, title, content_pii, shingles, citizen_phone_pii, topics, received_at FROM work_orders
                  WHERE locality_code = \(place) AND received_at > \(request.receivedAt.addingTimeInterval(-Self.clusterWindow))
                  ORDER BY received_at DESC LIMIT \(Self.placeWindow)) o
            WHERE o.citizen_phone_pii IS DISTINCT FROM \(phone)
            """ + " AND " + sameTopics + """
             ORDER BY o.received_at DESC LIMIT \(Self.clusterCandidates)
            """)
        var existing: String?
        var alone: [(id: String, phone: String?)] = []
        for row in candidates where try sameMatter(matter, row) {
            if let key = try row.decode("cluster_key", as: String?.self) {
                existing = key
                break
            }
            alone.append((try row.decode("id", as: UUID.self).uuidString, try row.decode("citizen_phone_pii", as: String?.self)))
        }
        guard existing != nil || !alone.isEmpty else { return nil }
        // Newest first: a new cluster is keyed by its earliest order.
        let key = existing ?? alone.last!.id
        // Plain inserts, no unique key: a lane never waits here for another lane's batch (0006).
        let members = alone + [(orderId.uuidString, phone)]
        try tx.execute("""
            INSERT INTO cluster_members (key, order_id, phone_pii)
            SELECT \(key), o::uuid, NULLIF(p, '') FROM unnest(\(members.map(\.id))::text[], \(members.map { $0.phone ?? "" })::text[]) AS t(o, p)
            """)
        // Read without a lock: a busy cluster must not serialise the lanes that join it.
        let supervisedAt = try tx.query("SELECT supervised_at FROM clusters WHERE key = \(key)").first?.decode("supervised_at", as: Date?.self)
        guard let threshold = profile.intake.clusterThreshold else { return ClusterMembership(key: key, citizens: 0, supervise: false) }
        if supervisedAt != nil { return ClusterMembership(key: key, citizens: threshold, supervise: true) }
        // Citizens = distinct phones of the members, counted up to the threshold (bounded work).
        let citizens = Int(try tx.query("""
            SELECT count(*)::int8 AS n FROM (SELECT DISTINCT phone_pii FROM cluster_members
                                             WHERE key = \(key) AND phone_pii IS NOT NULL LIMIT \(threshold)) p
            """).first!.decode("n", as: Int64.self))
        guard citizens >= threshold else { return ClusterMembership(key: key, citizens: citizens, supervise: false) }
        // The order that tips the cluster raises supervision on it, once: the cluster's row is
        // written now. Two lanes may tip the same cluster at once; the one that does not get the
        // (transaction-scoped) advisory lock leaves the writing to the other instead of waiting
        // for its batch to commit: its own order is supervised all the same.
        let free = try tx.query("SELECT pg_try_advisory_xact_lock(\(Self.tippingLockSpace), hashtext(\(key))) AS free")
            .first!.decode("free", as: Bool.self)
        guard free else { return ClusterMembership(key: key, citizens: citizens, supervise: true) }
        let tipped = try tx.query("""
            INSERT INTO clusters (key, locality_code, first_order, citizens, supervised_at, updated_at)
            VALUES (\(key), \(place), \(UUID(uuidString: key)!), \(citizens), \(now), \(now))
            ON CONFLICT (key) DO UPDATE SET supervised_at = EXCLUDED.supervised_at, citizens = EXCLUDED.citizens,
                                            updated_at = EXCLUDED.updated_at
            WHERE clusters.supervised_at IS NULL
            RETURNING key
            """).first != nil
        return ClusterMembership(key: key, citizens: citizens, supervise: true, announce: tipped)
    }
}
