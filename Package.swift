// swift-tools-version:6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "mailhook",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "mailhook", targets: ["mailhook"]),
        // For the micro-benchmark package in Benchmarks/Micro.
        .library(name: "MailHookCore", targets: ["MailHookCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/vapor/sqlite-nio", from: "1.13.2"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        // Test-only: parse Schemas/openapi.yaml and compare it with the router.
        .package(url: "https://github.com/mattpolzin/OpenAPIKit", from: "6.4.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        // Pure domain: models, configuration, filters, signatures. No I/O.
        .target(
            name: "MailHookCore",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        // The Schemas/ folder as a module: SQL migrations, JSON Schemas and the default classifier model shipped as resources.
        .target(
            name: "MailHookSchemas",
            path: "Schemas",
            resources: [
                .copy("migrations"), .copy("mailhook-config.schema.json"), .copy("integrations.schema.json"), .copy("email-event.schema.json"),
                .copy("classifier-model.json"), .copy("openapi.yaml"),
            ],
            swiftSettings: swiftSettings
        ),
        // Durable storage: the Store protocol, SQLite and PostgreSQL implementations, migrations.
        .target(
            name: "MailHookStore",
            dependencies: [
                "MailHookCore",
                "MailHookSchemas",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            // Async code runs on its caller's executor, so a transaction body the SQLite writer
            // runs stays on the writer's thread between statements.
            swiftSettings: swiftSettings + [.enableUpcomingFeature("NonisolatedNonsendingByDefault")]
        ),
        // The Microsoft Graph client: tokens, retries, throttling, subscriptions, messages, delta.
        .target(
            name: "MailHookGraph",
            dependencies: [
                "MailHookCore",
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings
        ),
        // The LLM client (OpenAI-compatible chat completions, Azure OpenAI form) and the classifiers.
        .target(
            name: "MailHookLLM",
            dependencies: [
                "MailHookCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // The HTTP server: routes, intake, metrics, service composition.
        .target(
            name: "MailHookServer",
            dependencies: [
                "MailHookCore",
                "MailHookGraph",
                "MailHookLLM",
                "MailHookSchemas",
                "MailHookStore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            resources: [.copy("Resources/dashboard")],
            swiftSettings: swiftSettings
        ),
        // The thin command line.
        .executableTarget(
            name: "mailhook",
            dependencies: [
                "MailHookCore",
                "MailHookGraph",
                "MailHookLLM",
                "MailHookStore",
                "MailHookServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // Test doubles and helpers: temporary databases, HTTP clients, a runner for the real binary.
        .target(
            name: "MailHookTestSupport",
            dependencies: [
                "MailHookCore",
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                "MailHookGraph",
                "MailHookLLM",
                "MailHookStore",
                "MailHookServer",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Tests/MailHookTestSupport",
            swiftSettings: swiftSettings
        ),
        // What the fuzzers drive (Scripts/fuzz), shared with the Core tests that replay kept inputs.
        .target(
            name: "MailHookFuzzTargets",
            dependencies: ["MailHookCore"],
            path: "Tests/Fuzz/MailHookFuzzTargets",
            swiftSettings: swiftSettings
        ),
        // libFuzzer entry point with -D FUZZING (Scripts/fuzz); otherwise replays input files.
        .executableTarget(
            name: "MailHookFuzz",
            dependencies: ["MailHookFuzzTargets"],
            path: "Tests/Fuzz/MailHookFuzz",
            swiftSettings: swiftSettings
        ),
        // Subscription renewal and delta catch-up at scale against the fake Graph (Scripts/bench-graph).
        .executableTarget(
            name: "GraphBenchmarks",
            dependencies: [
                "MailHookCore",
                "MailHookServer",
                "MailHookStore",
                "MailHookTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/GraphBenchmarks",
            swiftSettings: swiftSettings
        ),
        // Pipeline throughput: local classifier, end to end with the fakes, slow LLM (Scripts/bench-pipeline).
        .executableTarget(
            name: "PipelineBenchmarks",
            dependencies: [
                "MailHookCore",
                "MailHookSchemas",
                "MailHookServer",
                "MailHookStore",
                "MailHookTestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Benchmarks/PipelineBenchmarks",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "MailHookCoreTests",
            dependencies: ["MailHookCore", "MailHookFuzzTargets"],
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "MailHookServerTests",
            dependencies: [
                "MailHookCore",
                "MailHookGraph",
                "MailHookLLM",
                "MailHookStore",
                "MailHookServer",
                "MailHookTestSupport",
                "mailhook",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "InMemoryLogging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "OpenAPIKit", package: "OpenAPIKit"),
                .product(name: "Yams", package: "Yams"),
            ],
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings
        ),
    ]
)
