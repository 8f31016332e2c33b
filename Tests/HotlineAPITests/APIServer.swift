import Foundation
import HotlineContracts
import HotlineDomain
import HotlineStore
import HotlineTestSupport
import PostgresClient
import Testing

/// `hotline-api` started as the real executable on a fresh database seeded with the demo county,
/// spoken to through curl. Orders are made and dispatched in-process through the store and the
/// same application layer the API uses (as routing would).
final class APIServer: @unchecked Sendable {
    // @unchecked Sendable: used by one test at a time (a test may read `port` from two threads).
    let databaseURL: String
    let database: PostgresConnection
    let processes = ChildProcesses()
    private(set) var port = 0
    let calendar = try! WorkingCalendar.bundled()
    let profiles = Dictionary(uniqueKeysWithValues: try! PolicyProfile.allBundled().map { ($0.id, $0) })

    init(databaseURL: String) throws {
        self.databaseURL = databaseURL
        database = try PostgresConnection(url: databaseURL, applicationName: "api-test")
        try Migrator.bundled().migrate(database)
        try database.withTransaction { tx in try ReferenceData.demoCounty().write(on: tx) }
    }

    /// Runs `body` with the API on a fresh database; stops it and drops the database afterwards.
    static func with(_ body: (APIServer) throws -> Void) throws {
        try PostgresTestDatabase.with { url in
            let server = try APIServer(databaseURL: url)
            defer { server.stop() }
            do {
                try server.start()
                try body(server)
            } catch {
                Issue.record("\(error)\n\(server.processes.logTail(lines: 40))")
                throw error
            }
        }
    }

