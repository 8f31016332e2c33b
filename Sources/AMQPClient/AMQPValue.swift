import CRabbitMQ
import Foundation

/// A value of an AMQP field table (message headers, queue arguments).
public indirect enum AMQPValue: Sendable, Equatable, Hashable {
    case string(String)
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case bytes([UInt8])
    /// Seconds since 1970 (AMQP timestamps have second precision).
    case timestamp(Date)
    case array([AMQPValue])
    case table([String: AMQPValue])
    case void

    public var stringValue: String? { if case .string(let s) = self { s } else { nil } }
    public var intValue: Int64? { if case .int(let i) = self { i } else { nil } }
    public var tableValue: [String: AMQPValue]? { if case .table(let t) = self { t } else { nil } }
    public var arrayValue: [AMQPValue]? { if case .array(let a) = self { a } else { nil } }
}

extension AMQPValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByFloatLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
}

// MARK: - Decoding from rabbitmq-c (copies everything: the library's memory is reused later)

extension AMQPValue {
    init(_ field: amqp_field_value_t) {
        let value = field.value
        switch Int(field.kind) {
        case Int(AMQP_FIELD_KIND_BOOLEAN.rawValue): self = .bool(value.boolean != 0)
        case Int(AMQP_FIELD_KIND_I8.rawValue): self = .int(Int64(value.i8))
        case Int(AMQP_FIELD_KIND_U8.rawValue): self = .int(Int64(value.u8))
        case Int(AMQP_FIELD_KIND_I16.rawValue): self = .int(Int64(value.i16))
        case Int(AMQP_FIELD_KIND_U16.rawValue): self = .int(Int64(value.u16))
        case Int(AMQP_FIELD_KIND_I32.rawValue): self = .int(Int64(value.i32))
        case Int(AMQP_FIELD_KIND_U32.rawValue): self = .int(Int64(value.u32))
        case Int(AMQP_FIELD_KIND_I64.rawValue): self = .int(value.i64)
        case Int(AMQP_FIELD_KIND_U64.rawValue): self = .int(Int64(clamping: value.u64))
        case Int(AMQP_FIELD_KIND_F32.rawValue): self = .double(Double(value.f32))
        case Int(AMQP_FIELD_KIND_F64.rawValue): self = .double(value.f64)
        case Int(AMQP_FIELD_KIND_DECIMAL.rawValue):
            self = .double(Double(value.decimal.value) / pow(10, Double(value.decimal.decimals)))
        case Int(AMQP_FIELD_KIND_UTF8.rawValue): self = .string(String(decoding: value.bytes.array, as: UTF8.self))
        case Int(AMQP_FIELD_KIND_BYTES.rawValue): self = .bytes(value.bytes.array)
        case Int(AMQP_FIELD_KIND_TIMESTAMP.rawValue):
            self = .timestamp(Date(timeIntervalSince1970: TimeInterval(value.u64)))
        case Int(AMQP_FIELD_KIND_ARRAY.rawValue):
            let array = value.array
            var items: [AMQPValue] = []
            items.reserveCapacity(Int(array.num_entries))
            for index in 0..<Int(max(array.num_entries, 0)) { items.append(AMQPValue(array.entries[index])) }
            self = .array(items)
        case Int(AMQP_FIELD_KIND_TABLE.rawValue): self = .table(Self.dictionary(value.table))
        default: self = .void
        }
    }

    static func dictionary(_ table: amqp_table_t) -> [String: AMQPValue] {
        var result: [String: AMQPValue] = [:]
        guard table.num_entries > 0, let entries = table.entries else { return result }
        result.reserveCapacity(Int(table.num_entries))
        for index in 0..<Int(table.num_entries) {
            let entry = entries[index]
            result[String(decoding: entry.key.array, as: UTF8.self)] = AMQPValue(entry.value)
        }
        return result
    }
}

extension amqp_bytes_t {
    /// A copy of the bytes.
    var array: [UInt8] {
        guard len > 0, let bytes else { return [] }
        return Array(UnsafeRawBufferPointer(start: bytes, count: len))
    }

    var string: String { String(decoding: array, as: UTF8.self) }
}

// MARK: - Encoding into rabbitmq-c structures

