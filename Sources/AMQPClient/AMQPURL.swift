import Foundation

/// `amqp://user:pass@host:port/vhost?heartbeat=15&connect_timeout=10`: the parts of an AMQP URL.
public struct AMQPURL: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var user: String
    public var password: String
    /// Percent-decoded; `/` when the path is empty.
    public var vhost: String
    /// Seconds; 15 unless given. 0 disables heartbeats (a partitioned client would block forever).
    public var heartbeat: Int
    /// Seconds for the TCP connect and the AMQP handshake.
    public var connectTimeout: Int

    public init(_ string: String) throws {
        guard let components = URLComponents(string: string), components.scheme == "amqp",
              let host = components.host, !host.isEmpty else {
            throw AMQPError(.invalidURL, operation: "connect")
        }
        self.host = host
        port = components.port ?? 5672
        user = components.user ?? "guest"
        password = components.password ?? "guest"
        let path = components.percentEncodedPath
        if path.isEmpty || path == "/" {
            vhost = "/"
        } else {
            guard let decoded = String(path.dropFirst()).removingPercentEncoding else {
                throw AMQPError(.invalidURL, operation: "connect")
            }
            vhost = decoded
        }
        var heartbeat = 15, connectTimeout = 10
        for item in components.queryItems ?? [] {
            switch item.name {
            case "heartbeat":
                guard let value = item.value.flatMap(Int.init), value >= 0 else { throw AMQPError(.invalidURL, operation: "connect") }
                heartbeat = value
            case "connect_timeout", "connection_timeout":
                guard let value = item.value.flatMap(Double.init), value > 0 else { throw AMQPError(.invalidURL, operation: "connect") }
                connectTimeout = Int(value.rounded(.up))
            default: continue
            }
        }
        self.heartbeat = heartbeat
        self.connectTimeout = connectTimeout
    }
}
