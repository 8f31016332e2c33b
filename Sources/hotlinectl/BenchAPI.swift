import ArgumentParser
import Foundation
import HotlineDomain
import HotlineRuntime
import HotlineStore
import PostgresClient
#if canImport(Glibc)
import Glibc
#endif

/// `hotlinectl bench api`: reads/s ("my orders") and actions/s ("sign") against a running
/// hotline-api, beside the same work straight through the store in the same run.
struct BenchAPI: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "api",
        abstract: "hotline-api reads/s (my orders) and actions/s (sign), p50/p99, beside the same work straight through the store.",
        discussion: """
        Against a running hotline-api (--url) on the database it uses (HOTLINE_DATABASE_URL, the demo county seeded). Seeds
        --orders dispatched qidong orders for --unit (through the store, as routing would) unless that many wait to be
        signed, issues a token for the unit (revoked at the end), then in --rounds rounds: --clients threads read page 1 of
        "my orders" (GET /v1/orders?limit=50, keep-alive) for --seconds; the same read through the store
        (OrderViews.list, one connection a thread); GET /healthz (the HTTP floor); then each signs its share of --signs
        orders through POST …/sign, and as many through the store (OrderActions). Prints medians and ratios. Build
        hotline-api and hotlinectl with -c release for figures worth quoting.
        """)

    @Option(help: "hotline-api's base URL, e.g. http://127.0.0.1:8080.") var url: String
    @Option(help: "The unit whose orders are read and signed.") var unit = "WATER"
    @Option(help: "Orders waiting to be signed to seed (at least what the rounds sign).") var orders = 20_000
    @Option(help: "Concurrent clients.") var clients = 16
    @Option(help: "Seconds per read run.") var seconds = 5
    @Option(help: "Orders signed per round through the API (and as many through the store).") var signs = 2_000
    @Option(help: "Rounds.") var rounds = 3
    @Option(help: "hotline-api's pid: print its resident memory.") var pid: Int32?
    @OptionGroup var database: DatabaseOption

    func validate() throws {
        guard clients > 0, seconds > 0, rounds > 0, signs >= clients else {
            throw ValidationError("--clients, --seconds and --rounds must be positive, --signs at least --clients")
        }
        guard orders >= 2 * signs * rounds else { throw ValidationError("--orders must be at least 2 × --signs × --rounds") }
        guard let parsed = URL(string: url), parsed.scheme == "http", parsed.host != nil, parsed.port != nil else {
            throw ValidationError("--url must be http://HOST:PORT")
        }
    }

    func run() throws {
        let endpoint = URL(string: url)!
        let host = endpoint.host!, port = endpoint.port!
        let databaseURL = try database.url()
        let connection = try PostgresConnection(url: databaseURL, applicationName: "hotlinectl-bench-api")
        defer { connection.close() }
        let profiles = Dictionary(uniqueKeysWithValues: try PolicyProfile.allBundled().map { ($0.id, $0) })
        let calendar = try WorkingCalendar.bundled()

        if let pid { print("hotline-api resident memory at rest: \(Self.residentMiB(pid).map { String(format: "%.1f MiB", $0) } ?? "unknown")") }
        var waiting = try OrderViews.list(unit: unit, states: ["dispatched"], dueBefore: nil, after: nil, limit: orders, on: connection)
            .filter { $0.role == "lead" }.map(\.number)
        if waiting.count < orders {
            print("seeding \(orders - waiting.count) dispatched orders for \(unit)…")
            waiting += try Self.seed(orders - waiting.count, unit: unit, profiles: profiles, calendar: calendar, on: connection)
        }
        let token = ApiTokens.generate()
        let tokenId = try ApiTokens.issue(token: token, unit: unit, personNamePII: "bench", expiresAt: Date().addingTimeInterval(3_600),
                                          on: connection)
        defer { _ = try? ApiTokens.revoke(tokenId, at: Date(), on: connection) }
        let actor = "unit:\(unit) token:\(tokenId)"

        var reads: [Run] = [], storeReads: [Run] = [], floors: [Run] = [], signRuns: [Run] = [], storeSigns: [Run] = []
        var next = 0
        for round in 1...rounds {
            let read = try Self.timed(clients: clients, seconds: seconds) { _ in
                let http = try HTTPClient(host: host, port: port)
                return { try http.request("GET", "/v1/orders?limit=50", token: token) == 200 }
            }
            let storeRead = try Self.timed(clients: clients, seconds: seconds) { _ in
                let own = try PostgresConnection(url: databaseURL, applicationName: "hotlinectl-bench-api")
                return {
                    _ = try OrderViews.list(unit: unit, states: [], dueBefore: nil, after: nil, limit: 51, on: own)
                    return true
                }
            }
            let floor = try Self.timed(clients: clients, seconds: seconds) { _ in
                let http = try HTTPClient(host: host, port: port)
                return { try http.request("GET", "/healthz", token: nil) == 200 }
            }
            let apiBatch = Array(waiting[next..<next + signs]), storeBatch = Array(waiting[next + signs..<next + 2 * signs])
            next += 2 * signs
            let sign = try Self.counted(apiBatch, clients: clients) { _ in
                let http = try HTTPClient(host: host, port: port)
                return { number in try http.request("POST", "/v1/orders/\(number)/sign", token: token) == 200 }
            }
            let storeSign = try Self.counted(storeBatch, clients: clients) { _ in
                let own = try PostgresConnection(url: databaseURL, applicationName: "hotlinectl-bench-api")
                return { number in
                    try own.withTransaction { tx in
                        _ = try OrderActions.perform(.sign(unit: unit), number: number, actor: actor, at: Date(), profiles: profiles,
                                                     calendar: calendar, on: tx)
                    }
                    return true
                }
            }
            print("round \(round): my orders \(read.summary), store \(storeRead.summary), /healthz \(floor.summary); "
                  + "sign \(sign.summary), store \(storeSign.summary)")
            reads.append(read); storeReads.append(storeRead); floors.append(floor); signRuns.append(sign); storeSigns.append(storeSign)
        }
        print("")
        let figures = [
            BenchFigure(name: "my orders (GET /v1/orders, \(clients) clients)", unit: "reads/s", ours: median(reads.map(\.rate)),
                        reference: median(storeReads.map(\.rate)), referenceTool: "the same read through the store"),
            BenchFigure(name: "my orders (GET /v1/orders, \(clients) clients)", unit: "reads/s", ours: median(reads.map(\.rate)),
                        reference: median(floors.map(\.rate)), referenceTool: "GET /healthz"),
            BenchFigure(name: "sign (POST /v1/orders/{n}/sign, \(clients) clients)", unit: "actions/s", ours: median(signRuns.map(\.rate)),
                        reference: median(storeSigns.map(\.rate)), referenceTool: "the same sign through the store"),
        ]
        for figure in figures { print(figure.line) }
        print(String(format: "latency (medians of rounds): my orders p50 %.1f ms p99 %.1f ms; sign p50 %.1f ms p99 %.1f ms",
                     median(reads.map(\.p50)), median(reads.map(\.p99)), median(signRuns.map(\.p50)), median(signRuns.map(\.p99))))
        if let pid { print("hotline-api resident memory after: \(Self.residentMiB(pid).map { String(format: "%.1f MiB", $0) } ?? "unknown")") }
        let failures = (reads + floors + signRuns + storeSigns + storeReads).reduce(0) { $0 + $1.failures }
        if failures > 0 {
            print("failed requests: \(failures)")
            throw ExitCode(1)
        }
    }

    /// One measured run: how many, how long, latencies.
    struct Run {
        var count: Int
        var failures: Int
        var seconds: Double
        var latencies: [Double]
        var rate: Double { Double(count) / seconds }
        func percentile(_ p: Double) -> Double {
            let sorted = latencies.sorted()
            guard !sorted.isEmpty else { return 0 }
            return sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] * 1_000
        }
        var p50: Double { percentile(0.5) }
        var p99: Double { percentile(0.99) }
        var summary: String { String(format: "%.0f/s (p50 %.1f ms, p99 %.1f ms)", rate, p50, p99) }
    }

    /// `clients` threads each run the operation `make` returns until `seconds` pass.
    static func timed(clients: Int, seconds: Int, _ make: @escaping @Sendable (Int) throws -> () throws -> Bool) throws -> Run {
        let end = Date().addingTimeInterval(Double(seconds))
        return threads(clients) { index, recorder in
            let operation = try make(index)
            while Date() < end { recorder.measure(operation) }
        }
    }

    /// `clients` threads share `items`, each running the operation `make` returns on its share.
    static func counted(_ items: [String], clients: Int, _ make: @escaping @Sendable (Int) throws -> (String) throws -> Bool) throws -> Run {
        threads(clients) { index, recorder in
            let operation = try make(index)
            for item in stride(from: index, to: items.count, by: clients).map({ items[$0] }) { recorder.measure { try operation(item) } }
        }
    }

    /// Runs `work` on `clients` threads at once, each with its own recorder; the run is all of them.
    static func threads(_ clients: Int, _ work: @escaping @Sendable (Int, Recorder) throws -> Void) -> Run {
        let results = Results()
        let start = Date()
        let group = DispatchGroup()
        for index in 0..<clients {
            group.enter()
            Thread {
                defer { group.leave() }
                let recorder = Recorder()
                do { try work(index, recorder) } catch { recorder.failures += 1 }
                results.add(recorder.latencies, recorder.failures)
            }.start()
        }
        group.wait()
        return results.run(seconds: Date().timeIntervalSince(start))
    }

    /// One thread's latencies and failures.
    final class Recorder {
        var latencies: [Double] = []
        var failures = 0

        func measure(_ operation: () throws -> Bool) {
            let began = DispatchTime.now().uptimeNanoseconds
            if (try? operation()) != true { failures += 1 }
            latencies.append(Double(DispatchTime.now().uptimeNanoseconds - began) / 1e9)
        }
    }

    final class Results: @unchecked Sendable {
        // @unchecked Sendable: every access holds `lock`.
        private let lock = NSLock()
        private var latencies: [Double] = []
        private var failures = 0
        func add(_ more: [Double], _ failed: Int) { lock.withLock { latencies += more; failures += failed } }
        func run(seconds: Double) -> Run {
            lock.withLock { Run(count: latencies.count - failures, failures: failures, seconds: seconds, latencies: latencies) }
        }
    }

    /// `count` accepted qidong orders dispatched to `unit`, through the store as routing writes them.
    static func seed(_ count: Int, unit: String, profiles: [String: PolicyProfile], calendar: WorkingCalendar,
                     on connection: PostgresConnection) throws -> [String] {
        let profile = profiles["qidong"]!
        var numbers: [String] = []
        var left = count
        while left > 0 {
            let batch = min(500, left)
            let now = Date()
            try connection.withTransaction { tx in
                let reserved = try WorkOrders.reserveNumbers(receivedAt: Array(repeating: now, count: batch), on: tx)
                var creations: [OrderCreation] = []
                for number in reserved {
                    let id = UUID()
                    let order = WorkOrder(id: id.uuidString, kind: OrderKind(category: .help), channel: .phone, receivedAt: now)
                    let accepted = try Lifecycle.apply(.accept, to: order, now: now, profile: profile, calendar: calendar).get()
                    creations.append(OrderCreation(order: NewWorkOrder(
                        id: id, number: number, profile: profile.id, order: order, submissionId: "bench-api-\(id.uuidString)",
                        title: "小区停水", contentPII: "幸福小区停水, 至今无人处理", citizenNamePII: "王先生", citizenPhonePII: "13900000000"),
                        transition: accepted, outbox: []))
                }
                _ = try WorkOrders.create(creations, actor: "bench", at: now, on: tx)
                for number in reserved {
                    _ = try OrderActions.perform(.dispatch(lead: unit, coUnits: []), number: number, actor: "bench", at: now,
                                                 profiles: profiles, calendar: calendar, on: tx)
                }
                numbers += reserved
            }
            left -= batch
        }
        return numbers
    }

    static func residentMiB(_ pid: Int32) -> Double? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kib = Double(line.split(separator: " ").dropFirst().first ?? "") else { return nil }
        return kib / 1024
    }
}

