import Foundation
import HotlineContracts
import Testing

struct Ping: MessageContract, Equatable {
    static let type = "test.ping"
    static let version = 2
    var text: String
    var count: Int
}

@Suite struct EnvelopeTests {
    let at = Date(timeIntervalSince1970: 1_763_700_000.5)

    @Test func roundTripKeepsEveryFieldAndChineseText() throws {
        let workOrder = UUID()
        let sent = Contracts.envelope(Ping(text: "小区供暖不热，室温仅12℃", count: 3), occurredAt: at, workOrderId: workOrder)
        let body = Contracts.encode(sent)
        let received = try Contracts.decode(Ping.self, from: body)
        #expect(received.id == sent.id)
        #expect(received.type == "test.ping")
        #expect(received.version == 2)
        #expect(received.workOrderId == workOrder)
        #expect(received.data == sent.data)
        #expect(abs(received.occurredAt.timeIntervalSince(at)) < 0.001)
        let text = String(decoding: body, as: UTF8.self)
        #expect(text.contains("\"occurredAt\":\"2025-11-21T04:40:00.500Z\""))
    }

    @Test func workOrderRepliedCarriesTheReplyForTheSMSWorker() throws {
        let replied = WorkOrderReplied(number: "12345-20261130-0000001", unitCode: "WATER", unitName: "石桥县水务局",
                                       replyText: "您反映的停水问题已于11月30日修复。", contactedCitizen: true, confidential: false,
                                       profile: "qidong", repliedAt: at)
        let body = Contracts.encode(Contracts.envelope(replied, occurredAt: at, workOrderId: UUID()))
        let received = try Contracts.decode(WorkOrderReplied.self, from: body)
        #expect(received.type == "workorder.replied")
        #expect(received.version == 1)
        #expect(received.data == replied)
    }

    @Test func anUnknownVersionIsRejectedClearly() throws {
        var sent = Contracts.envelope(Ping(text: "x", count: 1), occurredAt: at)
        sent.version = 3
        let body = Contracts.encode(sent)
        #expect(throws: ContractError.unsupportedVersion(type: "test.ping", version: 3, supported: 2)) {
            try Contracts.decode(Ping.self, from: body)
        }
        let error = ContractError.unsupportedVersion(type: "test.ping", version: 3, supported: 2)
        #expect(error.description == "test.ping version 3 is not supported (this build reads version 2)")
    }

    @Test func anotherTypeIsRejected() throws {
        let body = Array(#"{"id":"6F9619FF-8B86-D011-B42D-00C04FC964FF","type":"test.pong","version":2,"occurredAt":"2026-01-01T00:00:00Z","data":{}}"#.utf8)
        #expect(throws: ContractError.wrongType(expected: "test.ping", found: "test.pong")) {
            try Contracts.decode(Ping.self, from: body)
        }
    }

    @Test func brokenBodiesNameTheProblemButNotTheContent() throws {
        #expect(throws: ContractError.notJSON) { try Contracts.header(of: Array("13812341234 not json".utf8)) }
        #expect(throws: ContractError.missingField("type")) {
            try Contracts.header(of: Array(#"{"id":"6F9619FF-8B86-D011-B42D-00C04FC964FF","version":1,"occurredAt":"2026-01-01T00:00:00Z"}"#.utf8))
        }
        let body = Array(#"{"id":"6F9619FF-8B86-D011-B42D-00C04FC964FF","type":"test.ping","version":2,"occurredAt":"2026-01-01T00:00:00Z","data":{"text":"13812341234","count":"many"}}"#.utf8)
        do {
            _ = try Contracts.decode(Ping.self, from: body)
            Issue.record("decoded a count that is not a number")
        } catch {
            #expect(error == .invalidData(type: "test.ping", path: "data.count", problem: "expected Int"))
            #expect(!error.description.contains("13812341234"))
        }
    }
}

@Suite struct TopologyTests {
    @Test func retryDelaysCanBeShortenedForTests() {
        let topology = Topology.consumer("t", subscribesTo: [], retryDelaysMilliseconds: [100, 200])
        #expect(topology.queues.compactMap(\.messageTTLMilliseconds) == [100, 200])
        #expect(topology.retryDelaysMilliseconds == [100, 200])
    }

    @Test func aConsumerHasItsQueueRetryTiersAndParking() {
        let topology = Topology.consumer("routing", subscribesTo: [(Topology.eventsExchange, "workorder.received")])
        #expect(topology.queues.map(\.name) == ["routing", "routing.retry.1", "routing.retry.2", "routing.retry.3", "routing.dead"])
        let main = topology.queues[0]
        #expect(main.deadLetter?.exchange == Topology.deadExchange)
        #expect(main.deadLetter?.routingKey == "routing")
        #expect(main.deliveryLimit == Topology.deliveryLimit)
        // Each retry tier expires back into the main queue through the default exchange.
        for (tier, queue) in topology.queues[1...3].enumerated() {
            #expect(queue.messageTTLMilliseconds == Topology.retryDelaysMilliseconds[tier])
            #expect(queue.deadLetter?.exchange == "")
            #expect(queue.deadLetter?.routingKey == "routing")
        }
        #expect(topology.queues.last?.deadLetter == nil)
        #expect(topology.bindings.contains(.init(queue: "routing", exchange: "hotline.events", routingKey: "workorder.received")))
        #expect(topology.bindings.contains(.init(queue: "routing.dead", exchange: "hotline.dead", routingKey: "routing")))
        #expect(topology.bindings.contains(.init(queue: "routing.retry.2", exchange: "hotline.retry", routingKey: "routing.retry.2")))
        #expect(Set(topology.exchanges.map(\.name)) == ["hotline.intake", "hotline.events", "hotline.retry", "hotline.dead", "hotline.unrouted"])
        #expect(topology.exchanges.first { $0.name == "hotline.events" }?.alternateExchange == "hotline.unrouted")
        #expect(Topology.unroutedBinding == .init(queue: "hotline.unrouted", exchange: "hotline.unrouted", routingKey: ""))
    }
}
