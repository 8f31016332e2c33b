import AMQPClient
import Foundation
import HotlineContracts
import HotlineRuntime
import HotlineTestSupport
import PostgresClient
import Testing

/// `hotlinectl loadgen`, `status` and the pure parts of `bench pipeline`, run as the built binary:
/// the generator through `loadgen --dry-run --json`, the percentile helper through the hidden
/// `bench percentiles`, pacing through both dry runs; then status and a real publish against the
/// servers.
@Suite(.serialized) struct LoadgenTests {
    func ctl(_ arguments: [String], environment: [String: String]? = nil) throws -> Shell.Result {
        try Shell.run(try Shell.product("hotlinectl"), arguments, environment: environment)
    }

    func json(_ result: Shell.Result) throws -> [String: Any] {
        #expect(result.status == 0, "\(result.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result.stdout)")
    }

    func dryRun(_ arguments: [String]) throws -> (statistics: [String: Any], pacing: [String: Any]) {
        let summary = try json(try ctl(["loadgen", "--dry-run", "--json"] + arguments))
        return (try #require(summary["statistics"] as? [String: Any]), try #require(summary["pacing"] as? [String: Any]))
    }

    // MARK: - The generator

    @Test func theSameSeedGivesTheSameSubmissions() throws {
        let first = try dryRun(["--count", "1000", "--seed", "7", "--run-id", "same"])
        let again = try dryRun(["--count", "1000", "--seed", "7", "--run-id", "same"])
        let other = try dryRun(["--count", "1000", "--seed", "8", "--run-id", "same"])
        let digest = try #require(first.statistics["digest"] as? String)
        #expect(again.statistics["digest"] as? String == digest)
        #expect(NSDictionary(dictionary: again.statistics).isEqual(to: first.statistics))
        #expect(other.statistics["digest"] as? String != digest)

        // The printed submissions are the same too, one envelope per line.
        let shown = try ctl(["loadgen", "--dry-run", "--count", "20", "--seed", "7", "--run-id", "same", "--show", "20"])
        let shownAgain = try ctl(["loadgen", "--dry-run", "--count", "20", "--seed", "7", "--run-id", "same", "--show", "20"])
        #expect(shown.status == 0)
        let lines = shown.stdout.split(separator: "\n").filter { $0.hasPrefix("{") }
        #expect(lines.count == 20)
        #expect(lines == shownAgain.stdout.split(separator: "\n").filter { $0.hasPrefix("{") })
        for (n, line) in lines.enumerated() {
            let envelope = try Contracts.decode(SubmissionV1.self, from: Array(line.utf8))
            #expect(envelope.type == "submission" && envelope.version == 1)
            #expect(envelope.data.submissionId == "lg-same-\(n + 1)")
            #expect(envelope.data.readProblems.isEmpty)
        }
    }

    @Test func defaultRunIsVariedWithTwoPercentInvalidThreePercentRepeatsAndOneCluster() throws {
        let (s, _) = try dryRun(["--count", "1000", "--seed", "7"])
        #expect(s["total"] as? Int == 1000)
        #expect(s["distinctSubmissionIds"] as? Int == 1000)

        let invalid = try #require(s["invalid"] as? [String: Int])
        let invalidTotal = invalid.values.reduce(0, +)
        #expect((15...25).contains(invalidTotal), "invalid: \(invalid)")
        #expect(Set(invalid.keys) == ["missingContent", "badPhone", "unknownCategory", "malformedRegionCode"])
        let repeats = try #require(s["repeats"] as? Int)
        #expect((24...36).contains(repeats))
        #expect(s["repeatsWithOriginalPhone"] as? Int == repeats, "a repeat comes from its original's phone")

        // One cluster: at least 12 different citizens of 龙口镇龙口村.
        #expect(try #require(s["cluster"] as? Int) >= 12)
        #expect(try #require(s["clusterCitizens"] as? Int) >= 12)
        #expect(s["clusterRegionCode"] as? String == "439999103001")
        #expect(s["clusterPlace"] as? String == "龙口镇龙口村")

        // Categories in Chinese and as English codes.
        let categories = try #require(s["categories"] as? [String: Int])
        for chinese in ["投诉", "求助", "咨询", "建议", "举报", "批评"] {
            #expect((categories[chinese] ?? 0) > 0, "no \(chinese): \(categories)")
        }
        #expect(["complaint", "help", "consult", "suggestion", "report", "criticism"].filter { (categories[$0] ?? 0) > 0 }.count >= 5)

        // Channels: mostly phone, every usual one present.
        let channels = try #require(s["channels"] as? [String: Int])
        #expect(Set(channels.keys) == ["phone", "wechat", "website", "app", "mayorMailbox", "sms"])
        #expect(channels["phone"]! == channels.values.max())
        #expect(channels["phone"]! < 700)

        // Urgency mostly general or unsaid, a few urgent.
        let urgencies = try #require(s["urgencies"] as? [String: Int])
        let urgent = (urgencies["紧急"] ?? 0) + (urgencies["emergency"] ?? 0)
        #expect(urgent > 0 && urgent < 50, "\(urgencies)")

        // Where: region codes and address text alone both common; phones written in every form.
        #expect(try #require(s["withRegionCode"] as? Int) > 300)
        #expect(try #require(s["addressOnly"] as? Int) > 300)
        let forms = try #require(s["phoneForms"] as? [String: Int])
        for form in ["separated", "+86", "fullWidth"] { #expect((forms[form] ?? 0) > 20, "\(forms)") }
        // Different citizens have different phones: only repeats (and a few invalid ones) share.
        #expect(try #require(s["distinctPhones"] as? Int) >= 1000 - repeats - invalidTotal)
    }

    @Test func fractionsFollowTheOptionsAndCleanTurnsThemOff() throws {
        let (s, _) = try dryRun(["--count", "2000", "--seed", "11", "--invalid-fraction", "0.1", "--repeat-fraction", "0.05", "--no-cluster"])
        let invalid = (s["invalid"] as? [String: Int] ?? [:]).values.reduce(0, +)
        #expect((180...220).contains(invalid))
        #expect((90...110).contains(s["repeats"] as? Int ?? -1))
        #expect(s["cluster"] as? Int == 0)

        let (clean, _) = try dryRun(["--count", "2000", "--seed", "11", "--clean"])
        #expect((clean["invalid"] as? [String: Int] ?? ["x": 1]).isEmpty)
        #expect(clean["repeats"] as? Int == 0)
        #expect(clean["cluster"] as? Int == 0)
        #expect(clean["normal"] as? Int == 2000)
        #expect(clean["distinctPhones"] as? Int == 2000)

        let (only, _) = try dryRun(["--count", "300", "--seed", "11", "--channel", "sms", "--channel", "wechat"])
        #expect(Set((only["channels"] as? [String: Int] ?? [:]).keys) == ["sms", "wechat"])

        // Too short for a cluster.
        let (short, _) = try dryRun(["--count", "30", "--seed", "11"])
        #expect(short["cluster"] as? Int == 0)
    }

    // MARK: - Pacing and percentiles

    @Test(arguments: [
        (rate: "1000", count: 1000, batchSize: 10, batches: 100, seconds: 1.0),
        (rate: "50", count: 100, batchSize: 1, batches: 100, seconds: 2.0),
        (rate: "0", count: 1000, batchSize: 100, batches: 10, seconds: 0.0),
        (rate: "250", count: 1001, batchSize: 2, batches: 501, seconds: 4.004),
        (rate: "50000", count: 10_000, batchSize: 100, batches: 100, seconds: 0.2),
    ])
    func pacingSplitsTheRunIntoBatchesDueAtCountOverRate(rate: String, count: Int, batchSize: Int, batches: Int, seconds: Double) throws {
        let (_, pacing) = try dryRun(["--count", String(count), "--rate", rate, "--clean", "--seed", "1"])
        #expect(pacing["batchSize"] as? Int == batchSize)
        #expect(pacing["batches"] as? Int == batches)
        #expect(abs((pacing["plannedSeconds"] as? Double ?? -1) - seconds) < 1e-9)
    }

    @Test func benchPipelinePlansAThroughputAndALatencyRunPerLaneSetting() throws {
        let plan = try ctl(["bench", "pipeline", "--dry-run", "--count", "100000", "--lanes", "1,2"])
        #expect(plan.status == 0, "\(plan.stderr)")
        let lines = plan.stdout.split(separator: "\n").map(String.init)
        #expect(lines.filter { $0.hasPrefix("lanes 1, offered as fast as possible: 100000 submissions in batches of 100") }.count == 1)
        #expect(lines.filter { $0.hasPrefix("lanes 2, offered 1000/s: 20000 submissions in batches of 10 (2000 batches), publishing takes 20.0 s") }.count == 1)
        #expect(lines.filter { $0.hasPrefix("lanes ") }.count == 4)
        #expect(lines.contains { $0.hasPrefix("baseline: 3 rounds of 20000") })
        // Offered 1000/s already: no separate latency run.
        let paced = try ctl(["bench", "pipeline", "--dry-run", "--count", "5000", "--rate", "1000", "--lanes", "2"])
        #expect(paced.stdout.split(separator: "\n").filter { $0.hasPrefix("lanes ") }.count == 1)
    }

    func percentiles(_ values: [Double], at: String = "50,95,99") throws -> [String: Any] {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("percentiles-\(UUID()).txt")
        try values.map { String($0) }.joined(separator: "\n").write(to: url, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: url) }
        return try json(try ctl(["bench", "percentiles", url.path, "--at", at]))
    }

    @Test func percentilesAreNearestRank() throws {
        let hundred = try percentiles((1...100).map(Double.init).shuffled(), at: "0,7,50,95,99,100")
        #expect(hundred["count"] as? Double == 100)
        for (key, value) in ["p0": 1.0, "p7": 7, "p50": 50, "p95": 95, "p99": 99, "p100": 100] {
            #expect(hundred[key] as? Double == value, "\(key): \(hundred)")
        }
        let three = try percentiles([5, 1, 3])
        #expect(three["p50"] as? Double == 3)
        #expect(three["p99"] as? Double == 5)
        let one = try percentiles([42])
        #expect(one["p50"] as? Double == 42 && one["p99"] as? Double == 42)
        #expect(try percentiles([])["p50"] is NSNull)
    }

    @Test func percentilesAgreeWithPostgresPercentileDisc() throws {
        var generator = SystemRandomNumberGenerator()
        let values = (0..<997).map { _ in Double(Int.random(in: 0..<5000, using: &generator)) / 10 }
        let ours = try percentiles(values, at: "50,95,99")
        let arrayLiteral = "{" + values.map { String($0) }.joined(separator: ",") + "}"
        let connection = try PostgresConnection(url: try TestServers.databaseURL())
        defer { connection.close() }
        let row = try #require(try connection.query("""
            SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY v) AS p50,
                   percentile_disc(0.95) WITHIN GROUP (ORDER BY v) AS p95,
                   percentile_disc(0.99) WITHIN GROUP (ORDER BY v) AS p99
            FROM unnest(\(arrayLiteral)::float8[]) AS v
            """).first)
        for key in ["p50", "p95", "p99"] {
            #expect(ours[key] as? Double == (try row.decode(key, as: Double.self)), "\(key)")
        }
    }

    @Test(arguments: [
        ["loadgen", "--rate", "-1"],
        ["loadgen", "--count", "0"],
        ["loadgen", "--invalid-fraction", "0.9"],
        ["loadgen", "--invalid-fraction", "0.3", "--repeat-fraction", "0.3"],
        ["loadgen", "--channel", "two words"],
        ["loadgen", "--channel", "submission.*"],
        ["loadgen", "--show", "3"],
        ["loadgen", "--run-id", "有空格 的"],
        ["bench", "pipeline", "--lanes", "0,1"],
        ["bench", "pipeline", "--lanes", "one"],
        ["bench", "pipeline", "--count", "0"],
        ["bench", "pipeline", "--database-name", "Bench; DROP"],
    ])
    func badArgumentsGetOneLineAndStatus2(arguments: [String]) throws {
        let result = try ctl(arguments)
        #expect(result.status == 2, "\(arguments): \(result.stderr)")
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.hasPrefix("hotlinectl: "))
        #expect(result.stderr.filter { $0 == "\n" }.count == 1, "\(result.stderr)")
    }

    // MARK: - Against the servers

    @Test func statusShowsStatesQueuesOutboxAndTheOldestUndispatchedOrder() throws {
        _ = try TestServers.amqpURL()
        try PostgresTestDatabase.with { url in
            let migrated = try ctl(["migrate", "--database-url", url])
            #expect(migrated.status == 0, "\(migrated.stderr)")
            let db = try PostgresConnection(url: url)
            defer { db.close() }
            for (number, state, minutesAgo) in [("12345-20260105-000001", "dispatched", 30), ("12345-20260105-000002", "awaitingDispatch", 20),
                                                ("12345-20260105-000003", "received", 5)] {
                try db.execute("""
                    INSERT INTO work_orders (id, number, profile, channel, submission_id, state, category, title, content_pii,
                                             citizen_phone_pii, received_at)
                    VALUES (\(UUID()), \(number), 'qidong', 'phone', \(number), \(state), 'help', '停水', '石桥镇停水',
                            '13900001111', now() - make_interval(mins => \(minutesAgo)::int))
                    """)
            }
            try db.execute("""
                INSERT INTO outbox (message_id, exchange, routing_key, type, body, created_at)
                VALUES (\(UUID()), 'hotline.events', 'workorder.received', 'workorder.received', '\\x7b7d'::bytea, now() - interval '3 seconds')
                """)

            let text = try ctl(["status", "--database-url", url])
            #expect(text.status == 0, "\(text.stderr)")
            for expected in ["work orders: 3", "awaitingDispatch", "oldest undispatched: 12345-20260105-000002 (awaitingDispatch)",
                             "needing manual dispatch: 0", "outbox: 1 unpublished, lag", "0 failed", "parked messages (open): intake 0",
                             "queues", "intake.retry.1", "routing.dead", "hotline.unrouted"] {
                #expect(text.stdout.contains(expected), "no \(expected) in:\n\(text.stdout)")
            }
            #expect(text.stdout.contains(#/\n  dispatched +1\n/#))
            #expect(!text.stdout.contains("13900001111") && !text.stdout.contains("石桥镇停水"))
            // Every fleet queue is there, with a depth or as not declared.
            let lines = text.stdout.split(separator: "\n")
            for queue in Topology.consumers {
                let line = lines.first { $0.hasPrefix("  \(queue) ") }
                #expect(line?.contains(#/^  \S+ +(not declared|\d+ +\d+)$/#) == true, "\(queue): \(line ?? "no line")")
            }

            let report = try json(try ctl(["status", "--database-url", url, "--json"]))
            #expect(report["workOrders"] as? Int == 3)
            let outbox = try #require(report["outbox"] as? [String: Any])
            #expect(outbox["unpublished"] as? Int == 1)
            #expect(try #require(outbox["lagSeconds"] as? Double) >= 2)
            let oldest = try #require(report["oldestUndispatched"] as? [String: Any])
            #expect(oldest["number"] as? String == "12345-20260105-000002")
            #expect(try #require(oldest["ageSeconds"] as? Double) >= 1190)
            let queues = try #require(report["queues"] as? [[String: Any]])
            #expect(queues.count == Topology.consumers.count * (Topology.retryDelaysMilliseconds.count + 2) + 1)
            #expect((report["problems"] as? [Any])?.isEmpty == true)
        }
    }

    @Test func statusWithoutABrokerStillShowsTheDatabaseAndFails() throws {
        let result = try ctl(["status", "--amqp-url", "amqp://hotline:s3cret-pw@127.0.0.1:1/"])
        #expect(result.status == 1)
        #expect(result.stdout.contains("work orders:"))
        #expect(result.stdout.contains("queues: unavailable"))
        #expect(result.stderr.contains("hotlinectl: broker: "))
        #expect(!(result.stdout + result.stderr).contains("s3cret-pw"))
    }

    @Test func loadgenPublishesPacedConfirmedSubmissionsThroughTheContract() async throws {
        let amqpURL = try TestServers.amqpURL()
        // A channel with a dot: its key submission.<a>.<b> is not matched by the intake queue's
        // submission.*, so only this test's queue gets these messages.
        let channel = "lgtest." + UUID().uuidString.prefix(8).lowercased()
        let queue = Broker.uniqueName("loadgen")
        let ctlPath = try Shell.product("hotlinectl")
        let (result, deliveries) = try await Broker.onThread { () throws -> (Shell.Result, [Delivery]) in
            let connection = try AMQPConnection(url: amqpURL, connectionName: "loadgen-test")
            defer { connection.close() }
            try TopologyDeclarer.declareExchanges(on: connection)
            try connection.declareQueue(queue, QueueOptions(durable: false))
            defer { _ = try? connection.deleteQueue(queue) }
            try connection.bindQueue(queue, exchange: Topology.intakeExchange, routingKey: SubmissionV1.routingKey(channel: channel))
            let result = try Shell.run(ctlPath, ["loadgen", "--count", "50", "--rate", "200", "--channel", channel,
                                                 "--seed", "11", "--run-id", "t50", "--json"])
            var deliveries: [Delivery] = []
            while let delivery = try connection.basicGet(queue: queue) {
                deliveries.append(delivery)
                try connection.ack(delivery.deliveryTag)
            }
            return (result, deliveries)
        }
        let summary = try json(result)
        #expect(summary["published"] as? Int == 50)
        #expect(summary["confirmed"] as? Int == 50)
        #expect(summary["returned"] as? Int == 0)
        // Paced: 50 at 200/s is due over 0.245 s.
        #expect(try #require(summary["elapsedSeconds"] as? Double) >= 0.2)

        #expect(deliveries.count == 50)
        var ids = Set<String>()
        for delivery in deliveries {
            #expect(delivery.exchange == Topology.intakeExchange)
            #expect(delivery.routingKey == "submission.\(channel)")
            #expect(delivery.properties.type == "submission")
            #expect(delivery.properties.contentType == "application/json")
            #expect(delivery.properties.persistent)
            let envelope = try Contracts.decode(SubmissionV1.self, from: delivery.body)
            #expect(delivery.properties.messageId == envelope.id.uuidString)
            #expect(envelope.data.channel == channel)
            #expect(envelope.data.submissionId?.hasPrefix("lg-t50-") == true)
            let received = try #require(envelope.data.receivedAt)
            #expect(abs(received.timeIntervalSinceNow) < 120)
            #expect(envelope.occurredAt == received)
            ids.insert(envelope.data.submissionId ?? "")
        }
        #expect(ids.count == 50)
    }

    @Test func loadgenReportsReturnedMessagesWhenNoIntakeQueueIsBound() throws {
        _ = try TestServers.amqpURL()
        let channel = "lgtest.unbound" + UUID().uuidString.prefix(8).lowercased()
        let result = try ctl(["loadgen", "--count", "20", "--rate", "0", "--channel", channel, "--seed", "5"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("no intake queue bound: start hotline-intake first"), "\(result.stderr)")
        #expect(result.stdout.contains("confirmed 0, returned 20"), "\(result.stdout)")
        // No personal data in what it printed: no names, no phone numbers.
        let printed = result.stdout + result.stderr
        #expect(!printed.contains("先生") && !printed.contains("女士"))
        #expect(!printed.contains(#/1[3-9]\d{9}/#))
    }
}