/// A rabbitmq-c memory pool owning the C structures of one call (tables, copied strings). Every
/// `amqp_bytes_t` handed to the library points into this pool, never into a temporary Swift string
/// (see ARCHITECTURE.md: `amqp_cstring_bytes` on a temporary keeps a dangling pointer).
final class CPool {
    private let pool: UnsafeMutablePointer<amqp_pool_t>

    init(pageSize: Int = 4096) {
        pool = .allocate(capacity: 1)
        init_amqp_pool(pool, pageSize)
    }

    deinit {
        empty_amqp_pool(pool)
        pool.deallocate()
    }

    /// Frees everything allocated so far, keeping one page for reuse.
    func recycle() { recycle_amqp_pool(pool) }

    private func allocate(_ size: Int) -> UnsafeMutableRawPointer {
        guard let pointer = amqp_pool_alloc(pool, max(size, 1)) else { fatalError("rabbitmq-c pool allocation failed") }
        return pointer
    }

    func bytes(_ source: some Collection<UInt8>) -> amqp_bytes_t {
        let count = source.count
        if count == 0 { return amqp_bytes_t(len: 0, bytes: nil) }
        let pointer = allocate(count)
        let buffer = UnsafeMutableRawBufferPointer(start: pointer, count: count)
        buffer.copyBytes(from: source)
        return amqp_bytes_t(len: count, bytes: pointer)
    }

    func bytes(_ string: String) -> amqp_bytes_t { bytes(string.utf8) }

    /// A NUL-terminated copy (for the few calls that take `const char *`).
    func cString(_ string: String) -> UnsafePointer<CChar> {
        let utf8 = Array(string.utf8) + [0]
        let pointer = allocate(utf8.count)
        pointer.copyMemory(from: utf8, byteCount: utf8.count)
        return UnsafePointer(pointer.assumingMemoryBound(to: CChar.self))
    }

    func table(_ dictionary: [String: AMQPValue]) -> amqp_table_t {
        if dictionary.isEmpty { return amqp_table_t(num_entries: 0, entries: nil) }
        let raw = allocate(MemoryLayout<amqp_table_entry_t>.stride * dictionary.count)
        let entries = raw.bindMemory(to: amqp_table_entry_t.self, capacity: dictionary.count)
        for (index, (key, value)) in dictionary.sorted(by: { $0.key < $1.key }).enumerated() {
            (entries + index).initialize(to: amqp_table_entry_t(key: bytes(key), value: field(value)))
        }
        return amqp_table_t(num_entries: Int32(dictionary.count), entries: entries)
    }

    func field(_ value: AMQPValue) -> amqp_field_value_t {
        var field = amqp_field_value_t()
        switch value {
        case .string(let s):
            field.kind = UInt8(AMQP_FIELD_KIND_UTF8.rawValue)
            field.value.bytes = bytes(s)
        case .bool(let b):
            field.kind = UInt8(AMQP_FIELD_KIND_BOOLEAN.rawValue)
            field.value.boolean = b ? 1 : 0
        case .int(let i):
            field.kind = UInt8(AMQP_FIELD_KIND_I64.rawValue)
            field.value.i64 = i
        case .double(let d):
            field.kind = UInt8(AMQP_FIELD_KIND_F64.rawValue)
            field.value.f64 = d
        case .bytes(let b):
            field.kind = UInt8(AMQP_FIELD_KIND_BYTES.rawValue)
            field.value.bytes = bytes(b)
        case .timestamp(let date):
            field.kind = UInt8(AMQP_FIELD_KIND_TIMESTAMP.rawValue)
            field.value.u64 = UInt64(max(0, date.timeIntervalSince1970.rounded(.down)))
        case .array(let items):
            field.kind = UInt8(AMQP_FIELD_KIND_ARRAY.rawValue)
            if items.isEmpty {
                field.value.array = amqp_array_t(num_entries: 0, entries: nil)
            } else {
                let raw = allocate(MemoryLayout<amqp_field_value_t>.stride * items.count)
                let entries = raw.bindMemory(to: amqp_field_value_t.self, capacity: items.count)
                for (index, item) in items.enumerated() { (entries + index).initialize(to: self.field(item)) }
                field.value.array = amqp_array_t(num_entries: Int32(items.count), entries: entries)
            }
        case .table(let dictionary):
            field.kind = UInt8(AMQP_FIELD_KIND_TABLE.rawValue)
            field.value.table = table(dictionary)
        case .void:
            field.kind = UInt8(AMQP_FIELD_KIND_VOID.rawValue)
        }
        return field
    }
}
