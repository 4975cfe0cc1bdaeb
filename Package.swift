// swift-tools-version: 6.2
// The Smart Nation Platform: national platforms on one durable event bus, assembled into a daemon,
// an operators' CLI, a citizens' terminal app and a lamp-post edge agent. See docs/architecture.md.

import PackageDescription

/// One set of compiler settings for every target: Swift 6 language mode (strict concurrency) is the
/// package default; `ExistentialAny` makes every existential visible at its use.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "SmartNation",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "SmartNationCore", targets: ["SmartNationCore"]),
        .library(name: "MQTT", targets: ["MQTT"]),
        .library(name: "EventBridge", targets: ["EventBridge"]),
        .library(name: "SmartNationDaemon", targets: ["SmartNationDaemon"]),
        .library(name: "SmartNationClient", targets: ["SmartNationClient"]),
        .library(name: "Identity", targets: ["Identity"]),
        .library(name: "IdentityHTTP", targets: ["IdentityHTTP"]),
        .library(name: "SmartNationHTTP", targets: ["SmartNationHTTP"]),
        .executable(name: "smartnationd", targets: ["smartnationd"]),
        .executable(name: "snadmin", targets: ["snadmin"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.7.4"),
        .package(url: "https://github.com/vapor/jwt-kit", from: "5.8.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
    ],
    targets: [
        .target(
            name: "SmartNationCore",
            dependencies: [
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "DequeModule", package: "swift-collections"),
            ],
            path: "Modules/SmartNationCore",
            exclude: ["README.md"],
            swiftSettings: swiftSettings
        ),
        .systemLibrary(
            name: "CMosquitto",
            path: "Modules/CMosquitto",
            pkgConfig: "libmosquitto",
            providers: [.apt(["libmosquitto-dev"])]
        ),
        .target(
            name: "MQTT",
            dependencies: [
                "CMosquitto",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "DequeModule", package: "swift-collections"),
            ],
            path: "Modules/MQTT",
            exclude: ["README.md"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "EventBridge",
            dependencies: [
                "SmartNationCore",
                "MQTT",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Modules/EventBridge",
            exclude: ["README.md"],
            swiftSettings: swiftSettings
        ),
        .systemLibrary(
            name: "COpenSSL",
            path: "Modules/COpenSSL",
            pkgConfig: "openssl",
            providers: [.apt(["libssl-dev"])]
        ),
        .target(
            name: "Identity",
            dependencies: [
                "SmartNationCore",
                "COpenSSL",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Modules/Identity",
            exclude: ["README.md"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "IdentityHTTP",
            dependencies: [
                "Identity",
                "SmartNationCore",
                "SmartNationHTTP",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Modules/IdentityHTTP",
            exclude: ["README.md"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "SmartNationHTTP",
            dependencies: [
                "SmartNationCore",
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Modules/SmartNationHTTP",
            exclude: ["README.md"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "SmartNationDaemon",
            dependencies: [
                "SmartNationCore",
                "SmartNationHTTP",
                "Identity",
                "IdentityHTTP",
                "MQTT",
                "EventBridge",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Modules/SmartNationDaemon",
            exclude: ["README.md"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "SmartNationClient",
            dependencies: [
                "SmartNationCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Modules/SmartNationClient",
            exclude: ["README.md"],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "smartnationd",
            dependencies: [
                "SmartNationDaemon",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Apps/smartnationd",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "snadmin",
            dependencies: [
                "SmartNationClient",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Apps/snadmin",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ToolSupport",
            path: "Tools/Support",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "smartnation-bench",
            dependencies: [
                "ToolSupport",
                "SmartNationCore",
                "MQTT",
                "EventBridge",
                "Identity",
                "IdentityHTTP",
                "SmartNationHTTP",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Tools/Benchmarks",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SmartNationCoreTests",
            dependencies: ["SmartNationCore"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "IdentityTests",
            dependencies: [
                "Identity",
                "SmartNationCore",
                "COpenSSL",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "Interop",
            dependencies: [
                "ToolSupport",
                "Identity",
                "IdentityHTTP",
                "SmartNationCore",
                "SmartNationHTTP",
                "MQTT",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Tests/Interop",
            exclude: ["Python"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "IdentityHTTPTests",
            dependencies: [
                "Identity",
                "IdentityHTTP",
                "SmartNationCore",
                "SmartNationHTTP",
                "ToolSupport",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "MQTTTests",
            dependencies: ["MQTT", "ToolSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "ToolSupport",
                "SmartNationCore",
                "MQTT",
                "EventBridge",
                "SmartNationDaemon",
                "SmartNationClient",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
