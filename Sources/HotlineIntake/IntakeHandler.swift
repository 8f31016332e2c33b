import AMQPClient
import Foundation
import HotlineContracts
import HotlineDomain
import HotlineRuntime
import HotlineStore
import Logging

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
///
/// The handler decides; the store reads and writes (`WorkOrders`, `Citizens`, `Clusters`,
/// `RejectedSubmissions` in HotlineStore): there is no SQL here. The windows, scan limits and
/// cluster counting rule are the profile's (`profile.intake`).
public struct IntakeHandler: MessageHandler {
    public let profile: PolicyProfile
    /// The working-day calendar of the system of record, read again while the worker runs.
    public let calendars: CalendarSource
    public var calendar: WorkingCalendar { calendars.current }
    /// The only reference data intake uses.
    let gazetteer: ReferenceCache<Gazetteer>
    /// Order numbers, taken from the sequence a block at a time (shared by the lanes).
    let numbers = WorkOrders.NumberSupply()

    public init(profile: PolicyProfile, calendars: CalendarSource, gazetteer: ReferenceCache<Gazetteer> = .gazetteer()) {
        self.profile = profile
        self.calendars = calendars
        self.gazetteer = gazetteer
    }

    /// With a fixed calendar (tests).
    public init(profile: PolicyProfile, calendar: WorkingCalendar, gazetteer: ReferenceCache<Gazetteer> = .gazetteer()) {
        self.init(profile: profile, calendars: CalendarSource(fixed: calendar), gazetteer: gazetteer)
    }

    var windows: IntakeWindows { profile.intake.windows }
    var scan: IntakeScan { profile.intake.scan }

