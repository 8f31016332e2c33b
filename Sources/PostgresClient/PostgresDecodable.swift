import Foundation

/// One field of a result row, in PostgreSQL's binary format, as handed to `PostgresDecodable`.
/// Valid only during the `decode(from:)` call it is passed to.
public struct PostgresCell {
    /// The column's PostgreSQL type.
    public let type: PostgresDataType
    /// The column's name (for error messages).
    public let columnName: String
    /// True when the field is SQL NULL.
    public let isNull: Bool
    let result: ResultHandle
    let row: Int32
    let column: Int32

    /// A copy of the field's bytes (nil for NULL).
    public var bytes: [UInt8]? {
        isNull ? nil : withBytes { Array($0) }
    }

    func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(result.bytes(row: row, column: column))
    }

    /// Runs `body` on the field's bytes, or throws a decoding error when the field is NULL.
    func nonNullBytes<R>(as swiftType: Any.Type, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        if isNull {
            throw failure("is NULL; decode it as an Optional of \(swiftType)")
        }
        return try withBytes(body)
    }

    /// A decoding error naming this column (never its value).
    public func failure(_ reason: String) -> PostgresError {
        PostgresError(code: .decoding, message: "column \"\(columnName)\" (\(type)) \(reason)",
                      statement: result.statement, column: columnName)
    }

    func wrongType(_ swiftType: Any.Type) -> PostgresError {
        failure("cannot be decoded as \(swiftType)")
    }
}

/// A Swift type that can be read from a result field.
public protocol PostgresDecodable {
    static func decode(from cell: PostgresCell) throws -> Self
}

// MARK: - Reading helpers

extension UnsafeRawBufferPointer {
    @inline(__always)
    func bigEndian<T: FixedWidthInteger>(_: T.Type, at offset: Int = 0) -> T {
        T(bigEndian: loadUnaligned(fromByteOffset: offset, as: T.self))
    }
}

/// Reads any PostgreSQL integer type, checking that it fits `T`.
func decodeInteger<T: FixedWidthInteger>(_ cell: PostgresCell, as: T.Type) throws -> T {
    try cell.nonNullBytes(as: T.self) { buffer in
        let wide: Int64
        switch (cell.type, buffer.count) {
        case (.int2, 2): wide = Int64(buffer.bigEndian(Int16.self))
        case (.int4, 4): wide = Int64(buffer.bigEndian(Int32.self))
        case (.int8, 8): wide = buffer.bigEndian(Int64.self)
        case (.oid, 4): wide = Int64(buffer.bigEndian(UInt32.self))
        default: throw cell.wrongType(T.self)
        }
        guard let value = T(exactly: wide) else { throw cell.failure("does not fit in \(T.self)") }
        return value
    }
}

extension Int: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws -> Int { try decodeInteger(cell, as: Int.self) }
}

extension Int64: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws -> Int64 { try decodeInteger(cell, as: Int64.self) }
}

extension Int32: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws -> Int32 { try decodeInteger(cell, as: Int32.self) }
}

extension Int16: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws -> Int16 { try decodeInteger(cell, as: Int16.self) }
}

extension Bool: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws -> Bool {
        try cell.nonNullBytes(as: Bool.self) { buffer in
            guard cell.type == .bool, buffer.count == 1 else { throw cell.wrongType(Bool.self) }
            return buffer[0] != 0
        }
    }
}

