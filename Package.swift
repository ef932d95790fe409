// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "layerserver",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "layerserver", targets: ["LayerServerCLI"]),
        .library(name: "GeoCore", targets: ["GeoCore"]),
        .library(name: "TileRender", targets: ["TileRender"]),
        .library(name: "AccessPolicy", targets: ["AccessPolicy"]),
        .library(name: "RiskPicture", targets: ["RiskPicture"]),
        .library(name: "LayerServer", targets: ["LayerServer"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-configuration.git", from: "1.4.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/adam-fowler/compress-nio.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        .systemLibrary(name: "CGDAL", pkgConfig: "gdal", providers: [.apt(["libgdal-dev"])]),
        .systemLibrary(name: "CGEOS", pkgConfig: "geos", providers: [.apt(["libgeos-dev"])]),
        .systemLibrary(name: "CPROJ", pkgConfig: "proj", providers: [.apt(["libproj-dev"])]),
        .systemLibrary(name: "CCairo", pkgConfig: "cairo", providers: [.apt(["libcairo2-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),

        .target(
            name: "GeoCore",
            dependencies: ["CGDAL", "CGEOS", "CPROJ"]
        ),
        // Pure: who may see which layer where. Foundation for Date, swift-crypto for the policy hash.
        .target(
            name: "AccessPolicy",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")]
        ),
        .target(
            name: "TileRender",
            dependencies: ["GeoCore", "CCairo", "CZlib"]
        ),
        // The risk-picture domain: threats, effects, verification, versions, as-of queries. Pure: time is an input.
        .target(
            name: "RiskPicture",
            dependencies: ["GeoCore"]
        ),
        .target(
            name: "LayerServer",
            dependencies: [
                "AccessPolicy",
                "GeoCore",
                "RiskPicture",
                "TileRender",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            // The 25 safety regions (a copy of fixtures/safety_regions.geojson) resolve spatial filters.
            resources: [.copy("Resources/safety_regions.geojson")]
        ),
        .executableTarget(
            name: "LayerServerCLI",
            dependencies: [
                "AccessPolicy",
                "LayerServer",
                "GeoCore",
                "TileRender",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // Shared by the test targets: a strict MVT 2.1 decoder written from the specification, and xmllint.
        .target(name: "MVTTestSupport", path: "Tests/MVTTestSupport"),
        .testTarget(name: "GeoCoreTests", dependencies: ["GeoCore"]),
        .testTarget(name: "AccessPolicyTests", dependencies: ["AccessPolicy"]),
        .testTarget(name: "RiskPictureTests", dependencies: ["RiskPicture", "GeoCore", "MVTTestSupport"]),
        .testTarget(name: "TileRenderTests", dependencies: ["TileRender", "GeoCore", "MVTTestSupport"]),
        .testTarget(name: "LayerServerTests", dependencies: [
            "AccessPolicy", "LayerServer", "GeoCore", "RiskPicture", "TileRender", "MVTTestSupport",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "CompressNIO", package: "compress-nio"),
            .product(name: "NIOCore", package: "swift-nio"),
        ]),
        .testTarget(name: "EndToEndTests", dependencies: [
            "AccessPolicy", "LayerServer", "GeoCore", "RiskPicture", "TileRender", "MVTTestSupport",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdTesting", package: "hummingbird"),
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "CompressNIO", package: "compress-nio"),
            .product(name: "NIOCore", package: "swift-nio"),
        ], exclude: ["References"]),
    ],
    swiftLanguageModes: [.v6]
)
