import Foundation
import HotlineTestSupport
import PostgresClient
import Testing

struct Complaint: Codable, Equatable {
    var title: String
    var tags: [String]
    var temperature: Double
}

@Suite("PostgreSQL types", .serialized)
struct TypeRoundTripTests {
    @Test func everyTypeRoundTripsThroughATable() throws {
        try PostgresTestDatabase.with { url in
            let db = try PostgresConnection(url: url)
            try db.execute("""
                CREATE TABLE t (
                    id bigserial PRIMARY KEY,
                    i int, i8 bigint, i4 integer, i2 smallint, b boolean, d double precision,
                    s text, ts timestamptz, u uuid, bytes bytea, data bytea,
                    texts text[], numbers bigint[], doc jsonb
                )
                """)
            let text = "投诉：小区供暖不热，室温仅12℃"
            let when = Date(timeIntervalSince1970: 1_700_000_000.123456)
            let id = UUID()
            let bytes: [UInt8] = [0, 1, 2, 255, 0, 128]
            let complaint = Complaint(title: text, tags: ["供暖", "heating"], temperature: 12.5)
            let inserted = try db.execute("""
                INSERT INTO t (i, i8, i4, i2, b, d, s, ts, u, bytes, data, texts, numbers, doc)
                VALUES (\(42), \(Int64.max), \(Int32.min), \(Int16(-7)), \(true), \(3.25), \(text), \(when),
                        \(id), \(bytes), \(Data([9, 8, 7])), \(["甲", "", "c,d", "\"q\""]), \([Int64(1), -2, Int64.min]),
                        \(PostgresJSON(complaint)))
                """)
            #expect(inserted == 1)
            let rows = try db.query("SELECT * FROM t")
            #expect(rows.count == 1)
            let row = try #require(rows.first)
            #expect(try row.decode("i", as: Int.self) == 42)
            #expect(try row.decode("i8", as: Int64.self) == Int64.max)
            #expect(try row.decode("i4", as: Int32.self) == Int32.min)
            #expect(try row.decode("i2", as: Int16.self) == -7)
            #expect(try row.decode("b", as: Bool.self) == true)
            #expect(try row.decode("d", as: Double.self) == 3.25)
            #expect(try row.decode("s", as: String.self) == text)
            let decodedDate = try row.decode("ts", as: Date.self)
            #expect(abs(decodedDate.timeIntervalSince1970 - when.timeIntervalSince1970) < 0.000002)
            #expect(try row.decode("u", as: UUID.self) == id)
            #expect(try row.decode("bytes", as: [UInt8].self) == bytes)
            #expect(try row.decode("data", as: Data.self) == Data([9, 8, 7]))
            #expect(try row.decode("texts", as: [String].self) == ["甲", "", "c,d", "\"q\""])
            #expect(try row.decode("numbers", as: [Int64].self) == [1, -2, Int64.min])
            #expect(try row.decodeJSON("doc", as: Complaint.self) == complaint)
            #expect(try row.decode("doc", as: PostgresJSON<Complaint>.self).value == complaint)
            // By index, too.
            #expect(try row.decode(7, as: String.self) == text)
            // The server agrees on what it stored (not just our own decoding).
            let check = try #require(try db.query("""
                SELECT length(s) AS chars, octet_length(bytes) AS n, doc->>'title' AS title,
                       array_length(texts, 1) AS texts, extract(epoch FROM ts)::float8 AS epoch FROM t
                """).first)
            #expect(try check.decode("chars", as: Int.self) == text.count)
            #expect(try check.decode("n", as: Int.self) == 6)
            #expect(try check.decode("title", as: String.self) == text)
            #expect(try check.decode("texts", as: Int.self) == 4)
            #expect(abs(try check.decode("epoch", as: Double.self) - 1_700_000_000.123456) < 0.000002)
        }
    }

    @Test func nullsRoundTripAsOptionals() throws {
        try PostgresTestDatabase.with { url in
            let db = try PostgresConnection(url: url)
            try db.execute("""
                CREATE TABLE t (i bigint, b boolean, d float8, s text, ts timestamptz, u uuid, bytes bytea,
                                texts text[], numbers bigint[], doc jsonb)
                """)
            let none: Int? = nil, noBool: Bool? = nil, noDouble: Double? = nil, noText: String? = nil
            let noDate: Date? = nil, noUUID: UUID? = nil, noBytes: [UInt8]? = nil, noTexts: [String]? = nil
            let noNumbers: [Int64]? = nil, noDoc: PostgresJSON<Complaint>? = nil
            try db.execute("""
                INSERT INTO t VALUES (\(none), \(noBool), \(noDouble), \(noText), \(noDate), \(noUUID), \(noBytes),
                                      \(noTexts), \(noNumbers), \(noDoc))
                """)
            let row = try #require(try db.query("SELECT * FROM t").first)
            #expect(try row.decode("i", as: Int?.self) == nil)
            #expect(try row.decode("b", as: Bool?.self) == nil)
            #expect(try row.decode("d", as: Double?.self) == nil)
            #expect(try row.decode("s", as: String?.self) == nil)
            #expect(try row.decode("ts", as: Date?.self) == nil)
            #expect(try row.decode("u", as: UUID?.self) == nil)
            #expect(try row.decode("bytes", as: [UInt8]?.self) == nil)
            #expect(try row.decode("texts", as: [String]?.self) == nil)
            #expect(try row.decode("numbers", as: [Int64]?.self) == nil)
            #expect(try row.decode("doc", as: PostgresJSON<Complaint>?.self) == nil)
            #expect(try row.isNull("s"))
            // The server saw real NULLs, not empty values.
            let nulls = try #require(try db.query("SELECT num_nulls(i, b, d, s, ts, u, bytes, texts, numbers, doc) AS n FROM t").first)
            #expect(try nulls.decode("n", as: Int.self) == 10)
            // A present optional decodes to its value.
            let some: String? = "有值"
            let echoed = try #require(try db.query("SELECT \(some) AS v").first)
            #expect(try echoed.decode("v", as: String?.self) == "有值")
        }
    }

    @Test func oneMebibyteOfBytesAndOfText() throws {
        try PostgresTestDatabase.with { url in
            let db = try PostgresConnection(url: url)
            try db.execute("CREATE TABLE blobs (id int PRIMARY KEY, b bytea, s text)")
            var generator = SystemRandomNumberGenerator()
            let bytes = (0..<(1 << 20)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let unit = "热线12345，"
            let text = String(repeating: unit, count: (1 << 20) / unit.utf8.count + 1)
            #expect(text.utf8.count >= 1 << 20)
            try db.execute("INSERT INTO blobs VALUES (1, \(bytes), \(text))")
            let row = try #require(try db.query("SELECT b, s, md5(b) AS hash FROM blobs WHERE id = 1").first)
            #expect(try row.decode("b", as: [UInt8].self) == bytes)
            #expect(try row.decode("s", as: String.self) == text)
            #expect(try row.decode("hash", as: String.self).count == 32)
        }
    }

    @Test func sqlInjectionStaysData() throws {
        try PostgresTestDatabase.with { url in
            let db = try PostgresConnection(url: url)
            try db.execute("CREATE TABLE t (name text)")
            try db.execute("CREATE TABLE students (name text)")
            let attacks = ["'; DROP TABLE t; --", "Robert'); DROP TABLE students;--"]
            for attack in attacks {
                try db.execute("INSERT INTO t (name) VALUES (\(attack))")
                try db.execute("INSERT INTO students (name) VALUES (\(attack))")
            }
            let stored = try db.query("SELECT name FROM t ORDER BY name").map { try $0.decode("name", as: String.self) }
            #expect(stored == attacks.sorted())
            let found = try db.query("SELECT count(*) AS n FROM students WHERE name = \(attacks[1])")
            #expect(try found.first?.decode("n", as: Int.self) == 1)
            let tables = try db.query("""
                SELECT count(*) AS n FROM information_schema.tables WHERE table_name IN ('t', 'students')
                """)
            #expect(try tables.first?.decode("n", as: Int.self) == 2)
        }
    }

    @Test func decodingTheWrongTypeNamesTheColumn() throws {
        try PostgresTestDatabase.with { url in
            let db = try PostgresConnection(url: url)
            let secret = "abc-secret"
            let row = try #require(try db.query("SELECT \(secret) AS caller_name, NULL::int AS missing_count, 70000 AS big").first)
            let wrongType = #expect(throws: PostgresError.self) { try row.decode("caller_name", as: Int.self) }
            #expect(wrongType?.code == .decoding)
            #expect(wrongType?.column == "caller_name")
            #expect(wrongType?.description.contains("caller_name") == true)
            #expect(wrongType?.description.contains(secret) == false)
            let null = #expect(throws: PostgresError.self) { try row.decode("missing_count", as: Int.self) }
            #expect(null?.column == "missing_count")
            #expect(null?.description.contains("missing_count") == true)
            let overflow = #expect(throws: PostgresError.self) { try row.decode("big", as: Int16.self) }
            #expect(overflow?.column == "big")
            let noColumn = #expect(throws: PostgresError.self) { try row.decode("nope", as: Int.self) }
            #expect(noColumn?.code == .usage)
        }
    }

    @Test func errorDescriptionHoldsNeitherParametersNorPersonalData() throws {
        try PostgresTestDatabase.with { url in
            let db = try PostgresConnection(url: url)
            try db.execute("CREATE TABLE callers (phone text PRIMARY KEY, name text NOT NULL)")
            let phone = "13800138000", name = "张三"
            try db.execute("INSERT INTO callers VALUES (\(phone), \(name))")
            let error = #expect(throws: PostgresError.self) {
                try db.execute("INSERT INTO callers VALUES (\(phone), \(name))")
            }
            let failure = try #require(error)
            #expect(failure.sqlState == "23505")
            #expect(failure.code == .sqlState("23505"))
            #expect(failure.statement == "INSERT INTO callers VALUES ($1, $2)")
            #expect(!failure.description.contains(phone))
            #expect(!failure.description.contains(name))
            #expect(failure.description.contains("23505"))
            // The server's message (which quotes the key) stays in `message`, out of `description`.
            #expect(failure.message.contains("duplicate key"))
            // A type error on a parameter does not leak it either.
            let cast = #expect(throws: PostgresError.self) { try db.query("SELECT \(name)::int AS n") }
            #expect(cast?.sqlState == "22P02")
            #expect(cast?.description.contains(name) == false)
            // The connection is usable after errors.
            #expect(try db.query("SELECT count(*) AS n FROM callers").first?.decode("n", as: Int.self) == 1)
        }
    }
}
