import AMQPClient
import Foundation
import HotlineTestSupport
import Testing

/// Records what the recovering connections went through (used on the owning thread only).
final class EventLog {
    var lost: [AMQPError] = []
    var failedAttempts = 0
    var recovered = 0

    func record(_ event: RecoveryEvent) {
        switch event {
        case .connectionLost(let error): lost.append(error)
        case .attemptFailed: failedAttempts += 1
        case .recovered: recovered += 1
        }
    }
}

@Suite(.serialized) struct AMQPRecoveryTests {
    @Test func consumptionResumesAfterTheBrokerIsKilledWithEveryConfirmedMessageKept() async throws {
        let url = try TestServers.amqpURL()
        try await Broker.onThread {
            let queue = Broker.uniqueName("recovery")
            defer { removeTopology(url, queues: [queue]) }
            let policy = ReconnectPolicy(initialDelay: .milliseconds(200), maxDelay: .seconds(2), giveUpAfter: .seconds(120))
            let publisherLog = EventLog(), consumerLog = EventLog()
            let publisher = try RecoveringAMQPConnection(url: url, connectionName: "test-publisher", policy: policy,
                                                         onEvent: publisherLog.record) { connection in
                try connection.declareQueue(queue, .quorum)
            }
            defer { publisher.close() }
            let consumer = try RecoveringAMQPConnection(url: url, connectionName: "test-consumer", policy: policy,
                                                        onEvent: consumerLog.record) { connection in
                try connection.declareQueue(queue, .quorum)
                try connection.setPrefetch(10)
                try connection.consume(queue: queue)
            }
            defer { consumer.close() }

            let first = (0..<30).map { message(to: queue, "before", id: "before-\($0)") }
            #expect(try publisher.publish(first, timeout: .seconds(10)).allSatisfy { $0 == .confirmed })
            var seen = Set<String>()
            let deadline = ContinuousClock.now + .seconds(10)
            while seen.count < 10, ContinuousClock.now < deadline {
                guard let delivery = try consumer.nextDelivery(timeout: .milliseconds(500)) else { continue }
                seen.insert(delivery.properties.messageId ?? "")
                try consumer.ack(delivery.deliveryTag)
            }
            #expect(seen.count == 10)

            // RabbitMQ 3.10 saves a new quorum queue's Ra metadata (meta.dets) every 5 s: a queue declared
            // just before a kill -9 of a single node does not come back. Let it get older than that.
            Thread.sleep(forTimeInterval: 6)
            // kill -9 the broker; bring it back from another thread while both clients recover.
            try Shell.services("kill", "amqp")
            let restarted = Thread {
                Thread.sleep(forTimeInterval: 1)
                _ = try? Shell.services("up", "amqp")
            }
            restarted.start()

            let inFlight = (0..<10).map { message(to: queue, "during", id: "during-\($0)") }
            let outcomes = try publisher.publish(inFlight, timeout: .seconds(10))
            #expect(outcomes == Array(repeating: .unconfirmed, count: 10))
            #expect(publisher.reconnects == 1)
            #expect(publisherLog.lost.count == 1 && publisherLog.recovered == 1)
            // The caller republishes what was not confirmed.
            var unconfirmed = inFlight
            for _ in 0..<5 where !unconfirmed.isEmpty {
                let again = try publisher.publish(unconfirmed, timeout: .seconds(10))
                unconfirmed = zip(unconfirmed, again).filter { $0.1 != .confirmed }.map(\.0)
            }
            #expect(unconfirmed.isEmpty)

            let expected = Set(first.compactMap(\.properties.messageId) + inFlight.compactMap(\.properties.messageId))
            let consumeDeadline = ContinuousClock.now + .seconds(90)
            while seen != expected, ContinuousClock.now < consumeDeadline {
                guard let delivery = try consumer.nextDelivery(timeout: .milliseconds(500)) else { continue }
                seen.insert(delivery.properties.messageId ?? "")
                try consumer.ack(delivery.deliveryTag)
            }
            #expect(seen == expected, "missing \(expected.subtracting(seen).count) confirmed messages")
            #expect(consumer.reconnects >= 1)
            #expect(consumerLog.lost.contains { $0.isConnectionLevel })
            let depth = try publisher.withConnection { try $0.queueDepth(queue) }
            #expect(depth.messages == 0)
        }
    }

    @Test func recoveryGivesUpWhenCancelled() async throws {
        try await Broker.onThread {
            // Nothing listens on port 1: every attempt fails, each one is reported, and cancelling stops it.
            let cancellation = StopFlag()
            let log = EventLog()
            let policy = ReconnectPolicy(initialDelay: .milliseconds(20), maxDelay: .milliseconds(50), giveUpAfter: nil)
            #expect {
                _ = try RecoveringAMQPConnection(url: "amqp://u:p@127.0.0.1:1/", policy: policy, cancellation: cancellation,
                                                 onEvent: { event in
                                                     log.record(event)
                                                     if log.failedAttempts == 3 { cancellation.raise() }
                                                 }, setup: { _ in })
            } throws: { error in
                (error as? AMQPError)?.code == .recoveryAbandoned
            }
            #expect(log.failedAttempts == 3)
        }
    }

    @Test func recoveryGivesUpAfterItsDeadline() async throws {
        try await Broker.onThread {
            let log = EventLog()
            let policy = ReconnectPolicy(initialDelay: .milliseconds(20), maxDelay: .milliseconds(100),
                                         giveUpAfter: .milliseconds(500))
            #expect {
                _ = try RecoveringAMQPConnection(url: "amqp://u:p@127.0.0.1:1/", policy: policy,
                                                 onEvent: log.record, setup: { _ in })
            } throws: { error in
                (error as? AMQPError)?.code == .recoveryAbandoned
            }
            #expect(log.failedAttempts >= 2)
        }
    }
}
