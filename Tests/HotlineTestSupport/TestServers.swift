import Foundation

/// Where the test servers are. Integration tests call these and **fail** when the variables are
/// missing: a test that needs a server never passes by skipping.
public enum TestServers {
    public struct Missing: Error, CustomStringConvertible {
        public let variable: String
        public var description: String {
            "\(variable) is not set: start the servers with `ops/services up` and `eval \"$(ops/services env)\"`, or run `ops/test`"
        }
    }

    public static func databaseURL() throws -> String { try value("HOTLINE_DATABASE_URL") }
    public static func amqpURL() throws -> String { try value("HOTLINE_AMQP_URL") }

    /// The repository's top folder (for `ops/services` and fixtures).
    public static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    static func value(_ variable: String) throws -> String {
        guard let value = ProcessInfo.processInfo.environment[variable], !value.isEmpty else {
            throw Missing(variable: variable)
        }
        return value
    }

    /// Host and port of a `scheme://user:pass@host:port/...` URL.
    public static func hostAndPort(of url: String) -> (host: String, port: Int)? {
        guard let components = URLComponents(string: url), let host = components.host, let port = components.port else {
            return nil
        }
        return (host, port)
    }
}