extension Double: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws -> Double {
        try cell.nonNullBytes(as: Double.self) { buffer in
            switch (cell.type, buffer.count) {
            case (.float8, 8): return Double(bitPattern: buffer.bigEndian(UInt64.self))
            case (.float4, 4): return Double(Float(bitPattern: buffer.bigEndian(UInt32.self)))
            case (.int2, _), (.int4, _), (.int8, _): return Double(try decodeInteger(cell, as: Int64.self))
            case (.numeric, _): return try decodeNumeric(buffer, cell: cell)
            default: throw cell.wrongType(Double.self)
            }
        }
    }

    /// numeric's binary form: ndigits, weight, sign, dscale (int16 each), then base-10000 digits.
    private static func decodeNumeric(_ buffer: UnsafeRawBufferPointer, cell: PostgresCell) throws -> Double {
        guard buffer.count >= 8 else { throw cell.failure("is a malformed numeric") }
        let count = Int(buffer.bigEndian(Int16.self, at: 0))
        let weight = Int(buffer.bigEndian(Int16.self, at: 2))
        let sign = buffer.bigEndian(UInt16.self, at: 4)
        guard buffer.count >= 8 + 2 * count else { throw cell.failure("is a malformed numeric") }
        if sign == 0xC000 { return .nan }
        var value = 0.0
        for index in 0..<count {
            let digit = Double(buffer.bigEndian(Int16.self, at: 8 + 2 * index))
            value += digit * pow(10_000, Double(weight - index))
        }
        return sign == 0x4000 ? -value : value
    }
}

/// Text types, and user-defined types (OID >= 16384: enums send their label as text).
private func isTextLike(_ type: PostgresDataType) -> Bool {
    switch type {
    case .text, .varchar, .bpchar, .name, .unknown, .json, .char: true
    default: type.rawValue >= 16_384
    }
}

extension String: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws -> String {
        try cell.nonNullBytes(as: String.self) { buffer in
            if cell.type == .jsonb, buffer.count >= 1 {
                return String(decoding: UnsafeRawBufferPointer(rebasing: buffer[1...]), as: UTF8.self)
            }
            guard isTextLike(cell.type) else { throw cell.wrongType(String.self) }
            return String(decoding: buffer, as: UTF8.self)
        }
    }
}

/// From `timestamptz`, `timestamp` (taken as UTC) or `date` (midnight UTC). Infinity becomes
/// `distantFuture`/`distantPast`.
extension Date: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws -> Date {
        try cell.nonNullBytes(as: Date.self) { buffer in
            switch (cell.type, buffer.count) {
            case (.timestamptz, 8), (.timestamp, 8):
                let micros = buffer.bigEndian(Int64.self)
                if micros == .max { return .distantFuture }
                if micros == .min { return .distantPast }
                return Date(timeIntervalSince1970: postgresEpochOffset + Double(micros) / 1_000_000)
            case (.date, 4):
                let days = buffer.bigEndian(Int32.self)
                if days == .max { return .distantFuture }
                if days == .min { return .distantPast }
                return Date(timeIntervalSince1970: postgresEpochOffset + Double(days) * 86_400)
            default:
                throw cell.wrongType(Date.self)
            }
        }
    }
}

extension UUID: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws -> UUID {
        try cell.nonNullBytes(as: UUID.self) { b in
            guard cell.type == .uuid, b.count == 16 else { throw cell.wrongType(UUID.self) }
            return UUID(uuid: (b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7],
                               b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]))
        }
    }
}

extension Data: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws -> Data {
        try cell.nonNullBytes(as: Data.self) { buffer in
            guard cell.type == .bytea else { throw cell.wrongType(Data.self) }
            return Data(buffer)
        }
    }
}

extension Optional: PostgresDecodable where Wrapped: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws -> Wrapped? {
        cell.isNull ? nil : try Wrapped.decode(from: cell)
    }
}

// MARK: - Arrays

/// An element type whose Swift arrays can be read (`UInt8` from bytea, `String` from text[],
/// `Int64` from int8[]/int4[]/int2[]).
public protocol PostgresArrayDecodableElement {
    static func postgresDecodeArray(from cell: PostgresCell) throws -> [Self]
}

extension Array: PostgresDecodable where Element: PostgresArrayDecodableElement {
    public static func decode(from cell: PostgresCell) throws -> [Element] {
        try Element.postgresDecodeArray(from: cell)
    }
}

extension UInt8: PostgresArrayDecodableElement {
    public static func postgresDecodeArray(from cell: PostgresCell) throws -> [UInt8] {
        try cell.nonNullBytes(as: [UInt8].self) { buffer in
            guard cell.type == .bytea else { throw cell.wrongType([UInt8].self) }
            return Array(buffer)
        }
    }
}

