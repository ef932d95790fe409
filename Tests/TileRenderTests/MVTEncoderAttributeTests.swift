import MVTTestSupport
import GeoCore
import Testing
import TileRender

/// Attributes, feature ids and layer assembly.
struct MVTEncoderAttributeTests {
    static let here = Geometry.point(Position(10, 10))

    @Test("typed values round trip; null and blob are left out")
    func typedValues() throws {
        let fields = ["name", "flag", "neg", "pos", "zero", "ratio", "big", "small", "none", "raw"]
        let attrs: [AttributeValue] = [.string("Utrecht"), .bool(true), .int(-5), .int(7), .int(0), .double(2.5),
                                       .int(.max), .int(.min), .null, .blob([1, 2])]
        let d = try #require(try encodeAndDecode([InputFeature(geometry: Self.here, attributes: attrs)], fields: fields))
        #expect(d.attributes(0) == [
            "name": .string("Utrecht"), "flag": .bool(true), "neg": .sint(-5), "pos": .uint(7), "zero": .uint(0),
            "ratio": .double(2.5), "big": .uint(UInt64(Int64.max)), "small": .sint(.min),
        ])
        #expect(!d.layer.keys.contains("none") && !d.layer.keys.contains("raw"))
    }

    @Test("non-finite doubles are left out; extra attributes beyond the field names are ignored")
    func droppedValues() throws {
        let attrs: [AttributeValue] = [.double(.nan), .double(.infinity), .double(-1.25), .string("extra")]
        let d = try #require(try encodeAndDecode([InputFeature(geometry: Self.here, attributes: attrs)], fields: ["a", "b", "c"]))
        #expect(d.attributes(0) == ["c": .double(-1.25)])
        #expect(d.layer.keys == ["c"])
    }

    @Test("keys and values are deduplicated across features")
    func deduplication() throws {
        let fields = ["kind", "level", "open"]
        let features = [
            InputFeature(geometry: Self.here, attributes: [.string("school"), .int(2), .bool(true)]),
            InputFeature(geometry: Self.here, attributes: [.string("school"), .int(3), .bool(true)]),
            InputFeature(geometry: Self.here, attributes: [.string("hospital"), .int(2), .bool(false)]),
            InputFeature(geometry: Self.here, attributes: [.string("2"), .double(2), .bool(false)]),
        ]
        let d = try #require(try encodeAndDecode(features, fields: fields))
        #expect(d.layer.keys == fields)
        let values = d.layer.values
        for i in values.indices { for j in values.indices where i < j { #expect(values[i] != values[j]) } }
        // school, 2, true, 3, hospital, false, "2", 2.0: equal numbers of different types stay apart.
        #expect(values.count == 8)
        #expect(d.layer.features[0].tags[1] == d.layer.features[1].tags[1])
        #expect(d.attributes(3) == ["kind": .string("2"), "level": .double(2), "open": .bool(false)])
        #expect(d.attributes(2) == ["kind": .string("hospital"), "level": .uint(2), "open": .bool(false)])
    }

    @Test("feature ids: present, absent, zero and the largest; negative ids are not written")
    func featureIDs() throws {
        let ids: [Int64?] = [42, nil, 0, .max, -7]
        let d = try #require(try encodeAndDecode(ids.map { InputFeature(id: $0, geometry: Self.here) }))
        #expect(d.layer.features.map(\.id) == [42, nil, 0, UInt64(Int64.max), nil])
    }

    @Test("an empty builder gives a zero-byte tile and no empty layers")
    func emptyTile() throws {
        let empty = MVTLayerBuilder(name: "empty", fieldNames: [], tileBounds: unitTile)
        #expect(try MVTEncoder.encode([]) == [])
        #expect(try MVTEncoder.encode([empty]) == [])
        var dropped = MVTLayerBuilder(name: "dropped", fieldNames: [], tileBounds: unitTile)
        dropped.add(id: 1, geometry: .point(Position(-5000, 0)), attributes: [])
        #expect(dropped.featureCount == 0)
        #expect(try MVTEncoder.encode([dropped, empty]) == [])
        var full = MVTLayerBuilder(name: "full", fieldNames: [], tileBounds: unitTile)
        full.add(id: 1, geometry: Self.here, attributes: [])
        let tile = try MVTDecoder.decodeAndInterpret(try MVTEncoder.encode([empty, full, dropped]))
        #expect(tile.layers.map(\.name) == ["full"])
    }

    @Test("several layers keep their order, version 2 and extent")
    func severalLayers() throws {
        var layers: [MVTLayerBuilder] = []
        for name in ["roads", "water", "buildings"] {
            var b = MVTLayerBuilder(name: name, fieldNames: ["n"], tileBounds: unitTile)
            b.add(id: nil, geometry: Self.here, attributes: [.string(name)])
            layers.append(b)
        }
        let tile = try MVTDecoder.decodeAndInterpret(try MVTEncoder.encode(layers))
        #expect(tile.layers.map(\.name) == ["roads", "water", "buildings"])
        #expect(tile.layers.allSatisfy { $0.version == 2 && $0.extent == 4096 && $0.values == [.string($0.name)] })
    }

    @Test("two layers with the same name are refused (spec 4.1)")
    func duplicateLayerNames() throws {
        var a = MVTLayerBuilder(name: "same", fieldNames: [], tileBounds: unitTile)
        a.add(id: 1, geometry: Self.here, attributes: [])
        #expect(throws: TileRenderError.self) { try MVTEncoder.encode([a, a]) }
        // An empty layer of the same name is not written, so it does not clash.
        let empty = MVTLayerBuilder(name: "same", fieldNames: [], tileBounds: unitTile)
        let tile = try MVTDecoder.decode(try MVTEncoder.encode([a, empty]))
        #expect(tile.layers.map(\.name) == ["same"])
    }
}

@Suite("MVT point fast path")
struct MVTPointFastPathTests {
    @Test("addPoint writes the same bytes as add with a point geometry, for ids, repeated and missing values, and points outside")
    func samesBytes() throws {
        let bounds = Envelope(minX: 0, minY: 0, maxX: 1000, maxY: 1000)
        let names = ["kind", "n", "owner", "size"]
        var slow = MVTLayerBuilder(name: "p", fieldNames: names, tileBounds: bounds)
        var fast = MVTLayerBuilder(name: "p", fieldNames: names, tileBounds: bounds)
        var rng = SystemRandomNumberGenerator()
        let kinds: [AttributeValue] = [.string("ondergronds"), .string("bovengronds"), .null, .string("een heel lange soortnaam van een brandkraan")]
        for i in 0..<3000 {
            let p = Position(Double.random(in: -100..<1100, using: &rng), Double.random(in: -100..<1100, using: &rng))
            let attributes: [AttributeValue] = [kinds[(i / 7) % kinds.count], .int(Int64(i) - 1500), i % 5 == 0 ? .null : .string("Vitens"),
                                                i % 3 == 0 ? .double(Double(i) / 3) : .bool(i % 2 == 0)]
            let id: Int64? = i % 11 == 0 ? nil : Int64(i)
            #expect(slow.add(id: id, geometry: .point(p), attributes: attributes) == fast.addPoint(id: id, position: p, attributes: attributes))
        }
        #expect(slow.featureCount == fast.featureCount && fast.featureCount > 1000)
        #expect(try MVTEncoder.encode([slow]) == MVTEncoder.encode([fast]))
    }
}
