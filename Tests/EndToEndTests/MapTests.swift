import AccessPolicy
import Foundation
import GeoCore
import Hummingbird
import HummingbirdTesting
@testable import LayerServer
import MVTTestSupport
import NIOCore
import Testing
import TileRender

/// Issue 11: map images from MapLibre styles, the styles themselves, and WMTS; every one of
/// them through the access decision.
@Suite("Map tiles and styles")
struct MapTests {
    static let layerIDs = ["safety_regions", "bag_addresses", "hydrants", "gas_stations", "water_facilities", "protection_zones"]

    /// The WebMercatorQuad tile over a place (longitude, latitude) at `z`.
    static func tile(_ lon: Double, _ lat: Double, z: Int, tms: TileMatrixSet = .webMercatorQuad) throws -> TileID {
        let p = try Transformer(from: .wgs84, to: tms.crs).transform(Position(lon, lat))
        return try #require(tms.tile(containing: p, z: z))
    }

    /// The demo layers `user` may read, by the same decision the service takes.
    static func readable(_ client: UploadClient, _ user: String) throws -> Set<String> {
        let now = client.service.clock()
        let principal = try client.service.access.authenticate(authorization: "Bearer \(client.world.token(user))", at: now).get()
        return Set(layerIDs.filter { client.service.access.readGrant(principal, layer: $0, at: now).decision.allowed })
    }

    static func image(_ r: TestResponse) throws -> RasterImage {
        try RasterImage(png: Array(r.body.readableBytesView))
    }

