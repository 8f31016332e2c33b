import Foundation

/// A PostgreSQL type, by OID.
public struct PostgresDataType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    public init(_ rawValue: UInt32) { self.rawValue = rawValue }

    public static let bool = PostgresDataType(16)
    public static let bytea = PostgresDataType(17)
    public static let char = PostgresDataType(18)
    public static let name = PostgresDataType(19)
    public static let int8 = PostgresDataType(20)
    public static let int2 = PostgresDataType(21)
    public static let int4 = PostgresDataType(23)
    public static let text = PostgresDataType(25)
    public static let oid = PostgresDataType(26)
    public static let json = PostgresDataType(114)
    public static let float4 = PostgresDataType(700)
    public static let float8 = PostgresDataType(701)
    public static let unknown = PostgresDataType(705)
    public static let int2Array = PostgresDataType(1005)
    public static let int4Array = PostgresDataType(1007)
    public static let textArray = PostgresDataType(1009)
    public static let bpcharArray = PostgresDataType(1014)
    public static let varcharArray = PostgresDataType(1015)
    public static let int8Array = PostgresDataType(1016)
    public static let bpchar = PostgresDataType(1042)
    public static let varchar = PostgresDataType(1043)
    public static let date = PostgresDataType(1082)
    public static let timestamp = PostgresDataType(1114)
    public static let timestamptz = PostgresDataType(1184)
    public static let numeric = PostgresDataType(1700)
    public static let uuid = PostgresDataType(2950)
    public static let jsonb = PostgresDataType(3802)

    public var description: String {
        switch self {
        case .bool: "bool"
        case .bytea: "bytea"
        case .char: "char"
        case .name: "name"
        case .int8: "int8"
        case .int2: "int2"
        case .int4: "int4"
        case .text: "text"
        case .oid: "oid"
        case .json: "json"
        case .float4: "float4"
        case .float8: "float8"
        case .unknown: "unknown"
        case .int2Array: "int2[]"
        case .int4Array: "int4[]"
        case .textArray: "text[]"
        case .bpcharArray: "bpchar[]"
        case .varcharArray: "varchar[]"
        case .int8Array: "int8[]"
        case .bpchar: "bpchar"
        case .varchar: "varchar"
        case .date: "date"
        case .timestamp: "timestamp"
        case .timestamptz: "timestamptz"
        case .numeric: "numeric"
        case .uuid: "uuid"
        case .jsonb: "jsonb"
        default: "oid \(rawValue)"
        }
    }
}

/// One bind parameter in PostgreSQL's binary wire format; `bytes == nil` is SQL NULL.
public struct PostgresValue: Sendable {
    public var type: PostgresDataType
    public var bytes: [UInt8]?
    /// Set when the Swift value could not be encoded (e.g. JSON); the statement then fails
    /// before it is sent, with this reason.
    var encodingFailure: String?

    public init(type: PostgresDataType, bytes: [UInt8]?) {
        self.type = type
        self.bytes = bytes
    }
}

/// A Swift value that can be a bind parameter.
public protocol PostgresEncodable {
    /// The PostgreSQL type this value is sent as (also for its NULL, when optional).
    static var postgresType: PostgresDataType { get }
    /// The value in binary wire format.
    var postgresValue: PostgresValue { get }
}

// MARK: - Big-endian helpers

@inline(__always)
func appendBigEndian<T: FixedWidthInteger>(_ value: T, to buffer: inout [UInt8]) {
    withUnsafeBytes(of: value.bigEndian) { buffer.append(contentsOf: $0) }
}

@inline(__always)
func bigEndianBytes<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
    var buffer: [UInt8] = []
    buffer.reserveCapacity(MemoryLayout<T>.size)
    appendBigEndian(value, to: &buffer)
    return buffer
}

/// Seconds between 1970-01-01 and PostgreSQL's epoch 2000-01-01 (UTC).
let postgresEpochOffset: Double = 946_684_800

// MARK: - Scalars

extension Int: PostgresEncodable {
    public static var postgresType: PostgresDataType { .int8 }
    public var postgresValue: PostgresValue { PostgresValue(type: .int8, bytes: bigEndianBytes(Int64(self))) }
}

extension Int64: PostgresEncodable {
    public static var postgresType: PostgresDataType { .int8 }
    public var postgresValue: PostgresValue { PostgresValue(type: .int8, bytes: bigEndianBytes(self)) }
}

extension Int32: PostgresEncodable {
    public static var postgresType: PostgresDataType { .int4 }
    public var postgresValue: PostgresValue { PostgresValue(type: .int4, bytes: bigEndianBytes(self)) }
}

extension Int16: PostgresEncodable {
    public static var postgresType: PostgresDataType { .int2 }
    public var postgresValue: PostgresValue { PostgresValue(type: .int2, bytes: bigEndianBytes(self)) }
}

extension Bool: PostgresEncodable {
    public static var postgresType: PostgresDataType { .bool }
    public var postgresValue: PostgresValue { PostgresValue(type: .bool, bytes: [self ? 1 : 0]) }
}

extension Double: PostgresEncodable {
    public static var postgresType: PostgresDataType { .float8 }
    public var postgresValue: PostgresValue { PostgresValue(type: .float8, bytes: bigEndianBytes(bitPattern)) }
}

extension String: PostgresEncodable {
    public static var postgresType: PostgresDataType { .text }
    public var postgresValue: PostgresValue { PostgresValue(type: .text, bytes: Array(utf8)) }
}

