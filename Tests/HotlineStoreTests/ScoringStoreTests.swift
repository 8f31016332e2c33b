import Foundation
import HotlineDomain
import HotlineStore
import HotlineTestSupport
import PostgresClient
import Testing

/// Small histories written by hand into a real PostgreSQL, scored from the system of record by
/// each scheme; the expected scores are worked out by hand below each history.
@Suite(.serialized) struct ScoringStoreTests {
    let period = ScoringPeriod("2026-11")!
    /// 2026-12-05 12:00 China time: the records as they stood then.
    var asOf: Date { day(12, 5, 12) }

    func day(_ month: Int, _ day: Int, _ hour: Int = 10) -> Date {
        LocalDate(year: 2026, month: month, day: day)!.startInstant.addingTimeInterval(Double(hour) * 3600)
    }
    func nov(_ d: Int, _ hour: Int = 10) -> Date { day(11, d, hour) }

    struct History {
        let c: PostgresConnection

        @discardableResult
        func unit(_ code: String, _ name: String) throws -> Int64 {
            try c.query("INSERT INTO units (code, name, level, kind) VALUES (\(code), \(name), 2, 'department') RETURNING id")
                .first!.decode("id", as: Int64.self)
        }

        /// A dispatched order with its lead assignment; signed and replied when given.
        @discardableResult
        func order(_ unit: Int64, category: String = "help", dispatched: Date, signBy: Date? = nil, signed: Date? = nil,
                   replyBy: Date, replied: Date? = nil, extended: Bool = false, redo: Int = 0, supervised: Bool = false,
                   returnApproved: Bool = false) throws -> UUID {
            let id = UUID()
            try c.execute("""
                INSERT INTO work_orders (id, number, profile, channel, submission_id, state, category, title, content_pii, received_at,
                                         lead_unit_id, redo_count, supervised)
                VALUES (\(id), \(id.uuidString), 'zezhou', 'phone', \(id.uuidString), 'dispatched', \(category), '', '', \(dispatched),
                        \(unit), \(redo), \(supervised))
                """)
            let state = returnApproved ? "returnApproved" : replied != nil ? "replied" : signed != nil ? "signed" : "dispatched"
            try c.execute("""
                INSERT INTO assignments (work_order_id, unit_id, role, state, dispatched_at, sign_by, signed_at, reply_by, replied_at,
                                         extensions_count, active)
                VALUES (\(id), \(unit), 'lead', \(state), \(dispatched), \(signBy ?? dispatched.addingTimeInterval(7200)), \(signed), \(replyBy),
                        \(replied), \(extended ? 1 : 0), \(!returnApproved))
                """)
            return id
        }

        func rate(_ order: UUID, _ rating: String, at: Date, solved: Bool? = nil, contacted: Bool? = nil) throws {
            try c.execute("""
                INSERT INTO ratings (work_order_id, rating, source, rated_at, problem_solved, contacted_in_time)
                VALUES (\(order), \(rating), 'phone', \(at), \(solved), \(contacted))
                """)
        }

        func count(_ sql: SQL) throws -> Int { try c.query(sql).first!.decode(0, as: Int.self) }
    }

    func withHistory(_ body: (History) throws -> Void) throws {
        try PostgresTestDatabase.with { url in
            let connection = try PostgresConnection(url: url, applicationName: "hotline-tests")
            defer { connection.close() }
            try Migrator.bundled().migrate(connection)
            try body(History(c: connection))
        }
    }