    @Test("styles: the list, the document per caller (only readable layers, signed TileJSON), sprites and glyph ranges")
    func styleDocuments() async throws {
        try await MapWorld.withServer { client in
            let list = try await client.execute("/styles", as: "adhoc-viewer")
            #expect(list.status == .ok)
            let ids = try list.json()["styles"]?.array?.compactMap { $0["id"]?.string } ?? []
            #expect(ids.contains("operational-picture") && ids.contains("risk-picture"), "\(ids)")
            #expect(try await client.execute("/styles", as: nil).status == .unauthorized)
            #expect(try await client.execute("/styles/no-such-style", as: "locc-viewer").status == .notFound)

            #expect(try Self.readable(client, "locc-viewer") == Set(Self.layerIDs))
            for user in ["locc-viewer", "stedin-viewer", "hdsr-editor", "adhoc-viewer"] {
                let expected = try Self.readable(client, user)
                let r = try await client.execute("/styles/operational-picture", as: user)
                #expect(r.status == .ok && r.headers[.contentType] == "application/vnd.mapbox.style+json")
                let doc = try r.json()
                guard case .object(let sources)? = doc["sources"] else { Issue.record("no sources"); continue }
                #expect(Set(sources.keys).subtracting(["risk"]) == expected, "\(user): \(sources.keys.sorted())")
                let drawn = Set(doc["layers"]?.array?.compactMap { $0["source"]?.string } ?? [])
                #expect(drawn.isSubset(of: expected.union(["risk"])), "\(user) draws \(drawn)")
                // The risk pictures' source: for callers that read a picture.
                if user == "locc-viewer" { #expect(sources["risk"]?["tiles"]?.array?.first?.string?.contains("/pictures/tiles/") == true) }
                if user == "adhoc-viewer" { #expect(sources["risk"] == nil) }
                #expect(!r.text.contains("{base}"))
                #expect(doc["sprite"]?.string?.hasSuffix("/sprites/layerserver") == true)
                // The sources are the caller's signed TileJSON: loadable without headers.
                for (id, source) in sources where id != "risk" {
                    let url = try #require(source["url"]?.string)
                    #expect(url.contains("/collections/\(id)/tiles/WebMercatorQuad/tilejson?access="), "\(url)")
                    let start = try #require(url.range(of: "/collections/")).lowerBound
                    let path = String(url[start...])
                    let tileJSON = try await client.execute(path, as: nil)
                    #expect(tileJSON.status == .ok, "\(user) \(id): \(tileJSON.text)")
                    // ...whose tile URLs carry the same signature.
                    let template = try #require(try tileJSON.json()["tiles"]?.array?.first?.string)
                    let signature = String(url[try #require(url.range(of: "access=")).upperBound...])
                    #expect(template.contains(signature), "\(template)")
                }
            }
            // Sprites: our own sheet at 1x and 2x; the index names the demo symbols.
            for name in ["layerserver.json", "layerserver@2x.json"] {
                let r = try await client.execute("/sprites/\(name)", as: nil)
                #expect(r.status == .ok)
                for symbol in ["hydrant", "gas-station", "water-facility"] { #expect(try r.json()[symbol] != nil, "\(name) lacks \(symbol)") }
            }
            let sheet = try Self.image(try await client.execute("/sprites/layerserver@2x.png", as: nil))
            let sheet1 = try Self.image(try await client.execute("/sprites/layerserver.png", as: nil))
            #expect(sheet.width == 2 * sheet1.width && sheet.height == 2 * sheet1.height)
            #expect(try await client.execute("/sprites/other.png", as: nil).status == .notFound)
            // Glyph ranges: SDF protobuf for MapLibre.
            let glyphs = try await client.execute("/fonts/DejaVu%20Sans/0-255.pbf", as: nil)
            #expect(glyphs.status == .ok && glyphs.body.readableBytes > 10_000)
            #expect(try await client.execute("/fonts/DejaVu%20Sans/1-255.pbf", as: nil).status == .badRequest)
        }
    }

    @Test("map tiles: a layer and a whole style in both grids, 256 and 512 px, XYZ aliases, ETags, and clear format errors")
    func mapTiles() async throws {
        try await MapWorld.withServer { client in
            let wm = try Self.tile(5.12, 52.09, z: 11)
            let rd = try Self.tile(5.12, 52.09, z: 6, tms: .netherlandsRDNewQuad)
            let paths = [
                "/collections/hydrants/map/tiles/WebMercatorQuad/\(wm.z)/\(wm.row)/\(wm.col)",
                "/collections/hydrants/map/tiles/NetherlandsRDNewQuad/\(rd.z)/\(rd.row)/\(rd.col)",
                "/styles/operational-picture/map/tiles/WebMercatorQuad/\(wm.z)/\(wm.row)/\(wm.col)",
                "/styles/operational-picture/map/tiles/NetherlandsRDNewQuad/\(rd.z)/\(rd.row)/\(rd.col)",
                "/xyz/hydrants/WebMercatorQuad/\(wm.z)/\(wm.col)/\(wm.row).png",
                "/xyz/styles/operational-picture/WebMercatorQuad/\(wm.z)/\(wm.col)/\(wm.row).png",
            ]
            for path in paths {
                let r = try await client.execute(path, as: "locc-viewer")
                #expect(r.status == .ok && r.headers[.contentType] == "image/png", "\(path): \(r.status) \(r.text.prefix(200))")
                let img = try Self.image(r)
                #expect(img.width == 256 && img.height == 256)
                #expect(img.paintedPixels > 100, "\(path): \(img.paintedPixels) painted pixels")
                let etag = try #require(r.headers[.eTag])
                let again = try await client.execute(path, as: "locc-viewer", headers: [.ifNoneMatch: etag])
                #expect(again.status == .notModified, "\(path)")
                // @2x: 512 px, the same picture at twice the resolution.
                let big: String
                if path.hasSuffix(".png") { big = path.replacingOccurrences(of: ".png", with: "@2x.png") } else { big = path + "@2x" }
                let r2 = try await client.execute(big, as: "locc-viewer")
                #expect(r2.status == .ok, "\(big): \(r2.text.prefix(200))")
                let img2 = try Self.image(r2)
                #expect(img2.width == 512 && img2.height == 512)
                #expect(r2.headers[.eTag] != etag)
            }
            // A format or scale that is not served: 400 that says what to use.
            for bad in ["\(paths[0])?f=jpeg", "\(paths[0])@3x", "/xyz/hydrants/WebMercatorQuad/\(wm.z)/\(wm.col)/\(wm.row).gif"] {
                let r = try await client.execute(bad, as: "locc-viewer")
                #expect(r.status == .badRequest, "\(bad): \(r.status)")
                #expect(r.headers[.contentType] == "application/problem+json")
            }
            // The same MVT tile still answers as before.
            let mvt = try await client.execute("/xyz/hydrants/WebMercatorQuad/\(wm.z)/\(wm.col)/\(wm.row).mvt", as: "locc-viewer")
            #expect(mvt.status == .ok && mvt.headers[.contentType] == Documents.mvtType)
            // The risk picture's own style draws the demo threat over the Lekdijk.
            let lek = try Self.tile(5.0, 51.98, z: 11)
            let risk = try Self.image(try await client.execute("/styles/risk-picture/map/tiles/WebMercatorQuad/\(lek.z)/\(lek.row)/\(lek.col)", as: "im-utrecht"))
            #expect(risk.paintedPixels > 1_000, "risk picture: \(risk.paintedPixels)")
        }
    }
}
