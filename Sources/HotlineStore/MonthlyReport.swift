import Foundation
import HotlineDomain
import PostgresClient

/// The monthly report (issue 15): the ranking, a bar chart of the scores, twelve-month trends,
/// overdue and supervised orders and hot spots, as one self-contained HTML page (inline SVG, no
/// script, A4) or the ranking with every figure as CSV. `hotlinectl report` writes it and
/// `hotline-api` serves it to the office.
public struct MonthlyReport: Sendable {
    public struct Line: Sendable {
        var rank: Int?
        var unit: String
        var name: String
        var score: Double?
        var flags: [String]
        var figures: [ScoreFigure]
    }

    public var period: ScoringPeriod
    public var profile: String
    /// Which run the figures come from, or that they were computed now.
    public var source: String
    public var lines: [Line]
    var trend: [ReportData.MonthRates]
    var overdue: [ReportData.OrderLine]
    var supervised: [ReportData.OrderLine]
    var hotSpots: [ReportData.HotSpot]

    /// The period's report from its latest stored run (under `profile` when given); with no run,
    /// scored now under `fallback` without writing.
    public static func collect(period: ScoringPeriod, profile: String?, fallback: PolicyProfile,
                               on connection: PostgresConnection) throws -> MonthlyReport {
        let asOf = min(Date(), period.end.addingTimeInterval(15 * 86_400))
        var lines: [Line]
        let source: String, profileId: String
        if let run = try Scores.latestRun(period: period, profile: profile, on: connection) {
            lines = try Scores.results(of: run, on: connection).map {
                Line(rank: $0.rank, unit: $0.unit, name: $0.unitName, score: $0.score, flags: $0.flags, figures: $0.figures)
            }
            profileId = run.profile
            source = "run v\(run.version) of \(ChinaTime.format(run.computedAt))" + (run.publishedAt.map { ", published \(ChinaTime.format($0))" } ?? ", not published")
        } else {
            let scoring = fallback
            let outcome = try ScoringBatch.run(period: period, profile: scoring, asOf: asOf, now: Date(), dryRun: true, on: connection)
            lines = outcome.cards.map { Line(rank: $0.rank, unit: $0.unit, name: $0.unitName, score: $0.score, flags: $0.flags, figures: $0.figures) }
            profileId = scoring.id
            source = "computed now, not stored (no run for the period)"
        }
        lines.sort { ($0.rank ?? Int.max, $0.unit) < ($1.rank ?? Int.max, $1.unit) }
        return MonthlyReport(period: period, profile: profileId, source: source, lines: lines,
                             trend: try ReportData.trend(endingWith: period, months: 12, asOf: asOf, on: connection),
                             overdue: try ReportData.overdue(period: period, asOf: asOf, limit: 30, on: connection),
                             supervised: try ReportData.supervised(period: period, limit: 30, on: connection),
                             hotSpots: try ReportData.hotSpots(period: period, limit: 10, on: connection))
    }

    // MARK: CSV

    public func csv() -> String {
        func field(_ text: String) -> String {
            text.contains(where: { ",\"\n\r".contains($0) }) ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
        }
        func num(_ value: Double?) -> String { value.map { String(format: "%.2f", $0) } ?? "" }
        var text = "period,profile,rank,unit,unit_name,score,flags,figure,numerator,denominator,points,max_points,rule\r\n"
        for line in lines {
            for figure in line.figures {
                let rank: String = line.rank.map { String($0) } ?? ""
                let numerator: String = figure.numerator.map { String($0) } ?? ""
                let denominator: String = figure.denominator.map { String($0) } ?? ""
                var fields: [String] = [period.description, profile, rank, line.unit, line.name, num(line.score)]
                fields += [line.flags.joined(separator: "; "), figure.name, numerator, denominator]
                fields += [num(figure.points), num(figure.maxPoints), figure.rule]
                text += fields.map(field).joined(separator: ",") + "\r\n"
            }
        }
        return text
    }

    // MARK: HTML

