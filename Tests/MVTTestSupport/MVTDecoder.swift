/// Why a tile was refused, with a category tests can match on and a human-readable detail.
public struct MVTDecodingError: Error, Equatable, CustomStringConvertible {
    /// The category of the failure.
    public enum Kind: String, Sendable {
        case truncated, malformedVarint, malformedField, invalidUTF8
        /// A field number or wire type the schema does not allow at this place.
        case unexpectedField
        /// A singular field (or the geometry/tags of a feature) given more than once.
        case duplicateField
        /// A required field is absent (layer name or version, feature type or geometry).
        case missingField
        case invalidVersion, invalidExtent, duplicateLayerName
        /// A `Value` message without exactly one value field.
        case invalidValue
        /// Tags of odd length or pointing beyond the keys or values.
        case invalidTags
        case invalidGeometryType
        /// A command stream that breaks the rules of specification section 4.3.
        case invalidGeometry
    }

    public var kind: Kind
    public var detail: String

    public init(_ kind: Kind, _ detail: String) {
        self.kind = kind
        self.detail = detail
    }

    public var description: String { "\(kind.rawValue): \(detail)" }
}

/// A strict decoder of Mapbox Vector Tile 2.1 protobuf (test support, written from the
/// specification). `decode` checks the message structure; ``MVTGeometryDecoder`` interprets
/// the command streams.
public enum MVTDecoder {
    /// A decoded tile: the layers in file order.
    public struct Tile: Equatable, Sendable {
        public var layers: [Layer] = []

        public init(layers: [Layer] = []) { self.layers = layers }
    }

    /// A decoded layer, as the fixtures' tile.json spell it (`extent` defaulted to 4096).
    public struct Layer: Equatable, Sendable {
        public var version: UInt32
        public var name: String
        public var extent: UInt32
        public var keys: [String]
        public var values: [Value]
        public var features: [Feature]

        public init(version: UInt32, name: String, extent: UInt32, keys: [String], values: [Value], features: [Feature]) {
            self.version = version
            self.name = name
            self.extent = extent
            self.keys = keys
            self.values = values
            self.features = features
        }
    }

    /// A typed attribute value: exactly one field of the `Value` message.
    public enum Value: Equatable, Sendable {
        case string(String)
        case float(Float)
        case double(Double)
        case int(Int64)
        case uint(UInt64)
        case sint(Int64)
        case bool(Bool)
    }

    /// The `GeomType` enumeration.
    public enum GeomType: UInt32, Sendable {
        case unknown = 0, point = 1, lineString = 2, polygon = 3
    }

    /// A decoded feature; `id` is nil when the field is absent.
    public struct Feature: Equatable, Sendable {
        public var id: UInt64?
        public var tags: [UInt32]
        public var type: GeomType
        public var geometry: [UInt32]

        public init(id: UInt64?, tags: [UInt32], type: GeomType, geometry: [UInt32]) {
            self.id = id
            self.tags = tags
            self.type = type
            self.geometry = geometry
        }
    }

    /// Decodes a tile, refusing anything the specification or the fixtures call invalid
    /// at the message level.
    public static func decode(_ bytes: [UInt8]) throws(MVTDecodingError) -> Tile {
        var r = ProtobufReader(bytes)
        var tile = Tile()
        var names = Set<String>()
        while !r.isAtEnd {
            let (field, wire) = try r.fieldKey()
            switch (field, wire) {
            case (3, .lengthDelimited):
                var sub = try r.lengthDelimited()
                let layer = try decodeLayer(&sub)
                guard names.insert(layer.name).inserted else {
                    throw MVTDecodingError(.duplicateLayerName, "layer \"\(layer.name)\" appears twice")
                }
                tile.layers.append(layer)
            case (16...8191, _):
                try r.skip(wire)  // `extensions 16 to 8191` of message Tile
            default:
                throw MVTDecodingError(.unexpectedField, "Tile field \(field) with wire type \(wire)")
            }
        }
        return tile
    }

    /// Decodes the message and interprets every feature's geometry: the whole-tile validity check.
    @discardableResult
    public static func decodeAndInterpret(_ bytes: [UInt8]) throws(MVTDecodingError) -> Tile {
        let tile = try decode(bytes)
        for layer in tile.layers {
            for f in layer.features { _ = try MVTGeometryDecoder.interpret(f.type, f.geometry) }
        }
        return tile
    }