    /// Starts `hotline-api` on a free port and waits until `/readyz` answers 200.
    func start() throws {
        try processes.start(try Shell.product("hotline-api"), [],
                        environment: ["HOTLINE_DATABASE_URL": databaseURL, "HOTLINE_AMQP_URL": try TestServers.amqpURL(),
                                      "HOTLINE_HTTP_PORT": "0", "HOTLINE_API_CONNECTIONS": "3"],
                        name: "hotline-api")
        let pattern = try Regex(#""hotline\.http\.port":"(\d+)""#)
        try processes.wait("hotline-api listening", timeout: 60) {
            guard processes.children.allSatisfy(\.isRunning) else { throw Died(log: processes.logTail()) }
            guard let match = processes.fullLog().firstMatch(of: pattern), let port = Int(match.output[1].substring ?? "") else { return false }
            self.port = port
            return true
        }
        try processes.wait("hotline-api ready", timeout: 60) { (try? curl("GET", "/readyz").status) == 200 }
    }

    func stop() {
        processes.stopAll()
        database.close()
    }

    struct Died: Error, CustomStringConvertible {
        let log: String
        var description: String { "hotline-api exited\n\(log)" }
    }

    // MARK: Tokens

    struct Token {
        let id: Int64
        let value: String
        var header: String { "Bearer \(value)" }
    }

    /// `hotlinectl token issue --unit CODE --name NAME` (or `--office`), as an operator would.
    func issue(unit: String?, name: String) throws -> Token {
        var arguments = ["token", "issue", "--name", name]
        arguments += unit.map { ["--unit", $0] } ?? ["--office"]
        let result = try hotlinectl(arguments)
        guard result.status == 0 else { throw Shell.Failure(command: "hotlinectl \(arguments.joined(separator: " "))", result: result) }
        var id: Int64?, token: String?
        for line in result.stdout.split(separator: "\n") {
            if line.hasPrefix("id: ") { id = Int64(line.dropFirst(4)) }
            if line.hasPrefix("token: ") { token = String(line.dropFirst(7)) }
        }
        return Token(id: try #require(id), value: try #require(token))
    }

    func hotlinectl(_ arguments: [String]) throws -> Shell.Result {
        try Shell.run(try Shell.product("hotlinectl"), arguments, environment: ["HOTLINE_DATABASE_URL": databaseURL])
    }

    // MARK: HTTP

    struct Answer: CustomStringConvertible {
        let status: Int
        let headers: [String: String]
        let body: String

        var json: [String: Any] {
            (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:]
        }
        var contentType: String { headers["content-type"] ?? "" }
        /// The problem's field pointers.
        var pointers: [String] {
            (json["errors"] as? [[String: Any]] ?? []).compactMap { $0["pointer"] as? String }
        }
        var description: String { "\(status) \(body.prefix(1500))" }
    }

    /// One request through curl.
    func curl(_ method: String, _ path: String, token: Token? = nil, body: String? = nil,
              headers: [String: String] = [:], contentType: String = "application/json") throws -> Answer {
        var arguments = ["-sS", "-X", method, "-D", "-", "-w", "\n%{http_code}", "--max-time", "30"]
        if let token { arguments += ["-H", "Authorization: \(token.header)"] }
        for (name, value) in headers { arguments += ["-H", "\(name): \(value)"] }
        if let body {
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("api-body-\(UUID().uuidString)")
            try Data(body.utf8).write(to: file)
            arguments += ["-H", "Content-Type: \(contentType)", "--data-binary", "@\(file.path)"]
        }
        arguments.append("http://127.0.0.1:\(port)\(path)")
        let result = try Shell.run("/usr/bin/curl", arguments)
        guard result.status == 0 else { throw Shell.Failure(command: "curl \(method) \(path)", result: result) }
        var text = result.stdout
        guard let newline = text.lastIndex(of: "\n"), let status = Int(text[text.index(after: newline)...]) else {
            throw Shell.Failure(command: "curl \(method) \(path): no status", result: result)
        }
        text = String(text[..<newline])
        let split = text.range(of: "\r\n\r\n")
        let head = split.map { String(text[..<$0.lowerBound]) } ?? ""
        let body = split.map { String(text[$0.upperBound...]) } ?? ""
        var fields: [String: String] = [:]
        for line in head.split(separator: "\r\n").dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return Answer(status: status, headers: fields, body: body)
    }

    // MARK: Orders

    /// Makes an accepted order of `profile` and dispatches it to `lead` at `dispatchedAt`
    /// (in-process, through the application layer, as routing does); returns its number.
    func dispatchedOrder(profile: String, category: Category = .help, urgency: Urgency? = nil, caseClass: CaseClass? = nil,
                         lead: String, coUnits: [String] = [],
                         confidential: Bool = false, dispatchedAt: Date = Date(),
                         citizenName: String = "王小明", citizenPhone: String = "13912345678") throws -> String {
        let numbered = try acceptedOrder(profile: profile, category: category, urgency: urgency, caseClass: caseClass,
                                         confidential: confidential, receivedAt: dispatchedAt.addingTimeInterval(-600),
                                         citizenName: citizenName, citizenPhone: citizenPhone)
        _ = try database.withTransaction { tx in
            try OrderActions.perform(.dispatch(lead: lead, coUnits: coUnits), number: numbered, actor: "routing", at: dispatchedAt,
                                     profiles: profiles, calendar: calendar, on: tx)
        }
        return numbered
    }

    /// Makes an accepted order of `profile` that waits for dispatch; returns its number.
    func acceptedOrder(profile: String, category: Category = .help, urgency: Urgency? = nil, caseClass: CaseClass? = nil,
                       confidential: Bool = false, receivedAt: Date = Date().addingTimeInterval(-600),
                       citizenName: String = "王小明", citizenPhone: String = "13912345678") throws -> String {
        let id = UUID()
        let order = WorkOrder(id: id.uuidString, kind: OrderKind(category: category, urgency: urgency, caseClass: caseClass), channel: .phone,
                              confidential: confidential, receivedAt: receivedAt)
        let accepted = try Lifecycle.apply(.accept, to: order, now: order.receivedAt, profile: profiles[profile]!, calendar: calendar).get()
        let numbered = try database.withTransaction { tx in
            try WorkOrders.reserveNumbers(receivedAt: [order.receivedAt], on: tx)[0]
        }
        let new = NewWorkOrder(id: id, number: numbered, profile: profile, order: order, submissionId: "api-test-\(id.uuidString)",
                               title: "小区停水三天", contentPII: "幸福小区3栋停水三天, 至今无人处理", citizenNamePII: citizenName,
                               citizenPhonePII: citizenPhone, addressPII: "石桥县幸福小区3栋")
        let created = try database.withTransaction { tx in
            try WorkOrders.create([OrderCreation(order: new, transition: accepted, outbox: [])], actor: "test-intake",
                                  at: order.receivedAt, on: tx)
        }
        #expect(created == [id])
        return numbered
    }

    func scalar(_ sql: SQL) throws -> Int64 {
        try database.query(sql).first!.decode(0, as: Int64.self)
    }
}

/// A qidong or zezhou return with what the profile requires.
func completeReturn() -> String {
    #"{"reason": "该事项属供水管网维修, 不属本单位职责", "redispatchSuggestion": "建议转县住房和城乡建设局", "basis": "《石桥县住建局三定方案》第三条", "leaderOpinion": "同意退回。李局长", "unknownField": 1}"#
}
