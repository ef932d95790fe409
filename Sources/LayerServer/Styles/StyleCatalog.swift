import Crypto
import Foundation
import GeoCore
import Synchronization
import TileRender

/// The MapLibre styles the service draws and serves: every `*.json` of the styles directory
/// (the repository's `styles/`), loaded and validated at start, with the sprite sheets of
/// `styles/sprites/`. A style that does not load stops the start with its errors; one that uses
/// things outside the renderer's subset loads with its warnings logged.
public final class StyleCatalog: Sendable {
    /// One loaded style.
    public struct Entry: Sendable {
        /// The file name without `.json`: `/styles/{id}`.
        public let id: String
        /// The parsed style.
        public let style: Style
        /// Names this version of the style and its sprites: part of PNG cache keys and ETags.
        public let digest: String
        /// Draws the style.
        public let renderer: RasterRenderer
        /// Style source id to the layer that feeds it (the layer its URL names).
        public let layerSources: [String: String]
        /// The layers the style draws (a style layer of a bound source whose source-layer is
        /// the layer's id), in order of first use.
        public let drawnLayers: [String]
        /// The style sources of the risk pictures that a style layer draws (source-layer `risk_picture`).
        public let pictureSources: [String]
    }

    /// A sprite sheet's files.
    public struct SpriteFiles: Sendable {
        public var png: [UInt8]
        public var index: [UInt8]
    }

    /// The styles by id.
    public let entries: [String: Entry]
    /// The style a layer is drawn in on `/collections/{id}/map/tiles` (its layers for that source layer).
    public let defaultStyleID: String?
    /// The sprite sheet `layerserver` by pixel ratio (1, 2).
    public let sprites: [Int: SpriteFiles]
    private let sheets: [Double: SpriteSheet]
    /// Per-layer styles made on demand: by layer id and geometry family.
    private let layerStyles = Mutex<[String: Entry]>([:])

    /// Glyph ranges made so far (up to about 50 ms each), by face and first code point. Every
    /// font stack maps to one of four DejaVu faces, so there are at most 4 × 256 ranges, each made
    /// once, whatever names strangers send; one range is made at a time.
    private let glyphRanges = Mutex<[String: [UInt8]]>([:])
    private let glyphMaking = Mutex(())

    /// The SDF glyph range of `fontstack`'s face starting at `start` (cached).
    public func glyphs(fontstack: String, start: Int) throws -> [UInt8] {
        let face = GlyphRanges.face(of: fontstack)
        let key = "\(start)|\(face)"
        if let known = glyphRanges.withLock({ $0[key] }) { return known }
        return try glyphMaking.withLock { _ in
            if let known = glyphRanges.withLock({ $0[key] }) { return known }
            let made = try GlyphRanges.pbf(fontstack: face, range: start)
            glyphRanges.withLock { $0[key] = made }
            return made
        }
    }

    /// The sprite sheet's name in style documents: `{base}/sprites/layerserver`.
    public static let spriteName = "layerserver"

