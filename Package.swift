// swift-tools-version: 6.1
//
// Hotline: a 12345 government-service hotline back end.
//
// Modules, one sentence each:
// - CLibPQ / CRabbitMQ: system-library shims over libpq and rabbitmq-c; nothing else imports them
//   except the two client modules.
// - BlockingIO: what both clients and the runtime share beneath them: `DedicatedThread` (the one
//   way to run work on a thread of its own), `ReconnectPolicy.retry` (the one reconnect with
//   backoff) and `StopFlag`.
// - PostgresClient: a thread-owned PostgreSQL connection (libpq), typed rows, transactions,
//   LISTEN/NOTIFY, reconnect, a small pool.
// - AMQPClient: a thread-owned AMQP 0-9-1 connection (rabbitmq-c): topology, confirmed publishing,
//   manual-ack consuming, recovery.
// - HotlineDomain: the pure rules (lifecycle, policy profiles, working-day calendar, deadlines,
//   SMS text, scoring); no I/O, no C, no servers.
// - HotlineContracts: the message envelope, message contracts and the messaging topology, as
//   pure values shared by every worker, the CLI and the tests.
// - HotlineStore: the system of record's schema (SQL migrations) and the workers' SQL, as named
//   operations that take and return collections (work orders and their transitions, intake's
//   lookups, clusters, rejected submissions, outbox, inbox, parked messages), and the reference
//   data (units, routing rules, knowledge base, the demo county) with the gazetteer: the gazetteer
//   is a pure value over the `regions` rows the store already owns, so it lives here, below intake
//   and routing, rather than in a module of its own.
// - HotlineRuntime: what every worker process shares. A worker is a `WorkerApplication`: a list
//   of services in one ServiceGroup — the migrations first, the outbox relay, consumer lanes,
//   the worker's own loops (`ThreadService`: a `ThreadLoop` on a thread of its own) and the HTTP
//   endpoint with `/healthz` `/readyz` `/metrics` and the worker's routes; configuration, JSON
//   logs that mask personal data in one place, and `SafeError` for whatever error leaves the
//   process.
// - HotlineIntake: the intake worker's logic: validating and normalising submissions, scope
//   rules, repeats and clusters, creating work orders.
// - HotlineRouting: the routing worker's logic: choosing lead and co-units (rules, locality first,
//   the three-level network), dispatching, re-dispatching approved returns.
// - HotlineAPI: the units' and the office's workbench over HTTP: bearer-token access, routes,
//   problem details (RFC 9457), the OpenAPI document.
// - HotlineDeadlines: the deadline watch's logic: one named, pure rule per timer kind
//   (`DeadlineRules`) and the `TimerClaimer` loop that fires due timers through the store.
// - HotlineTestSupport: helpers for tests (server addresses that fail loudly when missing, a TCP
//   proxy that can blackhole, fresh databases, a handler run in-process on a test database).
// - one thin executable per worker and the admin CLI `hotlinectl`.
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "Hotline",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "hotline-intake", targets: ["hotline-intake"]),
        .executable(name: "hotline-routing", targets: ["hotline-routing"]),
        .executable(name: "hotline-deadline-watch", targets: ["hotline-deadline-watch"]),
        .executable(name: "hotline-sms-reply", targets: ["hotline-sms-reply"]),
        .executable(name: "hotline-scoring", targets: ["hotline-scoring"]),
        .executable(name: "hotline-api", targets: ["hotline-api"]),
        .executable(name: "hotlinectl", targets: ["hotlinectl"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
    ],
    targets: [
        // C libraries
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),
        .systemLibrary(
            name: "CRabbitMQ",
            pkgConfig: "librabbitmq",
            providers: [.apt(["librabbitmq-dev"])]
        ),

        // Threads that own blocking connections, and their reconnect backoff
        .target(
            name: "BlockingIO",
            swiftSettings: swiftSettings
        ),

        // Clients
        .target(
            name: "PostgresClient",
            dependencies: ["CLibPQ", "BlockingIO"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "AMQPClient",
            dependencies: ["CRabbitMQ", "BlockingIO"],
            swiftSettings: swiftSettings
        ),

        // Pure rules
        .target(
            name: "HotlineDomain",
            resources: [.copy("Resources")],
            swiftSettings: swiftSettings
        ),

        // Message contracts and topology: pure Codable values and names
        .target(
            name: "HotlineContracts",
            exclude: ["Documentation"],
            swiftSettings: swiftSettings
        ),

        // System of record: migrations, outbox, inbox, parked messages
        .target(
            name: "HotlineStore",
            dependencies: ["PostgresClient", "HotlineContracts", "HotlineDomain"],
            resources: [.copy("Migrations"), .copy("Resources")],
            swiftSettings: swiftSettings
        ),

        // Process runtime shared by every worker
        .target(
            name: "HotlineRuntime",
            dependencies: [
                "HotlineDomain",
                "HotlineContracts",
                "HotlineStore",
                "PostgresClient",
                "AMQPClient",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            swiftSettings: swiftSettings
        ),

        // The workers' logic
        .target(
            name: "HotlineIntake",
            dependencies: ["HotlineDomain", "HotlineContracts", "HotlineStore", "HotlineRuntime"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "HotlineRouting",
            dependencies: ["HotlineDomain", "HotlineContracts", "HotlineStore", "HotlineRuntime", "PostgresClient"],
            swiftSettings: swiftSettings
        ),

        .target(
            name: "HotlineAPI",
            dependencies: [
                "HotlineDomain", "HotlineStore", "HotlineRuntime", "PostgresClient",
                // Open311's POST validates with intake's own code (`SubmissionValidation`).
                "HotlineContracts", "HotlineIntake",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            resources: [.copy("Resources")],
            swiftSettings: swiftSettings
        ),

        .target(
            name: "HotlineDeadlines",
            dependencies: [
                "HotlineDomain", "HotlineContracts", "HotlineStore", "HotlineRuntime", "PostgresClient",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings
        ),

        // The SMS worker's logic: reply SMS, gateways (Kannel, JSON over HTTP), citizens' answers
        .target(
            name: "HotlineSMS",
            dependencies: [
                "HotlineDomain", "HotlineContracts", "HotlineStore", "HotlineRuntime", "PostgresClient",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings
        ),

        // Executables
        .executableTarget(name: "hotline-intake", dependencies: ["HotlineRuntime", "HotlineIntake"], swiftSettings: swiftSettings),
        .executableTarget(name: "hotline-routing", dependencies: ["HotlineRuntime", "HotlineRouting"], swiftSettings: swiftSettings),
        .executableTarget(name: "hotline-deadline-watch", dependencies: ["HotlineRuntime", "HotlineDeadlines"], swiftSettings: swiftSettings),
        .executableTarget(name: "hotline-sms-reply", dependencies: ["HotlineRuntime", "HotlineSMS"], swiftSettings: swiftSettings),
        .executableTarget(name: "hotline-scoring", dependencies: [
            "HotlineRuntime", "HotlineStore", "HotlineDomain", "PostgresClient",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Prometheus", package: "swift-prometheus"),
        ], swiftSettings: swiftSettings),
        .executableTarget(name: "hotline-api", dependencies: ["HotlineRuntime", "HotlineAPI"], swiftSettings: swiftSettings),
        // A worker for the runtime's fault tests (not part of the fleet)
        .executableTarget(name: "hotline-probe", dependencies: [
            "HotlineRuntime",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: swiftSettings),
        .executableTarget(
            name: "hotlinectl",
            dependencies: [
                "HotlineDomain",
                "HotlineContracts",
                "HotlineStore",
                "HotlineRuntime",
                "HotlineDeadlines",
                "HotlineSMS",
                "PostgresClient",
                "AMQPClient",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),

        // Tests
        .target(
            name: "HotlineTestSupport",
            dependencies: ["PostgresClient", "AMQPClient", "HotlineContracts", "HotlineStore", "HotlineRuntime",
                           .product(name: "Logging", package: "swift-log")],
            path: "Tests/HotlineTestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "HotlineDomainTests",
            dependencies: [
                "HotlineDomain",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PostgresClientTests",
            dependencies: ["PostgresClient", "HotlineTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "AMQPClientTests",
            dependencies: ["AMQPClient", "HotlineTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "HotlineContractsTests",
            dependencies: ["HotlineContracts"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "HotlineRuntimeTests",
            dependencies: ["HotlineRuntime", "HotlineStore", "HotlineContracts", "HotlineDomain", "HotlineTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "HotlineStoreTests",
            dependencies: ["HotlineStore", "HotlineDomain", "HotlineContracts", "HotlineTestSupport", "PostgresClient"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "HotlineIntakeTests",
            dependencies: ["HotlineIntake", "HotlineDomain", "HotlineContracts", "HotlineStore", "HotlineRuntime",
                           "HotlineTestSupport", "PostgresClient"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "HotlineRoutingTests",
            dependencies: ["HotlineRouting", "HotlineDomain", "HotlineContracts", "HotlineStore", "HotlineTestSupport"],
            swiftSettings: swiftSettings
        ),
        // The intake and routing workers end to end, driven from outside (pika), with SIGKILLs.
        .testTarget(
            name: "PipelineTests",
            dependencies: ["HotlineStore", "HotlineContracts", "HotlineDomain", "HotlineRuntime", "HotlineTestSupport"],
            exclude: ["publish_submissions.py"],
            swiftSettings: swiftSettings
        ),
        // hotline-api as the real executable, through curl, against the real servers.
        .testTarget(
            name: "HotlineAPITests",
            dependencies: ["HotlineAPI", "HotlineStore", "HotlineDomain", "HotlineContracts", "HotlineRuntime", "HotlineTestSupport",
                           "PostgresClient"],
            exclude: ["run_schemathesis.sh", "open311_client.py"],
            swiftSettings: swiftSettings
        ),
        // The deadline watch: its rules in-process with a moved clock, and its process under SIGKILL.
        .testTarget(
            name: "HotlineDeadlinesTests",
            dependencies: ["HotlineDeadlines", "HotlineStore", "HotlineContracts", "HotlineDomain", "HotlineRuntime",
                           "HotlineTestSupport", "PostgresClient"],
            swiftSettings: swiftSettings
        ),
        // hotline-sms-reply: its rules in-process, and the executable against the real Kannel.
        .testTarget(
            name: "HotlineSMSTests",
            dependencies: ["HotlineSMS", "HotlineDeadlines", "HotlineStore", "HotlineDomain", "HotlineContracts", "HotlineRuntime",
                           "HotlineTestSupport", "PostgresClient"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "FoundationTests",
            dependencies: ["HotlineRuntime", "HotlineTestSupport"],
            swiftSettings: swiftSettings
        ),
    ]
)
