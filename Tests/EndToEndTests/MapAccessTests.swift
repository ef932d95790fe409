import AccessPolicy
import Foundation
import GeoCore
import Hummingbird
import HummingbirdTesting
@testable import LayerServer
import NIOCore
import Testing
import TileRender

/// Issue 11, access: a rendered tile holds no pixel of a layer or an area the caller may not
/// see, for each member of the demo cast, and the tile cache never serves one class's tile to another.
@Suite("Map tiles and access")
struct MapAccessTests {
    /// The repository's styles plus, per demo layer L, `without-L` (the operational picture
    /// without L's style layers) and `only-L` (L's style layers alone).
    static func variants() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("layerserver-styles-\(UUID().uuidString)")
        let fm = FileManager.default
        try fm.createDirectory(at: dir, withIntermediateDirectories: true)
        for name in try fm.contentsOfDirectory(atPath: MapWorld.styles.path) {
            try fm.copyItem(at: MapWorld.styles.appendingPathComponent(name), to: dir.appendingPathComponent(name))
        }
        let base = try JSONValue.parse(Data(contentsOf: MapWorld.styles.appendingPathComponent("operational-picture.json")))
        guard case .object(let root) = base, case .array(let layers)? = root["layers"] else { throw CancellationError() }
        for id in MapTests.layerIDs {
            var without = root, only = root
            without["layers"] = .array(layers.filter { $0["source-layer"]?.string != id })
            only["layers"] = .array(layers.filter { $0["source-layer"]?.string == id })
            try JSONEncoder().encode(JSONValue.object(without)).write(to: dir.appendingPathComponent("without-\(id).json"))
            try JSONEncoder().encode(JSONValue.object(only)).write(to: dir.appendingPathComponent("only-\(id).json"))
        }
        return dir
    }

    /// Tiles over Utrecht (where the demo's standby activity and the water board are), Amsterdam,
    /// Groningen and Maastricht, from region to neighbourhood scale, in both grids.
    static func tiles() throws -> [(TileMatrixSet, TileID)] {
        var out: [(TileMatrixSet, TileID)] = []
        for (lon, lat) in [(5.12, 52.09), (4.90, 52.37), (6.57, 53.22), (5.69, 50.85), (5.05, 52.0)] {
            for z in [9, 11] { out.append((.webMercatorQuad, try MapTests.tile(lon, lat, z: z))) }
        }
        out.append((.netherlandsRDNewQuad, try MapTests.tile(5.12, 52.09, z: 5, tms: .netherlandsRDNewQuad)))
        out.append((.netherlandsRDNewQuad, try MapTests.tile(4.90, 52.37, z: 7, tms: .netherlandsRDNewQuad)))
        return out
    }

    @Test("for each demo cast member, no pixel of a layer or area it may not see; the cache never crosses classes")
    func noForbiddenPixels() async throws {
        let styles = try Self.variants()
        defer { try? FileManager.default.removeItem(at: styles) }
        let users = ["locc-viewer", "admin", "reviewer", "im-utrecht", "hdsr-editor", "vitens-editor", "stedin-viewer", "standby-viewer", "adhoc-viewer"]
        let tiles = try Self.tiles()
        try await MapWorld.withServer(styles: styles) { client in
            func png(_ style: String, _ tms: TileMatrixSet, _ t: TileID, as user: String) async throws -> RasterImage {
                let r = try await client.execute("/styles/\(style)/map/tiles/\(tms.id)/\(t.z)/\(t.row)/\(t.col)", as: user)
                #expect(r.status == .ok, "\(style) \(t) as \(user): \(r.status) \(r.text.prefix(200))")
                return try MapTests.image(r)
            }
            let now = client.service.clock()
            var forbiddenDrawnNationally = Set<String>()
            var areaChecks = 0
            // The national reader first: if the cache crossed classes, the others would get its tiles.
            for user in users {
                let principal = try client.service.access.authenticate(authorization: "Bearer \(client.world.token(user))", at: now).get()
                for (tms, t) in tiles {
                    let full = try await png("operational-picture", tms, t, as: user)
                    for id in MapTests.layerIDs {
                        let grant = client.service.access.readGrant(principal, layer: id, at: now)
                        if !grant.decision.allowed {
                            // Removing a layer the member may not read changes no pixel of its tile...
                            let without = try await png("without-\(id)", tms, t, as: user)
                            #expect(full.differingPixels(from: without, tolerance: 0) == 0, "\(user) sees pixels of \(id) in \(tms.id) \(t)")
                            // ...while for the national reader it does, where the layer has data.
                            let national = try await png("operational-picture", tms, t, as: "locc-viewer")
                            let nationalWithout = try await png("without-\(id)", tms, t, as: "locc-viewer")
                            if national.differingPixels(from: nationalWithout, tolerance: 0) > 0 { forbiddenDrawnNationally.insert(id) }
                        } else if grant.decision.filter != .everywhere {
                            // A layer limited to an area: nothing of it in a tile that lies wholly outside the area.
                            let area = try #require(try client.service.tiles.scope.resolve(grant.decision.filter, crs: tms.crs))
                            let bounds = try #require(tms.bounds(of: t))
                            guard !area.envelope.intersects(bounds.buffered(by: bounds.width / 2)) else { continue }
                            let only = try await png("only-\(id)", tms, t, as: user)
                            #expect(only.paintedPixels == 0, "\(user) sees \(id) outside its area in \(tms.id) \(t)")
                            areaChecks += 1
                        }
                    }
                }
            }
            // The test is not vacuous: the hidden layers do draw for the national reader here.
            #expect(forbiddenDrawnNationally.isSuperset(of: ["water_facilities", "protection_zones", "hydrants", "gas_stations"]),
                    "\(forbiddenDrawnNationally.sorted())")
            #expect(areaChecks > 0)
            // Risk pictures: a member that reads no region's picture gets none of it.
            let lek = try MapTests.tile(5.0, 51.98, z: 11)
            let national = try await png("risk-picture", .webMercatorQuad, lek, as: "locc-viewer")
            let adhoc = try await png("risk-picture", .webMercatorQuad, lek, as: "adhoc-viewer")
            #expect(national.paintedPixels > 1_000)
            #expect(adhoc.paintedPixels == 0, "the ad-hoc partner sees \(adhoc.paintedPixels) pixels of the risk picture")
        }
    }

    @Test("a partner's layer named like the picture's source layer is not drawn as the risk picture: styles bind sources by URL")
    func noLayerPosesAsThePicture() async throws {
        let world = try await UploadWorld.make(points: 10)
        defer { world.remove() }
        try await world.withServer(configure: { $0.stylesDirectory = MapWorld.styles }) { client in
            // A kern editor may create a layer with a new id: risk_picture, full of "extreme threats".
            let ring = "[[4.9,51.9],[5.3,51.9],[5.3,52.2],[4.9,52.2],[4.9,51.9]]"
            let fake = GeoJSONFile.collection([GeoJSONFile.feature(geometry: "{\"type\": \"Polygon\", \"coordinates\": [\(ring)]}",
                                                                   properties: "\"kind\": \"threat\", \"severity\": \"Extreme\"")])
            let up = try await client.uploadAndWait("risk_picture", text: fake, name: "fake.geojson", as: "vitens-editor")
            #expect(up.body["state"]?.string == "published", "\(up.body)")
            let t = try MapTests.tile(5.1, 52.05, z: 10)
            for style in ["risk-picture", "operational-picture"] {
                let r = try await client.execute("/styles/\(style)/map/tiles/WebMercatorQuad/\(t.z)/\(t.row)/\(t.col)", as: "vitens-editor")
                #expect(r.status == .ok)
                let img = try MapTests.image(r)
                // No picture is published in this world: no threat colour anywhere.
                var threat = 0
                for y in 0..<img.height { for x in 0..<img.width {
                    let p = img.pixel(x, y)
                    if p.a > 0 && p.r > 150 && p.g < 120 && p.b < 100 { threat += 1 }
                } }
                #expect(threat == 0, "\(style): \(threat) threat-coloured pixels from the layer risk_picture")
            }
            // The layer itself is still the owner's, drawn alone in a plain style.
            let own = try await client.execute("/collections/risk_picture/map/tiles/WebMercatorQuad/\(t.z)/\(t.row)/\(t.col)", as: "vitens-editor")
            #expect(try MapTests.image(own).paintedPixels > 1_000)
        }
    }
}
