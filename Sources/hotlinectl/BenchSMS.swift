import ArgumentParser
import Foundation
import HotlineDomain
import HotlineRuntime
import HotlineSMS
import HotlineStore
import PostgresClient

/// `hotlinectl bench sms`: reviewed replies → SMS through the real Kannel and its fake SMS centre,
/// with delivery reports, and the citizens' answers coming back, beside the gateway's own rate
/// (sendsms straight to fakesmsc, no delivery reports) measured in the same run.
struct BenchSMS: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sms",
        abstract: "Reply SMS/s out (with delivery reports) and answers/s in through Kannel, beside Kannel's own sendsms → fakesmsc rate.",
        discussion: """
        Needs the servers and Kannel of `ops/services up` (`eval "$(ops/services env)"`) and nothing else listening on \
        HOTLINE_SMS_CALLBACK_PORT (stop the fleet's sms-reply first). Uses its own database (dropped afterwards) and the \
        hotline-sms-reply beside this hotlinectl (build with -c release for figures worth quoting).
        """)

    @OptionGroup var database: DatabaseOption
    @Option(help: "Reviewed replies (and as many answers).") var count = 10_000
    @Option(help: "Messages for the gateway's own rate.") var baseline = 2_000
    @Option(help: "The sender's rate limit, messages per second (HOTLINE_SMS_RATE).") var rate = 5_000
    @Option(help: "The bench's own database.") var databaseName = "hotline_bench_sms"

    static func progress(_ line: String) { FileHandle.standardError.write(Data((line + "\n").utf8)) }

    func run() throws {
        let environment = ProcessInfo.processInfo.environment
        guard let phone = FakePhone.fromEnvironment(), let sendsms = environment["HOTLINE_KANNEL_SENDSMS_URL"],
              let callbackPort = environment["HOTLINE_SMS_CALLBACK_PORT"], let secret = environment["HOTLINE_SMS_SECRET"] else {
            throw UsageError("Kannel's settings are missing: `eval \"$(ops/services env)\"` after `ops/services up`")
        }
        let baseURL = try database.url()
        guard count > 0, baseline > 0 else { throw UsageError("--count and --baseline must be positive") }
        if (try? Subprocess.run("/usr/bin/curl", ["-s", "-m", "2", "http://127.0.0.1:\(callbackPort)/healthz"]))?.stdout == "ok\n" {
            throw UsageError("something already answers on 127.0.0.1:\(callbackPort) (the fleet's sms-reply?): stop it first")
        }
        var kannel = KannelGateway.Configuration(sendsmsURL: sendsms, user: environment["HOTLINE_KANNEL_USER"] ?? "hotline",
                                                 password: environment["HOTLINE_KANNEL_PASSWORD"] ?? "hotline", from: "12345",
                                                 callbackURL: "http://127.0.0.1:\(callbackPort)", secret: secret)

        // 1. The gateway alone.
        kannel.deliveryReports = false
        let gatewayRate = try Self.gatewayRate(KannelGateway(configuration: kannel), phone: phone, messages: baseline)
        Self.progress(String(format: "gateway alone: %.0f msg/s", gatewayRate))

        // 2. A database of reviewed replies.
        let benchURL = try DatabaseURL.replacingDatabase(baseURL, with: databaseName)
        let admin = try PostgresConnection(url: try DatabaseURL.replacingDatabase(baseURL, with: "postgres"), applicationName: "hotlinectl-bench-sms")
        defer { admin.close() }
        try admin.execute(SQL(unsafeSQL: "DROP DATABASE IF EXISTS " + SQL.quoteIdentifier(databaseName) + " WITH (FORCE)"))
        try admin.execute(SQL(unsafeSQL: "CREATE DATABASE " + SQL.quoteIdentifier(databaseName)))
        defer { _ = try? admin.execute(SQL(unsafeSQL: "DROP DATABASE IF EXISTS " + SQL.quoteIdentifier(databaseName) + " WITH (FORCE)")) }
        let db = try PostgresConnection(url: benchURL, applicationName: "hotlinectl-bench-sms")
        defer { db.close() }
        try Migrator.bundled().migrate(db)
        try db.withTransaction { tx in _ = try ReferenceData.demoCounty().write(on: tx) }
        let profiles = Dictionary(uniqueKeysWithValues: try PolicyProfile.allBundled().map { ($0.id, $0) })
        let calendar = try WorkingCalendar.bundled()
        let run = String(Int.random(in: 100...999))
        let phones = (0..<count).map { "138\(run)\(String(format: "%05d", $0))" }
        let reviewed = Date()
        for start in stride(from: 0, to: count, by: 500) {
            let slice = Array(phones[start..<min(start + 500, count)])
            _ = try db.withTransaction { tx in
                try ReviewedReplies.make(profile: profiles["qidong"]!, lead: "WATER", phones: slice, text: { "您反映的第\(start + $0 + 1)号问题已办结" },
                                         at: reviewed, profiles: profiles, calendar: calendar, on: tx)
            }
            Self.progress("reviewed replies: \(min(start + 500, count)) of \(count)")
        }

        // 3. The worker sends them; Kannel reports deliveries.
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("hotline-sms-reply").path
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("bench-sms-reply-\(run).log").path
        let worker = try Subprocess.start(binary, [], environment: [
            "HOTLINE_DATABASE_URL": benchURL, "HOTLINE_HTTP_PORT": callbackPort, "HOTLINE_SMS_QUIET_HOURS": "off",
            "HOTLINE_SMS_RATE": String(rate), "HOTLINE_PREFETCH": "200"], stdout: log, stderr: log)
        defer { if worker.isRunning { worker.signal(SIGTERM); _ = worker.wait() } }
        let started = Date()
        try Self.wait("every reply delivered", worker: worker, log: log, timeout: max(120, Double(count) / 20)) {
            try SMSMessages.deliveries(on: db).count >= count
        }
        let deliveries = try SMSMessages.deliveries(on: db)
        let outSeconds = (deliveries.last ?? Date()).timeIntervalSince(started)
        let outRate = Double(count) / outSeconds

        // 4. Every citizen answers "1".
        let answersStarted = Date()
        for phoneNumber in phones { try phone.send(from: phoneNumber, text: "1") }
        try Self.wait("every answer read", worker: worker, log: log, timeout: max(120, Double(count) / 20)) {
            try SMSMessages.answersRead(on: db) >= count
        }
        let inRate = Double(count) / Date().timeIntervalSince(answersStarted)

        Thread.sleep(forTimeInterval: 3)
        let rest = Self.memoryMiB(pid: worker.pid, field: "VmRSS") ?? 0
        let peak = Self.memoryMiB(pid: worker.pid, field: "VmHWM") ?? 0
        func p(_ fraction: Double) -> String {
            percentile(deliveries.storedToDelivered, fraction).map { String(format: "%.2f s", $0) } ?? "-"
        }
        print(String(format: "gateway alone (sendsms → fakesmsc, no delivery reports, %d messages): %.0f msg/s", baseline, gatewayRate))
        print(BenchFigure(name: "reply SMS out (stored → accepted → delivered report, \(count) messages)", unit: "msg/s",
                          ours: outRate, reference: gatewayRate, referenceTool: "gateway alone").line)
        print("  stored → delivered: p50 \(p(0.5)), p99 \(p(0.99)) (all \(count) stored before the worker started: the backlog is in it)")
        print(String(format: "citizens' answers in (fakesmsc → smsbox → /sms/mo, stored and applied): %.0f msg/s "
                     + "(the fake SMS centre is fed one line per 4 ms: at most ~250/s)", inRate))
        print(String(format: "hotline-sms-reply resident memory: %.1f MiB at rest, %.1f MiB peak", rest, peak))
        print("target ≥ 500 SMS/s with delivery reports: \(outRate >= 500 ? "met" : "NOT met"); < 64 MiB at rest: \(rest < 64 ? "met" : "NOT met")")
    }

    /// sendsms straight to the fake SMS centre: `messages` requests, 16 in flight, until all are on a phone.
    static func gatewayRate(_ gateway: KannelGateway, phone: FakePhone, messages: Int) throws -> Double {
        let run = String(Int.random(in: 100...999))
        let phones = (0..<messages).map { "137\(run)\(String(format: "%05d", $0))" }
        let before = try phone.received().count
        let started = Date()
        DispatchQueue.concurrentPerform(iterations: 16) { lane in
            var index = lane
            while index < messages {
                _ = gateway.send(SMSSendRequest(messageId: -Int64(index), phone: phones[index], text: "网关基准测试第\(index)条"))
                index += 16
            }
        }
        let deadline = Date().addingTimeInterval(120)
        while try phone.received().count - before < messages {
            guard Date() < deadline else { throw UsageError("the fake SMS centre did not receive the gateway's \(messages) messages in 120 s") }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return Double(messages) / Date().timeIntervalSince(started)
    }

    static func wait(_ what: String, worker: Subprocess.Child, log: String, timeout: TimeInterval, _ done: () throws -> Bool) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while try !done() {
            guard worker.isRunning else {
                throw UsageError("hotline-sms-reply exited while waiting for \(what); see \(log)")
            }
            guard Date() < deadline else { throw UsageError("timed out waiting for \(what) (\(Int(timeout)) s); see \(log)") }
            Thread.sleep(forTimeInterval: 0.2)
        }
    }

    static func memoryMiB(pid: pid_t, field: String) -> Double? { PipelineBench.memoryMiB(pid: pid, field: field) }
}
