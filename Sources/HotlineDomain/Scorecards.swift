import Foundation

/// An assessment period: a calendar month in China time (UTC+8), written `2026-11`.
public struct ScoringPeriod: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let year: Int
    public let month: Int

    public init?(year: Int, month: Int) {
        guard (2000...2999).contains(year), (1...12).contains(month) else { return nil }
        self.year = year
        self.month = month
    }

    /// `2026-11`.
    public init?(_ text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 4, parts[1].count == 2,
              let year = Int(parts[0]), let month = Int(parts[1]) else { return nil }
        self.init(year: year, month: month)
    }

    /// The month containing `instant` in China time.
    public init(containing instant: Date) {
        let day = LocalDate(instant: instant)
        self.year = day.year
        self.month = day.month
    }

    public var description: String { String(format: "%04d-%02d", year, month) }
    public var firstDay: LocalDate { LocalDate(year: year, month: month, day: 1)! }
    /// 00:00 China time on the first day.
    public var start: Date { firstDay.startInstant }
    /// 00:00 China time on the first day of the next month.
    public var end: Date { next.start }
    public var next: ScoringPeriod { month == 12 ? ScoringPeriod(year: year + 1, month: 1)! : ScoringPeriod(year: year, month: month + 1)! }
    public var previous: ScoringPeriod { month == 1 ? ScoringPeriod(year: year - 1, month: 12)! : ScoringPeriod(year: year, month: month - 1)! }

    public static func < (a: ScoringPeriod, b: ScoringPeriod) -> Bool { (a.year, a.month) < (b.year, b.month) }
}

/// One figure of a unit's score: what was counted (numerator ÷ denominator), the points it gave,
/// and the rule it comes from (the document's words, or "ours" where the documents are silent).
public struct ScoreFigure: Hashable, Sendable, Codable {
    public var name: String
    public var numerator: Int?
    public var denominator: Int?
    /// numerator ÷ denominator, to four decimals; nil when nothing was counted.
    public var rate: Double?
    public var points: Double?
    public var maxPoints: Double?
    public var rule: String

    public init(name: String, numerator: Int? = nil, denominator: Int? = nil, points: Double? = nil, maxPoints: Double? = nil, rule: String) {
        self.name = name
        self.numerator = numerator
        self.denominator = denominator
        if let numerator, let denominator, denominator > 0 {
            rate = (Double(numerator) / Double(denominator) * 10_000).rounded() / 10_000
        }
        self.points = points
        self.maxPoints = maxPoints
        self.rule = rule
    }
}

/// A unit's counts for a period as the store aggregates them: the orders assessed, and (baotou)
/// the extended orders assessed separately.
public struct UnitPeriodFigures: Hashable, Sendable {
    public var unit: String
    public var unitName: String
    /// Every order assessed, extended ones included.
    public var all: UnitPeriodCounts
    /// Orders with an approved extension (延时挂账), also counted in `all`.
    public var extended: UnitPeriodCounts
    /// Orders approved for exclusion (剔除): not in `all`, only shown.
    public var excluded: Int
    /// Orders redone twice or more (qidong 四 1: 导致工单发回重办2次(含2次)以上).
    public var redoneTwice: Int
    /// Returns the office rejected (qidong 四 4: 随意退件 — a rejected return is our reading).
    public var returnsRejected: Int
    /// Supervised orders (督办).
    public var supervised: Int
    /// Orders whose reply limit passed with the profile's count of reminders unanswered (qidong 四 1
    /// 两次催办仍不回复), as the deadline watch recorded them (event `offenceRecorded`; read for qidong's ranking only).
    public var remindersIgnored = 0
    /// baotou's month-end zero clearing (每月清零): orders whose reply-by falls in the period, and
    /// of them those replied or excluded by the period's end.
    public var dueInPeriod = 0
    public var clearedByPeriodEnd = 0
    /// henan (read only for `serviceQuality`): lead assignments dispatched to the unit in the
    /// period, returned ones included, and of them those the office approved a return of.
    public var leadAssignments = 0
    public var returnsApproved = 0
    /// Assessed orders that came to the unit after another unit's approved return (re-dispatched).
    public var redispatchedIn = 0
    /// Assessed orders first dispatched to this unit, and of them those dispatched by the order's
    /// dispatch-by (henan: 24 hours, 2 for major outages).
    public var firstDispatches = 0
    public var dispatchedInTime = 0
    /// Medians in minutes: receipt to first dispatch, dispatch to sign (nil when none).
    public var medianDispatchMinutes: Int?
    public var medianSignMinutes: Int?

