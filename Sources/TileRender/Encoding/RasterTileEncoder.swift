import GeoCore

/// PNG tiles drawn from a MapLibre style: the features of each layer go to the style layers
/// whose `source-layer` is the layer's id.
public struct RasterTileEncoder: TileEncoder {
    /// The renderer of the style.
    public var renderer: RasterRenderer
    /// Names the style and its version (a digest of its bytes and sprites).
    public var styleKey: String
    /// The style zoom of the tile (Web Mercator equivalent).
    public var zoom: Double
    /// 1 for 256 px tiles, 2 for 512 px ("@2x").
    public var pixelRatio: Double
    /// Features that come from elsewhere than the layer store (the risk picture), by source layer.
    public var extra: [String: [RenderFeature]]

    /// Creates the encoder for one tile.
    public init(renderer: RasterRenderer, styleKey: String, zoom: Double, pixelRatio: Double, extra: [String: [RenderFeature]] = [:]) {
        self.renderer = renderer
        self.styleKey = styleKey
        self.zoom = zoom
        self.pixelRatio = pixelRatio
        self.extra = extra
    }

    public var cacheKey: String { "png|\(styleKey)|@\(pixelRatio)x" }
    public var bufferFraction: Double { RasterRenderer.bufferPixels / 256 }

    public func sink(layer: String, fieldNames: [String], tileBounds: Envelope) -> FeatureCollector {
        FeatureCollector(name: layer, fieldNames: fieldNames, query: tileBounds.buffered(by: tileBounds.width * bufferFraction))
    }

    public func encode(_ layers: [FeatureCollector], tileBounds: Envelope) throws -> [UInt8] {
        var bySourceLayer = extra
        for l in layers { bySourceLayer[l.name, default: []] += l.features }
        let request = RasterRequest(bounds: tileBounds, zoom: zoom, pixelRatio: pixelRatio, size: Int((256 * pixelRatio).rounded()))
        return try renderer.render(request) { _, sourceLayer in bySourceLayer[sourceLayer] ?? [] }
    }
}
