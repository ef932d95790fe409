import AccessPolicy
import Foundation
import GeoCore
import Hummingbird
import HummingbirdTesting
@testable import LayerServer
import Logging
import NIOCore

/// A fresh data directory per test for uploads: the demo cast (Vitens kern owner, HDSR
/// structureel, the VR Utrecht information manager, Stedin, LOCC, ...) and one published
/// point layer `water_facilities` of Vitens (version 1, every feature `gen = 1`).
struct UploadWorld: Sendable {
    let directory: URL
    /// Tokens by user id.
    let tokens: [String: String]

    static func make(points: Int = 400) async throws -> UploadWorld {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("layerserver-upload-\(UUID().uuidString)")
        return try await BlockingWork.run {
            let store = try LayerStore(configuration: StoreConfiguration(dataDirectory: dir))
            let members = try DemoCast.apply(AccessStore(store: store))
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            let v1 = dir.appendingPathComponent("v1.geojson")
            try Data(GeoJSONFile.grid(points, gen: 1).utf8).write(to: v1)
            _ = try LayerImporter(store: store, transformers: TransformerPool()).run(
                ImportRequest(file: v1, layerID: "water_facilities", title: "Drinkwater", owner: "vitens", sensitivity: .confidential))
            try FileManager.default.removeItem(at: v1)
            return UploadWorld(directory: dir, tokens: Dictionary(uniqueKeysWithValues: members.map { ($0.user, $0.token) }))
        }
    }

    func token(_ user: String) -> String { tokens[user]! }

    /// Runs `test` against a live server on this directory.
    /// Upload limits for tests: the defaults, without a disk reserve (test machines may be short of disk).
    static let testLimits = UploadLimits(diskReserveBytes: 0)

    func withServer<T: Sendable>(limits: UploadLimits = UploadWorld.testLimits, cacheBytes: Int = 16 << 20,
                                 configure: @Sendable (inout ServerConfiguration) -> Void = { _ in },
                                 _ test: @escaping @Sendable (UploadClient) async throws -> T) async throws -> T {
        try await ServerGate.run {
            var config = ServerConfiguration(host: "127.0.0.1", port: 0, store: StoreConfiguration(dataDirectory: directory), tileCacheBytes: cacheBytes)
            config.catalogPollInterval = .milliseconds(200)
            config.uploads = limits
            configure(&config)
            var logger = Logger(label: "e2e-upload")
            logger.logLevel = .warning
            let transformers = TransformerPool()
            let service = try Server.makeService(configuration: config, transformers: transformers, logger: logger)
            let app = try Server.application(configuration: config, service: service, transformers: transformers, logger: logger)
            return try await app.test(.live) { client in
                try await test(UploadClient(client: client, world: self, service: service))
            }
        }
    }

    /// Files left in the upload area (not counting the running servers' lock files).
    func leftoverUploads() throws -> [String] {
        let uploads = directory.appendingPathComponent("uploads")
        guard let e = FileManager.default.enumerator(at: uploads, includingPropertiesForKeys: [.isRegularFileKey]) else { return [] }
        return e.compactMap { $0 as? URL }.filter { url in
            (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true && url.pathExtension != "lock"
        }.map(\.path)
    }

    func remove() { try? FileManager.default.removeItem(at: directory) }
}

/// A client that uploads and follows jobs as a given user.
struct UploadClient: Sendable {
    let client: any TestClientProtocol
    let world: UploadWorld
    let service: LayerService

    func execute(_ uri: String, _ method: HTTPRequest.Method = .get, as user: String?, body: ByteBuffer? = nil,
                 headers: HTTPFields = [:]) async throws -> TestResponse {
        var h = headers
        if let user { h[.authorization] = "Bearer \(world.token(user))" }
        return try await client.execute(uri: uri, method: method, headers: h, body: body)
    }

    /// POSTs `bytes` as a new version of `layer`.
    func upload(_ layer: String, _ bytes: [UInt8], name: String, as user: String, query: String = "") async throws -> TestResponse {
        let sep = query.isEmpty ? "" : "&"
        return try await execute("/collections/\(layer)/versions?filename=\(name)\(sep)\(query)", .post, as: user,
                                 body: ByteBuffer(bytes: bytes))
    }

    func upload(_ layer: String, text: String, name: String, as user: String, query: String = "") async throws -> TestResponse {
        try await upload(layer, Array(text.utf8), name: name, as: user, query: query)
    }

