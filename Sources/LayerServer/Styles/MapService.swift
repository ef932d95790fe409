import AccessPolicy
import Crypto
import Foundation
import GeoCore
import NIOCore
import TileRender

/// Map images and style documents: a layer drawn alone in its default style, a whole style
/// drawn with the layers and risk pictures the caller may see, and the style documents
/// rewritten for the caller. Every layer goes through the read decision; what the caller may
/// not read is neither drawn nor listed, and caches are shared within an access class only.
public struct MapService: Sendable {
    /// The layers, their access decisions and the tile cache.
    public let layers: LayerService
    /// The risk pictures, drawn where a style uses their source layer.
    let pictures: PictureService?
    /// The styles.
    public let styles: StyleCatalog

    /// Creates the service.
    public init(layers: LayerService, pictures: PictureService?, styles: StyleCatalog) {
        self.layers = layers
        self.pictures = pictures
        self.styles = styles
    }

    /// The style zoom of a tile: its own level in WebMercatorQuad; for other tile matrix sets
    /// the (fractional) Web Mercator level of the same ground resolution at the tile's latitude,
    /// so a style's zoom functions draw an RD tile as they would a Web Mercator tile of that scale.
    func styleZoom(_ tms: TileMatrixSet, _ tile: TileID) -> Double {
        guard tms.id != TileMatrixSet.webMercatorQuad.id, let matrix = tms.matrix(tile.z), let bounds = tms.bounds(of: tile) else {
            return Double(tile.z)
        }
        let latitude = (try? layers.tiles.transformers.withTransformer(from: tms.crs, to: .wgs84) { try $0.transform(bounds.center).y }) ?? 52
        let groundCell = matrix.cellSize * tms.metersPerUnit
        let level = log2(TileMatrixSet.webMercatorQuad.cellSizeAtZoomZero * cos(latitude * .pi / 180) / groundCell)
        return level.isFinite ? min(max(level, 0), 30) : Double(tile.z)
    }

    /// The encoder of `entry` for one tile.
    public func encoder(_ entry: StyleCatalog.Entry, tms: TileMatrixSet, tile: TileID, pixelRatio: Double) -> RasterTileEncoder {
        RasterTileEncoder(renderer: entry.renderer, styleKey: entry.id + ":" + entry.digest, zoom: styleZoom(tms, tile),
                          pixelRatio: pixelRatio, layerSources: entry.layerSources)
    }

    // MARK: A layer alone

    /// The PNG of a layer in its default style (the caller must have the layer from
    /// ``LayerService/visibleLayer(_:_:item:)``), with its ETag.
    public func layerTile(layer: Layer, grant: LayerGrant, tms: TileMatrixSet, tile: TileID, pixelRatio: Double) async throws -> (body: ByteBuffer, etag: String) {
        let entry = try styles.layerStyle(layer)
        let encoder = encoder(entry, tms: tms, tile: tile, pixelRatio: pixelRatio)
        let etag = layers.etag(layer: layer, grant: grant, format: encoder.cacheKey, tms: tms, tile: tile)
        let result = try await layers.tile(layer: layer, grant: grant, tms: tms, tile: tile, encoder: encoder, gzip: false)
        return (result.body, etag)
    }

    /// The ETag of a layer's PNG without rendering it.
    public func layerTileETag(layer: Layer, grant: LayerGrant, tms: TileMatrixSet, tile: TileID, pixelRatio: Double) throws -> String {
        let entry = try styles.layerStyle(layer)
        return layers.etag(layer: layer, grant: grant, format: encoder(entry, tms: tms, tile: tile, pixelRatio: pixelRatio).cacheKey, tms: tms, tile: tile)
    }

    // MARK: A whole style

    /// What a caller sees of a style: the layers it may read with their restrictions, and the
    /// risk-picture features, with one digest over all of it (the style tile's access class).
    struct StyleView {
        var layers: [(Layer, Restriction)]
        var picture: [(Geometry, [AttributeValue])]
        var accessClass: String
    }

    /// Decides every layer the style draws for `caller` (each read or denial audited with
    /// `item`) and gathers the risk picture when the style draws it.
    func view(_ entry: StyleCatalog.Entry, caller: Principal, item: String) async throws -> StyleView {
        let now = layers.clock()
        var visible: [(Layer, Restriction)] = []
        var h = SHA256()
        h.update(data: Data("\(entry.id)|\(entry.digest)".utf8))
        for id in entry.drawnLayers {
            guard let layer = layers.catalogLayer(id) else { continue }
            let grant = layers.access.readGrant(caller, layer: id, at: now)
            layers.access.audit(read: grant, item: item, at: now)
            guard grant.decision.allowed else { continue }
            visible.append((layer, Restriction(grant, layer: layer, secret: layers.access.keyBytes)))
            h.update(data: Data("|\(id):\(layer.currentVersion):\(layer.current.checksum):\(grant.accessClass):\(layers.tiles.configuration.contentKey(layer: id))".utf8))
        }
        var picture: [(Geometry, [AttributeValue])] = []
        if let pictures, !entry.pictureSources.isEmpty {
            let (digest, features) = try await pictures.visibleFeatures(caller, regions: try await pictures.readableRegions(caller))
            picture = features
            h.update(data: Data("|picture:\(digest)".utf8))
        }
        return StyleView(layers: visible, picture: picture, accessClass: LayerService.hex(h.finalize().prefix(10)))
    }

