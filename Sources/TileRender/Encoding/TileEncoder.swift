import GeoCore

/// Receives the features of one layer of a tile, already queried and restricted to what the
/// caller may see, in the CRS of the tile matrix set.
public protocol FeatureSink {
    /// The layer the sink collects (the MVT layer name, the style's source-layer).
    var name: String { get }
    /// Adds a feature. `attributes` are in the order of the field names the sink was made with.
    /// Returns false when nothing of it is kept (outside the buffered tile).
    @discardableResult
    mutating func add(id: Int64?, geometry: Geometry, attributes: [AttributeValue]) -> Bool
    /// Adds a point feature (the same as `add` with `.point(position)`; sinks may do it faster).
    @discardableResult
    mutating func addPoint(id: Int64?, position: Position, attributes: [AttributeValue]) -> Bool
}

extension FeatureSink {
    @discardableResult
    public mutating func addPoint(id: Int64?, position: Position, attributes: [AttributeValue]) -> Bool {
        add(id: id, geometry: .point(position), attributes: attributes)
    }
}

/// The last step of the tile path: turns the restricted features of a tile's layers into the
/// bytes of one format. The query (which features) and the restriction (what the caller may
/// see of them) come before it and know nothing of the format.
public protocol TileEncoder: Sendable {
    /// Collects one layer's features while they are read.
    associatedtype Sink: FeatureSink
    /// Everything about the encoder that changes the bytes (format, style and its version,
    /// scale, settings): part of every cache key and ETag.
    var cacheKey: String { get }
    /// How far around the tile features are needed, as a fraction of the tile's width.
    var bufferFraction: Double { get }
    /// Whether the encoder uses the attribute `field` of `layer` (the query reads no other).
    func wants(field: String, layer: String) -> Bool
    /// Whether the encoded size counts against the tile budget (vector tiles: their size is
    /// what a client downloads and parses; an image's size does not grow with its points).
    var countsAgainstBudget: Bool { get }
    /// A sink for one layer of the tile whose bounds (in the tile matrix set's CRS) are `tileBounds`.
    func sink(layer: String, fieldNames: [String], tileBounds: Envelope) -> Sink
    /// The encoded tile; empty when there is nothing to show.
    func encode(_ layers: [Sink], tileBounds: Envelope) throws -> [UInt8]
}

extension TileEncoder {
    /// Every attribute the caller may see.
    public func wants(field: String, layer: String) -> Bool { true }
    public var countsAgainstBudget: Bool { false }
}

extension MVTLayerBuilder: FeatureSink {}

/// Mapbox Vector Tiles 2.1: one MVT layer per layer, named by its id.
public struct MVTTileEncoder: TileEncoder {
    /// The encoder settings.
    public let options: MVTOptions
    /// Made once: every tile request's cache key and ETag carry it.
    public let cacheKey: String

    /// Creates the encoder.
    public init(options: MVTOptions = MVTOptions()) {
        self.options = options
        cacheKey = "mvt2|\(options.extent)|\(options.buffer)|\(options.simplificationTolerance)"
    }

    public var bufferFraction: Double { Double(options.buffer) / Double(options.extent) }

    public var countsAgainstBudget: Bool { true }

    public func sink(layer: String, fieldNames: [String], tileBounds: Envelope) -> MVTLayerBuilder {
        MVTLayerBuilder(name: layer, fieldNames: fieldNames, tileBounds: tileBounds, options: options)
    }

    public func encode(_ layers: [MVTLayerBuilder], tileBounds: Envelope) throws -> [UInt8] {
        let kept = layers.filter { $0.featureCount > 0 }
        return kept.isEmpty ? [] : try MVTEncoder.encode(kept)
    }
}
