import Foundation
import HotlineRuntime

/// One field's problem: where (a JSON pointer into the body, or a query parameter or header
/// name) and what is wrong. Never the value itself.
public struct FieldProblem: Sendable, Equatable {
    public var pointer: String
    public var detail: String

    public init(_ pointer: String, _ detail: String) {
        self.pointer = pointer
        self.detail = detail
    }
}

/// What the API answers when it does not do what was asked: an RFC 9457 problem
/// (`application/problem+json`). Every case is written to hold no personal data: it names
/// fields, rules, units and states, never a value a person typed.
public enum APIError: Error, Sendable, Equatable, SafeError {
    /// No token, a malformed one, an unknown, expired or revoked one.
    case unauthorized
    /// No such order, or one the caller's unit may not see (the two are not told apart).
    case notFound
    /// The caller sees the order but may not do this (a unit on an office action, a co-unit on a
    /// lead unit's action).
    case forbidden(String)
    /// The body is not a JSON object.
    case malformedBody(String)
    /// One problem per field.
    case invalid([FieldProblem], detail: String)
    case tooLarge(limit: Int)
    /// The rules refuse the action in the order's present state, or the order changed since the
    /// caller read it: the answer carries the state and version now.
    case conflict(code: String, detail: String, state: String?, version: Int?)
    /// An `Idempotency-Key` used before by this person for another request.
    case idempotencyKeyReused
    case unavailable
    case internalError

    public var status: Int {
        switch self {
        case .unauthorized: 401
        case .notFound: 404
        case .forbidden: 403
        case .malformedBody: 400
        case .invalid, .idempotencyKeyReused: 422
        case .tooLarge: 413
        case .conflict: 409
        case .unavailable: 503
        case .internalError: 500
        }
    }

    public var safeCode: String {
        switch self {
        case .unauthorized: "unauthorized"
        case .notFound: "not-found"
        case .forbidden: "forbidden"
        case .malformedBody: "malformed-body"
        case .invalid: "invalid"
        case .tooLarge: "too-large"
        case .conflict(let code, _, _, _): code
        case .idempotencyKeyReused: "idempotency-key-reused"
        case .unavailable: "unavailable"
        case .internalError: "internal"
        }
    }

    var title: String {
        switch self {
        case .unauthorized: "A valid bearer token is required"
        case .notFound: "No such work order"
        case .forbidden: "Not allowed for this caller"
        case .malformedBody: "The body is not a JSON object"
        case .invalid: "Some fields are not valid"
        case .tooLarge: "The body is too large"
        case .conflict: "The work order's state does not allow this"
        case .idempotencyKeyReused: "This Idempotency-Key was used for another request"
        case .unavailable: "The database is not reachable; try again"
        case .internalError: "Internal error"
        }
    }

    public var safeReason: String {
        switch self {
        case .unauthorized: "no token, or an unknown, expired or revoked one"
        case .notFound: "no such work order for this caller"
        case .forbidden(let why): why
        case .malformedBody(let why): why
        case .invalid(let problems, let detail):
            detail + ": " + problems.map { "\($0.pointer) \($0.detail)" }.joined(separator: "; ")
        case .tooLarge(let limit): "bodies are limited to \(limit) bytes"
        case .conflict(_, let detail, _, _): detail
        case .idempotencyKeyReused: "an Idempotency-Key names one request (its route and body); use a new key for a new request"
        case .unavailable: "the database is not reachable"
        case .internalError: "internal error"
        }
    }

    /// The problem document.
    public var json: JSON {
        var members: [(String, JSON)] = [
            ("type", .string("https://hotline.invalid/problems/\(safeCode)")),
            ("title", .string(title)),
            ("status", .int(status)),
            ("code", .string(safeCode)),
        ]
        switch self {
        case .invalid(let problems, let detail):
            members.append(("detail", .string(detail)))
            members.append(("errors", .array(problems.map { .object([("pointer", .string($0.pointer)), ("detail", .string($0.detail))]) })))
        case let .conflict(_, detail, state, version):
            members.append(("detail", .string(detail)))
            members.append(("state", .optional(state)))
            members.append(("version", version.map(JSON.int) ?? .null))
        default:
            members.append(("detail", .string(safeReason)))
        }
        return .object(members)
    }
}
