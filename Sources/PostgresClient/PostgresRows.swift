import CLibPQ
import Foundation

/// Owns one `PGresult` and frees it in `deinit`.
///
/// `@unchecked Sendable`: a PGresult is read-only once returned by libpq and libpq documents that
/// it may be passed between threads; this class never mutates it, and the name index is built
/// once in `init`.
final class ResultHandle: @unchecked Sendable {
    private let pointer: OpaquePointer
    let statement: String
    let rowCount: Int32
    let columnCount: Int32
    let columnNames: [String]
    let columnTypes: [PostgresDataType]
    /// PQcmdTuples: rows affected by INSERT/UPDATE/DELETE/SELECT..., 0 for other commands.
    let affectedRows: Int
    private let indexByName: [String: Int32]

    init(_ pointer: OpaquePointer, statement: String) {
        self.pointer = pointer
        self.statement = statement
        rowCount = PQntuples(pointer)
        columnCount = PQnfields(pointer)
        affectedRows = PQcmdTuples(pointer).flatMap { Int(String(cString: $0)) } ?? 0
        var names: [String] = []
        var types: [PostgresDataType] = []
        var index: [String: Int32] = [:]
        for column in 0..<columnCount {
            let name = PQfname(pointer, column).map { String(cString: $0) } ?? ""
            names.append(name)
            types.append(PostgresDataType(PQftype(pointer, column)))
            if index[name] == nil { index[name] = column }
        }
        columnNames = names
        columnTypes = types
        indexByName = index
    }

    deinit { PQclear(pointer) }

    func column(named name: String) -> Int32? { indexByName[name] }

    func isNull(row: Int32, column: Int32) -> Bool { PQgetisnull(pointer, row, column) == 1 }

    func bytes(row: Int32, column: Int32) -> UnsafeRawBufferPointer {
        let length = Int(PQgetlength(pointer, row, column))
        guard let base = PQgetvalue(pointer, row, column) else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(start: UnsafeRawPointer(base), count: length)
    }
}

/// The rows of a query's result, all received.
public struct PostgresRows: RandomAccessCollection, Sendable {
    let result: ResultHandle?

    init(result: ResultHandle?) { self.result = result }

    public var startIndex: Int { 0 }
    public var endIndex: Int { Int(result?.rowCount ?? 0) }

    public subscript(position: Int) -> PostgresRow {
        precondition(position >= 0 && position < endIndex, "row index out of range")
        return PostgresRow(result: result!, row: Int32(position))
    }

    /// The result's column names, in order.
    public var columns: [String] { result?.columnNames ?? [] }
}

/// One row of a result.
public struct PostgresRow: Sendable {
    let result: ResultHandle
    let row: Int32

    /// The value of column `column` (its name in the result).
    public func decode<T: PostgresDecodable>(_ column: String, as type: T.Type = T.self) throws -> T {
        try T.decode(from: cell(try index(of: column)))
    }

    /// The value of the column at `index` (0-based).
    public func decode<T: PostgresDecodable>(_ index: Int, as type: T.Type = T.self) throws -> T {
        guard index >= 0 && index < Int(result.columnCount) else {
            throw PostgresError(code: .usage, message: "column index \(index) out of range (\(result.columnCount) columns)",
                                statement: result.statement)
        }
        return try T.decode(from: cell(Int32(index)))
    }

    /// A `json`/`jsonb` (or text) column decoded with `JSONDecoder`.
    public func decodeJSON<T: Decodable>(_ column: String, as type: T.Type = T.self,
                                         decoder: JSONDecoder = PostgresJSON<String>.defaultDecoder) throws -> T {
        try PostgresClient.decodeJSON(cell(try index(of: column)), as: T.self, decoder: decoder)
    }

    /// True when the column is SQL NULL.
    public func isNull(_ column: String) throws -> Bool {
        result.isNull(row: row, column: try index(of: column))
    }

    private func index(of column: String) throws -> Int32 {
        guard let index = result.column(named: column) else {
            throw PostgresError(code: .usage, message: "no column \"\(column)\" in the result",
                                statement: result.statement, column: column)
        }
        return index
    }

    private func cell(_ column: Int32) -> PostgresCell {
        PostgresCell(type: result.columnTypes[Int(column)], columnName: result.columnNames[Int(column)],
                     isNull: result.isNull(row: row, column: column), result: result, row: row, column: column)
    }
}
