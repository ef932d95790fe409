import AccessPolicy
import Foundation
import GeoCore
import Hummingbird
import HummingbirdTesting
import LayerServer
import Logging
import NIOCore

/// A data directory with a few real and generated layers, shared by the end-to-end tests.
/// Built once per process (the import is the slow part).
actor ServerFixture {
    static let shared = ServerFixture()

    /// One build for the whole process. A stored task, not a stored result: the actor is
    /// re-entered while the build awaits, and a second caller must wait for the same build
    /// (two data directories would have two URL-signing keys and two token sets).
    private var building: Task<(URL, Tokens), any Error>?

    /// Tokens of the fixture's cast, issued when the data directory is built.
    struct Tokens: Sendable {
        /// LOCC: kern, certified, national. Reads everything everywhere.
        var national: String
        /// A kern partner of Amsterdam-Amstelland (VR13), certified: hydrants clipped to VR13.
        var amsterdam: String
        /// Kern, national, not audited: no confidential layers.
        var notAudited: String
        /// A standby contractor attached to an exercise in Utrecht (VR09) until `attachmentEnd`.
        var standby: String
        var reviewer: String
        var admin: String
        /// A token of `national` that expires at `tokenExpiry`.
        var expiring: String
        /// A revoked token of `national`.
        var revoked: String
    }

    static let built0 = Date()
    static let attachmentEnd = built0 + 3 * 86_400
    static let tokenExpiry = built0 + 86_400

    static let repository: URL = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url
    }()

    static let sharedData: URL = {
        let candidates = [repository.appendingPathComponent("../shared/data"), URL(fileURLWithPath: "/work/shared/data")]
        return candidates.first { FileManager.default.fileExists(atPath: $0.path) }!.standardizedFileURL
    }()

    /// Layers: `regions` (open, RD polygons), `hydrants` (restricted, 20,000 generated points),
    /// `zones` (confidential, generated polygons).
    func dataDirectory() async throws -> (URL, Tokens) {
        if let building { return try await building.value }
        let task = Task { try await Self.build() }
        building = task
        return try await task.value
    }

    private static func build() async throws -> (URL, Tokens) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("layerserver-e2e-\(UUID().uuidString)")
        try await BlockingWork.run {
            let store = try LayerStore(configuration: StoreConfiguration(dataDirectory: dir))
            try Self.cast(AccessStore(store: store))
            let transformers = TransformerPool()
            let importer = LayerImporter(store: store, transformers: transformers)
            let generator = try FixtureGenerator(fixtures: Self.repository.appendingPathComponent("fixtures"), transformers: transformers)
            let hydrants = dir.appendingPathComponent("hydrants.gpkg")
            let zones = dir.appendingPathComponent("zones.gpkg")
            try generator.generate(.hydrants, count: 20_000, to: hydrants)
            try generator.generate(.protectionZones, count: 60, to: zones)
            _ = try importer.run(ImportRequest(file: Self.sharedData.appendingPathComponent("nl-boundaries/derived/vr_features_rd.geojson"),
                                               layerID: "regions", title: "Veiligheidsregio's", owner: "ifv", sensitivity: .open, sourceCRS: .rdNew))
            _ = try importer.run(ImportRequest(file: hydrants, layerID: "hydrants", title: "Brandkranen", owner: "vr", sensitivity: .restricted))
            _ = try importer.run(ImportRequest(file: zones, layerID: "zones", title: "Beschermingszones", owner: "vitens", sensitivity: .confidential))
        }
        let access = AccessStore(store: try LayerStore(configuration: StoreConfiguration(dataDirectory: dir)))
        // Regions are reference data: not clipped.
        try access.put(LayerConditions(layer: "regions", owner: "ifv", sensitivity: .open, clipToRegions: false), by: .localOperator())
        func token(_ user: String, expires: Date = Self.built0 + 30 * 86_400) throws -> String {
            try access.issueToken(for: user, label: "e2e", expiresAt: expires, by: .localOperator(), at: Self.built0).token
        }
        let revoked = try access.issueToken(for: "national", label: "e2e", expiresAt: Self.built0 + 86_400, by: .localOperator(), at: Self.built0)
        try access.revokeToken(revoked.record.id, by: .localOperator())
        let tokens = Tokens(national: try token("national"), amsterdam: try token("amsterdam"), notAudited: try token("unaudited"),
                            standby: try token("standby"), reviewer: try token("reviewer"), admin: try token("admin"),
                            expiring: try token("national", expires: Self.tokenExpiry), revoked: revoked.token)
        return (dir, tokens)
    }

    /// Organisations, users and an exercise. Layers get their default conditions at import.
    static func cast(_ access: AccessStore) throws {
        try access.change(by: .localOperator(), resource: "system", summary: "e2e cast", at: built0) { p in
            let orgs = [
                Organisation(id: "ifv", name: "IFV", coreTask: .hulpdienst, profile: .kern, audit: .certified, reach: .national, regions: [], adoptionRegion: "VR09"),
                Organisation(id: "vr", name: "Veiligheidsregio's", coreTask: .hulpdienst, profile: .kern, audit: .certified, reach: .national, regions: [], adoptionRegion: "VR09"),
                Organisation(id: "vitens", name: "Vitens", coreTask: .beheerder, profile: .kern, audit: .certified, reach: .supraRegional,
                             regions: ["VR04", "VR05", "VR09"], adoptionRegion: "VR09"),
                Organisation(id: "locc", name: "LOCC", coreTask: .hulpdienst, profile: .kern, audit: .certified, reach: .national, regions: [], adoptionRegion: "VR09"),
                Organisation(id: "vr-aa", name: "VR Amsterdam-Amstelland", coreTask: .hulpdienst, profile: .kern, audit: .certified,
                             reach: .regional, regions: ["VR13"], adoptionRegion: "VR13"),
                Organisation(id: "unaudited", name: "Unaudited operator", coreTask: .beheerder, profile: .kern, audit: .notAudited,
                             reach: .national, regions: [], adoptionRegion: "VR09"),
                Organisation(id: "contractor", name: "Standby contractor", coreTask: .dienstverlener, profile: .standby, audit: .certified,
                             reach: .regional, regions: ["VR09"], adoptionRegion: "VR09"),
            ]
            for o in orgs { p.organisations[o.id] = o }
            for u in [User(id: "national", name: "LOCC", organisation: "locc", roles: [.viewer]),
                      User(id: "amsterdam", name: "VR AA", organisation: "vr-aa", roles: [.viewer]),
                      User(id: "unaudited", name: "U", organisation: "unaudited", roles: [.viewer]),
                      User(id: "standby", name: "S", organisation: "contractor", roles: [.viewer]),
                      User(id: "reviewer", name: "R", organisation: "ifv", roles: [.securityReviewer]),
                      User(id: "admin", name: "A", organisation: "ifv", roles: [.administrator])] {
                p.users[u.id] = u
            }
            p.activities["exercise"] = Activity(id: "exercise", name: "Exercise Utrecht", kind: .exercise, regions: ["VR09"],
                                                area: .box(minLon: 5.0, minLat: 52.0, maxLon: 5.2, maxLat: 52.15),
                                                start: built0 - 3600, end: built0 + 7 * 86_400,
                                                attachments: [Attachment(organisation: "contractor", from: built0 - 3600, until: attachmentEnd)])
        }
    }

    /// Runs `test` against the real server listening on a free port. The client sends `token`
    /// (default: the national node's) unless a request names its own Authorization header.
    static func withServer<T: Sendable>(token: KeyPath<Tokens, String>? = \.national, anonymousAccess: Bool = false,
                                        cacheBytes: Int = 64 << 20, clock: @escaping @Sendable () -> Date = { Date() },
                                        configure: @Sendable (inout ServerConfiguration) -> Void = { _ in },
                                        _ test: @escaping @Sendable (AuthClient) async throws -> T) async throws -> T {
        try await ServerGate.run {
            let (dir, tokens) = try await shared.dataDirectory()
            var config = ServerConfiguration(host: "127.0.0.1", port: 0, store: StoreConfiguration(dataDirectory: dir),
                                             access: .init(anonymousAccess: anonymousAccess), tileCacheBytes: cacheBytes)
            config.catalogPollInterval = .milliseconds(200)
            configure(&config)
            var logger = Logger(label: "e2e")
            logger.logLevel = .warning
            let transformers = TransformerPool()
            let service = try Server.makeService(configuration: config, transformers: transformers, logger: logger, clock: clock)
            let app = try Server.application(configuration: config, service: service, transformers: transformers, logger: logger)
            let bearer = token.map { tokens[keyPath: $0] }
            return try await app.test(.live) { client in
                try await test(AuthClient(client: client, token: bearer, tokens: tokens, service: service))
            }
        }
    }

    static func tokens() async throws -> Tokens { try await shared.dataDirectory().1 }
}

/// A test client that sends a bearer token with every request.
struct AuthClient: Sendable {
    let client: any TestClientProtocol
    let token: String?
    let tokens: ServerFixture.Tokens
    let service: LayerService

    func execute(uri: String, method: HTTPRequest.Method, headers: HTTPFields = [:], body: ByteBuffer? = nil,
                 token: String? = nil) async throws -> TestResponse {
        var h = headers
        if h[.authorization] == nil, let t = token ?? self.token { h[.authorization] = "Bearer \(t)" }
        return try await client.execute(uri: uri, method: method, headers: h, body: body)
    }

    /// Without any credentials.
    func anonymous(_ uri: String) async throws -> TestResponse {
        try await client.execute(uri: uri, method: .get, headers: [:], body: nil)
    }
}

extension TestResponse {
    var bytes: [UInt8] { Array(body.readableBytesView) }
    var text: String { String(buffer: body) }
    func json() throws -> JSONValue { try JSONValue.parse(Data(body.readableBytesView)) }
}