/// Walks a one-dimensional binary array, calling `element` with each element's type and bytes.
func decodeOneDimensionalArray<E>(_ cell: PostgresCell, as swiftType: Any.Type, accepting types: Set<UInt32>,
                                  element: (PostgresDataType, UnsafeRawBufferPointer) throws -> E) throws -> [E] {
    try cell.nonNullBytes(as: swiftType) { buffer in
        guard types.contains(cell.type.rawValue), buffer.count >= 12 else { throw cell.wrongType(swiftType) }
        let dimensions = buffer.bigEndian(Int32.self, at: 0)
        let elementType = PostgresDataType(buffer.bigEndian(UInt32.self, at: 8))
        if dimensions == 0 { return [] }
        guard dimensions == 1, buffer.count >= 20 else {
            throw cell.failure("is a \(dimensions)-dimensional array; only one dimension decodes as \(swiftType)")
        }
        let count = Int(buffer.bigEndian(Int32.self, at: 12))
        var offset = 20
        var result: [E] = []
        result.reserveCapacity(count)
        for _ in 0..<count {
            guard offset + 4 <= buffer.count else { throw cell.failure("is a malformed array") }
            let length = Int(buffer.bigEndian(Int32.self, at: offset))
            offset += 4
            if length < 0 { throw cell.failure("has a NULL element; cannot decode as \(swiftType)") }
            guard offset + length <= buffer.count else { throw cell.failure("is a malformed array") }
            result.append(try element(elementType, UnsafeRawBufferPointer(rebasing: buffer[offset..<(offset + length)])))
            offset += length
        }
        return result
    }
}

extension String: PostgresArrayDecodableElement {
    public static func postgresDecodeArray(from cell: PostgresCell) throws -> [String] {
        let types: Set<UInt32> = [PostgresDataType.textArray.rawValue, PostgresDataType.varcharArray.rawValue,
                                  PostgresDataType.bpcharArray.rawValue, 1003 /* name[] */]
        return try decodeOneDimensionalArray(cell, as: [String].self, accepting: types) { _, bytes in
            String(decoding: bytes, as: UTF8.self)
        }
    }
}

extension Int64: PostgresArrayDecodableElement {
    public static func postgresDecodeArray(from cell: PostgresCell) throws -> [Int64] {
        let types: Set<UInt32> = [PostgresDataType.int8Array.rawValue, PostgresDataType.int4Array.rawValue,
                                  PostgresDataType.int2Array.rawValue]
        return try decodeOneDimensionalArray(cell, as: [Int64].self, accepting: types) { type, bytes in
            switch (type, bytes.count) {
            case (.int8, 8): return bytes.bigEndian(Int64.self)
            case (.int4, 4): return Int64(bytes.bigEndian(Int32.self))
            case (.int2, 2): return Int64(bytes.bigEndian(Int16.self))
            default: throw cell.failure("has an element of an unexpected type")
            }
        }
    }
}

// MARK: - JSON

extension PostgresJSON: PostgresDecodable where T: Decodable {
    public static func decode(from cell: PostgresCell) throws -> PostgresJSON<T> {
        PostgresJSON(try decodeJSON(cell, as: T.self, decoder: defaultDecoder))
    }

    /// ISO 8601 dates, matching `defaultEncoder`.
    public static var defaultDecoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}

func decodeJSON<T: Decodable>(_ cell: PostgresCell, as type: T.Type, decoder: JSONDecoder) throws -> T {
    let data: Data = try cell.nonNullBytes(as: T.self) { buffer in
        switch cell.type {
        case .jsonb:
            guard buffer.count >= 1, buffer[0] == 1 else { throw cell.failure("has an unknown jsonb version") }
            return Data(UnsafeRawBufferPointer(rebasing: buffer[1...]))
        case .json, .text, .varchar:
            return Data(buffer)
        default:
            throw cell.wrongType(T.self)
        }
    }
    do {
        return try decoder.decode(T.self, from: data)
    } catch {
        // The decoder's error can quote the JSON: keep only the type in the message.
        throw cell.failure("does not hold JSON of type \(T.self)")
    }
}
