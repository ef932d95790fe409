import CompressNIO
import Foundation
import GeoCore
import Hummingbird
import HummingbirdTesting
import LayerServer
import MVTTestSupport
import NIOCore
import Testing
import TileRender

/// The HTTP API end to end, against the real server on a free port.
@Suite("HTTP end to end", .serialized)
struct HTTPTests {
    @Test("collections list the visible layers with links; hidden layers do not exist")
    func collections() async throws {
        // A kern partner without an audit: no confidential layers.
        try await ServerFixture.withServer(token: \.notAudited) { client in
            let r = try await client.execute(uri: "/collections", method: .get)
            #expect(r.status == .ok)
            #expect(r.headers[.contentType] == "application/json")
            let ids = try r.json()["collections"]!.array!.compactMap { $0["id"]?.string }
            #expect(ids == ["hydrants", "regions"])
            let one = try await client.execute(uri: "/collections/hydrants", method: .get)
            #expect(one.status == .ok)
            let doc = try one.json()
            #expect(doc["owner"]?.string == "vr")
            #expect(doc["sensitivity"]?.string == "restricted")
            #expect(doc["featureCount"]?.number == 20_000)
            #expect(doc["storageCrs"]?.string == "http://www.opengis.net/def/crs/EPSG/0/28992")
            let rels = doc["links"]!.array!.compactMap { $0["rel"]?.string }
            #expect(rels.contains("http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector"))
            // The confidential layer needs an audit: 404 everywhere, like an unknown layer.
            for path in ["/collections/zones", "/collections/zones/tiles", "/collections/zones/tiles/WebMercatorQuad",
                         "/collections/zones/tiles/WebMercatorQuad/tilejson", "/collections/zones/tiles/WebMercatorQuad/10/336/525",
                         "/collections/unknown", "/xyz/zones/WebMercatorQuad/10/525/336.mvt"] {
                let hidden = try await client.execute(uri: path, method: .get)
                #expect(hidden.status == .notFound, "\(path)")
                #expect(hidden.headers[.contentType] == "application/problem+json")
            }
        }
    }

    @Test("an audited partner sees the confidential layer; anonymous callers get 401, or open layers when allowed")
    func visibility() async throws {
        try await ServerFixture.withServer { client in
            let ids = try await client.execute(uri: "/collections", method: .get).json()["collections"]!.array!.compactMap { $0["id"]?.string }
            #expect(ids == ["hydrants", "regions", "zones"])
            let anonymous = try await client.anonymous("/collections")
            #expect(anonymous.status == .unauthorized)
            #expect(anonymous.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
        }
        try await ServerFixture.withServer(token: nil, anonymousAccess: true) { client in
            let ids = try await client.anonymous("/collections").json()["collections"]!.array!.compactMap { $0["id"]?.string }
            #expect(ids == ["regions"])
            #expect(try await client.anonymous("/collections/hydrants").status == .notFound)
        }
    }

    /// The tile of `tms` at zoom `z` that holds `rd` (a position in RD New).
    static func tile(_ tms: TileMatrixSet, z: Int, rd: Position) throws -> TileID {
        let p = tms.crs == .rdNew ? rd : try Transformer(from: .rdNew, to: tms.crs).transform(rd)
        return tms.tile(containing: p, z: z)!
    }

    @Test("tiles in both grids decode to the layer's features", arguments: ["WebMercatorQuad", "NetherlandsRDNewQuad"])
    func tiles(_ tmsID: String) async throws {
        let tms = TileMatrixSet.named(tmsID)!
        // Utrecht, inside region VR09.
        let utrecht = Position(136_000, 456_000)
        let t = try Self.tile(tms, z: tms.id == "WebMercatorQuad" ? 8 : 3, rd: utrecht)
        try await ServerFixture.withServer { client in
            let r = try await client.execute(uri: "/collections/regions/tiles/\(tmsID)/\(t.z)/\(t.row)/\(t.col)", method: .get)
            #expect(r.status == .ok)
            #expect(r.headers[.contentType] == "application/vnd.mapbox-vector-tile")
            #expect(r.headers[.eTag] != nil)
            let tile = try MVTDecoder.decodeAndInterpret(r.bytes)
            #expect(tile.layers.map(\.name) == ["regions"])
            let layer = tile.layers[0]
            #expect(layer.extent == 4096)
            #expect(layer.keys.contains("code") && layer.keys.contains("name"))
            #expect(layer.features.allSatisfy { $0.type == .polygon })
            // The region that holds Utrecht is there, and its polygon covers Utrecht's tile position.
            let bounds = tms.bounds(of: t)!
            let pTMS = tms.crs == .rdNew ? utrecht : try Transformer(from: .rdNew, to: tms.crs).transform(utrecht)
            let px = MVTPoint(Int64(((pTMS.x - bounds.minX) / bounds.width * 4096).rounded()),
                              Int64(((bounds.maxY - pTMS.y) / bounds.height * 4096).rounded()))
            let containing = try layer.features.filter { f in
                guard case .polygons(let polys) = try MVTGeometryDecoder.interpret(f.type, f.geometry) else { return false }
                return polys.contains { Self.contains($0[0], px) }
            }
            #expect(containing.count == 1)
            let codeKey = UInt32(layer.keys.firstIndex(of: "code")!)
            let tags = containing[0].tags
            let valueIndex = stride(from: 0, to: tags.count, by: 2).first { tags[$0] == codeKey }.map { Int(tags[$0 + 1]) }
            #expect(valueIndex.map { layer.values[$0] } == .string("VR09"))
            // XYZ alias: same tile.
            let alias = try await client.execute(uri: "/xyz/regions/\(tmsID)/\(t.z)/\(t.col)/\(t.row).mvt", method: .get)
            #expect(alias.bytes == r.bytes)
        }
    }

