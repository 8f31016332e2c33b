import Foundation
import HotlineDomain
import PostgresClient

/// Complete lifecycles for the demo county written straight into the system of record with
/// COPY (not message by message): dispatch, signing (some late), approved returns
/// and re-dispatch, extensions, replies (some late, some never: overdue), revisits with ratings and
/// the citizen's answers, redo, supervision, exclusions, clusters of one matter in one place; across
/// the working-day calendar of record (fewer orders on rest days). The same seed and arguments
/// write the same history. Every unit has a quality of its own (from the seed), so rankings differ.
public struct SimulatedHistory {
    public var profile: String
    public var months: Int
    /// The last month simulated; nothing happens after its end.
    public var until: ScoringPeriod
    public var ordersPerDay: Int
    public var seed: UInt64

    public init(profile: String, months: Int, until: ScoringPeriod, ordersPerDay: Int, seed: UInt64) {
        self.profile = profile
        self.months = months
        self.until = until
        self.ordersPerDay = ordersPerDay
        self.seed = seed
    }

    public struct Progress: Sendable {
        public var period: ScoringPeriod
        public var orders: Int
        public var totalOrders: Int
        public var monthsDone: Int
        public var months: Int
    }

    public struct Summary: Sendable, Equatable {
        public var orders = 0
        public var assignments = 0
        public var ratings = 0
        public var events = 0
        public var exclusions = 0
    }

