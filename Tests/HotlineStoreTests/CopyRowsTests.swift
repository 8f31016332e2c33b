import Foundation
@testable import HotlineStore
import HotlineTestSupport
import PostgresClient
import Testing

/// `hotlinectl simulate` writes with COPY: the text format's escaping, NULLs, arrays and instants
/// survive the round trip through a real PostgreSQL, and a bad row fails the COPY loudly.
@Suite(.serialized) struct CopyRowsTests {
    @Test func textNullArraysAndInstantsRoundTripThroughCopy() throws {
        try PostgresTestDatabase.with { url in
            let c = try PostgresConnection(url: url, applicationName: "hotline-tests")
            defer { c.close() }
            try c.execute("CREATE TABLE t (id uuid, s text, n bigint, b boolean, at timestamptz, a text[], z text)")
            let id = UUID()
            let instant = Date(timeIntervalSince1970: 1_793_500_000.123456)  // to the microsecond
            let awkward = "tab\there, back\\slash, new\nline, 停水\r"
            var rows = CopyRows()
            rows.row([.uuid(id), .text(awkward), .int(-42), .bool(true), .time(instant), .textArray(["a\"b", "c\\d", "小区 停水"]), .null])
            rows.row([.uuid(UUID()), .text(""), .int(0), .bool(false), .time(Date(timeIntervalSince1970: -1.5)), .textArray([]), .text("x")])
            #expect(try c.copyIn("COPY t (id, s, n, b, at, a, z) FROM STDIN", data: rows.bytes) == 2)
            let row = try #require(try c.query("SELECT * FROM t WHERE id = \(id)").first)
            #expect(try row.decode("s", as: String.self) == awkward)
            #expect(try row.decode("n", as: Int.self) == -42)
            #expect(try row.decode("b", as: Bool.self))
            #expect(abs(try row.decode("at", as: Date.self).timeIntervalSince(instant)) < 0.000_002)
            #expect(try row.decode("a", as: [String].self) == ["a\"b", "c\\d", "小区 停水"])
            #expect(try row.decode("z", as: String?.self) == nil)
            #expect(try c.query("SELECT at = '1969-12-31 23:59:58.5+00' AS ok FROM t WHERE z = 'x'").first!.decode("ok", as: Bool.self))
            // A row the table refuses fails the whole COPY, and the connection goes on working.
            var bad = CopyRows()
            bad.row([.text("not a uuid"), .null, .null, .null, .null, .null, .null])
            #expect(throws: PostgresError.self) { try c.copyIn("COPY t (id, s, n, b, at, a, z) FROM STDIN", data: bad.bytes) }
            #expect(try c.query("SELECT count(*) AS n FROM t").first!.decode("n", as: Int.self) == 2)
        }
    }
}
