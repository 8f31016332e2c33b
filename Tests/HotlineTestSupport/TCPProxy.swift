import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A tiny TCP proxy for fault tests: listens on 127.0.0.1 (port chosen by the system) and forwards
/// each accepted connection to `target`, on its own threads with POSIX sockets. `blackhole()` stops
/// forwarding in both directions without closing anything (the peer goes silent, as in a network
/// partition); `resume()` forwards again; `close()` closes every socket.
public final class TCPProxy: @unchecked Sendable {
    // @unchecked Sendable: mutable state (`blackholed`, `closed`, `sockets`) is guarded by `lock`;
    // each forwarding thread owns only its two file descriptors' directions.
    public let port: Int
    public let targetHost: String
    public let targetPort: Int
    private let listener: Int32
    private let lock = NSLock()
    private var blackholed = false
    private var closed = false
    private var sockets: [Int32] = []
    private var threads: [Thread] = []

    /// Starts listening. `targetHost` is an IPv4 address or `localhost`.
    public init(targetHost: String, targetPort: Int) throws {
        self.targetHost = targetHost == "localhost" ? "127.0.0.1" : targetHost
        self.targetPort = targetPort
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ProxyError(operation: "socket", errno: errno) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = Self.address("127.0.0.1", 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 16) == 0 else {
            let code = errno
            Glibc.close(fd)
            throw ProxyError(operation: "bind/listen", errno: code)
        }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        listener = fd
        port = Int(UInt16(bigEndian: actual.sin_port))
        let acceptThread = Thread { [self] in acceptLoop() }
        acceptThread.name = "TCPProxy.accept"
        threads.append(acceptThread)
        acceptThread.start()
    }

    deinit { close() }

    /// `amqp://user:pass@host:port/...` with host and port replaced by this proxy's.
    public func rewrite(url: String) -> String {
        guard var components = URLComponents(string: url) else { return url }
        components.host = "127.0.0.1"
        components.port = port
        return components.string ?? url
    }

    /// Stops forwarding in both directions; connections stay open.
    public func blackhole() { lock.withLock { blackholed = true } }

    /// Forwards again (bytes held back meanwhile are delivered).
    public func resume() { lock.withLock { blackholed = false } }

    /// Closes the listener and every proxied connection (the peers see a reset or EOF).
    public func close() {
        let toClose: [Int32] = lock.withLock {
            if closed { return [] }
            closed = true
            let all = sockets + [listener]
            sockets = []
            return all
        }
        for fd in toClose {
            shutdown(fd, Int32(SHUT_RDWR))
            Glibc.close(fd)
        }
    }

    private var isBlackholed: Bool { lock.withLock { blackholed } }
    private var isClosed: Bool { lock.withLock { closed } }

    private func acceptLoop() {
        while !isClosed {
            var pollfd = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            let ready = poll(&pollfd, 1, 100)
            if ready <= 0 { continue }
            let client = accept(listener, nil, nil)
            if client < 0 { continue }
            let upstream = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = Self.address(targetHost, targetPort)
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(upstream, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            if upstream < 0 || connected != 0 {
                Glibc.close(client)
                if upstream >= 0 { Glibc.close(upstream) }
                continue
            }
            let accepted: Bool = lock.withLock {
                if closed { return false }
                sockets += [client, upstream]
                return true
            }
            if !accepted {
                Glibc.close(client)
                Glibc.close(upstream)
                return
            }
            for (from, to) in [(client, upstream), (upstream, client)] {
                let thread = Thread { [self] in pump(from: from, to: to) }
                thread.name = "TCPProxy.pump"
                thread.start()
            }
        }
    }

    /// Copies bytes from `from` to `to` until either side closes; while blackholed, reads nothing.
    private func pump(from: Int32, to: Int32) {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while !isClosed {
            if isBlackholed {
                usleep(20_000)
                continue
            }
            var pollfd = pollfd(fd: from, events: Int16(POLLIN), revents: 0)
            if poll(&pollfd, 1, 50) <= 0 { continue }
            if isBlackholed { continue }
            let count = buffer.withUnsafeMutableBytes { read(from, $0.baseAddress, $0.count) }
            if count <= 0 { break }
            var offset = 0
            while offset < count {
                let written = buffer.withUnsafeBytes { send(to, $0.baseAddress! + offset, count - offset, Int32(MSG_NOSIGNAL)) }
                if written <= 0 { return shutdownBoth(from, to) }
                offset += written
            }
        }
        shutdownBoth(from, to)
    }

    private func shutdownBoth(_ a: Int32, _ b: Int32) {
        if isClosed { return }
        shutdown(a, Int32(SHUT_RDWR))
        shutdown(b, Int32(SHUT_RDWR))
    }

    private static func address(_ host: String, _ port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        inet_pton(AF_INET, host, &address.sin_addr)
        return address
    }

    public struct ProxyError: Error, CustomStringConvertible {
        public let operation: String
        public let errno: Int32
        public var description: String { "TCPProxy \(operation) failed: errno \(errno)" }
    }
}
