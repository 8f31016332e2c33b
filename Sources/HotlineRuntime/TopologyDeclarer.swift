import AMQPClient
import HotlineContracts

/// Declares `Topology` values on a broker, idempotently.
public enum TopologyDeclarer {
    public static func declare(_ topology: Topology.ConsumerTopology, on connection: AMQPConnection) throws {
        try declareExchanges(topology.exchanges, on: connection)
        for queue in topology.queues {
            try connection.declareQueue(queue.name, options(for: queue))
        }
        for binding in topology.bindings {
            try connection.bindQueue(binding.queue, exchange: binding.exchange, routingKey: binding.routingKey)
        }
    }

    /// The exchanges alone (publishers that consume nothing), and the unrouted queue behind the
    /// events exchange's alternate exchange.
    public static func declareExchanges(_ exchanges: [Topology.Exchange] = Topology.exchanges, on connection: AMQPConnection) throws {
        for exchange in exchanges {
            let type: ExchangeType = switch exchange.kind {
            case .topic: .topic
            case .direct: .direct
            case .fanout: .fanout
            }
            var arguments: [String: AMQPValue] = [:]
            if let alternate = exchange.alternateExchange { arguments["alternate-exchange"] = .string(alternate) }
            try connection.declareExchange(exchange.name, type: type, durable: true, arguments: arguments)
        }
        try connection.declareQueue(Topology.unrouted.name, options(for: Topology.unrouted))
        let binding = Topology.unroutedBinding
        try connection.bindQueue(binding.queue, exchange: binding.exchange, routingKey: binding.routingKey)
    }

    static func options(for queue: Topology.Queue) -> QueueOptions {
        QueueOptions(
            durable: true, quorum: true, deliveryLimit: queue.deliveryLimit,
            deadLetterExchange: queue.deadLetter?.exchange, deadLetterRoutingKey: queue.deadLetter?.routingKey,
            atLeastOnceDeadLettering: queue.deadLetter != nil, messageTTLMilliseconds: queue.messageTTLMilliseconds)
    }
}
