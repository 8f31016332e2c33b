import AMQPClient
import Foundation
import HotlineTestSupport
import Testing

/// Deletes test queues and exchanges with a fresh connection (the test's own may be broken).
func removeTopology(_ url: String, queues: [String], exchanges: [String] = []) {
    guard let connection = try? AMQPConnection(url: url, connectionName: "test-cleanup") else { return }
    for queue in queues { _ = try? connection.deleteQueue(queue) }
    for exchange in exchanges { try? connection.deleteExchange(exchange) }
    connection.close()
}

func message(to queue: String, _ text: String, id: String? = nil, mandatory: Bool = false) -> OutgoingMessage {
    OutgoingMessage(exchange: "", routingKey: queue, body: Array(text.utf8),
                    properties: MessageProperties(messageId: id ?? UUID().uuidString), mandatory: mandatory)
}

/// Collects up to `count` deliveries, waiting at most `within` in total.
func collect(_ connection: AMQPConnection, count: Int, within: Duration = .seconds(10)) throws -> [Delivery] {
    var deliveries: [Delivery] = []
    let deadline = ContinuousClock.now + within
    while deliveries.count < count, ContinuousClock.now < deadline {
        if let delivery = try connection.nextDelivery(timeout: .milliseconds(500)) { deliveries.append(delivery) }
    }
    return deliveries
}

