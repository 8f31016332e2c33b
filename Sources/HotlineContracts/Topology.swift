/// Hotline's messaging topology as data: exchanges, one quorum queue per consumer with its retry
/// tiers and parking queue, and bindings. Workers declare it at start (idempotently) through the
/// AMQP client; tests and `hotlinectl` read the same names from here.
public enum Topology {
    /// Raw submissions from channels, key `submission.<channel>`.
    public static let intakeExchange = "hotline.intake"
    /// Domain events, key = event type (`workorder.received`, ...).
    public static let eventsExchange = "hotline.events"
    /// Delayed retries: key `<queue>.retry.<tier>`, each tier a queue with a fixed TTL that
    /// dead-letters back to `<queue>` through the default exchange.
    public static let retryExchange = "hotline.retry"
    /// Parking: key `<queue>`, bound to `<queue>.dead`.
    public static let deadExchange = "hotline.dead"

    /// The consumers (queues) of the fleet's workers. deadline-watch claims timers and consumes no
    /// queue; scoring's queue only carries requests to score a period now (`scoring.requested`).
    public static let consumers = ["intake", "routing", "sms-reply", "scoring"]

    /// What each worker's queue is fed from (its bindings).
    public static let subscriptions: [String: [(exchange: String, routingKey: String)]] = [
        "intake": [(intakeExchange, "submission.*")],
        "routing": [(eventsExchange, "workorder.received"), (eventsExchange, "workorder.return_approved")],
        "sms-reply": [(eventsExchange, "workorder.replied")],
        // Staying up, hotline-scoring scores a period on demand (`ScoringRequested`).
        "scoring": [(eventsExchange, "scoring.requested")],
    ]

    /// The topology of one of the fleet's consumers (`intake`, `routing`, ...).
    public static func fleetConsumer(_ queue: String) -> ConsumerTopology? {
        subscriptions[queue].map { consumer(queue, subscribesTo: $0) }
    }

    /// Delays of the retry tiers, in order. After the last, a message is parked.
    public static let retryDelaysMilliseconds: [Int] = [5_000, 60_000, 600_000]

    /// Deliveries a quorum queue allows before it dead-letters a message (crash loops).
    public static let deliveryLimit = 20

    public struct Exchange: Sendable, Equatable {
        public enum Kind: String, Sendable { case topic, direct, fanout }
        public let name: String
        public let kind: Kind
        /// Where messages this exchange cannot route go (`alternate-exchange`).
        public var alternateExchange: String? = nil
    }

    public struct Queue: Sendable, Equatable {
        public let name: String
        /// `x-message-ttl` (retry tiers only).
        public let messageTTLMilliseconds: Int?
        /// Where expired or rejected messages go: (exchange, routing key); "" is the default exchange.
        public let deadLetter: (exchange: String, routingKey: String)?
        public let deliveryLimit: Int?

        public static func == (a: Queue, b: Queue) -> Bool {
            a.name == b.name && a.messageTTLMilliseconds == b.messageTTLMilliseconds
                && a.deadLetter?.exchange == b.deadLetter?.exchange && a.deadLetter?.routingKey == b.deadLetter?.routingKey
                && a.deliveryLimit == b.deliveryLimit
        }
    }

    public struct Binding: Sendable, Equatable {
        public let queue: String
        public let exchange: String
        public let routingKey: String

        public init(queue: String, exchange: String, routingKey: String) {
            self.queue = queue
            self.exchange = exchange
            self.routingKey = routingKey
        }
    }

    /// Everything one consumer needs: its queue, retry tiers, parking queue and bindings.
    public struct ConsumerTopology: Sendable {
        public let consumer: String
        public let exchanges: [Exchange]
        public let queues: [Queue]
        public let bindings: [Binding]
        public let retryDelaysMilliseconds: [Int]

        public var mainQueue: String { consumer }
        public var parkingQueue: String { Topology.parkingQueue(of: consumer) }
        public func retryRoutingKey(tier: Int) -> String { Topology.retryQueue(of: consumer, tier: tier) }
    }

    public static let exchanges: [Exchange] = [
        Exchange(name: intakeExchange, kind: .topic),
        Exchange(name: unroutedExchange, kind: .fanout),
        Exchange(name: eventsExchange, kind: .topic, alternateExchange: unroutedExchange),
        Exchange(name: retryExchange, kind: .direct),
        Exchange(name: deadExchange, kind: .direct),
    ]

    /// The queue behind the alternate exchange; its messages expire after a week.
    public static let unrouted = Queue(name: unroutedQueue, messageTTLMilliseconds: 7 * 24 * 3_600_000, deadLetter: nil, deliveryLimit: nil)
    public static let unroutedBinding = Binding(queue: unroutedQueue, exchange: unroutedExchange, routingKey: "")

    public static func parkingQueue(of queue: String) -> String { "\(queue).dead" }
    public static func retryQueue(of queue: String, tier: Int) -> String { "\(queue).retry.\(tier + 1)" }

    /// Where events nobody subscribes to end up (the events exchange's alternate exchange), so a
    /// mandatory publish of such an event is confirmed rather than returned, and nothing vanishes.
    public static let unroutedExchange = "hotline.unrouted"
    public static let unroutedQueue = "hotline.unrouted"

    /// The topology of consumer `queue`, fed from `(exchange, routing key)` pairs, with retry tiers
    /// of the given delays (tests use short ones).
    public static func consumer(_ queue: String, subscribesTo sources: [(exchange: String, routingKey: String)],
                                retryDelaysMilliseconds: [Int] = Topology.retryDelaysMilliseconds) -> ConsumerTopology {
        var queues = [Queue(name: queue, messageTTLMilliseconds: nil, deadLetter: (deadExchange, queue), deliveryLimit: deliveryLimit)]
        var bindings = sources.map { Binding(queue: queue, exchange: $0.exchange, routingKey: $0.routingKey) }
        for (tier, delay) in retryDelaysMilliseconds.enumerated() {
            let name = retryQueue(of: queue, tier: tier)
            queues.append(Queue(name: name, messageTTLMilliseconds: delay, deadLetter: ("", queue), deliveryLimit: nil))
            bindings.append(Binding(queue: name, exchange: retryExchange, routingKey: name))
        }
        let parking = parkingQueue(of: queue)
        queues.append(Queue(name: parking, messageTTLMilliseconds: nil, deadLetter: nil, deliveryLimit: nil))
        bindings.append(Binding(queue: parking, exchange: deadExchange, routingKey: queue))
        return ConsumerTopology(consumer: queue, exchanges: exchanges, queues: queues, bindings: bindings,
                                retryDelaysMilliseconds: retryDelaysMilliseconds)
    }
}