    /// Loads the styles of `directory` (nil: none, only the built-in per-layer styles).
    /// - Returns: The catalog and the warnings of each style (`id: warning`).
    public static func load(directory: URL?, defaultStyle: String = "operational-picture") throws -> (StyleCatalog, [String]) {
        var sprites: [Int: SpriteFiles] = [:]
        var entries: [String: Entry] = [:]
        var warnings: [String] = []
        if let directory {
            let spriteDirectory = directory.appendingPathComponent("sprites")
            for ratio in [1, 2] {
                let base = spriteDirectory.appendingPathComponent(spriteName + (ratio == 2 ? "@2x" : ""))
                guard let png = try? Data(contentsOf: base.appendingPathExtension("png")),
                      let index = try? Data(contentsOf: base.appendingPathExtension("json")) else { continue }
                sprites[ratio] = SpriteFiles(png: Array(png), index: Array(index))
            }
            let sheets = try Self.sheets(sprites)
            let files = try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
                .filter { $0.pathExtension == "json" }.sorted { $0.path < $1.path }
            for file in files {
                let id = file.deletingPathExtension().lastPathComponent
                // WMTS lists styles beside layers by id: a style id is never one a layer could take.
                if (try? Layer.validate(id: id)) != nil {
                    throw StoreError(.invalidInput, "style \(file.path): its id \"\(id)\" could be a layer id; name the file with a - or an upper-case letter (e.g. \(id.replacingOccurrences(of: "_", with: "-"))-style.json)")
                }
                guard id.utf8.count <= 64, id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else {
                    throw StoreError(.invalidInput, "style \(file.path): use letters, digits, - and _ in style file names (at most 64)")
                }
                let data = try Data(contentsOf: file)
                let style: Style
                do {
                    style = try Style.load(data)
                } catch let e as StyleValidationError {
                    throw StoreError(.invalidInput, "style \(file.path) is invalid:\n" + e.errors.joined(separator: "\n"))
                }
                warnings += style.warnings.map { "\(id): \($0)" }
                entries[id] = entry(id: id, style: style, bytes: data, sprites: sprites, sheets: sheets)
            }
        }
        let sheets = try Self.sheets(sprites)
        return (StyleCatalog(entries: entries, defaultStyleID: entries[defaultStyle] == nil ? nil : defaultStyle, sprites: sprites, sheets: sheets), warnings)
    }

    private init(entries: [String: Entry], defaultStyleID: String?, sprites: [Int: SpriteFiles], sheets: [Double: SpriteSheet]) {
        self.entries = entries
        self.defaultStyleID = defaultStyleID
        self.sprites = sprites
        self.sheets = sheets
    }

    private static func sheets(_ sprites: [Int: SpriteFiles]) throws -> [Double: SpriteSheet] {
        var out: [Double: SpriteSheet] = [:]
        for (ratio, files) in sprites { out[Double(ratio)] = try SpriteSheet(png: files.png, index: Data(files.index)) }
        return out
    }

    private static func entry(id: String, style: Style, bytes: Data, sprites: [Int: SpriteFiles], sheets: [Double: SpriteSheet]) -> Entry {
        var h = SHA256()
        h.update(data: bytes)
        for ratio in sprites.keys.sorted() {
            h.update(data: sprites[ratio]!.png)
            h.update(data: sprites[ratio]!.index)
        }
        let (layerSources, pictures) = bindings(style)
        var seen = Set<String>(), seenPictures = Set<String>()
        var drawn: [String] = [], drawnPictures: [String] = []
        for layer in style.layers {
            guard let source = layer.source, let sourceLayer = layer.sourceLayer else { continue }
            if layerSources[source] == sourceLayer, seen.insert(sourceLayer).inserted { drawn.append(sourceLayer) }
            if pictures.contains(source), sourceLayer == PictureService.tileLayer, seenPictures.insert(source).inserted { drawnPictures.append(source) }
        }
        return Entry(id: id, style: style, digest: LayerService.hex(h.finalize().prefix(8)), renderer: RasterRenderer(style: style, sprites: sheets),
                     layerSources: layerSources, drawnLayers: drawn, pictureSources: drawnPictures)
    }

    /// Which style sources this service feeds: a source whose `url` or first `tiles` template names
    /// `/collections/{id}/` is layer `id`; one that names `{base}/pictures/` is the risk pictures.
    /// Other sources (another server's) are drawn from nothing.
    public static func bindings(_ style: Style) -> (layers: [String: String], pictures: Set<String>) {
        var layers: [String: String] = [:]
        var pictures = Set<String>()
        for (name, source) in style.sources {
            let url = sourceURL(source)
            if let id = collection(in: url) { layers[name] = id } else if url.contains("{base}/pictures/") { pictures.insert(name) }
        }
        return (layers, pictures)
    }