    /// The PNG of a whole style for `caller`, with its ETag. Layers the caller may not read are
    /// not drawn; each drawn layer is restricted as on every other path.
    public func styleTile(_ entry: StyleCatalog.Entry, caller: Principal, tms: TileMatrixSet, tile: TileID,
                          pixelRatio: Double, ifNoneMatch: (String) -> Bool = { _ in false }) async throws -> (body: ByteBuffer?, etag: String) {
        let view = try await view(entry, caller: caller, item: "style:\(entry.id) \(tms.id)/\(tile.z)/\(tile.row)/\(tile.col)")
        let plain = encoder(entry, tms: tms, tile: tile, pixelRatio: pixelRatio)
        let etag = LayerService.etag("s" + view.accessClass + "-" + (pixelRatio == 2 ? "2" : "1"), tms: tms, tile: tile)
        if ifNoneMatch(etag) { return (nil, etag) }
        let key = TileCacheKey(accessClass: view.accessClass, layerID: "style:" + entry.id, version: 0, format: plain.cacheKey,
                               tileMatrixSet: tms.id, tile: tile)
        let tiles = layers.tiles
        let result = try await layers.cached(key, gzip: false) {
            var encoder = plain
            if !view.picture.isEmpty, let bounds = tms.bounds(of: tile) {
                let features = try tiles.transformers.withTransformer(from: .wgs84, to: tms.crs) { t in
                    var sink = encoder.sink(layer: PictureService.tileLayer, fieldNames: PictureService.tileFields, tileBounds: bounds)
                    PictureService.project(view.picture, with: t, into: &sink)
                    return sink.features
                }
                for source in entry.pictureSources {
                    encoder.extra[RasterTileEncoder.SourceLayer(source: source, sourceLayer: PictureService.tileLayer)] = features
                }
            }
            return try await tiles.render(view.layers, tms: tms, tile: tile, encoder: encoder)
        }
        return (result.body, etag)
    }

    // MARK: Documents

    /// The style document for `caller`: sources of layers it may not read are gone with the
    /// style layers that draw them; the others point at this server's TileJSON, signed for the
    /// caller when it authenticated with a token (so MapLibre GL JS and QGIS load it without
    /// sending headers); `{base}` is the service's public URL.
    public func document(_ entry: StyleCatalog.Entry, caller: Principal, base: String) async throws -> JSONValue {
        let now = layers.clock()
        guard case .object(var root) = entry.style.document else { return entry.style.document }
        var kept: [String: JSONValue] = [:]
        var readsPictures = false
        if let pictures { readsPictures = !(try await pictures.readableRegions(caller)).isEmpty }
        let bindings = StyleCatalog.bindings(entry.style)
        for (name, source) in entry.style.sources {
            if let id = bindings.layers[name] {
                guard layers.visibleLayer(id, caller) != nil else { continue }
                var tileJSON = "\(base)/collections/\(id)/tiles/WebMercatorQuad/tilejson"
                if let signed = layers.access.signedParameter(for: caller, layer: id, at: now) { tileJSON += "?access=" + signed.value }
                kept[name] = Self.replacing(source, url: tileJSON)
            } else if bindings.pictures.contains(name) {
                guard readsPictures else { continue }
                kept[name] = Self.substitute(source, base: base)
            } else if !StyleCatalog.sourceURL(source).contains("{base}") {
                // Another server's source, as the operator wrote it.
                kept[name] = source
            }
        }
        root["sources"] = .object(kept)
        var keptLayers = Set<String>()
        if case .array(let all)? = root["layers"] {
            let drawn = all.filter { l in l["source"]?.string.map { kept[$0] != nil } ?? true }
            keptLayers = Set(drawn.compactMap { $0["id"]?.string })
            root["layers"] = .array(drawn)
        }
        // The legend names only what is left.
        if case .object(var metadata)? = root["metadata"], case .array(let legend)? = metadata["layerserver:legend"] {
            metadata["layerserver:legend"] = .array(legend.filter { $0["layer"]?.string.map(keptLayers.contains) ?? true })
            root["metadata"] = .object(metadata)
        }
        return Self.substitute(.object(root), base: base)
    }

    static func replacing(_ source: JSONValue, url: String) -> JSONValue {
        guard case .object(var o) = source else { return source }
        o["tiles"] = nil
        o["url"] = .string(url)
        return .object(o)
    }

    /// `{base}` replaced by the service's URL in every string of the document.
    static func substitute(_ value: JSONValue, base: String) -> JSONValue {
        switch value {
        case .string(let s): .string(s.replacingOccurrences(of: "{base}", with: base))
        case .array(let a): .array(a.map { substitute($0, base: base) })
        case .object(let o): .object(o.mapValues { substitute($0, base: base) })
        default: value
        }
    }
}
