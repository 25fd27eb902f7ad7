// swift-tools-version: 6.1
import PackageDescription

/// Firebreak's own modules and tests are optimised in debug builds too: the tests play tens of thousands of exercise
/// runs in process and start the binary hundreds of times. Unoptimised, the test run took 104 s on 2 cores; with only
/// the modules optimised, 85 s; with the tests too, 70 s. Nothing relies on `assert`, which -O drops. To step through
/// code in a debugger, take the flag out locally.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .unsafeFlags(["-O"], .when(configuration: .debug)),
]

let package = Package(
    name: "Firebreak",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "firebreak", targets: ["firebreak"]),
        .library(name: "FirebreakCore", targets: ["FirebreakCore"]),
        .library(name: "FirebreakLoading", targets: ["FirebreakLoading"]),
        .library(name: "FirebreakStore", targets: ["FirebreakStore"]),
        .library(name: "FirebreakReports", targets: ["FirebreakReports"]),
        .library(name: "FirebreakApp", targets: ["FirebreakApp"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", exact: "2.1.1"),
        .package(url: "https://github.com/x-sheep/swift-property-based", exact: "2.0.1"),
        .package(url: "https://github.com/vapor/postgres-nio", exact: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        .target(name: "FirebreakCore", swiftSettings: swiftSettings),
        // Debian's libyaml, used directly: see docs/design.md, "Reading YAML".
        .systemLibrary(name: "CLibYAML", pkgConfig: "yaml-0.1", providers: [.apt(["libyaml-dev"])]),
        // Debian's OpenSSL libcrypto, for SHA-256: see docs/design.md, "SHA-256".
        .systemLibrary(name: "CLibCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"]), .brew(["openssl@3"])]),
        .target(
            name: "FirebreakLoading",
            dependencies: ["FirebreakCore", "CLibYAML"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "FirebreakStore",
            dependencies: [
                "FirebreakCore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                "CLibCrypto",
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "FirebreakPostgres",
            dependencies: [
                "FirebreakCore", "FirebreakStore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "FirebreakReports",
            dependencies: ["FirebreakCore", .product(name: "Mustache", package: "swift-mustache")],
            // The message catalogues a translator edits, compiled into the binary (see docs/design.md, "Languages").
            resources: [.embedInCode("Resources/messages.en.json"), .embedInCode("Resources/messages.nl.json")],
            swiftSettings: swiftSettings
        ),
        // The application layer: the use cases, a clock and a store passed in; no parsing, no printing.
        .target(
            name: "FirebreakApp",
            dependencies: ["FirebreakCore", "FirebreakLoading", "FirebreakStore", "FirebreakPostgres"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "FirebreakCLI",
            dependencies: [
                "FirebreakApp", "FirebreakCore", "FirebreakLoading", "FirebreakStore", "FirebreakPostgres", "FirebreakReports",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "firebreak", dependencies: ["FirebreakCLI"], swiftSettings: swiftSettings,
            // SwiftPM exports every symbol of an executable (39,000 with the static standard library); at start-up the
            // Swift runtime's dladdr of itself then walks them all, about 1 ms of every command. Nothing looks them up.
            linkerSettings: [.unsafeFlags(["-Xlinker", "--no-export-dynamic"], .when(platforms: [.linux]))]
        ),
        .target(name: "FirebreakTestSupport", dependencies: ["FirebreakCore", "FirebreakLoading"], path: "Tests/FirebreakTestSupport", swiftSettings: swiftSettings),
        .testTarget(
            name: "FirebreakCoreTests",
            dependencies: ["FirebreakCore", "FirebreakTestSupport", .product(name: "PropertyBased", package: "swift-property-based")],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "FirebreakLoadingTests", dependencies: ["FirebreakLoading", "FirebreakTestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "FirebreakStoreTests",
            dependencies: ["FirebreakStore", "FirebreakPostgres", "FirebreakLoading", "FirebreakTestSupport", .product(name: "GRDB", package: "GRDB.swift")],
            exclude: ["Fixtures"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "FirebreakAppTests",
            dependencies: ["FirebreakApp", "FirebreakStore", "FirebreakLoading", "FirebreakTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "FirebreakReportsTests", dependencies: ["FirebreakReports", "FirebreakTestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "FirebreakCLITests",
            dependencies: ["FirebreakCLI", "firebreak", "FirebreakTestSupport", .product(name: "GRDB", package: "GRDB.swift")],
            exclude: ["Golden"],
            swiftSettings: swiftSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