extension Substring: PostgresEncodable {
    public static var postgresType: PostgresDataType { .text }
    public var postgresValue: PostgresValue { PostgresValue(type: .text, bytes: Array(utf8)) }
}

/// Sent as `timestamptz` (microseconds since 2000-01-01 UTC).
extension Date: PostgresEncodable {
    public static var postgresType: PostgresDataType { .timestamptz }
    public var postgresValue: PostgresValue {
        let micros = ((timeIntervalSince1970 - postgresEpochOffset) * 1_000_000).rounded()
        return PostgresValue(type: .timestamptz, bytes: bigEndianBytes(Int64(micros)))
    }
}

extension UUID: PostgresEncodable {
    public static var postgresType: PostgresDataType { .uuid }
    public var postgresValue: PostgresValue {
        let u = uuid
        return PostgresValue(type: .uuid, bytes: [u.0, u.1, u.2, u.3, u.4, u.5, u.6, u.7,
                                                  u.8, u.9, u.10, u.11, u.12, u.13, u.14, u.15])
    }
}

/// Sent as `bytea`.
extension Data: PostgresEncodable {
    public static var postgresType: PostgresDataType { .bytea }
    public var postgresValue: PostgresValue { PostgresValue(type: .bytea, bytes: [UInt8](self)) }
}

extension Optional: PostgresEncodable where Wrapped: PostgresEncodable {
    public static var postgresType: PostgresDataType { Wrapped.postgresType }
    public var postgresValue: PostgresValue {
        switch self {
        case .some(let value): value.postgresValue
        case .none: PostgresValue(type: Wrapped.postgresType, bytes: nil)
        }
    }
}

// MARK: - Arrays: [UInt8] is bytea, [String] is text[], [Int64] is int8[]

/// An element type whose Swift arrays have a PostgreSQL form (`UInt8` → bytea, `String` → text[],
/// `Int64` → int8[]).
public protocol PostgresArrayElement {
    static var postgresArrayType: PostgresDataType { get }
    static func postgresEncodeArray(_ array: [Self]) -> [UInt8]
}

extension Array: PostgresEncodable where Element: PostgresArrayElement {
    public static var postgresType: PostgresDataType { Element.postgresArrayType }
    public var postgresValue: PostgresValue {
        PostgresValue(type: Element.postgresArrayType, bytes: Element.postgresEncodeArray(self))
    }
}

extension UInt8: PostgresArrayElement {
    public static var postgresArrayType: PostgresDataType { .bytea }
    public static func postgresEncodeArray(_ array: [UInt8]) -> [UInt8] { array }
}

/// PostgreSQL's binary array format for a one-dimensional array without NULLs.
func encodeOneDimensionalArray(elementType: PostgresDataType, count: Int,
                               appendElements: (inout [UInt8]) -> Void) -> [UInt8] {
    var buffer: [UInt8] = []
    appendBigEndian(Int32(count == 0 ? 0 : 1), to: &buffer) // dimensions
    appendBigEndian(Int32(0), to: &buffer)                   // flags: no NULLs
    appendBigEndian(elementType.rawValue, to: &buffer)
    if count > 0 {
        appendBigEndian(Int32(count), to: &buffer)           // length of the dimension
        appendBigEndian(Int32(1), to: &buffer)               // lower bound
        appendElements(&buffer)
    }
    return buffer
}

extension String: PostgresArrayElement {
    public static var postgresArrayType: PostgresDataType { .textArray }
    public static func postgresEncodeArray(_ array: [String]) -> [UInt8] {
        encodeOneDimensionalArray(elementType: .text, count: array.count) { buffer in
            for element in array {
                let utf8 = element.utf8
                appendBigEndian(Int32(utf8.count), to: &buffer)
                buffer.append(contentsOf: utf8)
            }
        }
    }
}

extension Int64: PostgresArrayElement {
    public static var postgresArrayType: PostgresDataType { .int8Array }
    public static func postgresEncodeArray(_ array: [Int64]) -> [UInt8] {
        encodeOneDimensionalArray(elementType: .int8, count: array.count) { buffer in
            for element in array {
                appendBigEndian(Int32(8), to: &buffer)
                appendBigEndian(element, to: &buffer)
            }
        }
    }
}

// MARK: - JSON

/// A value sent as `jsonb` (encoded with `JSONEncoder`), and decoded from `json`/`jsonb`.
public struct PostgresJSON<T: Encodable>: PostgresEncodable {
    public var value: T
    public var encoder: JSONEncoder

    public init(_ value: T, encoder: JSONEncoder = PostgresJSON.defaultEncoder) {
        self.value = value
        self.encoder = encoder
    }

    /// ISO 8601 dates and sorted keys, so the stored text is stable.
    public static var defaultEncoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }

    public static var postgresType: PostgresDataType { .jsonb }

    public var postgresValue: PostgresValue {
        do {
            let data = try encoder.encode(value)
            var bytes: [UInt8] = [1] // jsonb binary format version
            bytes.append(contentsOf: data)
            return PostgresValue(type: .jsonb, bytes: bytes)
        } catch {
            // Reported when the statement runs; the error's text names the type, not the value.
            var failed = PostgresValue(type: .jsonb, bytes: nil)
            failed.encodingFailure = "could not encode \(T.self) as JSON"
            return failed
        }
    }
}
