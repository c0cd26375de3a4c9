// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "platform",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "PluginKit", targets: ["PluginKit"]),
        .executable(name: "platform", targets: ["PlatformMain"]),
        .executable(name: "platform-bench", targets: ["PlatformBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/vapor/sql-kit.git", from: "3.36.0"),
        .package(url: "https://github.com/vapor/postgres-kit.git", from: "2.17.0"),
        .package(url: "https://github.com/vapor/sqlite-kit.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.0.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.8.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-configuration.git", from: "1.4.0", traits: []),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
    ],
    targets: [
        // What a plugin may see: plugins depend on this, never on the kernel.
        .target(
            name: "PluginKit",
            dependencies: [
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Configuration", package: "swift-configuration"),
            ]
        ),
        .target(
            name: "Platform",
            dependencies: [
                "PluginKit",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "PostgresKit", package: "postgres-kit"),
                .product(name: "SQLiteKit", package: "sqlite-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            resources: [.copy("Resources")]
        ),
        .target(
            name: "PlatformTesting",
            dependencies: [
                "Platform",
                "Stripe",
                "CZlib",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ]
        ),
        .systemLibrary(name: "CQRencode", path: "Sources/CQRencode", pkgConfig: "libqrencode"),
        .systemLibrary(name: "CPNG", path: "Sources/CPNG", pkgConfig: "libpng"),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib"),
        .target(
            name: "Ticketing",
            dependencies: [
                "Platform",
                "CQRencode",
                "CPNG",
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Organizer and admin pages: a module like Ticketing, on the kernel's use cases and Ticketing's tickets.
        .target(
            name: "Backoffice",
            dependencies: [
                "Platform",
                "Ticketing",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "Sandbox",
            dependencies: [
                "PluginKit",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
            ],
            path: "Sources/Plugins/Sandbox"
        ),
        .target(
            name: "Credits",
            dependencies: [
                "PluginKit",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Sources/Plugins/Credits"
        ),
        .target(
            name: "Stripe",
            dependencies: [
                "PluginKit",
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/Plugins/Stripe"
        ),
        .target(
            name: "PayPal",
            dependencies: [
                "PluginKit",
                "CZlib",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            path: "Sources/Plugins/PayPal"
        ),
        .target(
            name: "Resend",
            dependencies: [
                "PluginKit",
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/Plugins/Resend"
        ),
        // The one assembly of kernel, modules and plugins, and the commands of `platform`.
        .target(
            name: "PlatformServer",
            dependencies: [
                "Platform",
                "Ticketing",
                "Backoffice",
                "Sandbox",
                "Credits",
                "Stripe",
                "PayPal",
                "Resend",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(name: "PlatformMain", dependencies: ["PlatformServer"]),
        // Load generators and benchmarks; the fakes of provider APIs come from PlatformTesting.
        .executableTarget(
            name: "PlatformBench",
            dependencies: [
                "PlatformServer",
                "Platform",
                "Ticketing",
                "PayPal",
                "PlatformTesting",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        .testTarget(
            name: "BackofficeTests",
            dependencies: [
                "Backoffice",
                "Platform",
                "Ticketing",
                "PlatformTesting",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "SQLKit", package: "sql-kit"),
            ]
        ),
        .testTarget(
            name: "TicketingTests",
            dependencies: [
                "Ticketing",
                "Platform",
                "PlatformTesting",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "SQLKit", package: "sql-kit"),
            ]
        ),
        .testTarget(
            name: "SandboxTests",
            dependencies: [
                "Sandbox",
                "Platform",
                "PlatformTesting",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]
        ),
        .testTarget(
            name: "PayPalTests",
            dependencies: [
                "Credits",
                "PayPal",
                "PluginKit",
                "PlatformTesting",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "SQLKit", package: "sql-kit"),
                "Platform",
            ],
            exclude: ["Python"]
        ),
        .testTarget(
            name: "StripeTests",
            dependencies: [
                "Credits",
                "Stripe",
                "Platform",
                "PlatformTesting",
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            exclude: ["Python"]
        ),
        .testTarget(
            name: "ResendTests",
            dependencies: [
                "Resend",
                "Platform",
                "PlatformTesting",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            exclude: ["Python"]
        ),
        .testTarget(
            name: "PlatformServerTests",
            dependencies: [
                "PlatformServer",
                "PayPal",
                "Platform",
                "Ticketing",
                "Backoffice",
                "PlatformTesting",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "X509", package: "swift-certificates"),
            ],
            exclude: ["Python"]
        ),
        .testTarget(
            name: "PlatformTests",
            dependencies: [
                "Platform",
                "PlatformTesting",
                "Credits",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)

// `scripts/fuzz` builds the libFuzzer targets (Fuzz/) with PLATFORM_FUZZ=1 in the tests' build folder:
// only this package's parsers are instrumented (-sanitize=fuzzer), so the dependencies, built as the
// tests built them, are not compiled again. The targets have no `main` of libFuzzer's (main.swift
// runs its driver), and no build without PLATFORM_FUZZ sees them. With PLATFORM_FUZZ=1 build only
// `--product platform-fuzz`: anything else would link instrumented modules without libFuzzer.
if Context.environment["PLATFORM_FUZZ"] == "1" {
    let fuzzer: [SwiftSetting] = [.unsafeFlags(["-sanitize=fuzzer"])]
    let parsers = ["Platform", "Ticketing", "Stripe", "PayPal", "Sandbox"]
    for target in package.targets where (parsers + ["PluginKit"]).contains(target.name) {
        target.swiftSettings = (target.swiftSettings ?? []) + fuzzer
    }
    package.products.append(.executable(name: "platform-fuzz", targets: ["PlatformFuzz"]))
    package.targets.append(.executableTarget(
        name: "PlatformFuzz",
        dependencies: parsers.map { .target(name: $0) }
            + [.product(name: "HTTPTypes", package: "swift-http-types"), .product(name: "NIOCore", package: "swift-nio")],
        path: "Fuzz/Sources/PlatformFuzz",
        swiftSettings: fuzzer,
        linkerSettings: [.unsafeFlags(["-sanitize=fuzzer"])]))
}