    static func escape(_ text: String) -> String {
        var out = ""
        for c in text {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(c)
            }
        }
        return out
    }

    static func percent(_ a: Int, _ b: Int) -> Double? { b == 0 ? nil : Double(a) / Double(b) * 100 }

    /// One horizontal bar per unit with a score (`rect class="bar"`).
    func barChart() -> String {
        let scored = lines.filter { $0.score != nil }
        let top = max(scored.compactMap(\.score).max() ?? 100, 1)
        let rowHeight = 18, labelWidth = 190, barWidth = 440
        let height = scored.count * rowHeight + 24
        var svg = #"<svg class="chart" role="img" aria-label="scores by unit" width="700" height="\#(height)" viewBox="0 0 700 \#(height)">"#
        for (i, line) in scored.enumerated() {
            let y = 4 + i * rowHeight
            let width = max(1, Int((line.score! / top * Double(barWidth)).rounded()))
            let colour = line.flags.isEmpty ? "#3b6ea8" : "#c0392b"
            svg += #"<text x="\#(labelWidth - 6)" y="\#(y + 12)" text-anchor="end" font-size="11">\#(Self.escape(line.name))</text>"#
            svg += #"<rect class="bar" x="\#(labelWidth)" y="\#(y)" width="\#(width)" height="\#(rowHeight - 5)" fill="\#(colour)"><title>\#(Self.escape(line.unit)) \#(String(format: "%.2f", line.score!))</title></rect>"#
            svg += #"<text x="\#(labelWidth + width + 4)" y="\#(y + 12)" font-size="10">\#(String(format: "%.2f", line.score!))</text>"#
        }
        return svg + "</svg>"
    }

    /// Twelve months of the key rates (per cent), one polyline each.
    func trendChart() -> String {
        let series: [(String, String, (ReportData.MonthRates) -> Double?)] = [
            ("按时办结率 on time", "#2e7d32", { Self.percent($0.onTime, $0.dispatched) }),
            ("满意率 satisfied", "#1565c0", { Self.percent($0.satisfied, $0.rated) }),
            ("逾期率 overdue", "#c62828", { Self.percent($0.overdue, $0.dispatched) }),
        ]
        let width = 700, height = 220, left = 40, right = 20, top = 10, bottom = 40
        let plotW = width - left - right, plotH = height - top - bottom
        let n = max(trend.count, 1)
        func x(_ i: Int) -> Int { left + (n == 1 ? plotW / 2 : i * plotW / (n - 1)) }
        func y(_ v: Double) -> Int { top + plotH - Int((v / 100 * Double(plotH)).rounded()) }
        var svg = #"<svg class="trend" role="img" aria-label="twelve-month trends" width="\#(width)" height="\#(height)" viewBox="0 0 \#(width) \#(height)">"#
        for v in stride(from: 0, through: 100, by: 25) {
            svg += #"<line x1="\#(left)" y1="\#(y(Double(v)))" x2="\#(width - right)" y2="\#(y(Double(v)))" stroke="rgb(221,221,221)"/>"#
            svg += #"<text x="\#(left - 4)" y="\#(y(Double(v)) + 4)" text-anchor="end" font-size="10">\#(v)%</text>"#
        }
        for (i, month) in trend.enumerated() {
            svg += #"<text x="\#(x(i))" y="\#(height - bottom + 14)" text-anchor="middle" font-size="9">\#(month.period.suffix(5))</text>"#
        }
        for (index, (name, colour, value)) in series.enumerated() {
            let points = trend.enumerated().compactMap { i, m in value(m).map { "\(x(i)),\(y($0))" } }
            svg += #"<polyline class="series" fill="none" stroke="\#(colour)" stroke-width="2" points="\#(points.joined(separator: " "))"/>"#
            svg += #"<rect x="\#(left + index * 200)" y="\#(height - 14)" width="10" height="10" fill="\#(colour)"/>"#
            svg += #"<text x="\#(left + index * 200 + 14)" y="\#(height - 5)" font-size="10">\#(Self.escape(name))</text>"#
        }
        return svg + "</svg>"
    }

    func orderTable(_ rows: [ReportData.OrderLine], empty: String) -> String {
        guard !rows.isEmpty else { return "<p class=\"none\">\(Self.escape(empty))</p>" }
        var html = "<table><tr><th>工单 order</th><th>承办单位 unit</th><th>事项 matter</th><th>办结时限 due</th><th>情况 state</th></tr>"
        for row in rows {
            html += "<tr><td>\(Self.escape(row.number))</td><td>\(Self.escape(row.unit))</td><td>\(Self.escape(row.title))</td>"
                + "<td>\(Self.escape(ChinaTime.format(row.due)))</td><td>\(Self.escape(row.note))</td></tr>"
        }
        return html + "</table>"
    }

    public func html() -> String {
        var html = """
            <!DOCTYPE html>
            <html lang="zh-CN"><head><meta charset="utf-8"><title>12345 热线月度考核 \(period)</title>
            <style>
            @page { size: A4; margin: 12mm; }
            body { font-family: "Noto Sans CJK SC", "WenQuanYi Micro Hei", "Source Han Sans SC", sans-serif; font-size: 11px; color: #222; margin: 0 auto; max-width: 190mm; }
            h1 { font-size: 18px; margin: 8px 0 2px; } h2 { font-size: 14px; margin: 14px 0 4px; border-bottom: 1px solid #999; }
            table { border-collapse: collapse; width: 100%; } th, td { border: 1px solid #bbb; padding: 2px 4px; text-align: left; vertical-align: top; }
            th { background: #eef; } td.num { text-align: right; } tr.flagged td { background: #fdecea; }
            .meta { color: #555; } .none { color: #555; font-style: italic; } svg { display: block; margin: 4px 0; }
            section { page-break-inside: avoid; }
            </style></head><body>
            <h1>12345 政务服务便民热线 月度考核 \(period)</h1>
            <p class="meta">方案 profile: \(Self.escape(profile)) · \(Self.escape(source)) · \(lines.count) 个承办单位 units</p>
            <section><h2>排名 Ranking</h2>
            <table><tr><th>名次</th><th>承办单位</th><th>得分 score</th><th>标记 flags</th><th>主要指标 figures (numerator/denominator → points)</th></tr>
            """
        for line in lines {
            let figures = (line.figures.filter { $0.denominator != nil } + line.figures.filter { $0.denominator == nil && ($0.points ?? 0) != ($0.maxPoints ?? 0) }).prefix(6).map { f -> String in
                let ratio = f.denominator.map { "\(f.numerator ?? 0)/\($0)" } ?? f.numerator.map(String.init) ?? ""
                return "\(f.name) \(ratio)" + (f.points.map { String(format: " → %.2f", $0) } ?? "")
            }.joined(separator: "; ")
            html += "<tr\(line.flags.isEmpty ? "" : " class=\"flagged\"")><td class=\"num\">\(line.rank.map(String.init) ?? "—")</td>"
                + "<td>\(Self.escape(line.name)) <small>\(Self.escape(line.unit))</small></td>"
                + "<td class=\"num\">\(line.score.map { String(format: "%.2f", $0) } ?? "—")</td>"
                + "<td>\(Self.escape(line.flags.joined(separator: "; ")))</td><td>\(Self.escape(figures))</td></tr>"
        }
        html += "</table></section>\n<section><h2>得分 Scores by unit</h2>\(barChart())</section>\n"
        html += "<section><h2>近十二个月 Twelve-month trends</h2>\(trendChart())</section>\n"
        html += "<section><h2>逾期工单 Overdue orders</h2>\(orderTable(overdue, empty: "无逾期工单 none"))</section>\n"
        html += "<section><h2>督办工单 Supervised orders</h2>\(orderTable(supervised, empty: "无督办工单 none"))</section>\n"
        html += "<section><h2>热点 Hot spots</h2>"
        if hotSpots.isEmpty {
            html += "<p class=\"none\">无 none</p>"
        } else {
            html += "<table><tr><th>地点 place</th><th>事项 matter</th><th>工单 orders</th><th>聚集 clusters</th></tr>"
            for spot in hotSpots {
                html += "<tr><td>\(Self.escape(spot.place))</td><td>\(Self.escape(spot.topic))</td><td class=\"num\">\(spot.orders)</td><td class=\"num\">\(spot.clusters)</td></tr>"
            }
            html += "</table>"
        }
        return html + "</section>\n</body></html>\n"
    }
}
