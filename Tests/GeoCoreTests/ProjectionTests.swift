import Foundation
import Testing
@testable import GeoCore

@Suite("CRS transforms (PROJ)")
struct ProjectionTests {
    /// The same two Amsterdam landmarks in RD New and WGS 84 (PDOK gokoala fixtures).
    static func landmarks(_ name: String) throws -> [Position] {
        let json = try JSONValue.parse(Data(contentsOf: TestData.url("pdok-gokoala/viewer/cypress/fixtures/\(name)")))
        return try json["features"]!.array!.map {
            guard case .point(let p?) = try GeoJSON.geometry(from: $0["geometry"]!) else { throw GeoError(.invalidGeoJSON, "no point") }
            return p
        }
    }

    static func meters(_ a: Position, _ b: Position) -> Double { ((a.x - b.x) * (a.x - b.x) + (a.y - b.y) * (a.y - b.y)).squareRoot() }

    @Test("RD New to WGS 84 and back is within about a metre of the reference, east/north order")
    func rdWGS84() throws {
        let rd = try Self.landmarks("amsterdam-epgs28992.json")
        let wgs = try Self.landmarks("amsterdam-wgs84.json")
        let toWGS = try Transformer(from: .rdNew, to: .wgs84)
        let toRD = try Transformer(from: .wgs84, to: .rdNew)
        for (r, w) in zip(rd, wgs) {
            let lonlat = try toWGS.transform(r)
            #expect(abs(lonlat.x - w.x) < 2e-5 && abs(lonlat.y - w.y) < 2e-5, "\(lonlat) vs \(w)")
            #expect(lonlat.x < lonlat.y, "longitude first")
            let back = try toRD.transform(w)
            #expect(Self.meters(back, r) < 1.5, "\(back) vs \(r)")
            #expect(Self.meters(try toRD.transform(lonlat), r) < 1e-3, "round trip")
        }
    }

    @Test("ETRS89 (EPSG:4258) is taken east/north even though its EPSG axis order is north/east")
    func etrs89() throws {
        // The fixture writes EPSG:4258 in the authority's axis order (lat, lon); GeoCore
        // positions are always east/north, so the test swaps them before transforming.
        let etrs = try Self.landmarks("amsterdam-epsg4258.json").map { Position($0.y, $0.x) }
        let rd = try Self.landmarks("amsterdam-epgs28992.json")
        let t = try Transformer(from: CRS(epsg: 4258), to: .rdNew)
        for (e, r) in zip(etrs, rd) { #expect(Self.meters(try t.transform(e), r) < 1.5) }
    }

    @Test("box transform covers the transformed corners")
    func bounds() throws {
        let t = try Transformer(from: .rdNew, to: .webMercator)
        let box = Envelope(minX: 100_000, minY: 400_000, maxX: 200_000, maxY: 500_000)
        let out = try t.transformBounds(box)
        for c in [Position(box.minX, box.minY), Position(box.maxX, box.maxY), Position(box.minX, box.maxY), Position(box.maxX, box.minY)] {
            #expect(out.contains(try t.transform(c)))
        }
    }

    @Test("unknown codes and impossible positions fail with GeoError")
    func failures() throws {
        #expect(throws: GeoError.self) { try Transformer(from: CRS(epsg: 999_999), to: .wgs84) }
        let t = try Transformer(from: .wgs84, to: .webMercator)
        #expect(throws: GeoError.self) { try t.transform(Position(0, 95)) }
        #expect(CRS("EPSG:28992") == .rdNew)
        #expect(CRS("http://www.opengis.net/def/crs/EPSG/0/3857") == .webMercator)
        #expect(CRS("http://www.opengis.net/def/crs/OGC/1.3/CRS84") == .wgs84)
        #expect(CRS("28992") == nil)
        #expect(try CRS.rdNew.definition().wkt.contains("Amersfoort"))
    }

    @Test("the pool is safe under concurrent use and every caller gets right answers")
    func concurrentPool() async throws {
        let pool = TransformerPool()
        let rd = try Self.landmarks("amsterdam-epgs28992.json")
        let expected = try Transformer(from: .rdNew, to: .wgs84).transform(rd[0])
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<32 {
                group.addTask {
                    for _ in 0..<200 {
                        let (from, to): (CRS, CRS) = i % 2 == 0 ? (.rdNew, .wgs84) : (.rdNew, .webMercator)
                        let p = try pool.withTransformer(from: from, to: to) { try $0.transform(rd[0]) }
                        if i % 2 == 0 { #expect(p == expected) }
                    }
                }
            }
            try await group.waitForAll()
        }
    }
}