    /// Follows job `id` until it has finished.
    func finished(_ id: String, as user: String) async throws -> JSONValue {
        for _ in 0..<2400 {
            let r = try await execute("/jobs/\(id)", as: user)
            let job = try r.json()
            if ["staged", "published", "failed"].contains(job["state"]?.string ?? "") { return job }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw StoreError(.database, "job \(id) did not finish")
    }

    /// Uploads and follows the job; returns the finished job (or the refusal's problem document).
    func uploadAndWait(_ layer: String, text: String, name: String, as user: String, query: String = "") async throws -> (status: HTTPResponse.Status, body: JSONValue) {
        let r = try await upload(layer, text: text, name: name, as: user, query: query)
        guard r.status == .accepted, let id = try r.json()["id"]?.string else { return (r.status, try r.json()) }
        return (r.status, try await finished(id, as: user))
    }
}

/// GeoJSON documents for the tests.
enum GeoJSONFile {
    /// `count` points on a grid over Utrecht (VR09), each with `gen` and a running `capacity`.
    static func grid(_ count: Int, gen: Int, lonRange: ClosedRange<Double> = 5.0...5.25, latRange: ClosedRange<Double> = 52.0...52.15) -> String {
        let side = Int(Double(count).squareRoot().rounded(.up))
        var features: [String] = []
        for i in 0..<count {
            let lon = lonRange.lowerBound + (lonRange.upperBound - lonRange.lowerBound) * (Double(i % side) + 0.5) / Double(side)
            let lat = latRange.lowerBound + (latRange.upperBound - latRange.lowerBound) * (Double(i / side) + 0.5) / Double(side)
            features.append(point(lon, lat, properties: "\"gen\": \(gen), \"capacity\": \(i)"))
        }
        return collection(features)
    }

    static func point(_ lon: Double, _ lat: Double, properties: String) -> String {
        "{\"type\": \"Feature\", \"properties\": {\(properties)}, \"geometry\": {\"type\": \"Point\", \"coordinates\": [\(lon), \(lat)]}}"
    }

    static func feature(geometry: String, properties: String) -> String {
        "{\"type\": \"Feature\", \"properties\": {\(properties)}, \"geometry\": \(geometry)}"
    }

    static func collection(_ features: [String], extra: String = "") -> String {
        "{\"type\": \"FeatureCollection\", \(extra)\"features\": [\n" + features.joined(separator: ",\n") + "]}"
    }
}

/// Writes zip archives with names of our choosing (stored, no compression), e.g. `../evil.shp`.
enum ZipWriter {
    static func archive(_ entries: [(name: String, data: [UInt8])]) -> [UInt8] {
        var out: [UInt8] = [], central: [UInt8] = []
        func u16(_ v: Int, _ a: inout [UInt8]) { a += [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF)] }
        func u32(_ v: UInt32, _ a: inout [UInt8]) { u16(Int(v & 0xFFFF), &a); u16(Int(v >> 16), &a) }
        for (name, data) in entries {
            let n = Array(name.utf8)
            let crc = crc32(data)
            let offset = UInt32(out.count)
            u32(0x0403_4B50, &out); u16(20, &out); u16(0, &out); u16(0, &out); u16(0, &out); u16(0, &out)
            u32(crc, &out); u32(UInt32(data.count), &out); u32(UInt32(data.count), &out); u16(n.count, &out); u16(0, &out)
            out += n + data
            u32(0x0201_4B50, &central); u16(20, &central); u16(20, &central); u16(0, &central); u16(0, &central); u16(0, &central); u16(0, &central)
            u32(crc, &central); u32(UInt32(data.count), &central); u32(UInt32(data.count), &central); u16(n.count, &central)
            u16(0, &central); u16(0, &central); u16(0, &central); u16(0, &central); u32(0, &central); u32(offset, &central)
            central += n
        }
        let cdOffset = out.count
        out += central
        u32(0x0605_4B50, &out); u16(0, &out); u16(0, &out); u16(entries.count, &out); u16(entries.count, &out)
        u32(UInt32(central.count), &out); u32(UInt32(cdOffset), &out); u16(0, &out)
        return out
    }

    static func crc32(_ data: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in data {
            c ^= UInt32(b)
            for _ in 0..<8 { c = c & 1 != 0 ? (c >> 1) ^ 0xEDB8_8320 : c >> 1 }
        }
        return ~c
    }
}