    public init(unit: String, unitName: String) {
        self.unit = unit
        self.unitName = unitName
        all = UnitPeriodCounts(unit: unit)
        extended = UnitPeriodCounts(unit: unit)
        excluded = 0
        redoneTwice = 0
        returnsRejected = 0
        supervised = 0
    }

    /// `all` without the extended orders (baotou assesses those separately).
    public var notExtended: UnitPeriodCounts {
        var c = all
        c.dispatched -= extended.dispatched
        c.receivedInTime -= extended.receivedInTime
        c.complaintOrders -= extended.complaintOrders
        c.closedOnTime -= extended.closedOnTime
        c.closedLate -= extended.closedLate
        c.openOverdue -= extended.openOverdue
        c.revisited -= extended.revisited
        c.satisfied -= extended.satisfied
        c.basicallySatisfied -= extended.basicallySatisfied
        c.dissatisfied -= extended.dissatisfied
        c.acceptedInTime -= extended.acceptedInTime
        c.contactedInTime -= extended.contactedInTime
        c.solved -= extended.solved
        return c
    }
}

/// A unit's result for a period under one profile, with every figure behind it.
public struct Scorecard: Hashable, Sendable, Codable {
    public var unit: String
    public var unitName: String
    /// The score (zezhou: points, base + bonus; baotou: the three rates' points; qidong: the
    /// satisfaction rate in per cent). Nil when the unit cannot be scored (nothing rated).
    public var score: Double?
    public var rank: Int?
    public var flagged: Bool
    /// Why it is flagged, in words (vetoed, bottom three, below 80%).
    public var flags: [String]
    public var figures: [ScoreFigure]
    /// baotou: the extended orders' figures, assessed separately.
    public var extendedFigures: [ScoreFigure]
    public var notes: [String]
}

public enum Scorecards {
    /// Scores every unit by the profile's scheme and ranks them (best first; a vetoed unit last).
    public static func score(_ units: [UnitPeriodFigures], scheme: ScoringScheme) -> [Scorecard] {
        var cards: [Scorecard]
        switch scheme {
        case let .points100(s): cards = units.map { points100($0, s) }
        case let .threeRates(s): cards = units.map { threeRates($0, s) }
        case let .satisfactionRanking(s): cards = ranking(units, s)
        case let .bulletin(s): cards = units.map { bulletin($0, s) }
        case let .serviceQuality(s): cards = units.map { serviceQuality($0, s) }
        case .none: cards = units.map { plain($0) }
        }
        if case .satisfactionRanking = scheme { return cards }
        let vetoed = { (c: Scorecard) in c.flags.contains { $0.hasPrefix("vetoed") } }
        let order = cards.indices.filter { cards[$0].score != nil }.sorted { a, b in
            let x = cards[a], y = cards[b]
            if vetoed(x) != vetoed(y) { return !vetoed(x) }
            if x.score! != y.score! { return x.score! > y.score! }
            return x.unit < y.unit
        }
        for (rank, index) in order.enumerated() { cards[index].rank = rank + 1 }
        return cards.sorted { ($0.rank ?? Int.max, $0.unit) < ($1.rank ?? Int.max, $1.unit) }
    }

    // MARK: zezhou