    /// The `url` of a source, else its first `tiles` template.
    static func sourceURL(_ source: JSONValue) -> String {
        source["url"]?.string ?? source["tiles"]?.array?.first?.string ?? ""
    }

    /// The layer id of a `{base}/collections/{id}/...` URL.
    static func collection(in url: String) -> String? {
        guard url.hasPrefix("{base}/collections/") else { return nil }
        let rest = url.dropFirst("{base}/collections/".count)
        guard let id = rest.split(separator: "/").first, !id.isEmpty else { return nil }
        return String(id)
    }

    /// The style a layer is drawn in alone: the default style's layers for it, or, when that
    /// style has none, a plain style for its geometry (circles, lines, or filled areas).
    public func layerStyle(_ layer: Layer) throws -> Entry {
        let family = Self.family(layer.current.geometryType)
        let key = "\(layer.id)|\(family)"
        if let known = layerStyles.withLock({ $0[key] }) { return known }
        var document: JSONValue
        if let id = defaultStyleID, let base = entries[id],
           case .array(let all)? = base.style.document["layers"],
           case let mine = all.filter({ l in
               l["source-layer"]?.string == layer.id && l["source"]?.string.map { base.layerSources[$0] == layer.id } == true
           }), !mine.isEmpty {
            document = Self.replacing(base.style.document, layers: mine)
        } else {
            document = Self.plainStyle(layer.id, family: family)
        }
        // Sorted keys: the digest (in every cache key and ETag of the layer's images) must be the
        // same in every process, or a restart would miss the disk tier and seeded images.
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let data = try encoder.encode(document)
        let style = try Style.load(data)
        let made = Self.entry(id: "layer:" + layer.id, style: style, bytes: data, sprites: sprites, sheets: sheets)
        layerStyles.withLock { s in
            if s.count > 1_000 { s.removeAll() }
            s[key] = made
        }
        return made
    }

    static func family(_ type: GeometryType) -> String {
        switch type {
        case .point, .multiPoint: "point"
        case .lineString, .multiLineString: "line"
        case .polygon, .multiPolygon: "polygon"
        default: "any"
        }
    }

    static func replacing(_ document: JSONValue, layers: [JSONValue]) -> JSONValue {
        guard case .object(var o) = document else { return document }
        o["layers"] = .array(layers)
        return .object(o)
    }

    /// A sober style for one layer when the default style has nothing for it.
    static func plainStyle(_ layer: String, family: String) -> JSONValue {
        func l(_ id: String, _ type: String, _ paint: [String: JSONValue], filter: String? = nil) -> JSONValue {
            var o: [String: JSONValue] = ["id": .string(id), "type": .string(type), "source": .string(layer),
                                          "source-layer": .string(layer), "paint": .object(paint)]
            if let filter { o["filter"] = .array([.string("=="), .array([.string("geometry-type")]), .string(filter)]) }
            return .object(o)
        }
        let point = l("\(layer)-point", "circle", ["circle-radius": .number(4), "circle-color": .string("#3366cc"),
                                                    "circle-stroke-color": .string("#ffffff"), "circle-stroke-width": .number(1)], filter: "Point")
        let line = l("\(layer)-line", "line", ["line-color": .string("#3366cc"), "line-width": .number(2)], filter: "LineString")
        let fill = l("\(layer)-fill", "fill", ["fill-color": .string("#3366cc"), "fill-opacity": .number(0.3),
                                                "fill-outline-color": .string("#1f3d7a")], filter: "Polygon")
        let layers: [JSONValue] = switch family {
        case "point": [point]
        case "line": [line]
        case "polygon": [fill]
        default: [fill, line, point]
        }
        return .object(["version": .number(8), "name": .string(layer),
                        "sources": .object([layer: .object(["type": .string("vector"),
                                                            "url": .string("{base}/collections/\(layer)/tiles/WebMercatorQuad/tilejson")])]),
                        "layers": .array(layers)])
    }
}
