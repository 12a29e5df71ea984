// swift-tools-version:6.1
// Micro-benchmarks with ordo-one/benchmark, kept in a package of their own so the product's build
// (and CI) never compiles the benchmark harness. Run: Scripts/bench-micro.
import PackageDescription

let package = Package(
    name: "mailhook-micro-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "mailhook", path: "../.."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "ReceivePathParsing",
            dependencies: [
                .product(name: "MailHookCore", package: "mailhook"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/ReceivePathParsing",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
