import Foundation
import HotlineDomain
import HotlineStore
import HotlineTestSupport
import PostgresClient
import Testing

/// pingdingshan's weekly analysis and monthly bulletin, and henan's faster / more accurate / more
/// solid figures, from small histories written by hand into a real PostgreSQL; the expected figures
/// are worked out by hand beside each history.
@Suite(.serialized) struct BulletinAndServiceQualityTests {
    let scoring = ScoringStoreTests()

    func at(_ month: Int, _ day: Int, _ hour: Int = 10, _ minute: Int = 0) -> Date {
        LocalDate(year: 2026, month: month, day: day)!.startInstant.addingTimeInterval(Double(hour) * 3600 + Double(minute) * 60)
    }

    func figure(_ card: Scorecard, _ name: String) throws -> ScoreFigure { try #require(card.figures.first { $0.name == name }) }

    /// The week of Monday 2026-11-16 to Sunday 11-22 (China time), read on Wednesday 11-25 at noon.
    func pingdingshanWeek(_ h: ScoringStoreTests.History) throws {
        let good = try h.unit("GOOD", "市水务局"), bad = try h.unit("BAD", "市城管局"), mid = try h.unit("MID", "市住建局")
        // GOOD: six orders (Mon–Sat), each replied the day after dispatch, its reply-by three days on;
        // five rated 满意, one 基本满意.
        for d in 16...21 {
            let o = try h.order(good, dispatched: at(11, d), signed: at(11, d, 11), replyBy: at(11, d + 3), replied: at(11, d + 1))
            try h.rate(o, d == 21 ? "basically_satisfied" : "satisfied", at: at(11, 23))
        }
        // Not this week's: Sunday before, Monday after (both on time, unrated).
        try h.order(good, dispatched: at(11, 15), signed: at(11, 15, 11), replyBy: at(11, 18), replied: at(11, 16))
        try h.order(good, dispatched: at(11, 23), signed: at(11, 23, 11), replyBy: at(11, 26), replied: at(11, 24))
        // BAD: five orders.
        let b1 = try h.order(bad, dispatched: at(11, 16), signed: at(11, 16, 11), replyBy: at(11, 19), replied: at(11, 18))  // on time
        let b2 = try h.order(bad, dispatched: at(11, 17), signed: at(11, 17, 11), replyBy: at(11, 20), replied: at(11, 19))  // on time
        let b3 = try h.order(bad, dispatched: at(11, 17), signed: at(11, 17, 11), replyBy: at(11, 20), replied: at(11, 22))  // late
        try h.order(bad, dispatched: at(11, 18), signed: at(11, 18, 11), replyBy: at(11, 21), supervised: true)            // open, overdue
        try h.order(bad, dispatched: at(11, 20), signed: at(11, 20, 11), replyBy: at(11, 30))                               // open, not yet due
        try h.rate(b1, "satisfied", at: at(11, 20))
        try h.rate(b2, "satisfied", at: at(11, 20))
        try h.rate(b3, "dissatisfied", at: at(11, 23))
        // MID: four orders on time and satisfied, and a fifth the office excluded (剔除): not assessed.
        for d in 16...19 {
            let o = try h.order(mid, dispatched: at(11, d), signed: at(11, d, 11), replyBy: at(11, d + 3), replied: at(11, d + 1))
            try h.rate(o, "satisfied", at: at(11, 22))
        }
        let excluded = try h.order(mid, dispatched: at(11, 20), replyBy: at(11, 21))
        try Scores.exclude(order: excluded, basis: "诉求人撤回", approvedAt: at(11, 21), on: h.c)
    }

    @Test func pingdingshansWeeklyAnalysisPraisesAndCriticisesByHandWorkedFigures() throws {
        try scoring.withHistory { h in
            try pingdingshanWeek(h)
            let written = try h.count("SELECT count(*) FROM score_runs") + h.count("SELECT count(*) FROM unit_scores")
            // Any day of the week names it: Thursday 11-19.
            let week = try WeeklyAnalysis.run(weekOf: LocalDate(year: 2026, month: 11, day: 19)!, profile: try PolicyProfile.bundled("pingdingshan"),
                                              asOf: at(11, 25, 12), on: h.c)
            #expect(week.monday == LocalDate(year: 2026, month: 11, day: 16)!)
            #expect(week.orders == 6 + 5 + 4)
            let cards = Dictionary(uniqueKeysWithValues: week.cards.map { ($0.unit, $0) })
            let good = try #require(cards["GOOD"]), bad = try #require(cards["BAD"]), mid = try #require(cards["MID"])

            // GOOD: 6 dispatched; on time 6 ÷ 6 due; satisfied (5 + 1 基本满意) ÷ 6 rated; no overdue: praised.
            #expect(try figure(good, "dispatched").numerator == 6)
            #expect(try figure(good, "onTime").numerator == 6 && figure(good, "onTime").denominator == 6)
            #expect(try figure(good, "satisfaction").numerator == 6 && figure(good, "satisfaction").rate == 1)
            #expect(try figure(good, "overdue").numerator == 0)
            #expect(good.flags == ["praised: on time 100.00%, satisfaction 100.00%, 0 overdue"])
            #expect(!good.flagged)

            // BAD: due = 2 on time + 1 late + 1 open past its reply-by = 4 (the fifth is not yet due);
            // on time 2 ÷ 4 = 50.00%; satisfied 2 ÷ 3 rated = 66.67%; overdue 2; supervised 1.
            #expect(try figure(bad, "dispatched").numerator == 5)
            #expect(try figure(bad, "onTime").numerator == 2 && figure(bad, "onTime").denominator == 4)
            #expect(try figure(bad, "onTime").rate == 0.5)
            #expect(try figure(bad, "satisfaction").numerator == 2 && figure(bad, "satisfaction").denominator == 3)
            #expect(try figure(bad, "satisfaction").rate == 0.6667)
            #expect(try figure(bad, "overdue").numerator == 2 && figure(bad, "overdue").denominator == 5)
            #expect(try figure(bad, "supervised").numerator == 1)
            #expect(bad.flagged)
            #expect(bad.flags == ["criticised: on-time rate 50.00% below 80.00%; satisfaction 66.67% below 80.00%"])

            // MID: the excluded order is not assessed, so 4 orders, all on time and satisfied: too few
            // to be praised (5), nothing to criticise.
            #expect(try figure(mid, "dispatched").numerator == 4)
            #expect(try figure(mid, "onTime").rate == 1)
            #expect(mid.flags.isEmpty && !mid.flagged)
            #expect(mid.notes.first?.contains("the thresholds are ours") == true)

            // The weekly analysis writes nothing.
            #expect(try h.count("SELECT count(*) FROM score_runs") + h.count("SELECT count(*) FROM unit_scores") == written)
        }
    }

    @Test func pingdingshansMonthlyBulletinIsStoredWithItsLists() throws {
        try scoring.withHistory { h in
            try pingdingshanWeek(h)
            let outcome = try ScoringBatch.run(period: ScoringPeriod("2026-11")!, profile: try PolicyProfile.bundled("pingdingshan"),
                                               asOf: at(11, 25, 12), now: at(11, 25, 12), dryRun: false, on: h.c)
            // November adds GOOD's orders of the 15th and the 23rd: 8, all on time.
            let good = try #require(outcome.cards.first { $0.unit == "GOOD" })
            #expect(try figure(good, "onTime").numerator == 8 && figure(good, "onTime").denominator == 8)
            #expect(good.flags.first?.hasPrefix("praised") == true)
            let run = try #require(try Scores.latestRun(period: ScoringPeriod("2026-11")!, profile: "pingdingshan", on: h.c))
            #expect(run.scheme == "bulletin")
            let stored = try Scores.results(of: run, on: h.c)
            #expect(stored.count == 3)
            #expect(stored.filter(\.flagged).map(\.unit) == ["BAD"])
            #expect(stored.first { $0.unit == "BAD" }?.flags.first?.hasPrefix("criticised: on-time rate 50.00%") == true)
        }
    }

    /// A lead assignment of an existing order (a re-dispatch), and the order's receipt and dispatch-by.
    func redispatch(_ h: ScoringStoreTests.History, _ order: UUID, to unit: Int64, at dispatched: Date, signBy: Date, signed: Date?,
                    replyBy: Date, replied: Date?) throws {
        try h.c.execute("UPDATE assignments SET active = false WHERE work_order_id = \(order)")
        try h.c.execute("""
            INSERT INTO assignments (work_order_id, unit_id, role, state, dispatched_at, sign_by, signed_at, reply_by, replied_at)
            VALUES (\(order), \(unit), 'lead', \(replied != nil ? "replied" : "signed"), \(dispatched), \(signBy), \(signed), \(replyBy), \(replied))
            """)
    }
    func received(_ h: ScoringStoreTests.History, _ order: UUID, at: Date, dispatchBy: Date) throws {
        try h.c.execute("UPDATE work_orders SET received_at = \(at), dispatch_by = \(dispatchBy) WHERE id = \(order)")
    }

    @Test func henansFasterAccurateSolidFiguresFromAHandBuiltMonth() throws {
        try scoring.withHistory { h in
            let a = try h.unit("A", "市供水公司"), b = try h.unit("B", "市燃气公司")
            // Order 1: received 11-02 08:00 (dispatch-by 11-03 08:00), dispatched to B at 10:00 (120 min,
            // in time), B's return approved; re-dispatched to A 11-04 10:00, signed 11:00 (60 min, by the
            // sign-by), replied on time, 满意, solved.
            let o1 = try h.order(b, dispatched: at(11, 2, 10), replyBy: at(11, 9), returnApproved: true)
            try received(h, o1, at: at(11, 2, 8), dispatchBy: at(11, 3, 8))
            try redispatch(h, o1, to: a, at: at(11, 4, 10), signBy: at(11, 5, 10), signed: at(11, 4, 11), replyBy: at(11, 10), replied: at(11, 6))
            try h.rate(o1, "satisfied", at: at(11, 7), solved: true)
            // Order 2: received 11-05 08:00 (dispatch-by 11-06 08:00), dispatched to A 11-06 09:00 (1,500
            // min, late), signed 11-07 09:00 (1,440 min, after the sign-by 11-06 11:00), replied after its
            // reply-by, 不满意, not solved.
            let o2 = try h.order(a, dispatched: at(11, 6, 9), signBy: at(11, 6, 11), signed: at(11, 7, 9), replyBy: at(11, 14), replied: at(11, 16))
            try received(h, o2, at: at(11, 5, 8), dispatchBy: at(11, 6, 8))
            try h.rate(o2, "dissatisfied", at: at(11, 17), solved: false)
            // Order 3: received 11-10 08:00, dispatched 09:00 (60 min, in time), signed 09:30 (30 min),
            // replied on time, 基本满意, solved.
            let o3 = try h.order(a, dispatched: at(11, 10, 9), signBy: at(11, 11, 9), signed: at(11, 10, 9, 30), replyBy: at(11, 20), replied: at(11, 12))
            try received(h, o3, at: at(11, 10, 8), dispatchBy: at(11, 11, 8))
            try h.rate(o3, "basically_satisfied", at: at(11, 13), solved: true)

            let outcome = try ScoringBatch.run(period: ScoringPeriod("2026-11")!, profile: try PolicyProfile.bundled("henan"),
                                               asOf: at(12, 5, 12), now: at(12, 5, 12), dryRun: false, on: h.c)
            let cardA = try #require(outcome.cards.first { $0.unit == "A" })
            // Faster: first dispatches to A are orders 2 and 3, one by its dispatch-by: 1 ÷ 2; signed by
            // the sign-by: orders 1 and 3 of 3. Medians: dispatch {60, 1500} → 60 (percentile_disc: the
            // lower middle), sign {30, 60, 1440} → 60.
            #expect(try figure(cardA, "faster.dispatchedInTime").numerator == 1 && figure(cardA, "faster.dispatchedInTime").denominator == 2)
            #expect(try figure(cardA, "faster.signedInTime").numerator == 2 && figure(cardA, "faster.signedInTime").denominator == 3)
            #expect(try figure(cardA, "faster.medianDispatchMinutes").numerator == 60)
            #expect(try figure(cardA, "faster.medianSignMinutes").numerator == 60)
            // Accurate: A returned nothing (0 ÷ 3 lead dispatches); order 1 came after B's return: 1 ÷ 3.
            #expect(try figure(cardA, "accurate.returned").numerator == 0 && figure(cardA, "accurate.returned").denominator == 3)
            #expect(try figure(cardA, "accurate.redispatched").numerator == 1 && figure(cardA, "accurate.redispatched").denominator == 3)
            // Solid: solved 2 ÷ 3 rated; satisfied 满意 1 + 基本满意 1 = 2 ÷ 3; overdue 1 (order 2) ÷ 3.
            #expect(try figure(cardA, "solid.resolution").numerator == 2 && figure(cardA, "solid.resolution").rate == 0.6667)
            #expect(try figure(cardA, "solid.satisfaction").numerator == 2 && figure(cardA, "solid.satisfaction").denominator == 3)
            #expect(try figure(cardA, "solid.overdue").numerator == 1)
            // B: its only order was returned (misrouted to it): 1 ÷ 1, nothing else assessed.
            let cardB = try #require(outcome.cards.first { $0.unit == "B" })
            #expect(try figure(cardB, "accurate.returned").numerator == 1 && figure(cardB, "accurate.returned").denominator == 1)
            #expect(try figure(cardB, "faster.signedInTime").denominator == 0)
            // No weights in the document: no points, no rank.
            #expect(outcome.cards.allSatisfy { $0.score == nil && $0.rank == nil })
            #expect(try Scores.latestRun(period: ScoringPeriod("2026-11")!, profile: "henan", on: h.c)?.scheme == "serviceQuality")
        }
    }
}
