import GeoCore

/// PNG tiles drawn from a MapLibre style. Which layer feeds which style source is the caller's
/// binding (the server binds a source to the layer its URL names), never the `source-layer`
/// name alone, so no layer can pose as another source's data by taking its name.
public struct RasterTileEncoder: TileEncoder {
    /// A style source and one of its source layers.
    public struct SourceLayer: Hashable, Sendable {
        public var source: String
        public var sourceLayer: String

        public init(source: String, sourceLayer: String) {
            self.source = source
            self.sourceLayer = sourceLayer
        }
    }

    /// The renderer of the style.
    public var renderer: RasterRenderer
    /// Names the style and its version (a digest of its bytes and sprites).
    public var styleKey: String
    /// The style zoom of the tile (Web Mercator equivalent).
    public var zoom: Double
    /// 1 for 256 px tiles, 2 for 512 px ("@2x").
    public var pixelRatio: Double
    /// Style source id to the layer that feeds it; the layer's features are the source layer named by its id.
    public var layerSources: [String: String]
    /// Features that come from elsewhere than the layer store (the risk picture).
    public var extra: [SourceLayer: [RenderFeature]]

    /// Creates the encoder for one tile.
    public init(renderer: RasterRenderer, styleKey: String, zoom: Double, pixelRatio: Double,
                layerSources: [String: String], extra: [SourceLayer: [RenderFeature]] = [:]) {
        self.renderer = renderer
        self.styleKey = styleKey
        self.zoom = zoom
        self.pixelRatio = pixelRatio
        self.layerSources = layerSources
        self.extra = extra
    }

    public var cacheKey: String { "png|\(styleKey)|@\(pixelRatio)x" }
    public var bufferFraction: Double { RasterRenderer.bufferPixels / 256 }

    /// Only the attributes the style reads of the layer (the others are not even read from the store).
    public func wants(field: String, layer: String) -> Bool {
        layerSources.contains { source, bound in
            bound == layer && renderer.readProperties(source: source, sourceLayer: layer).contains(field)
        }
    }

    public func sink(layer: String, fieldNames: [String], tileBounds: Envelope) -> FeatureCollector {
        FeatureCollector(name: layer, fieldNames: fieldNames, query: tileBounds.buffered(by: tileBounds.width * bufferFraction))
    }

    public func encode(_ layers: [FeatureCollector], tileBounds: Envelope) throws -> [UInt8] {
        var byLayer: [String: [RenderFeature]] = [:]
        for l in layers { byLayer[l.name, default: []] += l.features }
        let request = RasterRequest(bounds: tileBounds, zoom: zoom, pixelRatio: pixelRatio, size: Int((256 * pixelRatio).rounded()))
        return try renderer.render(request) { source, sourceLayer in
            if let layer = layerSources[source] { return layer == sourceLayer ? byLayer[layer] ?? [] : [] }
            return extra[SourceLayer(source: source, sourceLayer: sourceLayer)] ?? []
        }
    }
}
