import CCairo
import GeoCore

/// Places and draws symbol layers (icons from the sprite sheet and text labels) on one tile.
///
/// Placement: symbols are placed in layer order, then feature order; a symbol whose icon or label box (plus its
/// padding) overlaps an already placed box is skipped, unless `icon-allow-overlap` / `text-allow-overlap` allow
/// it; `*-ignore-placement` keeps a placed box out of the index. A symbol is drawn only when all its parts are.
///
/// Tile edges (MapServer's `PARTIALS FALSE`): a label is drawn only when its whole ink box, halo included, lies
/// inside the tile, so no label is ever cut; a label straddling an edge is drawn by neither tile. Icons follow
/// the same rule unless `icon-allow-overlap` is true: such icons are always drawn, and since every tile draws
/// them (features come with a buffer) an icon crossing an edge continues seamlessly in the neighbour tile.
struct RasterSymbolPainter {
    let cr: OpaquePointer
    let transform: TilePixelTransform
    let zoom: Double
    let ratio: Double
    /// The sprite sheet for this pixel ratio and a cairo source over its pixels (destroyed by `finish()`).
    private let sprite: SpriteSheet?
    private var spriteSource: OpaquePointer?
    private var index: CollisionIndex

    /// A painter for one tile; `sprite` is the sheet chosen for the request's pixel ratio.
    init(cr: OpaquePointer, transform: TilePixelTransform, zoom: Double, ratio: Double, sprite: SpriteSheet?) {
        self.cr = cr
        self.transform = transform
        self.zoom = zoom
        self.ratio = ratio
        self.sprite = sprite
        index = CollisionIndex(size: transform.size)
    }

    /// Releases the sprite source surface; call once when the tile is done.
    mutating func finish() {
        if let spriteSource { cairo_surface_destroy(spriteSource) }
        spriteSource = nil
    }

    /// One icon to draw.
    private struct PlacedIcon {
        var name: String
        var x: Double
        var y: Double
        var scale: Double
        var opacity: Double
    }

    /// One label to draw.
    private struct PlacedText {
        var block: TextBlock
        var x: Double
        var y: Double
        var font: FontChoice
        var size: Double
        var color: StyleColor
        var halo: StyleColor
        var haloWidth: Double
        var opacity: Double
    }