    /// SplitMix64: small, fast, and the same sequence for the same seed on every machine.
    struct Random {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
        mutating func chance(_ p: Double) -> Bool { unit() < p }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
        mutating func uuid() -> UUID {
            let a = next(), b = next()
            var bytes = [UInt8](repeating: 0, count: 16)
            for i in 0..<8 { bytes[i] = UInt8((a >> (8 * i)) & 0xFF); bytes[8 + i] = UInt8((b >> (8 * i)) & 0xFF) }
            bytes[6] = (bytes[6] & 0x0F) | 0x40
            bytes[8] = (bytes[8] & 0x3F) | 0x80
            return UUID(uuid: (bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                               bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]))
        }
    }

    static let categories: [(String, Double)] = [("consult", 0.25), ("help", 0.40), ("suggestion", 0.08), ("criticism", 0.05),
                                                  ("complaint", 0.17), ("report", 0.05)]
    static let topics = ["waterOutage", "powerOutage", "gas", "heating", "noise", "unpaidWages", "streetLight", "refuse",
                         "cookingFumes", "drainage", "lift", "illegalBuilding", "propertyFees", "housingDelivery", "publicTransport"]
    static let titles = ["waterOutage": "小区停水", "powerOutage": "停电", "gas": "燃气", "heating": "暖气不热", "noise": "夜间噪音",
                         "unpaidWages": "拖欠工资", "streetLight": "路灯不亮", "refuse": "垃圾未清运", "cookingFumes": "油烟扰民",
                         "drainage": "下水道堵塞", "lift": "电梯故障", "illegalBuilding": "违章建筑", "propertyFees": "物业费纠纷",
                         "housingDelivery": "交房延期", "publicTransport": "公交线路"]

    /// Writes the history; `progress` is called after each day is written.
    @discardableResult
    public func write(on connection: PostgresConnection, progress: (Progress) -> Void = { _ in }) throws -> Summary {
        var calendar = try CalendarStore.read(on: connection)
        calendar.outsideLoadedYears = .weekdaysOnly
        let units = try connection.query("""
            SELECT id, code FROM units WHERE active AND kind <> 'office' AND level IN (2, 3) ORDER BY code
            """).map { (try $0.decode("id", as: Int64.self), try $0.decode("code", as: String.self)) }
        guard units.count >= 2 else { throw SimulationError.noUnits }
        if try connection.query("SELECT 1 FROM work_orders WHERE number LIKE 'SIM-%' LIMIT 1").first != nil {
            throw SimulationError.alreadySimulated
        }
        let places = try connection.query("SELECT code FROM regions WHERE level IN ('street', 'township', 'community', 'village') ORDER BY code")
            .map { try $0.decode("code", as: String.self) }
        var random = Random(state: seed)
        // Each unit's quality: the chance it does each step well (0.55 to 0.98).
        let quality = units.map { _ in 0.55 + 0.43 * random.unit() }
        var first = until
        for _ in 1..<max(months, 1) { first = first.previous }
        let cutoff = until.end
        var summary = Summary()
        var batch = Batch()
        var day = first.firstDay
        let lastDay = until.end.addingTimeInterval(-1)
        var expected = 0
        var probe = first.firstDay
        while probe.startInstant <= lastDay {
            expected += ((try? calendar.isWorkingDay(probe)) ?? !probe.isWeekend) ? ordersPerDay : max(1, ordersPerDay / 3)
            probe = probe.adding(days: 1)
        }
        var monthsDone = 0
        var sequence = 0
        while day.startInstant <= lastDay {
            let working = (try? calendar.isWorkingDay(day)) ?? !day.isWeekend
            let count = working ? ordersPerDay : max(1, ordersPerDay / 3)
            // A cluster now and then (one day in ten): 10 to 15 citizens of one place about one matter
            // on one day, beside the day's other orders (qidong supervises at 10 person-times).
            let clusterSize = random.chance(0.1) && !places.isEmpty ? 10 + random.below(6) : 0
            let clusterPlace = places.isEmpty ? nil : places[random.below(places.count)]
            let clusterTopic = Self.topics[random.below(Self.topics.count)]
            for index in 0..<(count + clusterSize) {
                sequence += 1
                let inCluster = index >= count
                let topic = inCluster ? clusterTopic : Self.topics[random.below(Self.topics.count)]
                let place = inCluster ? clusterPlace : places.isEmpty ? nil : places[random.below(places.count)]
                try order(number: sequence, day: day, topic: topic, place: place, clusterKey: inCluster ? "\(day)-\(place ?? "")-\(topic)" : nil,
                          units: units, quality: quality, calendar: calendar, cutoff: cutoff, random: &random, batch: &batch)
            }
            if batch.orders >= 500 { try batch.flush(on: connection, into: &summary) }
            let next = day.adding(days: 1)
            if next.month != day.month || next.startInstant > lastDay {
                try batch.flush(on: connection, into: &summary)
                monthsDone += 1
                progress(Progress(period: ScoringPeriod(containing: day.startInstant), orders: summary.orders, totalOrders: expected,
                                  monthsDone: monthsDone, months: months))
            }
            day = next
        }
        try batch.flush(on: connection, into: &summary)
        return summary
    }

    // swiftlint:disable:next function_parameter_count
    func order(number: Int, day: LocalDate, topic: String, place: String?, clusterKey: String?, units: [(Int64, String)],
               quality: [Double], calendar: WorkingCalendar, cutoff: Date, random: inout Random, batch: inout Batch) throws {
        let id = random.uuid()
        let received = day.startInstant.addingTimeInterval(Double(8 * 3600 + random.below(12 * 3600)))
        var pick = random.unit(), category = "help"
        for (name, share) in Self.categories { if pick < share { category = name; break }; pick -= share }
        let numberText = String(format: "SIM-%@-%07d", day.description.replacingOccurrences(of: "-", with: ""), number)
        var unitIndex = random.below(units.count)
        var dispatched = received.addingTimeInterval(Double(300 + random.below(3 * 3600)))
        var events: [(String, Date, Int64?)] = [("received", received, nil)]
        var returns = 0
        // An approved return (3%): the first unit hands it back, the office dispatches it to another.
        if random.chance(0.03) {
            let first = units[unitIndex].0
            let returnedAt = dispatched.addingTimeInterval(Double(3600 + random.below(20 * 3600)))
            guard returnedAt < cutoff else { return }
            batch.assignment(order: id, unit: first, state: "returnApproved", dispatched: dispatched, signBy: nil, signed: nil,
                             replyBy: try calendar.addWorkingDays(5, to: dispatched), replied: nil, extended: false, redo: 0,
                             returnRejected: false, active: false)
            events += [("dispatched", dispatched, first), ("returnApproved", returnedAt, first)]
            returns = 1
            unitIndex = (unitIndex + 1 + random.below(units.count - 1)) % units.count
            dispatched = returnedAt.addingTimeInterval(1800)
        }
        let (unit, q) = (units[unitIndex].0, quality[unitIndex])
        let signBy = try calendar.addWorkingHours(8, to: dispatched)
        let signedInTime = random.chance(q)
        let signed = signedInTime ? dispatched.addingTimeInterval(Double(300 + random.below(4 * 3600)))
                                  : signBy.addingTimeInterval(Double(600 + random.below(24 * 3600)))
        let returnRejected = random.chance(0.01)
        var replyBy = try calendar.addWorkingDays(category == "consult" ? 3 : 5, to: dispatched)
        let extended = random.chance(0.05)
        if extended { replyBy = try calendar.addWorkingDays(5, to: replyBy) }
        events += [("dispatched", dispatched, unit)]
        var replied: Date? = nil
        if !random.chance(0.02 + (1 - q) * 0.05) {  // a few are never replied: overdue
            let inTime = random.chance(q)
            let span = replyBy.timeIntervalSince(dispatched)
            replied = inTime ? dispatched.addingTimeInterval(span * (0.2 + 0.75 * random.unit()))
                             : replyBy.addingTimeInterval(Double(3600 + random.below(5 * 86_400)))
        }
        if let r = replied, r >= cutoff { replied = nil }
        let signedAt: Date? = signed < cutoff ? signed : nil
        if let s = signedAt { events.append(("signed", s, unit)) }
        if extended { events.append(("extensionApproved", signed.addingTimeInterval(86_400), unit)) }
        var state = "dispatched", rating: String? = nil, redo = 0, closedAt: Date? = nil
        var supervised = replied == nil && replyBy < cutoff && random.chance(0.5)
        if let r = replied {
            events.append(("replied", r, unit))
            state = "revisitPending"
            if random.chance(0.85) {
                let ratedAt = r.addingTimeInterval(Double(3600 + random.below(2 * 86_400)))
                if ratedAt < cutoff {
                    let roll = random.unit()
                    rating = roll < q * 0.85 ? "satisfied" : roll < q * 0.85 + 0.1 ? "basically_satisfied" : "dissatisfied"
                    let solved = rating == "satisfied" ? random.chance(0.95) : rating == "basically_satisfied" ? random.chance(0.6) : random.chance(0.1)
                    let contacted = random.chance(q)
                    batch.rating(order: id, rating: rating!, at: ratedAt, solved: solved, contacted: contacted)
                    events.append(("rated", ratedAt, unit))
                    if rating == "dissatisfied" && random.chance(0.5) {
                        redo = random.chance(0.3) ? 2 : 1
                        events.append(("redone", ratedAt.addingTimeInterval(600), unit))
                        if redo >= 2 { supervised = true }
                    }
                    state = "closed"
                    closedAt = ratedAt
                }
            }
        }
        if random.chance(0.01) { supervised = true }
        if supervised { events.append(("supervised", min(cutoff.addingTimeInterval(-1), replyBy.addingTimeInterval(60)), unit)) }
        if random.chance(0.01) {
            let approvedAt = dispatched.addingTimeInterval(3 * 86_400)
            if approvedAt < cutoff { batch.exclusion(order: id, at: approvedAt) }
        }
        batch.workOrder(id: id, number: numberText, profile: profile, state: state, category: category, title: Self.titles[topic] ?? topic,
                        received: received, lead: unit, returns: returns, supervised: supervised, redo: redo,
                        rating: rating.map { $0 == "basically_satisfied" ? "basicallySatisfied" : $0 }, closedAt: closedAt,
                        place: place, topics: [topic], clusterKey: clusterKey)
        batch.assignment(order: id, unit: unit, state: replied != nil ? "replied" : signedAt != nil ? "signed" : "dispatched",
                         dispatched: dispatched, signBy: signBy, signed: signedAt, replyBy: replyBy, replied: replied,
                         extended: extended, redo: redo, returnRejected: returnRejected, active: true)
        for (type, at, _) in events where at < cutoff { batch.event(order: id, type: type, at: at) }
    }

    /// Rows waiting to be written, in COPY's text format, one `COPY … FROM STDIN` per table.
    struct Batch {
        var orderRows = CopyRows()
        var assignmentRows = CopyRows()
        var ratingRows = CopyRows()
        var eventRows = CopyRows()
        var exclusionRows = CopyRows()
        var orders: Int { orderRows.count }

        mutating func workOrder(id: UUID, number: String, profile: String, state: String, category: String, title: String, received: Date,
                                lead: Int64, returns: Int, supervised: Bool, redo: Int, rating: String?, closedAt: Date?,
                                place: String?, topics: [String], clusterKey: String?) {
            orderRows.row([.uuid(id), .text(number), .text(profile), .text("phone"), .text(number), .text(state), .text(category),
                           .text(title), .text(title), .time(received), .int(Int(lead)), .int(returns), .bool(supervised),
                           supervised ? .text("overdue") : .null, .int(redo), rating.map { .text($0) } ?? .null,
                           closedAt.map { .time($0) } ?? .null, place.map { .text($0) } ?? .null, .textArray(topics),
                           clusterKey.map { .text($0) } ?? .null])
        }

        // swiftlint:disable:next function_parameter_count
        mutating func assignment(order: UUID, unit: Int64, state: String, dispatched: Date, signBy: Date?, signed: Date?, replyBy: Date,
                                 replied: Date?, extended: Bool, redo: Int, returnRejected: Bool, active: Bool) {
            assignmentRows.row([.uuid(order), .int(Int(unit)), .text("lead"), .text(state), .time(dispatched),
                                signBy.map { .time($0) } ?? .null, signed.map { .time($0) } ?? .null, .time(replyBy),
                                replied.map { .time($0) } ?? .null, .int(extended ? 1 : 0), .int(redo), .bool(returnRejected), .bool(active)])
        }

        mutating func rating(order: UUID, rating: String, at: Date, solved: Bool, contacted: Bool) {
            ratingRows.row([.uuid(order), .text(rating), .text("sms"), .time(at), .bool(solved), .bool(contacted)])
        }

        mutating func event(order: UUID, type: String, at: Date) {
            eventRows.row([.uuid(order), .text(type), .time(at), .text("simulate")])
        }

        mutating func exclusion(order: UUID, at: Date) {
            exclusionRows.row([.uuid(order), .time(at), .text("模拟：诉求人认可，审核通过"), .text("simulate")])
        }

        mutating func flush(on connection: PostgresConnection, into summary: inout Summary) throws {
            guard orderRows.count > 0 else { return }
            try connection.withTransaction { tx in
                try tx.copyIn("""
                    COPY work_orders (id, number, profile, channel, submission_id, state, category, title, content_pii, received_at,
                                      lead_unit_id, returns_count, supervised, supervision_reason, redo_count, rating, closed_at,
                                      region_code, topics, cluster_key) FROM STDIN
                    """, data: orderRows.bytes)
                try tx.copyIn("""
                    COPY assignments (work_order_id, unit_id, role, state, dispatched_at, sign_by, signed_at, reply_by, replied_at,
                                      extensions_count, redo_count, return_rejected, active) FROM STDIN
                    """, data: assignmentRows.bytes)
                if ratingRows.count > 0 {
                    try tx.copyIn("COPY ratings (work_order_id, rating, source, rated_at, problem_solved, contacted_in_time) FROM STDIN",
                                  data: ratingRows.bytes)
                }
                if eventRows.count > 0 {
                    try tx.copyIn("COPY events (work_order_id, type, occurred_at, actor) FROM STDIN", data: eventRows.bytes)
                }
                if exclusionRows.count > 0 {
                    try tx.copyIn("COPY order_exclusions (work_order_id, approved_at, basis, approved_by) FROM STDIN", data: exclusionRows.bytes)
                }
            }
            summary.orders += orderRows.count
            summary.assignments += assignmentRows.count
            summary.ratings += ratingRows.count
            summary.events += eventRows.count
            summary.exclusions += exclusionRows.count
            self = Batch()
        }
    }
}