    static func contains(_ ring: [MVTPoint], _ p: MVTPoint) -> Bool {
        var inside = false
        var j = ring.count - 1
        for i in 0..<ring.count {
            let a = ring[i], b = ring[j]
            if (a.y > p.y) != (b.y > p.y),
               Double(p.x) < Double(b.x - a.x) * Double(p.y - a.y) / Double(b.y - a.y) + Double(a.x) { inside.toggle() }
            j = i
        }
        return inside
    }

    @Test("gzip when asked, ETag and If-None-Match, 204 for an empty tile")
    func caching() async throws {
        let tms = TileMatrixSet.webMercatorQuad
        let t = try Self.tile(tms, z: 12, rd: Position(121_100, 488_900))  // the BAG addresses in Amsterdam: hydrants there
        try await ServerFixture.withServer { client in
            let uri = "/collections/hydrants/tiles/WebMercatorQuad/\(t.z)/\(t.row)/\(t.col)"
            let plain = try await client.execute(uri: uri, method: .get)
            #expect(plain.status == .ok)
            #expect(plain.headers[.contentEncoding] == nil)
            let points = try MVTDecoder.decodeAndInterpret(plain.bytes).layers[0].features.count
            #expect(points > 10)
            let gz = try await client.execute(uri: uri, method: .get, headers: [.acceptEncoding: "gzip, deflate"])
            #expect(gz.headers[.contentEncoding] == "gzip")
            var compressed = gz.body
            let inflated = try compressed.decompress(with: .gzip())
            #expect(Array(inflated.readableBytesView) == plain.bytes)
            let etag = try #require(plain.headers[.eTag])
            // The gzip form is another representation, with its own strong ETag.
            let gzTag = try #require(gz.headers[.eTag])
            #expect(gzTag != etag)
            let again = try await client.execute(uri: uri, method: .get, headers: [.ifNoneMatch: etag])
            #expect(again.status == .notModified)
            #expect(again.body.readableBytes == 0)
            let againGz = try await client.execute(uri: uri, method: .get, headers: [.ifNoneMatch: gzTag, .acceptEncoding: "gzip"])
            #expect(againGz.status == .notModified)
            // gzip;q=0 means "not gzip".
            let refused = try await client.execute(uri: uri, method: .get, headers: [.acceptEncoding: "gzip;q=0, identity"])
            #expect(refused.headers[.contentEncoding] == nil)
            #expect(refused.bytes == plain.bytes)
            let other = try await client.execute(uri: uri, method: .get, headers: [.ifNoneMatch: "\"something-else\""])
            #expect(other.status == .ok)
            // Open sea west of the coast: no hydrants.
            let sea = try Self.tile(tms, z: 12, rd: Position(20_000, 500_000))
            let empty = try await client.execute(uri: "/collections/hydrants/tiles/WebMercatorQuad/\(sea.z)/\(sea.row)/\(sea.col)", method: .get)
            #expect(empty.status == .noContent)
            #expect(empty.headers[.eTag] != nil)
        }
    }