    /// Places the symbols of one layer, then draws its icons and, over them, its labels.
    mutating func draw(_ layer: StyleLayer, _ features: [RenderFeature]) throws(TileRenderError) {
        var icons: [PlacedIcon] = []
        var texts: [PlacedText] = []
        RasterLayerPainter.forEachMatching(features, layer, zoom: zoom) { feature, geometry in
            let icon = iconCandidate(layer, feature)
            let text = textCandidate(layer, feature)
            guard icon != nil || text != nil else { return }
            for (x, y) in anchors(geometry) {
                place(icon: icon, text: text, x: x, y: y, icons: &icons, texts: &texts)
            }
        }
        if !icons.isEmpty, let sprite {
            if spriteSource == nil { spriteSource = try sprite.pixels.sourceSurface() }
            guard let spriteSource else { return }
            for i in icons {
                sprite.draw(i.name, source: spriteSource, on: cr, x: i.x, y: i.y, scale: i.scale, opacity: i.opacity)
            }
        }
        for t in texts {
            t.font.select(on: cr)
            cairo_set_font_size(cr, t.size)
            cairo_new_path(cr)
            t.block.addPath(x: t.x, y: t.y, on: cr)
            if t.haloWidth > 0, t.halo.a > 0 {
                cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND)
                cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND)
                cairo_set_dash(cr, nil, 0, 0)
                cairo_set_line_width(cr, 2 * t.haloWidth)
                cairo_set_source_rgba(cr, t.halo.r, t.halo.g, t.halo.b, t.halo.a * t.opacity)
                cairo_stroke_preserve(cr)
            }
            cairo_set_source_rgba(cr, t.color.r, t.color.g, t.color.b, t.color.a * t.opacity)
            cairo_fill(cr)
        }
    }

    /// An evaluated icon: its sprite name, device-pixel size and offset, anchor and placement flags.
    private struct IconCandidate {
        var name: String
        var width: Double
        var height: Double
        var scale: Double
        var anchor: String
        var dx: Double
        var dy: Double
        var opacity: Double
        var allowOverlap: Bool
        var ignorePlacement: Bool
        var padding: Double
    }

    private func iconCandidate(_ layer: StyleLayer, _ feature: StyleFeature) -> IconCandidate? {
        guard let sprite, let name = layer.string("icon-image", feature, zoom: zoom), !name.isEmpty,
              let icon = sprite.icons[name] else { return nil }
        let size = layer.number("icon-size", feature, zoom: zoom) ?? 1
        guard size.isFinite, size > 0, size <= 100 else { return nil }
        let offset = layer.numbers("icon-offset", feature, zoom: zoom) ?? [0, 0]
        let scale = ratio / icon.pixelRatio * size
        let opacity = RasterLayerPainter.unit(layer.number("icon-opacity", feature, zoom: zoom))
        guard opacity > 0 else { return nil }
        return IconCandidate(
            name: name, width: Double(icon.width) * scale, height: Double(icon.height) * scale, scale: scale,
            anchor: layer.string("icon-anchor", feature, zoom: zoom) ?? "center",
            dx: Self.finite(offset.first) * size * ratio, dy: Self.finite(offset.dropFirst().first) * size * ratio,
            opacity: opacity,
            allowOverlap: layer.bool("icon-allow-overlap", feature, zoom: zoom) ?? false,
            ignorePlacement: layer.bool("icon-ignore-placement", feature, zoom: zoom) ?? false,
            padding: max(0, Self.finite(layer.number("icon-padding", feature, zoom: zoom), 2)) * ratio)
    }

    /// An evaluated, laid-out label.
    private struct TextCandidate {
        var block: TextBlock
        var font: FontChoice
        var size: Double
        var anchor: String
        var dx: Double
        var dy: Double
        var color: StyleColor
        var halo: StyleColor
        var haloWidth: Double
        var opacity: Double
        var allowOverlap: Bool
        var ignorePlacement: Bool
        var padding: Double
    }

    private func textCandidate(_ layer: StyleLayer, _ feature: StyleFeature) -> TextCandidate? {
        guard var text = layer.string("text-field", feature, zoom: zoom), !text.isEmpty else { return nil }
        switch layer.string("text-transform", feature, zoom: zoom) {
        case "uppercase": text = text.uppercased()
        case "lowercase": text = text.lowercased()
        default: break
        }
        let cssSize = Self.finite(layer.number("text-size", feature, zoom: zoom), 16)
        let size = cssSize * ratio
        let opacity = RasterLayerPainter.unit(layer.number("text-opacity", feature, zoom: zoom))
        guard size >= 1, size <= 500, opacity > 0 else { return nil }
        let font = FontChoice(stack: layer.strings("text-font", feature, zoom: zoom))
        font.select(on: cr)
        cairo_set_font_size(cr, size)
        let anchor = layer.string("text-anchor", feature, zoom: zoom) ?? "center"
        var justify = layer.string("text-justify", feature, zoom: zoom) ?? "center"
        if justify == "auto" {
            justify = anchor.hasSuffix("left") ? "left" : anchor.hasSuffix("right") ? "right" : "center"
        }
        let maxWidth = Self.finite(layer.number("text-max-width", feature, zoom: zoom), 10) * size
        let lineHeight = max(0.5, Self.finite(layer.number("text-line-height", feature, zoom: zoom), 1.2)) * size
        guard let block = TextBlock(text, on: cr, maxWidth: maxWidth, lineHeight: lineHeight, justify: justify) else {
            return nil
        }
        let offset = layer.numbers("text-offset", feature, zoom: zoom) ?? [0, 0]
        let transparent = StyleColor(r: 0, g: 0, b: 0, a: 0)
        // MapLibre caps the halo at a quarter of the font size.
        let haloWidth = min(size / 4, max(0, Self.finite(layer.number("text-halo-width", feature, zoom: zoom), 0) * ratio))
        return TextCandidate(
            block: block, font: font, size: size, anchor: anchor,
            dx: Self.finite(offset.first) * size, dy: Self.finite(offset.dropFirst().first) * size,
            color: layer.color("text-color", feature, zoom: zoom) ?? StyleColor(r: 0, g: 0, b: 0),
            halo: layer.color("text-halo-color", feature, zoom: zoom) ?? transparent,
            haloWidth: haloWidth, opacity: opacity,
            allowOverlap: layer.bool("text-allow-overlap", feature, zoom: zoom) ?? false,
            ignorePlacement: layer.bool("text-ignore-placement", feature, zoom: zoom) ?? false,
            padding: max(0, Self.finite(layer.number("text-padding", feature, zoom: zoom), 2)) * ratio)
    }

    private static func finite(_ v: Double?, _ fallback: Double = 0) -> Double {
        guard let v, v.isFinite else { return fallback }
        return min(1e5, max(-1e5, v))
    }

    /// The top-left corner of a `width` × `height` box whose `anchor` point is at (x, y).
    private static func topLeft(_ anchor: String, x: Double, y: Double, width: Double, height: Double) -> (Double, Double) {
        let fx: Double = anchor.hasSuffix("left") ? 0 : anchor.hasSuffix("right") ? 1 : 0.5
        let fy: Double = anchor.hasPrefix("top") ? 0 : anchor.hasPrefix("bottom") ? 1 : 0.5
        return (x - width * fx, y - height * fy)
    }

    private mutating func place(icon: IconCandidate?, text: TextCandidate?, x: Double, y: Double,
                                icons: inout [PlacedIcon], texts: inout [PlacedText]) {
        var iconPlace: (x: Double, y: Double, box: PixelBox)?
        if let icon {
            var (ix, iy) = Self.topLeft(icon.anchor, x: x + icon.dx, y: y + icon.dy, width: icon.width, height: icon.height)
            ix = ix.rounded()
            iy = iy.rounded()
            let box = PixelBox(minX: ix, minY: iy, maxX: ix + icon.width, maxY: iy + icon.height)
            if !icon.allowOverlap {
                guard box.isInside(size: transform.size), !index.collides(box.expanded(by: icon.padding)) else { return }
            } else if !transform.touchesImage(x: (box.minX + box.maxX) / 2, y: (box.minY + box.maxY) / 2,
                                              radius: max(icon.width, icon.height)) {
                return
            }
            iconPlace = (ix, iy, box)
        }
        var textPlace: (x: Double, y: Double, box: PixelBox)?
        if let text {
            var (tx, ty) = Self.topLeft(text.anchor, x: x + text.dx, y: y + text.dy,
                                        width: text.block.width, height: text.block.height)
            // Whole pixels for the block's left edge and the first baseline keep small text crisp.
            tx = tx.rounded()
            let baseline = text.block.lines.first?.baseline ?? 0
            ty = (ty + baseline).rounded() - baseline
            let ink = text.block.ink.offset(tx, ty).expanded(by: text.haloWidth + 1)
            guard ink.isInside(size: transform.size) else { return }
            let box = PixelBox(minX: tx, minY: ty, maxX: tx + text.block.width, maxY: ty + text.block.height)
            if !text.allowOverlap, index.collides(box.expanded(by: text.padding)) { return }
            textPlace = (tx, ty, box)
        }
        if let icon, let p = iconPlace {
            if !icon.ignorePlacement { index.insert(p.box) }
            icons.append(PlacedIcon(name: icon.name, x: p.x, y: p.y, scale: icon.scale, opacity: icon.opacity))
        }
        if let text, let p = textPlace {
            if !text.ignorePlacement { index.insert(p.box) }
            texts.append(PlacedText(block: text.block, x: p.x, y: p.y, font: text.font, size: text.size,
                                    color: text.color, halo: text.halo, haloWidth: text.haloWidth, opacity: text.opacity))
        }
    }

    /// Where a part's symbols go, in pixels: every point; the middle (by length) of every line; the area centroid
    /// of every polygon's exterior ring (the mean of its vertices when the ring has no area).
    private func anchors(_ geometry: Geometry) -> [(Double, Double)] {
        switch geometry {
        case .point(let p): return p.flatMap(transform.pixel).map { [$0] } ?? []
        case .multiPoint(let ps): return ps.compactMap(transform.pixel)
        case .lineString(let ps): return midpoint(ps).map { [$0] } ?? []
        case .multiLineString(let ls): return ls.compactMap(midpoint)
        case .polygon(let p): return centroid(p.exterior).map { [$0] } ?? []
        case .multiPolygon(let ps): return ps.compactMap { centroid($0.exterior) }
        case .geometryCollection: return []
        }
    }

    private func midpoint(_ positions: [Position]) -> (Double, Double)? {
        let points = positions.compactMap(transform.pixel)
        guard let first = points.first else { return nil }
        var total = 0.0
        for (a, b) in zip(points, points.dropFirst()) { total += ((b.x - a.x) * (b.x - a.x) + (b.y - a.y) * (b.y - a.y)).squareRoot() }
        var remaining = total / 2
        for (a, b) in zip(points, points.dropFirst()) {
            let d = ((b.x - a.x) * (b.x - a.x) + (b.y - a.y) * (b.y - a.y)).squareRoot()
            if d > 0, remaining <= d {
                let t = remaining / d
                return (a.x + (b.x - a.x) * t, a.y + (b.y - a.y) * t)
            }
            remaining -= d
        }
        return (first.x, first.y)
    }

    private func centroid(_ ring: [Position]) -> (Double, Double)? {
        let points = ring.compactMap(transform.pixel)
        guard let origin = points.first else { return nil }
        // Relative to the first vertex, so large pixel coordinates do not cost precision.
        var area = 0.0, cx = 0.0, cy = 0.0
        for (a, b) in zip(points, points.dropFirst() + [origin]) {
            let ax = a.x - origin.x, ay = a.y - origin.y, bx = b.x - origin.x, by = b.y - origin.y
            let cross = ax * by - bx * ay
            area += cross
            cx += (ax + bx) * cross
            cy += (ay + by) * cross
        }
        if abs(area) > 1e-9 {
            return (origin.x + cx / (3 * area), origin.y + cy / (3 * area))
        }
        let n = Double(points.count)
        return (points.reduce(0) { $0 + $1.x } / n, points.reduce(0) { $0 + $1.y } / n)
    }
}