    func card(_ cards: [Scorecard], _ unit: String) throws -> Scorecard { try #require(cards.first { $0.unit == unit }) }
    func figure(_ card: Scorecard, _ name: String) throws -> ScoreFigure { try #require(card.figures.first { $0.name == name }) }

    /// A zezhou history: ROADS with ten November orders, an office's deduction, bonus, missing
    /// item and veto; PARKS with one perfect order; LOW with one bad order.
    func zezhouHistory(_ h: History) throws {
        let roads = try h.unit("ROADS", "交通运输局"), parks = try h.unit("PARKS", "园林局"), low = try h.unit("LOW", "档案馆")
        // ROADS: 10 orders. Signed in time 8 (orders 9 and 10 late). Complaints 3 (1, 2: complaint; 3: report).
        // Replied on time 6 (1-6), late 2 (7, 8), open past the reply-by 1 (9), open not yet due 1 (10).
        // Rated: satisfied 5 (1-5), basically 2 (6, 7), dissatisfied 1 (8).
        for i in 1...10 {
            let dispatched = nov(i)
            let signed = i <= 8 ? dispatched.addingTimeInterval(3600) : dispatched.addingTimeInterval(3 * 86_400)
            let replyBy = i == 10 ? day(12, 20) : dispatched.addingTimeInterval(5 * 86_400)
            let replied: Date? = i <= 6 ? dispatched.addingTimeInterval(2 * 86_400) : i <= 8 ? dispatched.addingTimeInterval(7 * 86_400) : nil
            let category = i <= 2 ? "complaint" : i == 3 ? "report" : "help"
            let id = try h.order(roads, category: category, dispatched: dispatched, signed: signed, replyBy: replyBy, replied: replied)
            if i <= 8 { try h.rate(id, i <= 5 ? "satisfied" : i <= 7 ? "basically_satisfied" : "dissatisfied", at: nov(25)) }
        }
        // Not November's: dispatched in October; returned (approved) to the office.
        try h.order(roads, dispatched: day(10, 30), replyBy: nov(5))
        try h.order(roads, dispatched: nov(3), replyBy: nov(9), returnApproved: true)
        // PARKS: one order, everything on time and satisfied.
        let p = try h.order(parks, dispatched: nov(2), signed: nov(2, 11), replyBy: nov(8), replied: nov(4))
        try h.rate(p, "satisfied", at: nov(6))
        // LOW: one complaint, signed late, open past its reply-by, not rated.
        try h.order(low, category: "complaint", dispatched: nov(2), signed: nov(6), replyBy: nov(8))
        let zezhou = try PolicyProfile.bundled("zezhou")
        try Scores.record(unit: "ROADS", period: period, kind: .missingItem, item: "network", profile: zezhou, on: h.c)
        try Scores.record(unit: "ROADS", period: period, kind: .deduction, item: "missedMeeting", count: 2, profile: zezhou, on: h.c)
        try Scores.record(unit: "ROADS", period: period, kind: .deduction, item: "replyNotToStandard", count: 3, profile: zezhou, on: h.c)
        try Scores.record(unit: "ROADS", period: period, kind: .bonus, item: "cityMedia", profile: zezhou, on: h.c)
        try Scores.record(unit: "ROADS", period: period, kind: .veto, item: "falsifiedResults", profile: zezhou, on: h.c)
        // Another period's record does not count.
        try Scores.record(unit: "PARKS", period: ScoringPeriod("2026-10")!, kind: .veto, item: "falsifiedResults", profile: zezhou, on: h.c)
    }

    @Test func zezhouScoresItems7To11FromTheDataAndTheOfficesDeductionBonusAndVeto() throws {
        try withHistory { h in
            try zezhouHistory(h)
            let outcome = try ScoringBatch.run(period: period, profile: try PolicyProfile.bundled("zezhou"), asOf: asOf, now: asOf,
                                               dryRun: false, on: h.c)
            let roads = try card(outcome.cards, "ROADS")
            // Item 7: 8 ÷ 10 × 10 = 8.00
            #expect(try figure(roads, "timelyReceipt").numerator == 8)
            #expect(try figure(roads, "timelyReceipt").denominator == 10)
            #expect(try figure(roads, "timelyReceipt").points == 8.00)
            // Item 8: (1 − 3 ÷ 10) × 15 = 10.50
            #expect(try figure(roads, "complaintRate").numerator == 3)
            #expect(try figure(roads, "complaintRate").points == 10.50)
            // Item 9: 6 ÷ 10 × 20 = 12.00 (denominator: every order dispatched, POLICIES.md §11)
            #expect(try figure(roads, "onTimeCompletion").numerator == 6)
            #expect(try figure(roads, "onTimeCompletion").denominator == 10)
            #expect(try figure(roads, "onTimeCompletion").points == 12.00)
            // Item 10: overdue 2 late + 1 open = 3; (1 − 0.3) × 10 = 7.00
            #expect(try figure(roads, "overdueRate").numerator == 3)
            #expect(try figure(roads, "overdueRate").points == 7.00)
            // Item 11: 5 ÷ 10 × 15 = 7.50 (基本满意 not counted)
            #expect(try figure(roads, "satisfaction").numerator == 5)
            #expect(try figure(roads, "satisfaction").points == 7.50)
            // Items 1-6: 5 × 2 = 10 (network missing); deductions 2.70 + 3 + (2 − 1.0) + 5 + 5 = 16.70
            #expect(try figure(roads, "network").points == 0)
            #expect(try figure(roads, "missedMeeting").points == 1.00)
            #expect(try figure(roads, "replyNotToStandard").points == 2.70)
            // Base 10 + 8 + 10.5 + 12 + 7 + 7.5 + 16.7 = 71.70, bonus 0.50: 72.20, vetoed.
            #expect(roads.score == 72.20)
            #expect(try figure(roads, "bonus").points == 0.50)
            #expect(roads.flagged)
            #expect(roads.flags == ["vetoed: falsifiedResults"])
            #expect(try figure(roads, "timelyReceipt").rule.contains("规定时间内接收工单数 ÷ 转办总件数 × 10"))
            // PARKS 100.00 first, LOW 12 + 0 + 0 + 0 + 0 + 0 + 18 = 30.00 second, the vetoed ROADS last.
            #expect(try card(outcome.cards, "PARKS").score == 100.00)
            #expect(try card(outcome.cards, "LOW").score == 30.00)
            #expect(outcome.cards.map(\.unit) == ["PARKS", "LOW", "ROADS"])
            #expect(outcome.cards.map(\.rank) == [1, 2, 3])
            #expect(outcome.orders == 12)
            // Stored as computed, with the figures and their rules.
            let run = try #require(try Scores.latestRun(period: period, profile: "zezhou", on: h.c))
            #expect(run.version == 1)
            let stored = try Scores.results(of: run, on: h.c)
            #expect(stored.map(\.unit) == ["PARKS", "LOW", "ROADS"])
            #expect(stored.map(\.score) == [100.00, 30.00, 72.20])
            #expect(stored.last?.figures.first { $0.name == "onTimeCompletion" }?.numerator == 6)
        }
    }

    @Test func baotouThreeRatesLeaveTheExcludedOrderOutAndAssessTheExtendedOneSeparately() throws {
        try withHistory { h in
            let a = try h.unit("ALPHA", "甲街道"), b = try h.unit("BETA", "乙街道")
            func order(_ unit: Int64, _ d: Int, signedLate: Bool = false, extended: Bool = false) throws -> UUID {
                try h.order(unit, dispatched: nov(d), signBy: nov(d, 12), signed: signedLate ? nov(d + 1) : nov(d, 11),
                            replyBy: nov(d + 5), replied: nov(d + 2), extended: extended)
            }
            let o1 = try order(a, 1), o2 = try order(a, 2), o3 = try order(a, 3, signedLate: true), o4 = try order(a, 4)
            let o5 = try order(a, 5, signedLate: true), o6 = try order(a, 6, extended: true)
            // Dispatched in October, due on 3 November, never replied: not cleared at November's end
            // (and not in November's rates, which count the orders dispatched in November).
            try h.order(a, dispatched: day(10, 28), signed: day(10, 28, 11), replyBy: nov(3))
            try h.rate(o1, "satisfied", at: nov(20), solved: true, contacted: true)
            try h.rate(o2, "basically_satisfied", at: nov(20), solved: false, contacted: true)
            try h.rate(o3, "dissatisfied", at: nov(20), solved: false, contacted: false)
            try h.rate(o4, "satisfied", at: nov(20), solved: true, contacted: true)
            try h.rate(o5, "dissatisfied", at: nov(20), solved: false, contacted: false)
            try h.rate(o6, "satisfied", at: nov(20), solved: true, contacted: true)
            try Scores.exclude(order: o5, basis: "诉求人认可，领导小组办公室审核通过", approvedAt: nov(25), on: h.c)
            for d in [7, 8] {
                let o = try order(b, d)
                try h.rate(o, "satisfied", at: nov(20), solved: true, contacted: true)
            }
            let outcome = try ScoringBatch.run(period: period, profile: try PolicyProfile.bundled("baotou"), asOf: asOf, now: asOf,
                                               dryRun: false, on: h.c)
            let alpha = try card(outcome.cards, "ALPHA")
            // Assessed: o1-o4. Response 3/4 × 20 + 3/4 × 10 = 22.50; satisfaction (2 + 1 basically) / 4 × 35 = 26.25;
            // resolution 2/4 × 35 = 17.50; total 66.25. Resolution 50% < 80%: listed for the meeting of the 20th.
            #expect(try figure(alpha, "responseOffice").numerator == 3)
            #expect(try figure(alpha, "responseOffice").denominator == 4)
            #expect(try figure(alpha, "responseOffice").points == 15.00)
            #expect(try figure(alpha, "responseCitizen").points == 7.50)
            #expect(try figure(alpha, "satisfaction").points == 26.25)
            #expect(try figure(alpha, "resolution").points == 17.50)
            #expect(alpha.score == 66.25)
            #expect(alpha.flagged)
            #expect(try figure(alpha, "excluded").numerator == 1)
            // Month-end zero clearing: due in November o1-o6 and October's order; cleared o1-o6 (o5 replied and excluded).
            #expect(try figure(alpha, "monthEndCleared").numerator == 6)
            #expect(try figure(alpha, "monthEndCleared").denominator == 7)
            // The extended order on its own: 100.
            #expect(alpha.extendedFigures.first { $0.name == "total" }?.points == 100.00)
            #expect(alpha.extendedFigures.first { $0.name == "satisfaction" }?.denominator == 1)
            #expect(try card(outcome.cards, "BETA").score == 100.00)
            #expect(outcome.cards.map(\.unit) == ["BETA", "ALPHA"])
            #expect(outcome.orders == 7)  // 5 of ALPHA (o5 excluded), 2 of BETA
        }
    }

    @Test func qidongRanksBySatisfactionAndFlagsTheBottomThree() throws {
        try withHistory { h in
            // Satisfaction (满意 + 基本满意) ÷ rated: U1 4/4, U2 3/4, U3 (2 + 1)/4, U4 1/4, U5 1/2; U6 nothing rated.
            let plans: [(String, [String])] = [
                ("U1", ["satisfied", "satisfied", "satisfied", "satisfied"]),
                ("U2", ["satisfied", "satisfied", "satisfied", "dissatisfied"]),
                ("U3", ["satisfied", "satisfied", "basically_satisfied", "dissatisfied"]),
                ("U4", ["basically_satisfied", "dissatisfied", "dissatisfied", "dissatisfied"]),
                ("U5", ["satisfied", "dissatisfied"]),
                ("U6", []),
            ]
            var u4: Int64 = 0
            for (code, ratings) in plans {
                let unit = try h.unit(code, "单位" + code)
                if code == "U4" { u4 = unit }
                for (i, rating) in ratings.enumerated() {
                    let o = try h.order(unit, dispatched: nov(i + 1), signed: nov(i + 1, 11), replyBy: nov(i + 6), replied: nov(i + 3))
                    try h.rate(o, rating, at: nov(i + 4))
                }
                if ratings.isEmpty { try h.order(unit, dispatched: nov(9), replyBy: nov(14)) }
            }
            // U4's ignored reminders (qidong 四 1 「两次催办仍不回复」), as the deadline watch records
            // them (event offenceRecorded, remindersIgnored; the watch's own tests decide when): orders
            // A and B recorded, order C recorded twice (counted once), order D not; an offence of
            // another kind on D does not count.
            func recorded(_ order: UUID, offence: String = "remindersIgnored", times: Int = 1) throws {
                for _ in 0..<times {
                    try h.c.execute("""
                        INSERT INTO events (work_order_id, assignment_id, type, occurred_at, actor, data)
                        SELECT \(order), id, 'offenceRecorded', \(nov(24)), 'deadline-watch', jsonb_build_object('offence', \(offence)::text)
                        FROM assignments WHERE work_order_id = \(order)
                        """)
                }
            }
            try recorded(try h.order(u4, dispatched: nov(18), replyBy: nov(23)))
            try recorded(try h.order(u4, dispatched: nov(18), signed: nov(18, 11), replyBy: nov(23), replied: nov(25)))
            try recorded(try h.order(u4, dispatched: nov(18), replyBy: nov(23)), times: 2)
            try recorded(try h.order(u4, dispatched: nov(18), signed: nov(18, 11), replyBy: nov(28), replied: nov(23)), offence: "other")
            let outcome = try ScoringBatch.run(period: period, profile: try PolicyProfile.bundled("qidong"), asOf: asOf, now: asOf,
                                               dryRun: false, on: h.c)
            // U1 100, U2 75, U3 75 (a tie goes by code), U5 50, U4 25; the bottom three U3, U5, U4 flagged.
            #expect(outcome.cards.map(\.unit) == ["U1", "U2", "U3", "U5", "U4", "U6"])
            #expect(outcome.cards.map(\.score) == [100.00, 75.00, 75.00, 50.00, 25.00, nil])
            #expect(outcome.cards.map(\.rank) == [1, 2, 3, 4, 5, nil])
            #expect(outcome.cards.filter(\.flagged).map(\.unit) == ["U3", "U5", "U4"])
            // U4: A and C open past their reply-by, B replied late: 3 overdue; reminders ignored: A, B and C.
            #expect(try figure(try card(outcome.cards, "U4"), "offence.overdue").numerator == 3)
            #expect(try figure(try card(outcome.cards, "U4"), "offence.remindersIgnored").numerator == 3)
            #expect(try figure(try card(outcome.cards, "U4"), "offence.remindersIgnored").denominator == 8)
            #expect(try figure(try card(outcome.cards, "U1"), "offence.remindersIgnored").numerator == 0)
            // U6 had one order open past its reply-by: an offence recorded, not ranked.
            #expect(try figure(try card(outcome.cards, "U6"), "offence.overdue").numerator == 1)
            #expect(try h.count("SELECT count(*) FROM unit_scores WHERE flagged") == 3)
        }
    }

    @Test func aRerunReplacesAndAPublishedRunKeepsItsVersion() throws {
        try withHistory { h in
            try zezhouHistory(h)
            let zezhou = try PolicyProfile.bundled("zezhou")
            for _ in 0..<3 { try ScoringBatch.run(period: period, profile: zezhou, asOf: asOf, now: asOf, dryRun: false, on: h.c) }
            #expect(try h.count("SELECT count(*) FROM score_runs") == 1)
            #expect(try h.count("SELECT count(*) FROM unit_scores") == 3)
            #expect(try Scores.publish(period: period, profile: "zezhou", at: asOf, on: h.c) == 1)
            // New facts after publishing: PARKS' order gets a second, dissatisfied rating.
            let parks = try h.c.query("SELECT a.work_order_id FROM assignments a JOIN units u ON u.id = a.unit_id WHERE u.code = 'PARKS'")
                .first!.decode(0, as: UUID.self)
            try h.rate(parks, "dissatisfied", at: day(12, 1))
            for _ in 0..<2 {
                let again = try ScoringBatch.run(period: period, profile: zezhou, asOf: asOf, now: asOf, dryRun: false, on: h.c)
                #expect(again.version == 2)
            }
            #expect(try h.count("SELECT count(*) FROM score_runs") == 2)
            #expect(try h.count("SELECT count(*) FROM unit_scores") == 6)
            let v1 = try h.c.query("SELECT score::float8 AS s FROM unit_scores s JOIN units u ON u.id = s.unit_id WHERE u.code = 'PARKS' AND version = 1").first!.decode("s", as: Double.self)
            let v2 = try h.c.query("SELECT score::float8 AS s FROM unit_scores s JOIN units u ON u.id = s.unit_id WHERE u.code = 'PARKS' AND version = 2").first!.decode("s", as: Double.self)
            #expect(v1 == 100.00)
            #expect(v2 == 85.00)  // item 11 now 0 of 15
        }
    }

    @Test func aReplayUnderAnotherProfileWritesNothing() throws {
        try withHistory { h in
            try zezhouHistory(h)
            try ScoringBatch.run(period: period, profile: try PolicyProfile.bundled("qidong"), asOf: asOf, now: asOf, dryRun: false, on: h.c)
            let before = try h.count("SELECT count(*) FROM unit_scores") * 1000 + h.count("SELECT count(*) FROM score_runs")
            let replay = try ScoringBatch.run(period: period, profile: try PolicyProfile.bundled("zezhou"), asOf: asOf, now: asOf,
                                              dryRun: true, on: h.c)
            #expect(replay.version == nil)
            #expect(replay.cards.map(\.unit) == ["PARKS", "LOW", "ROADS"])
            #expect(try h.count("SELECT count(*) FROM unit_scores") * 1000 + h.count("SELECT count(*) FROM score_runs") == before)
            #expect(try h.count("SELECT count(*) FROM score_runs WHERE profile = 'zezhou'") == 0)
        }
    }

    @Test func pingdingshansMonthlyBulletinHasItsFiguresAndNoScore() throws {
        try withHistory { h in
            let unit = try h.unit("CITY", "市城管局")
            // Two orders: one replied on time and satisfied, one open past its reply-by and supervised.
            let good = try h.order(unit, dispatched: nov(2), signed: nov(2, 11), replyBy: nov(7), replied: nov(4))
            try h.rate(good, "satisfied", at: nov(5))
            try h.order(unit, dispatched: nov(3), signed: nov(3, 11), replyBy: nov(8), supervised: true)
            let outcome = try ScoringBatch.run(period: period, profile: try PolicyProfile.bundled("pingdingshan"), asOf: asOf, now: asOf,
                                               dryRun: false, on: h.c)
            let city = try card(outcome.cards, "CITY")
            #expect(city.score == nil && city.rank == nil)
            #expect(try figure(city, "onTime").numerator == 1 && figure(city, "onTime").denominator == 2)
            #expect(try figure(city, "satisfaction").numerator == 1 && figure(city, "satisfaction").denominator == 1)
            #expect(try figure(city, "overdue").numerator == 1)
            #expect(try figure(city, "supervised").numerator == 1)
            #expect(try h.count("SELECT count(*) FROM unit_scores WHERE score IS NULL") == 1)
        }
    }

    @Test func anItemTheProfileDoesNotNameIsRefused() throws {
        try withHistory { h in
            try h.unit("ROADS", "交通运输局")
            #expect(throws: ScoresError.unknownItem(kind: "bonus", item: "goldMedal", profile: "zezhou")) {
                try Scores.record(unit: "ROADS", period: period, kind: .bonus, item: "goldMedal", profile: try PolicyProfile.bundled("zezhou"), on: h.c)
            }
            #expect(throws: ScoresError.unknownUnit("NOPE")) {
                try Scores.record(unit: "NOPE", period: period, kind: .bonus, item: "cityMedia", profile: try PolicyProfile.bundled("zezhou"), on: h.c)
            }
        }
    }
}