/// Rows in PostgreSQL's COPY text format: fields separated by tabs, `\N` for NULL, backslash,
/// tab, newline and carriage return escaped; instants in UTC to the microsecond.
struct CopyRows {
    enum Field {
        case null
        case text(String)
        case int(Int)
        case bool(Bool)
        case uuid(UUID)
        case time(Date)
        case textArray([String])
    }

    private(set) var bytes: [UInt8] = []
    private(set) var count = 0

    mutating func row(_ fields: [Field]) {
        for (index, field) in fields.enumerated() {
            if index > 0 { bytes.append(0x09) }
            switch field {
            case .null: bytes += [0x5C, 0x4E]
            case .text(let value): escaped(value)
            case .int(let value): bytes += Array(String(value).utf8)
            case .bool(let value): bytes.append(value ? 0x74 : 0x66)
            case .uuid(let value): bytes += Array(value.uuidString.utf8)
            case .time(let value): bytes += Array(Self.utc(value).utf8)
            case .textArray(let values):
                // An array literal, each element quoted ("…" with \ and " escaped), then escaped for COPY.
                escaped("{" + values.map { "\"" + $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" }
                    .joined(separator: ",") + "}")
            }
        }
        bytes.append(0x0A)
        count += 1
    }

    private mutating func escaped(_ text: String) {
        for byte in text.utf8 {
            switch byte {
            case 0x5C: bytes += [0x5C, 0x5C]
            case 0x09: bytes += [0x5C, 0x74]
            case 0x0A: bytes += [0x5C, 0x6E]
            case 0x0D: bytes += [0x5C, 0x72]
            default: bytes.append(byte)
            }
        }
    }

    /// `2026-11-02 02:00:00.123456+00`.
    static func utc(_ date: Date) -> String {
        var micros = Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
        var days = micros / 86_400_000_000
        micros -= days * 86_400_000_000
        if micros < 0 { micros += 86_400_000_000; days -= 1 }
        let seconds = micros / 1_000_000, fraction = micros % 1_000_000
        func pad(_ n: Int64, _ width: Int) -> String { let s = String(n); return String(repeating: "0", count: max(0, width - s.count)) + s }
        return "\(LocalDate(daysSinceEpoch: Int(days))) \(pad(seconds / 3600, 2)):\(pad(seconds / 60 % 60, 2)):\(pad(seconds % 60, 2)).\(pad(fraction, 6))+00"
    }
}

public enum SimulationError: Error, Equatable, CustomStringConvertible {
    case noUnits
    case alreadySimulated

    public var description: String {
        switch self {
        case .alreadySimulated: "this database already holds a simulated history (orders SIM-…): simulate into a fresh one"
        case .noUnits: "no units to simulate: run `hotlinectl seed demo` first"
        }
    }
}
