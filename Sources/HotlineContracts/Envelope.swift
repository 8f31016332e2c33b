import Foundation

/// The JSON body of every message on `hotline.events` and `hotline.intake`:
/// `{id, type, version, occurredAt, workOrderId, data}`. AMQP properties repeat `message_id`
/// (= `id`) and `type`.
public struct Envelope<Payload: Codable & Sendable>: Codable, Sendable {
    public var id: UUID
    public var type: String
    public var version: Int
    public var occurredAt: Date
    public var workOrderId: UUID?
    public var data: Payload

    public init(id: UUID = UUID(), type: String, version: Int, occurredAt: Date, workOrderId: UUID? = nil, data: Payload) {
        self.id = id
        self.type = type
        self.version = version
        self.occurredAt = occurredAt
        self.workOrderId = workOrderId
        self.data = data
    }
}

/// A message type and the versions of it this build understands.
public protocol MessageContract: Codable, Sendable {
    static var type: String { get }
    static var version: Int { get }
}

/// Why a body could not be read as a message. The description names the problem, never the
/// message's content (it may hold personal data).
public enum ContractError: Error, Equatable, CustomStringConvertible {
    case notJSON
    case missingField(String)
    case wrongType(expected: String, found: String)
    case unsupportedVersion(type: String, version: Int, supported: Int)
    case invalidData(type: String, path: String, problem: String)

    public var description: String {
        switch self {
        case .notJSON: "the body is not a JSON object"
        case .missingField(let field): "the envelope has no \(field)"
        case .wrongType(let expected, let found): "expected a \(expected) message, found \(found)"
        case .unsupportedVersion(let type, let version, let supported):
            "\(type) version \(version) is not supported (this build reads version \(supported))"
        case .invalidData(let type, let path, let problem): "\(type): \(path.isEmpty ? "data" : path): \(problem)"
        }
    }
}

/// Encoding and decoding with the conventions every contract shares: ISO 8601 instants with
/// milliseconds in UTC, sorted keys.
public enum Contracts {
    public static func encode<Payload: MessageContract>(_ envelope: Envelope<Payload>) -> [UInt8] {
        // Encoding our own Codable values cannot fail.
        Array(try! encoder.encode(envelope))
    }

    /// Reads the envelope's header only: enough to route, deduplicate and park a message whose
    /// data this consumer cannot read.
    public static func header(of body: [UInt8]) throws(ContractError) -> EnvelopeHeader {
        do {
            return try decoder.decode(EnvelopeHeader.self, from: Data(body))
        } catch let error as DecodingError {
            throw describe(error, type: "envelope")
        } catch {
            throw .notJSON
        }
    }

    public static func decode<Payload: MessageContract>(_: Payload.Type, from body: [UInt8]) throws(ContractError) -> Envelope<Payload> {
        let header = try header(of: body)
        guard header.type == Payload.type else { throw .wrongType(expected: Payload.type, found: header.type) }
        guard header.version == Payload.version else {
            throw .unsupportedVersion(type: header.type, version: header.version, supported: Payload.version)
        }
        do {
            return try decoder.decode(Envelope<Payload>.self, from: Data(body))
        } catch let error as DecodingError {
            throw describe(error, type: Payload.type)
        } catch {
            throw .notJSON
        }
    }

    public static func envelope<Payload: MessageContract>(_ data: Payload, id: UUID = UUID(), occurredAt: Date,
                                                          workOrderId: UUID? = nil) -> Envelope<Payload> {
        Envelope(id: id, type: Payload.type, version: Payload.version, occurredAt: occurredAt, workOrderId: workOrderId, data: data)
    }

    static func describe(_ error: DecodingError, type: String) -> ContractError {
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context):
            let prefix = path(context)
            let full = prefix.isEmpty ? key.stringValue : "\(prefix).\(key.stringValue)"
            return type == "envelope" ? .missingField(full) : .invalidData(type: type, path: full, problem: "missing")
        case .typeMismatch(let expected, let context):
            return .invalidData(type: type, path: path(context), problem: "expected \(expected)")
        case .valueNotFound(let expected, let context):
            return .invalidData(type: type, path: path(context), problem: "null where \(expected) is required")
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty ? .notJSON : .invalidData(type: type, path: path(context), problem: "malformed value")
        @unknown default:
            return .notJSON
        }
    }

    // JSONEncoder and JSONDecoder are Sendable; their options are set here once and never changed.
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(date.formatted(iso8601))
        }
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            if let date = try? Date(text, strategy: iso8601) { return date }
            if let date = try? Date(text, strategy: Date.ISO8601FormatStyle()) { return date }
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not an ISO 8601 instant")
        }
        return decoder
    }()

    static let iso8601 = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
}

/// The fields of an envelope without its data.
public struct EnvelopeHeader: Codable, Sendable, Equatable {
    public var id: UUID
    public var type: String
    public var version: Int
    public var occurredAt: Date
    public var workOrderId: UUID?
}
