import CCairo
import GeoCore

/// Draws a MapLibre style (our subset, see ``Style``) into PNG raster tiles with cairo: background, fill, line,
/// circle and symbol layers in style order, anti-aliased, on a transparent ARGB32 image.
///
/// Thread safety: `render` creates its cairo surface and context, draws and destroys them within the call; the
/// style and sprite sheets are immutable values. Cairo 1.16 guards its font caches and fontconfig with locks, so
/// any number of renders may run at once (the raster stress test checks this against a serial render).
public struct RasterRenderer: Sendable {
    /// The style drawn.
    public let style: Style
    /// The sprite sheets by pixel ratio.
    let sprites: [Double: SpriteSheet]

    /// The feature properties the style reads, per source layer.
    private let reads: [SourceKey: Set<String>]

    /// A renderer for `style`, with the style's sprite sheets by pixel ratio (1 and/or 2).
    public init(style: Style, sprites: [Double: SpriteSheet] = [:]) {
        self.style = style
        self.sprites = sprites
        var reads: [SourceKey: Set<String>] = [:]
        for layer in style.layers {
            guard let source = layer.source else { continue }
            reads[SourceKey(source: source, sourceLayer: layer.sourceLayer ?? ""), default: []].formUnion(layer.readProperties)
        }
        self.reads = reads
    }

    /// The feature properties the style's layers of `source`/`sourceLayer` read (filters and
    /// properties): the attributes a caller of ``render(_:features:)`` needs to supply.
    public func readProperties(source: String, sourceLayer: String) -> Set<String> {
        reads[SourceKey(source: source, sourceLayer: sourceLayer)] ?? []
    }

    /// How far around the tile (in CSS px at 256 px tiles) features must be queried so lines, circles and icons
    /// do not break at the tile edge; the server queries bounds buffered by `bufferPixels / 256` of the tile width.
    /// 32 px covers circles up to 32 px radius + stroke, centred icons up to 64 px and lines up to 64 px wide.
    /// Labels need no buffer: they are drawn only where they fit entirely inside the tile.
    public static let bufferPixels: Double = 32

    /// The largest image side accepted (16 × a 256 px tile).
    static let maximumSize = 4096

    /// The sprite sheet for a pixel ratio: the @2x sheet from ratio 1.5 up, else the @1x sheet; the other one
    /// (scaled when drawn) when only one exists.
    func sprite(for pixelRatio: Double) -> SpriteSheet? {
        let preferred: Double = pixelRatio >= 1.5 ? 2 : 1
        if let sheet = sprites[preferred] { return sheet }
        if let other = sprites[preferred == 2 ? 1 : 2] { return other }
        return sprites.keys.sorted().first.flatMap { sprites[$0] }
    }

    /// Draws the style's layers for one tile. `features(source, sourceLayer)` gives the features of a source layer
    /// (the server supplies only what the caller may see; `sourceLayer` is "" for a layer without one); it is called
    /// once per distinct pair. Returns PNG bytes. Throws `TileRenderError(.render)` for a request without a
    /// drawable size or bounds, or when cairo fails.
    public func render(_ request: RasterRequest,
                       features: (_ source: String, _ sourceLayer: String) -> [RenderFeature]) throws -> [UInt8] {
        guard (1...Self.maximumSize).contains(request.size),
              request.pixelRatio.isFinite, request.pixelRatio > 0, request.pixelRatio <= 16, request.zoom.isFinite,
              let transform = TilePixelTransform(bounds: request.bounds, size: request.size) else {
            throw TileRenderError(.render, "raster request needs a size of 1...\(Self.maximumSize) px, a pixel ratio "
                                  + "in (0, 16], a finite zoom and non-empty finite bounds")
        }
        let surface = try CairoSupport.imageSurface(CAIRO_FORMAT_ARGB32, width: request.size, height: request.size)
        defer { cairo_surface_destroy(surface) }
        let cr = try CairoSupport.context(surface)
        defer { cairo_destroy(cr) }
        cairo_set_antialias(cr, CAIRO_ANTIALIAS_DEFAULT)
        if let options = FontChoice.options() {
            cairo_set_font_options(cr, options)
            cairo_font_options_destroy(options)
        }

        let zoom = request.zoom
        let painter = RasterLayerPainter(cr: cr, transform: transform, zoom: zoom, ratio: request.pixelRatio)
        var symbols = RasterSymbolPainter(cr: cr, transform: transform, zoom: zoom, ratio: request.pixelRatio,
                                          sprite: sprite(for: request.pixelRatio))
        defer { symbols.finish() }
        var cache: [SourceKey: [RenderFeature]] = [:]
        func layerFeatures(_ layer: StyleLayer) -> [RenderFeature] {
            guard let source = layer.source else { return [] }
            let key = SourceKey(source: source, sourceLayer: layer.sourceLayer ?? "")
            if let cached = cache[key] { return cached }
            let loaded = features(key.source, key.sourceLayer)
            cache[key] = loaded
            return loaded
        }

        for layer in style.layers where layer.isShown(atZoom: zoom) {
            switch layer.type {
            case .background: painter.background(layer)
            case .fill: painter.fill(layer, layerFeatures(layer))
            case .line: painter.line(layer, layerFeatures(layer))
            case .circle: painter.circle(layer, layerFeatures(layer))
            case .symbol: try symbols.draw(layer, layerFeatures(layer))
            case .raster, .hillshade, .heatmap, .fillExtrusion: continue
            }
            try CairoSupport.check(cairo_status(cr), "drawing layer \"\(layer.id)\"")
        }
        return try PNGEncoder.encode(surface)
    }

    /// A source layer whose features one render fetches once.
    private struct SourceKey: Hashable {
        var source: String
        var sourceLayer: String
    }
}
