import Foundation
import HotlineDomain
import HotlineRuntime
import HotlineStore
import Hummingbird
import NIOCore
import PostgresClient

/// The office's records for scoring (zezhou 三(二): organisation items, deductions, bonuses,
/// vetoes) and the monthly report (`hotlinectl report`'s document), office only.
extension Workbench {
    func addRecordRoutes(to router: Router<BasicRequestContext>) {
        router.get("v1/assessment-records") { request, _ in
            await self.answer(route: "recordList") {
                let caller = try await self.authenticate(request)
                guard caller.role == .office else { throw APIError.forbidden("only the hotline office keeps assessment records") }
                let (period, unit) = try Self.recordQuery(request)
                let records = try await self.pool.withConnection { try AssessmentRecords.list(period: period, unit: unit, on: $0) }
                return Self.json(.ok, .object([("records", .array(records.map(Self.recordJSON)))]))
            }
        }
        router.post("v1/assessment-records") { request, _ in
            await self.write("recordCreate", request, officeOnly: true) { caller, body, tx in
                let input = try RecordBodies.record(body, profiles: self.profiles, defaultProfile: self.hotlineProfile)
                let id = try Scores.record(unit: input.unit, period: input.period, kind: input.kind, item: input.item, count: input.count,
                                           note: input.note, recordedBy: caller.actor, profile: input.profile, on: tx)
                guard let record = try AssessmentRecords.list(period: input.period, unit: input.unit, on: tx).first(where: { $0.id == id }) else {
                    throw APIError.internalError
                }
                return (.created, Self.recordJSON(record))
            }
        }
        router.get("v1/reports/:period") { request, context in
            await self.answer(route: "report") {
                let caller = try await self.authenticate(request)
                guard caller.role == .office else { throw APIError.forbidden("only the hotline office reads the monthly report") }
                guard let text = context.parameters.get("period"), text.count == 7, let period = ScoringPeriod(text), (2000...2100).contains(period.year) else {
                    throw APIError.invalid([FieldProblem("period", "must be a month, YYYY-MM")], detail: "the report is not valid")
                }
                var format = "html", profile: String?
                var problems: [FieldProblem] = []
                for (name, value) in request.uri.queryParameters.map({ (String($0.key), String($0.value)) }) {
                    switch name {
                    case "format":
                        if ["html", "csv"].contains(value) { format = value } else { problems.append(FieldProblem("format", "must be html or csv")) }
                    case "profile":
                        if self.profiles[value] != nil { profile = value }
                        else { problems.append(FieldProblem("profile", "must be one of \(self.profiles.keys.sorted().joined(separator: ", "))")) }
                    default:
                        continue
                    }
                }
                if !problems.isEmpty { throw APIError.invalid(problems, detail: "the query is not valid") }
                guard let fallback = self.profiles[profile ?? self.hotlineProfile] else { throw APIError.internalError }
                let named = profile
                // (Not in a transaction of ours: scoring a period with no stored run opens its own, read only.)
                let report = try await self.pool.withConnection { connection in
                    try MonthlyReport.collect(period: period, profile: named, fallback: fallback, on: connection)
                }
                let body = format == "csv" ? report.csv() : report.html()
                return Response(status: .ok, headers: [.contentType: format == "csv" ? "text/csv; charset=utf-8" : "text/html; charset=utf-8"],
                                body: .init(byteBuffer: ByteBuffer(string: body)))
            }
        }
    }

    static func recordQuery(_ request: Request) throws -> (ScoringPeriod, String?) {
        var period: ScoringPeriod?, unit: String?
        var problems: [FieldProblem] = []
        for (name, value) in request.uri.queryParameters.map({ (String($0.key), String($0.value)) }) {
            switch name {
            case "period":
                if value.count == 7, let month = ScoringPeriod(value), (2000...2100).contains(month.year) { period = month }
                else { problems.append(FieldProblem("period", "must be a month, YYYY-MM")) }
            case "unit":
                if UnitCode.isValid(value) { unit = value } else { problems.append(FieldProblem("unit", "must be a unit code")) }
            default:
                continue
            }
        }
        if period == nil && !problems.contains(where: { $0.pointer == "period" }) { problems.append(FieldProblem("period", "is required")) }
        if !problems.isEmpty { throw APIError.invalid(problems, detail: "the query is not valid") }
        return (period!, unit)
    }

    static func recordJSON(_ record: AssessmentRecord) -> JSON {
        .object([
            ("id", .int(Int(record.id))), ("unit", .string(record.unit)), ("period", .string(record.period)), ("kind", .string(record.kind)),
            ("item", .string(record.item)), ("count", .int(record.count)), ("note", .optional(record.note)),
            ("recordedAt", .instant(record.recordedAt)),
        ])
    }
}

enum RecordBodies {
    struct Input {
        var unit: String
        var period: ScoringPeriod
        var kind: AssessmentRecordKind
        var item: String
        var count: Int
        var note: String?
        var profile: PolicyProfile
    }

    /// A record's fields; `item` is one of the profile's names for its kind (`profile`: default the hotline's).
    static func record(_ data: Data, profiles: [String: PolicyProfile], defaultProfile: String) throws(APIError) -> Input {
        var body = try BodyReader(data)
        let unit = body.unitCode("unit", required: true)
        var period: ScoringPeriod?
        if let text = body.text("period", required: true, limit: 7) {
            if text.count == 7, let month = ScoringPeriod(text), (2000...2100).contains(month.year) { period = month }
            else { body.addProblem(FieldProblem("/period", "must be a month, YYYY-MM")) }
        }
        let profileId = body.choice("profile", profiles.keys.sorted(), required: false) ?? defaultProfile
        let profile = profiles[profileId]
        let kind = body.choice("kind", AssessmentRecordKind.allCases.map(\.rawValue), required: true).flatMap(AssessmentRecordKind.init(rawValue:))
        var items: [String] = []
        if case let .points100(scheme)? = profile?.scoring, let kind {
            switch kind {
            case .missingItem: items = scheme.organisationItems
            case .deduction: items = scheme.deductions.map(\.name)
            case .bonus: items = scheme.bonuses.map(\.name)
            case .veto: items = scheme.vetoes
            }
        }
        let item = kind == nil ? body.text("item", required: true, limit: 64) : body.choice("item", items, required: true)
        var count = 1
        if let value = body.object["count"], !(value is NSNull) {
            if let number = value as? NSNumber, !BodyReader.isBool(number), number.doubleValue == number.doubleValue.rounded(),
               (1...100).contains(number.intValue) {
                count = number.intValue
            } else {
                body.addProblem(FieldProblem("/count", "must be a whole number from 1 to 100"))
            }
        }
        let note = body.text("note")
        try body.finish("the record is not valid (the items are the profile's: zezhou 三(二))")
        return Input(unit: unit ?? "", period: period!, kind: kind!, item: item ?? "", count: count, note: note, profile: profile!)
    }
}