    static let zezhouRateRules: [RateName: String] = [
        .timelyReceipt: "zezhou 三(二)7 「及时接收率，满分 10 分。计算公式：规定时间内接收工单数 ÷ 转办总件数 × 10」; received in time = signed by the sign-by of the profile's sign limit (the limit is ours: the document sets no time)",
        .complaintRate: "zezhou 三(二)8 「投诉举报率，满分 15 分。计算公式：转办投诉工单数 ÷ 转办总件数 × 15」; complaint orders = category complaint or report; scored (1 − rate) × 15, ours: the formula would reward complaints",
        .onTimeCompletion: "zezhou 三(二)9 「按时办结率，满分 20 分。计算公式：按时办结事项件数 ÷ 转办总件数 × 10」; weight 20, the stated maximum (ours); on time = replied by the reply-by, approved extensions included",
        .overdueRate: "zezhou 三(二)10 「工单逾期率，满分 10 分。计算公式：逾期工单数 ÷ 转办总件数 × 15」; weight 10, the stated maximum, scored (1 − rate) × 10 (ours); overdue = replied after the reply-by, or still open past it",
        .satisfaction: "zezhou 三(二)11 「回访满意率，满分 15 分。计算公式：回访满意工单数 ÷ 转办总件数 × 15」; satisfied = rated 满意 (基本满意 not counted: ours, the document names only 满意)",
    ]

    static let zezhouRecordRules: [String: String] = [
        "handlingBody": "zezhou 三(二)1 「未明确热线工作办理机构的扣 2 分」 (office's record)",
        "responsibleLeaderAndStaff": "zezhou 三(二)2 「未明确热线工作分管领导和具体承办人员的扣 2 分」 (office's record)",
        "network": "zezhou 三(二)3 「未建立责任分工明确的办理工作网络的扣 2 分」 (office's record)",
        "equipment": "zezhou 三(二)4 「未配备开展热线工作所需设施设备和接入网络的扣 2 分」 (office's record)",
        "staffChangesReported": "zezhou 三(二)5 「办理机构或相关人员变动后未在 3 个工作日内上报变动情况的扣 2 分」 (office's record)",
        "timeLimitRule": "zezhou 三(二)6 「未制定限时办结制的扣 2 分」 (office's record)",
        "replyNotToStandard": "zezhou 三(二)12 「未按工单规范要求回复工单的，每发现一次扣 0.1 分，满分 3 分扣完为止」 (office's record)",
        "citizenNotContacted": "zezhou 三(二)13 「未按要求联系当事人并及时将处理结果回复当事人的，每发现一次扣 0.1 分，满分 3 分扣完为止」 (office's record)",
        "missedMeeting": "zezhou 三(二)14 「未按照要求参加 12345 热线市、县相关工作会议的，以签到表为准，每次扣 0.5 分，满分 2 分扣完为止」 (office's record)",
        "provincialEscalation": "zezhou 三(二)15 「因办理不满意导致群众向省级 12345 热线投诉的，每发现一起扣 1 分，满分 5 分」 (office's record)",
        "specialSupervision": "zezhou 三(二)16 「省级和市级 12345 热线进行专项督办的，每一起扣 1 分，满分 5 分」 (office's record)",
    ]

