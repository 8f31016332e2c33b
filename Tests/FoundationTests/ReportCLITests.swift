import Foundation
import HotlineTestSupport
import PostgresClient
import Testing

/// `hotlinectl report` on a simulated history: one self-contained HTML file (no script, nothing
/// fetched from anywhere) whose chart has one bar per scored unit, rendered by headless Chromium
/// to a PNG that is not blank; and the CSV with a line per figure.
@Suite(.serialized) struct ReportCLITests {
    /// Decodes an 8-bit RGB or RGBA PNG (every filter type) and prints "width height nonwhite".
    static let pngCheck = #"""
    import struct, sys, zlib
    data = open(sys.argv[1], 'rb').read()
    assert data[:8] == b'\x89PNG\r\n\x1a\n', 'not a PNG'
    pos, idat, w = 8, b'', 0
    while pos < len(data):
        n, kind = struct.unpack('>I4s', data[pos:pos + 8]); body = data[pos + 8:pos + 8 + n]; pos += 12 + n
        if kind == b'IHDR': w, h, depth, colour = struct.unpack('>IIBB', body[:10])
        elif kind == b'IDAT': idat += body
    assert depth == 8 and colour in (2, 6), (depth, colour)
    bpp = 3 if colour == 2 else 4
    raw, stride = zlib.decompress(idat), w * bpp
    prev, nonwhite, i = bytearray(stride), 0, 0
    for _ in range(h):
        f = raw[i]; line = bytearray(raw[i + 1:i + 1 + stride]); i += 1 + stride
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0; b = prev[x]; c = prev[x - bpp] if x >= bpp else 0
            if f == 1: line[x] = (line[x] + a) & 255
            elif f == 2: line[x] = (line[x] + b) & 255
            elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        nonwhite += sum(1 for x in range(0, stride, bpp) if min(line[x], line[x + 1], line[x + 2]) < 200)
        prev = line
    print(w, h, nonwhite)
    """#

    func count(_ c: PostgresConnection, _ sql: SQL) throws -> Int { try c.query(sql).first!.decode(0, as: Int.self) }

    @Test func theReportIsOneSelfContainedPageWithABarPerUnitAndChromiumRendersIt() throws {
        try PostgresTestDatabase.with { url in
            let ctl = try Shell.product("hotlinectl")
            let simulated = try Shell.run(ctl, ["simulate", "--profile", "zezhou", "--months", "3", "--orders-per-day", "15", "--seed", "3",
                                                "--until", "2026-10", "--database-url", url])
            #expect(simulated.status == 0, "\(simulated.stderr)")
            let scored = try Shell.run(try Shell.product("hotline-scoring"), ["--period", "2026-10", "--profile", "zezhou", "--database-url", url])
            #expect(scored.status == 0, "\(scored.stderr)")
            let c = try PostgresConnection(url: url)
            defer { c.close() }
            let units = try count(c, "SELECT count(*) FROM unit_scores WHERE period = '2026-10' AND score IS NOT NULL")
            #expect(units > 20)

            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("report-\(UUID())")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let html = directory.appendingPathComponent("report.html").path
            let result = try Shell.run(ctl, ["report", "--period", "2026-10", "--out", html, "--database-url", url])
            #expect(result.status == 0, "\(result.stderr)")
            let text = try String(contentsOfFile: html, encoding: .utf8)
            #expect(text.components(separatedBy: #"<rect class="bar""#).count - 1 == units)
            #expect(text.components(separatedBy: #"<polyline class="series""#).count - 1 == 3)
            #expect(text.contains("<table>") && text.contains("逾期工单") && text.contains("督办工单") && text.contains("热点"))
            #expect(text.contains("@page { size: A4"))
            for outside in ["<script", "http://", "https://", "@import", "url(", "<link", "<img"] {
                #expect(!text.contains(outside), "the report refers to \(outside)")
            }
            // Chromium renders it: a PNG that is not blank.
            let png = directory.appendingPathComponent("report.png").path
            let chromium = try Shell.run("/usr/bin/chromium", ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                                                               "--user-data-dir=\(directory.path)/profile",
                                                               "--window-size=900,2400", "--screenshot=\(png)", "file://\(html)"])
            #expect(FileManager.default.fileExists(atPath: png), "chromium exited \(chromium.status): \(chromium.stderr.suffix(500))")
            let check = try Shell.run("/usr/bin/python3", ["-c", Self.pngCheck, png])
            #expect(check.status == 0, "\(check.stderr)")
            let numbers = check.stdout.split(separator: " ").compactMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            #expect(numbers.count == 3 && numbers[0] == 900 && numbers[1] == 2400, "\(check.stdout)")
            // Bars, text and tables: well over 2% of the page is ink.
            #expect(numbers.count == 3 && numbers[2] > 900 * 2400 / 50, "\(check.stdout)")

            // The CSV: a header and a line per figure of every unit.
            let csv = try Shell.run(ctl, ["report", "--period", "2026-10", "--format", "csv", "--database-url", url])
            #expect(csv.status == 0, "\(csv.stderr)")
            let figures = try count(c, "SELECT sum(jsonb_array_length(figures))::int FROM unit_scores WHERE period = '2026-10'")
            let lines = csv.stdout.split(separator: "\r\n", omittingEmptySubsequences: true)
            #expect(lines.count == figures + 1, "\(lines.prefix(3))")
            #expect(lines.first == "period,profile,rank,unit,unit_name,score,flags,figure,numerator,denominator,points,max_points,rule")
        }
    }
}