/// A minimal HTTP/1.1 client on one keep-alive connection (blocking, one thread), enough to count
/// requests without measuring a client library's overhead.
final class HTTPClient {
    private let socket: Int32
    private var buffer: [UInt8] = []
    let host: String

    init(host: String, port: Int) throws {
        self.host = host
        #if canImport(Glibc)
        let fd = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = Darwin.socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw UsageError("socket: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, host == "localhost" ? "127.0.0.1" : host, &address.sin_addr) == 1 else {
            close(fd)
            throw UsageError("--url: the host must be an IPv4 address or localhost")
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(fd)
            throw UsageError("cannot connect to \(host):\(port) (errno \(errno)): is hotline-api running?")
        }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        socket = fd
    }

    deinit { close(socket) }

    /// Sends one request and reads the whole answer; returns its status.
    func request(_ method: String, _ path: String, token: String?) throws -> Int {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: \(host)\r\n"
        if let token { head += "Authorization: Bearer \(token)\r\n" }
        if method == "POST" { head += "Content-Length: 0\r\n" }
        head += "\r\n"
        let bytes = Array(head.utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { send(socket, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { throw UsageError("send failed (errno \(errno))") }
            sent += n
        }
        // Headers, then Content-Length bytes of body.
        var headerEnd: Int?
        while headerEnd == nil {
            headerEnd = Self.find(buffer, [13, 10, 13, 10])
            if headerEnd == nil { try fill() }
        }
        let headers = String(decoding: buffer[..<headerEnd!], as: UTF8.self)
        let status = Int(headers.split(separator: " ").dropFirst().first ?? "") ?? 0
        var length = 0
        for line in headers.split(separator: "\r\n") where line.lowercased().hasPrefix("content-length:") {
            length = Int(line.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) ?? 0
        }
        let total = headerEnd! + 4 + length
        while buffer.count < total { try fill() }
        buffer.removeFirst(total)
        return status
    }

    private func fill() throws {
        var chunk = [UInt8](repeating: 0, count: 65_536)
        let n = chunk.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
        guard n > 0 else { throw UsageError("the connection closed (errno \(errno))") }
        buffer += chunk[..<n]
    }

    private static func find(_ haystack: [UInt8], _ needle: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for index in 0...(haystack.count - needle.count) where haystack[index] == needle[0] {
            if Array(haystack[index..<index + needle.count]) == needle { return index }
        }
        return nil
    }
}