    static func points100(_ figures: UnitPeriodFigures, _ scheme: Points100Scheme) -> Scorecard {
        let counts = figures.all
        let result = Scoring.points100(counts, scheme: scheme)
        var out: [ScoreFigure] = []
        for line in result.lines {
            if scheme.organisationItems.contains(line.item) {
                out.append(ScoreFigure(name: line.item, points: line.points, maxPoints: scheme.organisationItemPoints,
                                       rule: zezhouRecordRules[line.item] ?? "zezhou 三(二) organisation item (office's record)"))
            } else if let rate = RateName(rawValue: line.item), let weight = scheme.rates.first(where: { $0.name == rate })?.weight {
                let numerator: Int
                switch rate {
                case .timelyReceipt: numerator = counts.receivedInTime
                case .complaintRate: numerator = counts.complaintOrders
                case .onTimeCompletion: numerator = counts.closedOnTime
                case .overdueRate: numerator = counts.overdue
                case .satisfaction: numerator = counts.satisfied
                }
                out.append(ScoreFigure(name: rate.rawValue, numerator: numerator, denominator: counts.dispatched,
                                       points: line.points, maxPoints: weight, rule: zezhouRateRules[rate] ?? rate.rawValue))
            } else if let deduction = scheme.deductions.first(where: { $0.name == line.item }) {
                out.append(ScoreFigure(name: line.item, numerator: counts.incidents[line.item] ?? 0, points: line.points,
                                       maxPoints: deduction.cap, rule: zezhouRecordRules[line.item] ?? "zezhou 三(二) deduction (office's record)"))
            }
        }
        for bonus in scheme.bonuses where (counts.bonusEvents[bonus.name] ?? 0) > 0 {
            out.append(ScoreFigure(name: "bonus." + bonus.name, numerator: counts.bonusEvents[bonus.name],
                                   points: Double(counts.bonusEvents[bonus.name]!) * bonus.each,
                                   rule: "zezhou 奖励加分项（10 分）: +\(bonus.each) each, the bonus capped at \(scheme.bonusCap) (office's record)"))
        }
        out.append(ScoreFigure(name: "bonus", points: result.bonus, maxPoints: scheme.bonusCap,
                               rule: "zezhou 奖励加分项（10 分）: every bonus together, at most \(scheme.bonusCap)"))
        var flags: [String] = []
        for veto in result.vetoes {
            flags.append("vetoed: \(veto)")
            out.append(ScoreFigure(name: "veto." + veto, numerator: 1,
                                   rule: "zezhou 否决项 (office's record); a vetoed unit ranks last (ours: the document does not say how a veto counts)"))
        }
        return Scorecard(unit: figures.unit, unitName: figures.unitName, score: result.total, rank: nil, flagged: result.vetoed,
                         flags: flags, figures: out, extendedFigures: [], notes: result.notes)
    }

    // MARK: baotou

    static func threeRatesFigures(_ counts: UnitPeriodCounts, _ scheme: ThreeRatesScheme) -> (Scoring.ThreeRatesResult, [ScoreFigure]) {
        let result = Scoring.threeRates(counts, scheme: scheme)
        let office = (counts.dispatched == 0 ? 1 : Double(counts.acceptedInTime) / Double(counts.dispatched)) * scheme.responseOffice
        let citizen = (counts.dispatched == 0 ? 1 : Double(counts.contactedInTime) / Double(counts.dispatched)) * scheme.responseCitizen
        let satisfied = counts.satisfied + (scheme.basicallySatisfiedCounts ? counts.basicallySatisfied : 0)
        let figures = [
            ScoreFigure(name: "responseOffice", numerator: counts.acceptedInTime, denominator: counts.dispatched,
                        points: roundTo2(office), maxPoints: scheme.responseOffice,
                        rule: "baotou 四(二)3 「及时响应率30分，用于评价承办单位是否及时接单的20分由市领导小组办公室打分」; 及时接单 = signed by the sign-by (the limit is ours)"),
            ScoreFigure(name: "responseCitizen", numerator: counts.contactedInTime, denominator: counts.dispatched,
                        points: roundTo2(citizen), maxPoints: scheme.responseCitizen,
                        rule: "baotou 四(二)3 「评价承办单位是否及时联系诉求人的10分由诉求人打分」; the citizen's answer at the revisit"),
            ScoreFigure(name: "satisfaction", numerator: satisfied, denominator: counts.revisited,
                        points: result.satisfaction, maxPoints: scheme.satisfaction,
                        rule: "baotou 四(二)3 「办结满意率35分，全部用于评价电话回访诉求人是否满意」; over the orders rated at the revisit; 基本满意 counts as satisfied: \(scheme.basicallySatisfiedCounts ? "yes" : "no"), ours (the document is silent)"),
            ScoreFigure(name: "resolution", numerator: counts.solved, denominator: counts.revisited,
                        points: result.resolution, maxPoints: scheme.resolution,
                        rule: "baotou 四(二)3 「诉求解决35分，全部用于评价电话回访诉求人问题是否解决」; the citizen's answer at the revisit"),
        ]
        return (result, figures)
    }