@Suite(.serialized) struct AMQPConnectionTests {
    @Test func declaresQuorumQueueWithEveryArgumentIdempotently() async throws {
        let url = try TestServers.amqpURL()
        try await Broker.onThread {
            let queue = Broker.uniqueName("quorum"), dlx = Broker.uniqueName("dlx")
            defer { removeTopology(url, queues: [queue], exchanges: [dlx]) }
            let connection = try AMQPConnection(url: url)
            defer { connection.close() }
            try connection.declareExchange(dlx, type: .topic)
            let options = QueueOptions(quorum: true, deliveryLimit: 5, deadLetterExchange: dlx,
                                       deadLetterRoutingKey: "parked", atLeastOnceDeadLettering: true,
                                       messageTTLMilliseconds: 60_000, extraArguments: ["x-max-length": 10_000])
            try connection.declareQueue(queue, options)
            try connection.declareQueue(queue, options)
            try connection.declareExchange(dlx, type: .topic)
            let depth = try connection.queueDepth(queue)
            #expect(depth.messages == 0 && depth.consumers == 0)

            // Different arguments: the broker refuses (406) and the connection stays usable.
            var changed = options
            changed.deliveryLimit = 7
            #expect {
                try connection.declareQueue(queue, changed)
            } throws: { error in
                guard let error = error as? AMQPError, case .channelClosed(let code, _) = error.code else { return false }
                return code == 406
            }
            #expect(try connection.queueDepth(queue).messages == 0)
        }
    }

    @Test func confirmsABatchOfOneHundred() async throws {
        let url = try TestServers.amqpURL()
        try await Broker.onThread {
            let queue = Broker.uniqueName("confirms")
            defer { removeTopology(url, queues: [queue]) }
            let connection = try AMQPConnection(url: url)
            defer { connection.close() }
            try connection.declareQueue(queue, .quorum)
            let batch = (0..<100).map { message(to: queue, "message \($0)") }
            let outcomes = try connection.publish(batch, timeout: .seconds(10))
            #expect(outcomes.count == 100)
            #expect(outcomes.allSatisfy { $0 == .confirmed })
            #expect(try connection.queueDepth(queue).messages == 100)
            // A second batch on the same channel is confirmed too (delivery tags continue).
            let again = try connection.publish(Array(batch.prefix(10)), timeout: .seconds(10))
            #expect(again == Array(repeating: .confirmed, count: 10))
            #expect(try connection.purgeQueue(queue) == 110)
        }
    }

    @Test func mandatoryPublishToNowhereIsReturned() async throws {
        let url = try TestServers.amqpURL()
        try await Broker.onThread {
            let exchange = Broker.uniqueName("nowhere"), queue = Broker.uniqueName("bound")
            defer { removeTopology(url, queues: [queue], exchanges: [exchange]) }
            let connection = try AMQPConnection(url: url)
            defer { connection.close() }
            try connection.declareExchange(exchange, type: .direct)
            try connection.declareQueue(queue)
            try connection.bindQueue(queue, exchange: exchange, routingKey: "bound")
            func to(_ key: String, mandatory: Bool) -> OutgoingMessage {
                OutgoingMessage(exchange: exchange, routingKey: key, body: Array("x".utf8), mandatory: mandatory)
            }
            let outcomes = try connection.publish([to("bound", mandatory: true), to("unbound", mandatory: true),
                                                   to("unbound", mandatory: false), to("bound", mandatory: false)],
                                                  timeout: .seconds(10))
            #expect(outcomes.count == 4)
            #expect(outcomes[0] == .confirmed)
            guard case .returned(let code, _) = outcomes[1] else {
                Issue.record("expected a return, got \(outcomes[1])")
                return
            }
            #expect(code == 312) // NO_ROUTE
            #expect(outcomes[2] == .confirmed) // not mandatory: dropped by the broker, but acked
            #expect(outcomes[3] == .confirmed)
            #expect(try connection.queueDepth(queue).messages == 2)
        }
    }

    @Test func publishToMissingExchangeIsReportedAndTheConnectionStaysUsable() async throws {
        let url = try TestServers.amqpURL()
        try await Broker.onThread {
            let queue = Broker.uniqueName("after404")
            defer { removeTopology(url, queues: [queue]) }
            let connection = try AMQPConnection(url: url)
            defer { connection.close() }
            try connection.declareQueue(queue, .quorum)
            let missing = OutgoingMessage(exchange: Broker.uniqueName("missing"), routingKey: "k", body: [1, 2, 3])
            #expect {
                _ = try connection.publish([missing], timeout: .seconds(10))
            } throws: { error in
                guard let error = error as? AMQPError, case .channelClosed(let code, _) = error.code else { return false }
                return code == 404
            }
            #expect(connection.isOpen)
            #expect(connection.channelReopens == 1)
            let outcomes = try connection.publish([message(to: queue, "after the 404")], timeout: .seconds(10))
            #expect(outcomes == [.confirmed])
            #expect(try connection.queueDepth(queue).messages == 1)
        }
    }

    @Test func headersAndPropertiesRoundTrip() async throws {
        let url = try TestServers.amqpURL()
        try await Broker.onThread {
            let queue = Broker.uniqueName("headers")
            defer { removeTopology(url, queues: [queue]) }
            let connection = try AMQPConnection(url: url)
            defer { connection.close() }
            try connection.declareQueue(queue, .quorum)
            let stamp = Date(timeIntervalSince1970: 1_763_700_000)
            let headers: [String: AMQPValue] = [
                "district": "朝阳区",
                "summary": .string("市民反映：小区门口路灯不亮，请尽快处理。"),
                "attempt": 3,
                "negative": .int(-9_000_000_000),
                "urgent": true,
                "score": 4.5,
                "raw": .bytes([0, 255, 7]),
                "received": .timestamp(stamp),
                "tags": .array(["噪音", 12, .table(["深": "层"]), .array([false])]),
                "nested": .table(["level": .table(["部门": "住建委", "ids": .array([1, 2, 3])])]),
                "nothing": .void,
            ]
            let properties = MessageProperties(messageId: "wo-1", type: "work_order.created",
                                               contentType: "application/json", timestamp: stamp, headers: headers)
            let body = Array("{\"诉求\":\"路灯\"}".utf8)
            let outcomes = try connection.publish([OutgoingMessage(exchange: "", routingKey: queue, body: body,
                                                                   properties: properties)], timeout: .seconds(10))
            #expect(outcomes == [.confirmed])
            let delivery = try #require(try connection.basicGet(queue: queue))
            #expect(delivery.body == body)
            #expect(delivery.properties.messageId == "wo-1")
            #expect(delivery.properties.type == "work_order.created")
            #expect(delivery.properties.contentType == "application/json")
            #expect(delivery.properties.timestamp == stamp)
            #expect(delivery.properties.persistent)
            for (key, value) in headers { #expect(delivery.properties.headers[key] == value, "header \(key)") }
            #expect(delivery.routingKey == queue)
            #expect(!delivery.redelivered)
            try connection.ack(delivery.deliveryTag)
            #expect(try connection.basicGet(queue: queue) == nil)
        }
    }

    @Test func oneMebibyteBody() async throws {
        let url = try TestServers.amqpURL()
        try await Broker.onThread {
            let queue = Broker.uniqueName("large")
            defer { removeTopology(url, queues: [queue]) }
            let connection = try AMQPConnection(url: url)
            defer { connection.close() }
            try connection.declareQueue(queue, .quorum)
            let body = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 8) }
            let outcomes = try connection.publish([OutgoingMessage(exchange: "", routingKey: queue, body: body)],
                                                  timeout: .seconds(20))
            #expect(outcomes == [.confirmed])
            try connection.consume(queue: queue)
            let delivery = try #require(try collect(connection, count: 1).first)
            #expect(delivery.body.count == 1 << 20)
            #expect(delivery.body == body)
            try connection.ack(delivery.deliveryTag)
        }
    }

    @Test func unackedMessagesAreRedeliveredAfterTheConsumerConnectionDrops() async throws {
        let url = try TestServers.amqpURL()
        try await Broker.onThread {
            let queue = Broker.uniqueName("redeliver")
            defer { removeTopology(url, queues: [queue]) }
            let publisher = try AMQPConnection(url: url)
            defer { publisher.close() }
            try publisher.declareQueue(queue, .quorum)
            let ids = (0..<3).map { "m\($0)" }
            let outcomes = try publisher.publish(ids.map { message(to: queue, "body", id: $0) }, timeout: .seconds(10))
            #expect(outcomes.allSatisfy { $0 == .confirmed })

            do {
                // The first consumer takes the messages and drops its connection without acking.
                let proxy = try TCPProxy(targetHost: TestServers.hostAndPort(of: url)!.host,
                                         targetPort: TestServers.hostAndPort(of: url)!.port)
                let consumer = try AMQPConnection(url: proxy.rewrite(url: url))
                try consumer.setPrefetch(10)
                try consumer.consume(queue: queue)
                let first = try collect(consumer, count: 3)
                #expect(first.map { $0.properties.messageId } == ids)
                #expect(first.allSatisfy { !$0.redelivered && $0.deliveryCount == nil })
                proxy.close()
                #expect(throws: AMQPError.self) {
                    for _ in 0..<20 { _ = try consumer.nextDelivery(timeout: .milliseconds(250)) }
                }
                #expect(!consumer.isOpen)
            }

            let second = try AMQPConnection(url: url)
            defer { second.close() }
            try second.consume(queue: queue)
            let again = try collect(second, count: 3)
            #expect(Set(again.compactMap { $0.properties.messageId }) == Set(ids))
            #expect(again.allSatisfy { $0.redelivered })
            // Quorum queues count the lost delivery.
            #expect(again.allSatisfy { ($0.deliveryCount ?? 0) >= 1 })
            for delivery in again { try second.ack(delivery.deliveryTag) }
        }
    }

    @Test func nackWithRequeueShowsDeliveryCountOnQuorumQueue() async throws {
        let url = try TestServers.amqpURL()
        try await Broker.onThread {
            let queue = Broker.uniqueName("deliverycount")
            defer { removeTopology(url, queues: [queue]) }
            let connection = try AMQPConnection(url: url)
            defer { connection.close() }
            try connection.declareQueue(queue, QueueOptions(quorum: true, deliveryLimit: 10))
            #expect(try connection.publish([message(to: queue, "again")], timeout: .seconds(10)) == [.confirmed])
            try connection.setPrefetch(1)
            try connection.consume(queue: queue)
            let first = try #require(try collect(connection, count: 1).first)
            #expect(first.deliveryCount == nil)
            try connection.nack(first.deliveryTag, requeue: true)
            let second = try #require(try collect(connection, count: 1).first)
            #expect(second.redelivered)
            #expect(second.deliveryCount == 1)
            try connection.reject(second.deliveryTag, requeue: true)
            let third = try #require(try collect(connection, count: 1).first)
            #expect(third.deliveryCount == 2)
            try connection.ack(third.deliveryTag)
        }
    }

    @Test func deadLetteringThroughARetryQueueShowsXDeath() async throws {
        let url = try TestServers.amqpURL()
        try await Broker.onThread {
            let work = Broker.uniqueName("work"), retry = Broker.uniqueName("retry")
            defer { removeTopology(url, queues: [work, retry]) }
            let connection = try AMQPConnection(url: url)
            defer { connection.close() }
            // work --reject--> retry (TTL 300 ms) --expired--> work
            try connection.declareQueue(work, QueueOptions(quorum: true, deliveryLimit: 5, deadLetterExchange: "",
                                                           deadLetterRoutingKey: retry, atLeastOnceDeadLettering: true))
            try connection.declareQueue(retry, QueueOptions(quorum: true, deadLetterExchange: "",
                                                            deadLetterRoutingKey: work, atLeastOnceDeadLettering: true,
                                                            messageTTLMilliseconds: 300))
            #expect(try connection.publish([message(to: work, "retry me", id: "r1")], timeout: .seconds(10)) == [.confirmed])
            try connection.consume(queue: work)
            let first = try #require(try collect(connection, count: 1).first)
            #expect(first.xDeath == nil)
            try connection.reject(first.deliveryTag, requeue: false)

            let second = try #require(try collect(connection, count: 1, within: .seconds(15)).first)
            #expect(second.properties.messageId == "r1")
            let deaths = try #require(second.xDeath).compactMap(\.tableValue)
            let expired = try #require(deaths.first { $0["queue"]?.stringValue == retry })
            #expect(expired["reason"]?.stringValue == "expired")
            #expect(expired["count"]?.intValue == 1)
            let rejected = try #require(deaths.first { $0["queue"]?.stringValue == work })
            #expect(rejected["reason"]?.stringValue == "rejected")
            try connection.ack(second.deliveryTag)
        }
    }

    @Test func oneConnectionConsumesAndPublishesWithConfirmsInterleaved() async throws {
        let url = try TestServers.amqpURL()
        try await Broker.onThread {
            let queue = Broker.uniqueName("both")
            defer { removeTopology(url, queues: [queue]) }
            let connection = try AMQPConnection(url: url)
            defer { connection.close() }
            try connection.declareQueue(queue, .quorum)
            try connection.setPrefetch(50)
            try connection.consume(queue: queue)
            // Deliveries arrive while publish waits for confirms: they are kept for nextDelivery.
            var published: [String] = []
            for batch in 0..<4 {
                let ids = (0..<50).map { "b\(batch)-\($0)" }
                #expect(try connection.publish(ids.map { message(to: queue, "x", id: $0) }, timeout: .seconds(10))
                    .allSatisfy { $0 == .confirmed })
                published += ids
            }
            // A batch not waited for: its confirms then arrive while consuming and are skipped.
            let late = (0..<20).map { "late-\($0)" }
            let outcomes = try connection.publish(late.map { message(to: queue, "x", id: $0) }, timeout: .zero)
            #expect(outcomes.count == 20)
            published += late
            var received: [String] = []
            let deadline = ContinuousClock.now + .seconds(15)
            while received.count < published.count, ContinuousClock.now < deadline {
                guard let delivery = try connection.nextDelivery(timeout: .milliseconds(500)) else { continue }
                received.append(delivery.properties.messageId ?? "")
                try connection.ack(delivery.deliveryTag)
            }
            #expect(Set(received) == Set(published))
            #expect(received.count == published.count)
            // The channel is still in step: a new batch gets its own confirms.
            #expect(try connection.publish([message(to: queue, "after")], timeout: .seconds(10)) == [.confirmed])
        }
    }

    @Test func heartbeatTimeoutIsDetectedWhenThePeerGoesSilent() async throws {
        let url = try TestServers.amqpURL()
        try await Broker.onThread {
            let queue = Broker.uniqueName("heartbeat")
            defer { removeTopology(url, queues: [queue]) }
            let target = try #require(TestServers.hostAndPort(of: url))
            let proxy = try TCPProxy(targetHost: target.host, targetPort: target.port)
            defer { proxy.close() }
            var components = try #require(URLComponents(string: proxy.rewrite(url: url)))
            components.queryItems = [URLQueryItem(name: "heartbeat", value: "2")]
            let connection = try AMQPConnection(url: try #require(components.string))
            #expect(connection.heartbeat == 2)
            try connection.declareQueue(queue)
            try connection.consume(queue: queue)
            #expect(try connection.nextDelivery(timeout: .milliseconds(500)) == nil)

            proxy.blackhole()
            let started = ContinuousClock.now
            var caught: AMQPError?
            while caught == nil, ContinuousClock.now - started < .seconds(30) {
                do { _ = try connection.nextDelivery(timeout: .seconds(1)) } catch let error as AMQPError { caught = error }
            }
            let elapsed = ContinuousClock.now - started
            let error = try #require(caught)
            switch error.code {
            case .heartbeatTimeout, .socket: break
            default: Issue.record("unexpected error \(error)")
            }
            #expect(elapsed <= .seconds(7), "detected after \(elapsed)")
            #expect(!connection.isOpen)
        }
    }
}
