import Foundation
import PostgresClient
import Testing

@Suite("SQL builder (no server)")
struct SQLTests {
    @Test func interpolatedValuesBecomeParameters() {
        let name = "Robert'); DROP TABLE students;--"
        let sql: SQL = "SELECT * FROM callers WHERE name = \(name) AND age > \(30)"
        #expect(sql.text == "SELECT * FROM callers WHERE name = $1 AND age > $2")
        #expect(sql.parameterCount == 2)
        #expect(!sql.description.contains("Robert"))
    }

    @Test func fragmentsAreRenumbered() {
        var sql: SQL = "SELECT 1 WHERE a = \(1)"
        sql.append(" AND b = \("x")")
        let tail: SQL = " AND c = \(true)"
        let combined: SQL = "\(sql)\(tail) AND d = \(2.5)"
        #expect(combined.text == "SELECT 1 WHERE a = $1 AND b = $2 AND c = $3 AND d = $4")
        #expect(combined.parameterCount == 4)
    }

    @Test func identifiersAreQuoted() {
        let sql: SQL = "LISTEN \(identifier: "work\"orders")"
        #expect(sql.text == "LISTEN \"work\"\"orders\"")
        #expect(sql.parameterCount == 0)
    }

    @Test func unsafeSQLIsTakenAsIs() {
        #expect(SQL(unsafeSQL: "SELECT '$1'").text == "SELECT '$1'")
    }

    @Test func errorDescriptionIsGeneric() {
        let error = PostgresError(code: .sqlState("23505"), sqlState: "23505",
                                  message: "Key (phone)=(13800138000) already exists",
                                  statement: "INSERT INTO callers (phone) VALUES ($1)")
        #expect(!error.description.contains("13800138000"))
        #expect(error.description.contains("23505"))
        #expect(error.description.contains("INSERT INTO callers (phone) VALUES ($1)"))
    }
}
