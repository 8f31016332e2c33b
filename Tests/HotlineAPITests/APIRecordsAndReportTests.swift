import Foundation
import HotlineDomain
import HotlineStore
import HotlineTestSupport
import PostgresClient
import Testing

/// The office's records for scoring (zezhou 三(二)) and the monthly report through HTTP only.
@Suite(.serialized) struct APIRecordsAndReportTests {
    @Test func theOfficeRecordsZezhouItemsAndReadsTheMonthlyReport() throws {
        try APIServer.with { api in
            let water = try api.issue(unit: "WATER", name: "张三")
            let office = try api.issue(unit: nil, name: "赵主任")
            // An order of the month, so that WATER is ranked.
            _ = try api.dispatchedOrder(profile: "zezhou", lead: "WATER", dispatchedAt: try #require(ChinaTime.parse("2026-11-10T10:00:00+08:00")))

            let deduction = #"{"unit": "WATER", "period": "2026-11", "kind": "deduction", "item": "missedMeeting", "count": 2, "profile": "zezhou", "note": "11月两次例会缺席"}"#
            #expect(try api.curl("POST", "/v1/assessment-records", token: water, body: deduction).status == 403)
            let bad = try api.curl("POST", "/v1/assessment-records", token: office,
                                   body: #"{"unit": "WATER", "period": "2026-13", "kind": "deduction", "item": "lateForLunch", "count": 0, "profile": "zezhou"}"#)
            #expect(bad.status == 422, "\(bad)")
            #expect(bad.pointers == ["/period", "/item", "/count"])
            #expect((bad.json["errors"] as? [[String: Any]])?[1]["detail"] as? String
                    == "must be one of replyNotToStandard, citizenNotContacted, missedMeeting, provincialEscalation, specialSupervision")
            let unknownUnit = try api.curl("POST", "/v1/assessment-records", token: office,
                                           body: #"{"unit": "NOPE", "period": "2026-11", "kind": "veto", "item": "falsifiedResults", "profile": "zezhou"}"#)
            #expect(unknownUnit.status == 422, "\(unknownUnit)")
            #expect(unknownUnit.pointers == ["/unit"])

            let recorded = try api.curl("POST", "/v1/assessment-records", token: office, body: deduction, headers: ["Idempotency-Key": "r-1"])
            #expect(recorded.status == 201, "\(recorded)")
            #expect(recorded.json["count"] as? Int == 2)
            #expect(try api.curl("POST", "/v1/assessment-records", token: office, body: deduction, headers: ["Idempotency-Key": "r-1"]).status == 201)
            let bonus = try api.curl("POST", "/v1/assessment-records", token: office,
                                     body: #"{"unit": "WATER", "period": "2026-11", "kind": "bonus", "item": "cityMedia", "profile": "zezhou"}"#)
            #expect(bonus.status == 201, "\(bonus)")
            let listed = try api.curl("GET", "/v1/assessment-records?period=2026-11", token: office)
            #expect(listed.status == 200, "\(listed)")
            #expect((listed.json["records"] as? [[String: Any]])?.compactMap { $0["item"] as? String } == ["missedMeeting", "cityMedia"])
            #expect(try api.curl("GET", "/v1/assessment-records", token: office).pointers == ["period"])
            #expect(try api.scalar("SELECT count(*) FROM assessment_records WHERE recorded_by = \("office token:\(office.id)")") == 2)

            // The report: the same document as `hotlinectl report`, scored now (no run stored).
            #expect(try api.curl("GET", "/v1/reports/2026-11", token: water).status == 403)
            #expect(try api.curl("GET", "/v1/reports/2026-13", token: office).status == 422)
            let html = try api.curl("GET", "/v1/reports/2026-11?profile=zezhou", token: office)
            #expect(html.status == 200, "\(html.body.prefix(500))")
            #expect(html.contentType.hasPrefix("text/html"))
            #expect(html.body.contains("<svg"))
            #expect(!html.body.contains("<script"))
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("report-\(UUID().uuidString).html")
            defer { try? FileManager.default.removeItem(at: file) }
            let cli = try api.hotlinectl(["report", "--period", "2026-11", "--profile", "zezhou", "--out", file.path])
            #expect(cli.status == 0, "\(cli.stderr)")
            // The same document (its source line names when it was computed: compare without it).
            func withoutTimes(_ text: String) -> String {
                text.replacing(try! Regex(#"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00"#), with: "")
            }
            #expect(withoutTimes(html.body) == withoutTimes(try String(contentsOf: file, encoding: .utf8)))
            // The deduction and the bonus are in WATER's figures.
            let csv = try api.curl("GET", "/v1/reports/2026-11?profile=zezhou&format=csv", token: office)
            #expect(csv.status == 200)
            #expect(csv.contentType.hasPrefix("text/csv"))
            let waterLines = csv.body.split(separator: "\r\n").filter { $0.contains(",WATER,") }
            #expect(waterLines.contains { $0.contains("missedMeeting") })
            #expect(waterLines.contains { $0.contains("cityMedia") })
        }
    }
}