    static func threeRates(_ figures: UnitPeriodFigures, _ scheme: ThreeRatesScheme) -> Scorecard {
        let (result, main) = threeRatesFigures(figures.notExtended, scheme)
        var out = main
        out.append(ScoreFigure(name: "monthEndCleared", numerator: figures.clearedByPeriodEnd, denominator: figures.dueInPeriod,
                               rule: "baotou 四(二)2 「坚持每月清零。一般工单限时办结清零」: orders due in the month replied or excluded by its end (extended ones count when their extended limit falls in the month)"))
        out.append(ScoreFigure(name: "excluded", numerator: figures.excluded,
                               rule: "baotou 四(二)2 「剔除类工单申请剔除清零(…市领导小组办公室审核通过不计入考核)」: not assessed"))
        var extended: [ScoreFigure] = []
        if figures.extended.dispatched > 0 {
            let (ext, extFigures) = threeRatesFigures(figures.extended, scheme)
            extended = extFigures + [ScoreFigure(name: "total", points: ext.total, maxPoints: 100,
                                                 rule: "baotou 四(二)2 「延时挂账工单到期办结清零(…列入延期考核)」: extended orders assessed separately")]
        }
        var flags: [String] = []
        if result.supervisedAtMeeting {
            flags.append("below \(Int(scheme.supervisionBelowRate * 100))%: supervised at the meeting of the 20th")
        }
        return Scorecard(unit: figures.unit, unitName: figures.unitName, score: result.total, rank: nil, flagged: result.supervisedAtMeeting,
                         flags: flags, figures: out, extendedFigures: extended,
                         notes: ["baotou 四(二)3 「每月20日，定期会议督办解决率和满意率低于80%的承办单位」: a unit is listed when either rate is below (our reading of 和)"])
    }

    // MARK: qidong

    static func ranking(_ units: [UnitPeriodFigures], _ scheme: RankingScheme) -> [Scorecard] {
        let ranked = Dictionary(uniqueKeysWithValues: Scoring.satisfactionRanking(units.map(\.all), scheme: scheme).map { ($0.unit, $0) })
        let cards = units.map { figures -> Scorecard in
            let counts = figures.all
            let good = counts.satisfied + (scheme.basicallySatisfiedCounts ? counts.basicallySatisfied : 0)
            let entry = ranked[figures.unit]
            let score = entry.map { roundTo2($0.satisfactionRate * 100) }
            var out = [ScoreFigure(name: "satisfaction", numerator: good, denominator: counts.revisited, points: score, maxPoints: 100,
                                   rule: "qidong 四 「每月对综合满意度排名后3位的单位提请县纪委监委进行约谈」; 综合满意度 = (满意 + 基本满意) ÷ orders rated, in per cent (ours: the document does not define it)")]
            out.append(ScoreFigure(name: "offence.overdue", numerator: counts.overdue, denominator: counts.dispatched,
                                   rule: "qidong 四 1 「未在规定时间内回复导致超期的」 (recorded for the year-end ledger)"))
            out.append(ScoreFigure(name: "offence.redoneTwice", numerator: figures.redoneTwice, denominator: counts.dispatched,
                                   rule: "qidong 四 1 「导致工单发回重办2次(含2次)以上的」 (recorded for the year-end ledger)"))
            out.append(ScoreFigure(name: "offence.remindersIgnored", numerator: figures.remindersIgnored, denominator: counts.dispatched,
                                   rule: "qidong 四 1 「两次催办仍不回复和说明理由的」: the reply limit passed after two reminders with no reply, feedback, extension or return request (recorded by the deadline watch for the year-end ledger)"))
            out.append(ScoreFigure(name: "offence.returnRejected", numerator: figures.returnsRejected, denominator: counts.dispatched,
                                   rule: "qidong 四 4 「以办理情况作为退件理由随意退件的」; a return the office rejected (our reading)"))
            var flags: [String] = []
            if entry?.flagged == true { flags.append("bottom \(scheme.flagBottom): referred to the discipline commission for an interview") }
            return Scorecard(unit: figures.unit, unitName: figures.unitName, score: score, rank: entry?.rank, flagged: entry?.flagged ?? false,
                             flags: flags, figures: out, extendedFigures: [],
                             notes: entry == nil ? ["no order rated in the period: not ranked"] : [])
        }
        return cards.sorted { ($0.rank ?? Int.max, $0.unit) < ($1.rank ?? Int.max, $1.unit) }
    }