    @Test("bad tile addresses get 400 problem+json that says what to fix")
    func badRequests() async throws {
        try await ServerFixture.withServer { client in
            let cases = [
                "/collections/regions/tiles/WebMercatorQuad/25/0/0": "tile matrix 25",
                "/collections/regions/tiles/NetherlandsRDNewQuad/17/0/0": "0-16",
                "/collections/regions/tiles/WebMercatorQuad/2/4/0": "outside",
                "/collections/regions/tiles/WebMercatorQuad/2/0/4": "outside",
                "/collections/regions/tiles/WebMercatorQuad/-1/0/0": "non-negative",
                "/collections/regions/tiles/WebMercatorQuad/a/0/0": "non-negative",
                "/collections/regions/tiles/WebMercatorQuad/1/0/0x1": "non-negative",
                "/collections/regions/tiles/Mercator/1/0/0": "unknown tile matrix set",
                "/collections/regions/tiles/Mercator/tilejson": "unknown tile matrix set",
                "/tileMatrixSets/Mercator": "unknown tile matrix set",
                "/xyz/regions/WebMercatorQuad/1/0/0.gif": "not served",
                "/collections/regions/map/tiles/WebMercatorQuad/1/0/0@4x": "@2x",
                "/collections/regions/map/tiles/WebMercatorQuad/1/0/0?f=mvt": "f=png",
            ]
            for (path, phrase) in cases {
                let r = try await client.execute(uri: path, method: .get)
                #expect(r.status == .badRequest, "\(path)")
                #expect(r.headers[.contentType] == "application/problem+json", "\(path)")
                let doc = try r.json()
                #expect(doc["status"]?.number == 400)
                #expect(doc["detail"]?.string?.contains(phrase) == true, "\(path): \(doc["detail"]?.string ?? "")")
            }
            let missing = try await client.execute(uri: "/nothing/here", method: .get)
            #expect(missing.status == .notFound)
            #expect(missing.headers[.contentType] == "application/problem+json")
        }
    }

    @Test("TileJSON 3 per layer and grid, tileset metadata, and TMS documents")
    func documents() async throws {
        try await ServerFixture.withServer { client in
            for tms in TileMatrixSet.supported {
                let tj = try await client.execute(uri: "/collections/hydrants/tiles/\(tms.id)/tilejson", method: .get).json()
                #expect(tj["tilejson"]?.string == "3.0.0")
                let template = try #require(tj["tiles"]?.array?.first?.string)
                // Signed for this caller, so map clients that cannot send headers can fetch the tiles.
                #expect(template.contains("/collections/hydrants/tiles/\(tms.id)/{z}/{y}/{x}?access="))
                let bounds = (tj["bounds"]?.array ?? []).compactMap { $0.number }
                #expect(bounds.count == 4 && bounds[0] > 3 && bounds[2] < 7.3 && bounds[1] > 50.7 && bounds[3] < 53.6)
                #expect(tj["vector_layers"]?.array?.first?["id"]?.string == "hydrants")
                #expect(tj["vector_layers"]?.array?.first?["fields"]?["diameter_mm"]?.string == "Number")
                if tms.id == "NetherlandsRDNewQuad" {
                    #expect(tj["crs"]?.string == "EPSG:28992")
                    #expect(tj["tile_matrix"]?.array?.count == 17)
                }
                let ts = try await client.execute(uri: "/collections/hydrants/tiles/\(tms.id)", method: .get).json()
                #expect(ts["dataType"]?.string == "vector")
                #expect(ts["crs"]?.string == tms.crs.uri)
                #expect((ts["tileMatrixSetLimits"]?.array?.count ?? 0) > 5)
                let doc = try await client.execute(uri: "/tileMatrixSets/\(tms.id)", method: .get)
                #expect(doc.status == .ok)
                let json = try doc.json()
                #expect(json["id"]?.string == tms.id)
                #expect(json["tileMatrices"]?.array?.count == tms.zoomRange.count)
            }
            let list = try await client.execute(uri: "/tileMatrixSets", method: .get).json()
            #expect(list["tileMatrixSets"]?.array?.compactMap { $0["id"]?.string } == ["WebMercatorQuad", "NetherlandsRDNewQuad"])
            let tilesets = try await client.execute(uri: "/collections/hydrants/tiles", method: .get).json()
            #expect(tilesets["tilesets"]?.array?.count == 2)
            #expect(try await client.execute(uri: "/", method: .get).status == .ok)
            #expect(try await client.execute(uri: "/conformance", method: .get).status == .ok)
        }
    }

    @Test("health endpoints")
    func health() async throws {
        try await ServerFixture.withServer { client in
            #expect(try await client.execute(uri: "/health/live", method: .get).status == .ok)
            let ready = try await client.execute(uri: "/health/ready", method: .get)
            #expect(ready.status == .ok)
            #expect(try ready.json()["status"]?.string == "ready")
        }
    }
}
