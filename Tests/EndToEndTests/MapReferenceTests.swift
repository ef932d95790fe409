import Foundation
import GeoCore
@testable import LayerServer
import Testing
import TileRender

/// Issue 11: tiles of the demo data, drawn with styles/operational-picture.json for the national
/// reader, against committed reference images (Tests/EndToEndTests/References). A pixel differs
/// when a channel differs by more than `tolerance`; at most `allowed` of the pixels may differ
/// (anti-aliasing and font hinting may move a little between cairo and FreeType builds).
/// `LAYERSERVER_UPDATE_REFERENCES=1` rewrites the references (and fails, so it is never left on).
@Suite("Map reference images")
struct MapReferenceTests {
    static let directory = ServerFixture.repository.appendingPathComponent("Tests/EndToEndTests/References")
    static let tolerance = 24
    static let allowed = 0.005

    /// Name, tile matrix set, place and zoom: region, town and street scale in both grids.
    static let cases: [(String, TileMatrixSet, Double, Double, Int, String)] = [
        ("wm-z8-utrecht", .webMercatorQuad, 5.12, 52.09, 8, ""),
        ("wm-z11-utrecht", .webMercatorQuad, 5.12, 52.09, 11, ""),
        ("wm-z11-lekdijk", .webMercatorQuad, 5.0, 51.98, 11, ""),
        ("wm-z15-bag@2x", .webMercatorQuad, 4.8892, 52.3887, 15, "@2x"),
        ("wm-z17-bag", .webMercatorQuad, 4.8892, 52.3887, 17, ""),
        ("rd-z3-centre", .netherlandsRDNewQuad, 5.3, 52.1, 3, ""),
        ("rd-z7-utrecht", .netherlandsRDNewQuad, 5.12, 52.09, 7, ""),
        ("rd-z11-bag", .netherlandsRDNewQuad, 4.8892, 52.3887, 11, ""),
    ]

    @Test("demo tiles in both grids at several zooms match the committed references")
    func references() async throws {
        let update = ProcessInfo.processInfo.environment["LAYERSERVER_UPDATE_REFERENCES"] == "1"
        try await MapWorld.withServer { client in
            for (name, tms, lon, lat, z, scale) in Self.cases {
                let t = try MapTests.tile(lon, lat, z: z, tms: tms)
                let r = try await client.execute("/styles/operational-picture/map/tiles/\(tms.id)/\(t.z)/\(t.row)/\(t.col)\(scale)", as: "locc-viewer")
                #expect(r.status == .ok, "\(name): \(r.status)")
                let bytes = Array(r.body.readableBytesView)
                let file = Self.directory.appendingPathComponent(name + ".png")
                if update {
                    try FileManager.default.createDirectory(at: Self.directory, withIntermediateDirectories: true)
                    try Data(bytes).write(to: file)
                    continue
                }
                let expected = try RasterImage(png: Array(try Data(contentsOf: file)))
                let got = try RasterImage(png: bytes)
                let differing = got.differingPixels(from: expected, tolerance: Self.tolerance)
                if Double(differing) > Self.allowed * Double(got.width * got.height) {
                    let actual = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-actual-\(UUID().uuidString.prefix(8)).png")
                    try? Data(bytes).write(to: actual)
                    Issue.record("\(name): \(differing) of \(got.width * got.height) pixels differ from the reference; this run's image: \(actual.path)")
                }
                #expect(got.paintedPixels > 0)
            }
        }
        if update { Issue.record("references rewritten in \(Self.directory.path); run again without LAYERSERVER_UPDATE_REFERENCES") }
    }
}