    // MARK: no scheme (pingdingshan, henan): the bulletin's figures, unranked

    static func plain(_ figures: UnitPeriodFigures) -> Scorecard {
        let c = figures.all
        let out = [
            ScoreFigure(name: "onTimeCompletion", numerator: c.closedOnTime, denominator: c.dispatched, rule: "on-time rate for the bulletin (the document gives no formula)"),
            ScoreFigure(name: "satisfaction", numerator: c.satisfied + c.basicallySatisfied, denominator: c.revisited, rule: "satisfaction for the bulletin (ours: 满意 + 基本满意 over rated)"),
            ScoreFigure(name: "overdue", numerator: c.overdue, denominator: c.dispatched, rule: "overdue orders for the bulletin"),
            ScoreFigure(name: "supervised", numerator: figures.supervised, denominator: c.dispatched, rule: "supervision count for the bulletin"),
        ]
        return Scorecard(unit: figures.unit, unitName: figures.unitName, score: nil, rank: nil, flagged: false, flags: [],
                         figures: out, extendedFigures: [], notes: ["the profile's document states no scoring scheme: figures only, no score"])
    }

    // MARK: pingdingshan

    /// Orders whose outcome is known at the run's instant: replied (on time or late) or open past
    /// the reply-by. An order not yet due is neither on time nor late.
    static func due(_ c: UnitPeriodCounts) -> Int { c.closedOnTime + c.closedLate + c.openOverdue }

    static func bulletin(_ figures: UnitPeriodFigures, _ scheme: BulletinScheme) -> Scorecard {
        let c = figures.all
        let satisfied = c.satisfied + (scheme.basicallySatisfiedCounts ? c.basicallySatisfied : 0)
        let out = [
            ScoreFigure(name: "dispatched", numerator: c.dispatched,
                        rule: "pingdingshan 七(四) 「月通报，即每月编发《市长热线通报》，对当月市长热线电话受理、交办落实情况进行通报」: orders dispatched to the unit as lead in the period"),
            ScoreFigure(name: "onTime", numerator: c.closedOnTime, denominator: due(c),
                        rule: "pingdingshan 四 (办理时限) and 六(一) 「未按时限办结」: replied by the reply-by ÷ orders due by the run (replied, or open past the reply-by); ours: the document gives no formula, and an order not yet due is neither on time nor late"),
            ScoreFigure(name: "satisfaction", numerator: satisfied, denominator: c.revisited,
                        rule: "pingdingshan 五(五) 回访 「服务过程满意度，办理结果满意度」: satisfied ÷ rated at the revisit; 基本满意 counts: \(scheme.basicallySatisfiedCounts ? "yes" : "no") (ours)"),
            ScoreFigure(name: "overdue", numerator: c.overdue, denominator: c.dispatched,
                        rule: "pingdingshan 六(一) 「对未按时限办结…的工作单，由市长热线办公室编制《市长热线督办通知》」: replied after the reply-by, or open past it"),
            ScoreFigure(name: "supervised", numerator: figures.supervised, denominator: c.dispatched,
                        rule: "pingdingshan 六 「督办结果纳入市长热线工作年度考核」: orders under supervision (督办)"),
        ]
        let onTime = due(c) == 0 ? nil : Double(c.closedOnTime) / Double(due(c))
        let satisfaction = c.revisited == 0 ? nil : Double(satisfied) / Double(c.revisited)
        func percent(_ v: Double) -> String { String(format: "%.2f%%", v * 100) }
        var reasons: [String] = []
        if let onTime, onTime < scheme.criticism.belowOnTimeRate {
            reasons.append("on-time rate \(percent(onTime)) below \(percent(scheme.criticism.belowOnTimeRate))")
        }
        if let satisfaction, satisfaction < scheme.criticism.belowSatisfactionRate {
            reasons.append("satisfaction \(percent(satisfaction)) below \(percent(scheme.criticism.belowSatisfactionRate))")
        }
        if c.overdue >= scheme.criticism.overdueAtLeast {
            reasons.append("\(c.overdue) overdue (criticised from \(scheme.criticism.overdueAtLeast))")
        }
        var flags: [String] = []
        if !reasons.isEmpty {
            flags.append("criticised: " + reasons.joined(separator: "; "))
        } else if c.dispatched >= scheme.praise.minOrders, let onTime, let satisfaction,
                  onTime >= scheme.praise.minOnTimeRate, satisfaction >= scheme.praise.minSatisfactionRate,
                  c.overdue <= scheme.praise.maxOverdue {
            flags.append("praised: on time \(percent(onTime)), satisfaction \(percent(satisfaction)), \(c.overdue) overdue")
        }
        return Scorecard(unit: figures.unit, unitName: figures.unitName, score: nil, rank: nil, flagged: !reasons.isEmpty,
                         flags: flags, figures: out, extendedFigures: [],
                         notes: ["pingdingshan 七(四) 「对办理好的单位进行表扬，对办理差的单位提出批评」: " + scheme.basis])
    }