    private static func decodeLayer(_ r: inout ProtobufReader) throws(MVTDecodingError) -> Layer {
        var version: UInt64?, name: String?, extent: UInt64?
        var keys: [String] = [], values: [Value] = [], features: [Feature] = []
        while !r.isAtEnd {
            let (field, wire) = try r.fieldKey()
            switch (field, wire) {
            case (15, .varint): try setOnce(&version, try r.varint(), "Layer.version")
            case (1, .lengthDelimited): try setOnce(&name, try r.string(), "Layer.name")
            case (2, .lengthDelimited):
                var sub = try r.lengthDelimited()
                features.append(try decodeFeature(&sub))
            case (3, .lengthDelimited): keys.append(try r.string())
            case (4, .lengthDelimited):
                var sub = try r.lengthDelimited()
                values.append(try decodeValue(&sub))
            case (5, .varint): try setOnce(&extent, try r.varint(), "Layer.extent")
            case (16..., _):
                try r.skip(wire)  // `extensions 16 to max` of message Layer
            default:
                throw MVTDecodingError(.unexpectedField, "Layer field \(field) with wire type \(wire)")
            }
        }
        guard let name else { throw MVTDecodingError(.missingField, "layer without a name") }
        guard let version else { throw MVTDecodingError(.missingField, "layer \"\(name)\" without a version") }
        // Version 1 is accepted because fixture 039 (valid for v2) declares it; anything else is refused.
        guard version == 1 || version == 2 else { throw MVTDecodingError(.invalidVersion, "version \(version)") }
        let ext = extent ?? 4096
        guard ext > 0, ext <= UInt64(UInt32.max) else { throw MVTDecodingError(.invalidExtent, "extent \(ext)") }
        for f in features { try checkTags(f.tags, keys: keys.count, values: values.count) }
        return Layer(version: UInt32(version), name: name, extent: UInt32(ext), keys: keys, values: values, features: features)
    }

    private static func checkTags(_ tags: [UInt32], keys: Int, values: Int) throws(MVTDecodingError) {
        guard tags.count % 2 == 0 else { throw MVTDecodingError(.invalidTags, "odd number of tags (\(tags.count))") }
        for i in stride(from: 0, to: tags.count, by: 2) {
            guard Int(tags[i]) < keys else { throw MVTDecodingError(.invalidTags, "key index \(tags[i]) of \(keys)") }
            guard Int(tags[i + 1]) < values else { throw MVTDecodingError(.invalidTags, "value index \(tags[i + 1]) of \(values)") }
        }
    }

    private static func decodeFeature(_ r: inout ProtobufReader) throws(MVTDecodingError) -> Feature {
        var id: UInt64?, tags: [UInt32]?, type: UInt64?, geometry: [UInt32]?
        while !r.isAtEnd {
            let (field, wire) = try r.fieldKey()
            switch (field, wire) {
            case (1, .varint): try setOnce(&id, try r.varint(), "Feature.id")
            case (2, .lengthDelimited): try setOnce(&tags, try r.packedUInt32(), "Feature.tags")
            case (3, .varint): try setOnce(&type, try r.varint(), "Feature.type")
            case (4, .lengthDelimited): try setOnce(&geometry, try r.packedUInt32(), "Feature.geometry")
            default:
                // Feature declares no extension range.
                throw MVTDecodingError(.unexpectedField, "Feature field \(field) with wire type \(wire)")
            }
        }
        guard let type else { throw MVTDecodingError(.missingField, "feature without a type") }
        guard let geomType = GeomType(rawValue: UInt32(clamping: type)) else {
            throw MVTDecodingError(.invalidGeometryType, "geometry type \(type)")
        }
        guard let geometry else { throw MVTDecodingError(.missingField, "feature without a geometry") }
        return Feature(id: id, tags: tags ?? [], type: geomType, geometry: geometry)
    }

    private static func decodeValue(_ r: inout ProtobufReader) throws(MVTDecodingError) -> Value {
        var value: Value?
        while !r.isAtEnd {
            let (field, wire) = try r.fieldKey()
            let v: Value
            switch (field, wire) {
            case (1, .lengthDelimited): v = .string(try r.string())
            case (2, .fixed32): v = .float(Float(bitPattern: try r.fixed32()))
            case (3, .fixed64): v = .double(Double(bitPattern: try r.fixed64()))
            case (4, .varint): v = .int(Int64(bitPattern: try r.varint()))
            case (5, .varint): v = .uint(try r.varint())
            case (6, .varint):
                let z = try r.varint()
                v = .sint(Int64(bitPattern: z >> 1) ^ -Int64(bitPattern: z & 1))
            case (7, .varint):
                let b = try r.varint()
                guard b <= 1 else { throw MVTDecodingError(.invalidValue, "bool_value \(b)") }
                v = .bool(b == 1)
            default:
                // `extensions 8 to max` exist in the schema, but fixture 026 makes unknown
                // value types fatal for version 2.
                throw MVTDecodingError(.unexpectedField, "Value field \(field) with wire type \(wire)")
            }
            guard value == nil else { throw MVTDecodingError(.invalidValue, "Value with more than one field") }
            value = v
        }
        guard let value else { throw MVTDecodingError(.invalidValue, "Value without a field") }
        return value
    }

    /// Stores `v` in `slot`, refusing a second occurrence of a singular field.
    private static func setOnce<T>(_ slot: inout T?, _ v: T, _ what: String) throws(MVTDecodingError) {
        guard slot == nil else { throw MVTDecodingError(.duplicateField, "\(what) given twice") }
        slot = v
    }
}
