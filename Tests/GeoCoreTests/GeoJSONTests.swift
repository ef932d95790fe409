import Foundation
import Testing
@testable import GeoCore

@Suite("GeoJSON codec")
struct GeoJSONTests {
    @Test("round trip of every type", arguments: WKBTests.samples)
    func roundTrip(_ g: Geometry) throws {
        let text = GeoJSON.encode(g)
        #expect(try GeoJSON.decodeGeometry(Data(text.utf8)) == g)
    }

    @Test("RFC 7946 rules are enforced with a message that says what is wrong")
    func strict() throws {
        let bad = [
            #"{"type":"Point","coordinates":[1]}"#,
            #"{"type":"Point","coordinates":[true,false]}"#,
            #"{"type":"LineString","coordinates":[[0,0]]}"#,
            #"{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0.5]]]}"#,
            #"{"type":"Polygon","coordinates":[[[0,0],[1,0],[0,0]]]}"#,
            #"{"type":"Circle","coordinates":[0,0]}"#,
            #"{"coordinates":[0,0]}"#,
            #"[1,2]"#,
            #"not json"#,
        ]
        for text in bad {
            #expect(throws: GeoError.self, "\(text)") { try GeoJSON.decodeGeometry(Data(text.utf8)) }
        }
    }

    @Test("altitude is dropped; decimals can be limited")
    func altitudeAndDecimals() throws {
        let g = try GeoJSON.decodeGeometry(Data(#"{"type":"Point","coordinates":[4.123456789,52.987654321,12.5]}"#.utf8))
        #expect(g == .point(Position(4.123456789, 52.987654321)))
        #expect(GeoJSON.encode(g, decimals: 6) == #"{"type":"Point","coordinates":[4.123457,52.987654]}"#)
    }

    @Test("GDAL's reading of a GeoJSON file equals ours")
    func agreesWithGDAL() throws {
        let url = TestData.url("nl-boundaries/derived/vr_features_wgs84.geojson")
        let json = try JSONValue.parse(Data(contentsOf: url))
        let ours = try json["features"]!.array!.map { try GeoJSON.geometry(from: $0["geometry"]!) }
        var gdal: [Geometry] = []
        try VectorDataset.withDataset(at: url.path) { ds in
            try ds.readFeatures(layer: 0) { r in if case .feature(let f) = r { gdal.append(f.geometry!) } }
        }
        #expect(ours.count == 25)
        #expect(ours == gdal)
    }
}