    // MARK: henan

    static func serviceQuality(_ figures: UnitPeriodFigures, _ scheme: ServiceQualityScheme) -> Scorecard {
        let c = figures.all
        let satisfied = c.satisfied + (scheme.basicallySatisfiedCounts ? c.basicallySatisfied : 0)
        let faster = "henan 「推动热线接得更快」"
        let accurate = "henan 「分得更准」"
        let solid = "henan 「办得更实」"
        var out = [
            ScoreFigure(name: "faster.dispatchedInTime", numerator: figures.dispatchedInTime, denominator: figures.firstDispatches,
                        rule: "\(faster); 「不能直接答复的，24小时内派发工单至承办单位」「应当在2个小时内派发工单」: first dispatches to the unit made by the order's dispatch-by"),
            ScoreFigure(name: "faster.signedInTime", numerator: c.receivedInTime, denominator: c.dispatched,
                        rule: "\(faster); 「承办单位应当在接到工单24小时内签收（非工作日时间可顺延）」: signed by the sign-by"),
            ScoreFigure(name: "accurate.returned", numerator: figures.returnsApproved, denominator: figures.leadAssignments,
                        rule: "\(accurate): orders dispatched to the unit whose return the office approved (misrouted to it) ÷ every lead dispatch to it in the period, returned ones included (ours: the document names no formula)"),
            ScoreFigure(name: "accurate.redispatched", numerator: figures.redispatchedIn, denominator: c.dispatched,
                        rule: "\(accurate): orders that reached the unit only after another unit's approved return (re-dispatched) ÷ orders assessed (ours)"),
            ScoreFigure(name: "solid.resolution", numerator: c.solved, denominator: c.revisited,
                        rule: "\(solid); 「持续提升诉求解决率」: the citizen said solved at the revisit ÷ rated"),
            ScoreFigure(name: "solid.satisfaction", numerator: satisfied, denominator: c.revisited,
                        rule: "\(solid); 「持续提升…群众满意度」: satisfied ÷ rated; 基本满意 counts: \(scheme.basicallySatisfiedCounts ? "yes" : "no") (ours)"),
            ScoreFigure(name: "solid.overdue", numerator: c.overdue, denominator: c.dispatched,
                        rule: "\(solid); 办理时限 3/5/10 个工作日: replied after the reply-by, or open past it"),
        ]
        if let minutes = figures.medianDispatchMinutes {
            out.append(ScoreFigure(name: "faster.medianDispatchMinutes", numerator: minutes,
                                   rule: "\(faster): median minutes from receipt to the first dispatch (ours: the median)"))
        }
        if let minutes = figures.medianSignMinutes {
            out.append(ScoreFigure(name: "faster.medianSignMinutes", numerator: minutes,
                                   rule: "\(faster): median minutes from dispatch to signing (ours: the median)"))
        }
        return Scorecard(unit: figures.unit, unitName: figures.unitName, score: nil, rank: nil, flagged: false, flags: [],
                         figures: out, extendedFigures: [], notes: ["henan: " + scheme.basis])
    }
}
