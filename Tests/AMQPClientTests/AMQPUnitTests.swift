import AMQPClient
import Foundation
import Testing

@Suite struct AMQPURLTests {
    @Test func parsesEveryPart() throws {
        let url = try AMQPURL("amqp://hot%40line:p%3Ass@broker.local:5673/%2Fhotline%2F12345?heartbeat=5")
        #expect(url.host == "broker.local")
        #expect(url.port == 5673)
        #expect(url.user == "hot@line")
        #expect(url.password == "p:ss")
        #expect(url.vhost == "/hotline/12345")
        #expect(url.heartbeat == 5)
    }

    @Test func defaultsToSlashVhostAndFifteenSecondHeartbeat() throws {
        let url = try AMQPURL("amqp://u:p@127.0.0.1:55672/")
        #expect(url.vhost == "/")
        #expect(url.heartbeat == 15)
        #expect(try AMQPURL("amqp://u:p@127.0.0.1").port == 5672)
    }

    @Test func rejectsOtherSchemesAndBadHeartbeats() {
        #expect(throws: AMQPError.self) { try AMQPURL("http://u:p@host/") }
        #expect(throws: AMQPError.self) { try AMQPURL("amqp://u:p@host/?heartbeat=soon") }
    }
}

@Suite struct QueueOptionsTests {
    @Test func quorumRetryQueueArguments() {
        let options = QueueOptions(quorum: true, deliveryLimit: 5, deadLetterExchange: "hotline.dlx",
                                   deadLetterRoutingKey: "parked", atLeastOnceDeadLettering: true,
                                   messageTTLMilliseconds: 30_000, extraArguments: ["x-max-length": 1000])
        #expect(options.arguments == [
            "x-queue-type": "quorum", "x-delivery-limit": 5, "x-dead-letter-exchange": "hotline.dlx",
            "x-dead-letter-routing-key": "parked", "x-dead-letter-strategy": "at-least-once",
            "x-overflow": "reject-publish", "x-message-ttl": 30_000, "x-max-length": 1000,
        ])
        #expect(QueueOptions().arguments.isEmpty)
    }
}

@Suite struct ReconnectPolicyTests {
    @Test func backoffGrowsThenStaysBounded() {
        let policy = ReconnectPolicy(initialDelay: .milliseconds(100), maxDelay: .seconds(2), multiplier: 2, jitter: 0)
        #expect(policy.delay(beforeAttempt: 1, random: 0.9) == .milliseconds(100))
        #expect(policy.delay(beforeAttempt: 2, random: 0.1) == .milliseconds(200))
        #expect(policy.delay(beforeAttempt: 4, random: 0.5) == .milliseconds(800))
        #expect(policy.delay(beforeAttempt: 30, random: 0.5) == .seconds(2))
    }

    @Test func jitterStaysWithinItsFraction() {
        let policy = ReconnectPolicy(initialDelay: .seconds(1), maxDelay: .seconds(10), multiplier: 2, jitter: 0.25)
        #expect(policy.delay(beforeAttempt: 1, random: 0) == .milliseconds(750))
        #expect(policy.delay(beforeAttempt: 1, random: 1) == .milliseconds(1250))
        #expect(policy.delay(beforeAttempt: 1, random: 0.5) == .seconds(1))
    }
}

@Suite struct AMQPErrorTests {
    @Test func descriptionNamesOperationAndReplyOnly() {
        let error = AMQPError(.channelClosed(replyCode: 404, replyText: "NOT_FOUND - no exchange 'x'"), operation: "publish")
        #expect(error.description.contains("publish"))
        #expect(error.description.contains("404"))
        #expect(!error.isConnectionLevel)
        #expect(AMQPError(.heartbeatTimeout, operation: "consume").isConnectionLevel)
    }
}