    /// A window of the profile as seconds (validation made every window natural hours).
    static func seconds(_ window: TimeLimit) -> TimeInterval { window.naturalSeconds ?? 0 }

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
        let stored = try RejectedSubmissions.store([RejectedSubmission(
            channel: channel, submissionId: submissionId, messageId: messageId, problems: problems, payloadPII: body,
            receivedAt: context.now)], on: context.connection)
        if stored.first == true {
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
        let now = context.now
        if let existing = try WorkOrders.find(channel: request.channel.rawValue, submissionId: request.submissionId, on: tx) {
            context.logger.info("duplicate submission: already work order \(existing.number)")
            return
        }
        let gazetteer = try self.gazetteer.value(on: tx)
        let locality = gazetteer.locality(regionCode: request.regionCode, address: request.address)
        let place = locality.village ?? locality.township
        let text = request.title + " " + request.content
        let matter = Fingerprint.Matter(text)
        let topics = matter.topics.sorted()
        let id = UUID()
        let order = WorkOrder(id: id.uuidString, kind: request.kind, channel: request.channel,
                              confidential: request.confidential, receivedAt: request.receivedAt)
        let decision = try scope(request, matter: matter, gazetteer: gazetteer, context: context)
        let number = try numbers.take(receivedAt: [request.receivedAt], on: tx)[0]
        var new = NewWorkOrder(
            id: id, number: number, profile: profile.id, order: order, submissionId: request.submissionId, title: request.title,
            contentPII: request.content, citizenNamePII: request.citizenName, citizenPhonePII: request.phone?.digits,
            addressPII: request.address, regionCode: request.regionCode, localityCode: place,
            agentId: request.agentId)
        new.topics = topics
        new.shingles = matter.shingles

        func envelope<Payload: MessageContract>(_ payload: Payload) -> OutboxMessage {
            .event(Contracts.envelope(payload, occurredAt: now, workOrderId: id))
        }
        var transition: Transition
        var messages: [OutboxMessage] = []
        switch decision {
        case .notAccepted(let reason, let guidance, let decidedBy):
            transition = try rules(.refuse(reason), order, now)
            new.intakeAnswerPII = guidance
            messages.append(envelope(WorkOrderNotAccepted(
                number: number, channel: request.channel.rawValue, submissionId: request.submissionId, reason: reason.rawValue,
                guidance: guidance, decidedBy: decidedBy)))
        case .resolved(let basis, let kbEntryId, let answer, let answeredFrom):
            transition = try rules(.resolveAtIntake, order, now)
            new.kbEntryId = kbEntryId
            new.intakeAnswerPII = answer
            new.repeatOf = answeredFrom
            messages.append(envelope(WorkOrderResolvedAtIntake(
                number: number, channel: request.channel.rawValue, submissionId: request.submissionId, basis: basis,
                kbEntryId: kbEntryId, answeredFrom: answeredFrom)))
        case .accept:
            transition = try rules(.accept, order, now)
            new.repeatOf = try findRepeat(request, matter: matter, context: context)
            let cluster = try joinCluster(request, matter: matter, orderId: id, place: place, topics: topics, context: context)
            new.clusterKey = cluster?.key
            if let cluster, cluster.supervise {
                transition = transition.then(try rules(.supervise(.clusterOfCitizens), transition.order, now))
            }
            messages.append(envelope(WorkOrderReceived(
                number: number, submissionId: request.submissionId, profile: profile.id, channel: request.channel.rawValue,
                category: request.kind.category.rawValue, urgency: request.kind.urgency?.rawValue,
                caseClass: request.kind.caseClass?.rawValue, regionCode: place ?? request.regionCode,
                repeatOf: new.repeatOf, clusterKey: new.clusterKey, dispatchBy: transition.starts(.dispatchBy))))
            if let cluster, cluster.announce {
                messages.append(envelope(WorkOrderSupervised(
                    number: number, reason: SupervisionReason.clusterOfCitizens.rawValue, clusterKey: cluster.key,
                    citizens: cluster.size)))
            }
        }
        let created = try WorkOrders.create([OrderCreation(order: new, transition: transition, outbox: messages)],
                                            actor: "intake", at: now, on: tx)
        if created.contains(id) {
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

    func scope(_ request: IntakeRequest, matter: Fingerprint.Matter, gazetteer: Gazetteer, context: HandlerContext) throws -> ScopeDecision {
        switch request.outcome {
        case .notAccepted(let reason, let guidance)?:
            return .notAccepted(reason, guidance: guidance, decidedBy: "agent")
        case .answered(let kbEntryId, let answer)?:
            return .resolved(basis: "agent", kbEntryId: kbEntryId, answer: answer, answeredFrom: nil)
        case nil:
            break
        }
        if let code = request.regionCode, !gazetteer.isEmpty, !gazetteer.isOurs(regionCode: code) {
            return .notAccepted(.outsideJurisdiction, guidance: ScopeGuidance.text(for: .outsideJurisdiction), decidedBy: "jurisdiction")
        }
        if let limit = profile.intake.harassmentLimitPerPhonePerDay, let phone = request.phone?.digits {
            let key = PhoneDay(phonePII: phone, day: LocalDate(instant: request.receivedAt))
            if try Citizens.dailyCalls([key], on: context.connection)[key, default: 0] >= limit {
                return .notAccepted(.harassmentOrNoRequest, guidance: ScopeGuidance.text(for: .harassmentOrNoRequest), decidedBy: "harassmentLimit")
            }
        }
        if let exempt = try findExemptClosing(request, matter: matter, context: context) {
            return .resolved(basis: "exemptRepeat", kbEntryId: nil, answer: exempt.answerPII, answeredFrom: exempt.matter.orderId)
        }
        return .accept
    }

    /// A request from the same phone, about the same matter, closed under an exempt revisit rule
    /// for which the profile closes on proof (POLICIES.md §4): the repeat is answered from it. The
    /// phone narrows the candidates to a handful; the text decides (a citizen rephrases a repeat).
    func findExemptClosing(_ request: IntakeRequest, matter: Fingerprint.Matter, context: HandlerContext) throws -> ExemptClosing? {
        guard let phone = request.phone?.digits, let reasons = profile.revisit?.closeOnProofFor, !reasons.isEmpty else { return nil }
        let closings = try WorkOrders.exemptClosings(
            ofPhones: [phone], reasons: reasons, receivedAfter: context.now.addingTimeInterval(-Self.seconds(windows.exemptRepeat)),
            limit: scan.exemptRepeatCandidates, on: context.connection)[phone] ?? []
        return closings.first { matter.isSame(as: Self.matter(of: $0.matter)) }
    }

    /// The earliest open order from the same phone about the same matter.
    func findRepeat(_ request: IntakeRequest, matter: Fingerprint.Matter, context: HandlerContext) throws -> UUID? {
        guard let phone = request.phone?.digits else { return nil }
        let open = try WorkOrders.openOrders(
            ofPhones: [phone], receivedAfter: context.now.addingTimeInterval(-Self.seconds(windows.repeatRequest)),
            limit: scan.repeatCandidates, on: context.connection)[phone] ?? []
        return open.first { matter.isSame(as: Self.matter(of: $0)) }?.orderId
    }

    /// A stored order's matter: from its stored bigram hashes and topics (no text work), or from
    /// its text for an order stored without them.
    static func matter(of stored: StoredMatter) -> Fingerprint.Matter {
        if let shingles = stored.shingles {
            Fingerprint.Matter(shingles: shingles, topics: stored.topics)
        } else {
            Fingerprint.Matter(stored.textPII ?? "")
        }
    }

    struct ClusterMembership {
        var key: String
        /// The cluster's size as the profile counts it (`clusterCounting`), up to the threshold.
        var size: Int
        /// This order tips (or joins an already supervised) cluster.
        var supervise: Bool
        /// This order tipped it: it announces the cluster's supervision.
        var announce = false
    }

    /// The same matter from other citizens in the same place within the profile's window makes a
    /// cluster (keyed by its earliest order); the order that brings it to the profile's threshold
    /// (counted in person-times or citizens, as the profile says), and every later one, is
    /// supervised (`clusterOfCitizens`), and the cluster records when. Candidates are the most
    /// recent orders of the place that name the same lexicon matter (or, for a text naming none,
    /// that name none), confirmed one by one with `Fingerprint.Matter.isSame`, newest first: the
    /// first that already belongs to a cluster decides.
    func joinCluster(_ request: IntakeRequest, matter: Fingerprint.Matter, orderId: UUID, place: String?, topics: [String],
                     context: HandlerContext) throws -> ClusterMembership? {
        guard let place, let phone = request.phone?.digits else { return nil }
        let tx = context.connection
        let probe = ClusterProbe(localityCode: place, phonePII: phone, topics: topics,
                                 receivedAfter: request.receivedAt.addingTimeInterval(-Self.seconds(windows.cluster)))
        let candidates = try Clusters.candidates([probe], placeOrders: scan.clusterPlaceOrders, limit: scan.clusterCandidates,
                                                 on: tx)[0]
        var existing: String?
        var alone: [StoredMatter] = []
        for candidate in candidates where matter.isSame(as: Self.matter(of: candidate.matter)) {
            if let key = candidate.clusterKey {
                existing = key
                break
            }
            alone.append(candidate.matter)
        }
        guard existing != nil || !alone.isEmpty else { return nil }
        // Newest first: a new cluster is keyed by its earliest order.
        let key = existing ?? alone.last!.orderId.uuidString
        try Clusters.addMembers(alone.map { ClusterMember(key: key, orderId: $0.orderId, phonePII: $0.phonePII) }
                                + [ClusterMember(key: key, orderId: orderId, phonePII: phone)], on: tx)
        guard let threshold = profile.intake.clusterThreshold else { return ClusterMembership(key: key, size: 0, supervise: false) }
        let size: Int
        switch try Clusters.standing(keys: [key], counting: profile.intake.clusterCounting.rule, upTo: threshold, on: tx)[key] {
        case .supervised?: return ClusterMembership(key: key, size: threshold, supervise: true)
        case .counted(let counted)?: size = counted
        case nil: size = 0
        }
        guard size >= threshold else { return ClusterMembership(key: key, size: size, supervise: false) }
        // The order that tips the cluster raises supervision on it, once; an order that tips it
        // at the same time in another lane is supervised all the same, without announcing.
        let tipped = try Clusters.tip([TippingCluster(key: key, localityCode: place, firstOrder: UUID(uuidString: key)!, size: size)],
                                      at: context.now, on: tx)
        return ClusterMembership(key: key, size: size, supervise: true, announce: tipped.contains(key))
    }
}
