import CRabbitMQ

/// An error of the AMQP client. `description` is generic: it names the operation and the broker's
/// or library's reply, never a message body or header value.
public struct AMQPError: Error, CustomStringConvertible, Sendable {
    public enum Code: Sendable, Equatable {
        /// The URL could not be parsed.
        case invalidURL
        /// A socket-level failure (connect refused, reset, closed); `status` is rabbitmq-c's code.
        case socket(status: Int32)
        /// No frame (not even a heartbeat) from the broker for two heartbeat intervals.
        case heartbeatTimeout
        /// The broker closed the connection (e.g. 320 CONNECTION_FORCED, 403 ACCESS_REFUSED).
        case connectionClosed(replyCode: Int, replyText: String)
        /// The broker closed the working channel (e.g. 404 NOT_FOUND, 406 PRECONDITION_FAILED).
        /// The connection has already reopened the channel and stays usable.
        case channelClosed(replyCode: Int, replyText: String)
        /// The peer broke the protocol, or rabbitmq-c reported an unexpected library failure.
        case protocolError(status: Int32)
        /// An operation did not complete in time.
        case timeout
        /// The connection was closed or failed before, and is no longer usable.
        case notConnected
        /// A recovering connection gave up (deadline passed or cancelled).
        case recoveryAbandoned
    }

    public let code: Code
    /// The operation that failed, e.g. `queue.declare`, `connect`, `publish`.
    public let operation: String

    public init(_ code: Code, operation: String) {
        self.code = code
        self.operation = operation
    }

    /// Whether the connection is gone: the caller (or `RecoveringAMQPConnection`) must reconnect.
    public var isConnectionLevel: Bool {
        switch code {
        case .socket, .heartbeatTimeout, .connectionClosed, .protocolError, .notConnected: true
        case .invalidURL, .channelClosed, .timeout, .recoveryAbandoned: false
        }
    }

    public var description: String {
        switch code {
        case .invalidURL: "AMQP \(operation): invalid URL"
        case .socket(let status): "AMQP \(operation): socket error (\(Self.libraryText(status)))"
        case .heartbeatTimeout: "AMQP \(operation): heartbeat timeout (the broker went silent)"
        case .connectionClosed(let replyCode, let replyText):
            "AMQP \(operation): connection closed by the broker (\(replyCode) \(replyText))"
        case .channelClosed(let replyCode, let replyText):
            "AMQP \(operation): channel closed by the broker (\(replyCode) \(replyText)); channel reopened"
        case .protocolError(let status): "AMQP \(operation): protocol or library error (\(Self.libraryText(status)))"
        case .timeout: "AMQP \(operation): timed out"
        case .notConnected: "AMQP \(operation): connection is closed"
        case .recoveryAbandoned: "AMQP \(operation): recovery abandoned (deadline passed or cancelled)"
        }
    }

    static func libraryText(_ status: Int32) -> String {
        guard let text = amqp_error_string2(status) else { return "status \(status)" }
        return String(cString: text)
    }

    /// Maps a rabbitmq-c status code (negative) to an error code.
    static func code(forStatus status: Int32) -> Code {
        switch status {
        case AMQP_STATUS_HEARTBEAT_TIMEOUT.rawValue: .heartbeatTimeout
        case AMQP_STATUS_TIMEOUT.rawValue: .timeout
        case AMQP_STATUS_SOCKET_ERROR.rawValue, AMQP_STATUS_CONNECTION_CLOSED.rawValue,
             AMQP_STATUS_SOCKET_CLOSED.rawValue, AMQP_STATUS_HOSTNAME_RESOLUTION_FAILED.rawValue,
             AMQP_STATUS_TCP_ERROR.rawValue, AMQP_STATUS_SOCKET_INUSE.rawValue:
            .socket(status: status)
        default: .protocolError(status: status)
        }
    }
}
