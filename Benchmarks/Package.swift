// swift-tools-version: 6.1
// Benchmarks live in their own package so the main build and tests do not carry the benchmark runtime.
// Run from this folder: `swift package benchmark` (release build).
import PackageDescription

let package = Package(
    name: "FirebreakBenchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "Firebreak", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", exact: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams", exact: "6.2.2"),
        // The plain postgres-nio baseline of the PostgreSQL benchmark: the version Firebreak uses.
        .package(url: "https://github.com/vapor/postgres-nio", exact: "1.33.2"),
    ],
    targets: [
        .target(
            name: "BenchmarkFixtures",
            dependencies: [
                .product(name: "FirebreakCore", package: "Firebreak"),
                .product(name: "FirebreakLoading", package: "Firebreak"),
                .product(name: "FirebreakStore", package: "Firebreak"),
            ]
        ),
        .executableTarget(
            name: "FirebreakBenchmarks",
            dependencies: [
                "BenchmarkFixtures",
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "FirebreakCore", package: "Firebreak"),
                .product(name: "FirebreakLoading", package: "Firebreak"),
                .product(name: "FirebreakStore", package: "Firebreak"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ],
            path: "Benchmarks/FirebreakBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // Yams builds its own copy of libyaml into any binary that links it, and that copy would
        // take the place of Debian's for Firebreak's calls too: the baseline runs on its own.
        .executableTarget(
            name: "YamsBaseline",
            dependencies: [
                "BenchmarkFixtures",
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "Yams", package: "Yams"),
            ],
            path: "Benchmarks/YamsBaseline",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "make-bench-db",
            dependencies: ["BenchmarkFixtures", .product(name: "FirebreakStore", package: "Firebreak")]
        ),
        // The PostgreSQL store beside plain postgres-nio (scripts/postgres.sh starts the server it needs).
        // The store is opened through FirebreakApp's `Workspace.store`, as the command line opens it.
        .executableTarget(
            name: "postgres-bench",
            dependencies: [
                "BenchmarkFixtures",
                .product(name: "FirebreakApp", package: "Firebreak"),
                .product(name: "FirebreakCore", package: "Firebreak"),
                .product(name: "FirebreakStore", package: "Firebreak"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
