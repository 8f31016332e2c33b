import Foundation
import HotlineTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The harness really reaches both servers: each answers its own wire protocol on the address
/// the environment names. (The client libraries' own tests go further.)
@Suite(.serialized) struct ServersAnswerTests {
    @Test func postgresAnswersAnSSLRequest() throws {
        let (host, port) = try #require(TestServers.hostAndPort(of: try TestServers.databaseURL()))
        // SSLRequest: length 8, code 80877103. A PostgreSQL server answers one byte, 'S' or 'N'.
        let reply = try exchange(host: host, port: port, send: [0, 0, 0, 8, 0x04, 0xD2, 0x16, 0x2F], receive: 1)
        #expect(reply == [UInt8(ascii: "N")] || reply == [UInt8(ascii: "S")])
    }

    @Test func rabbitMQAnswersTheProtocolHeaderWithConnectionStart() throws {
        let (host, port) = try #require(TestServers.hostAndPort(of: try TestServers.amqpURL()))
        let reply = try exchange(host: host, port: port, send: Array("AMQP".utf8) + [0, 0, 9, 1], receive: 11)
        // A method frame (type 1) on channel 0 carrying connection.start (class 10, method 10).
        #expect(reply.count == 11)
        #expect(reply[0] == 1)
        #expect(reply[1] == 0 && reply[2] == 0)
        #expect(reply[7] == 0 && reply[8] == 10 && reply[9] == 0 && reply[10] == 10)
    }

    struct SocketError: Error, CustomStringConvertible {
        let description: String
    }

    private func exchange(host: String, port: Int, send: [UInt8], receive count: Int) throws -> [UInt8] {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw SocketError(description: "socket: errno \(errno)") }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, host == "localhost" ? "127.0.0.1" : host, &address.sin_addr) == 1 else {
            throw SocketError(description: "not an IPv4 address: \(host)")
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { throw SocketError(description: "connect \(host):\(port): errno \(errno)") }
        guard Glibc.send(fd, send, send.count, 0) == send.count else { throw SocketError(description: "send failed") }
        var buffer = [UInt8](repeating: 0, count: count)
        var received = 0
        while received < count {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + received, count - received, 0) }
            guard n > 0 else { break }
            received += n
        }
        return Array(buffer.prefix(received))
    }
}
