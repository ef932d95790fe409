import CCairo
import GeoCore

/// Draws the background, fill, line and circle layers of a style onto one tile's cairo context.
///
/// Properties are evaluated per feature through ``StyleLayer`` (data-driven or not); sizes are CSS pixels times the
/// pixel ratio. Each feature is one cairo path, so a translucent line or fill never darkens where it crosses itself.
struct RasterLayerPainter {
    let cr: OpaquePointer
    let transform: TilePixelTransform
    let zoom: Double
    let ratio: Double

    private static let black = StyleColor(r: 0, g: 0, b: 0, a: 1)

    /// Calls `body` for every single-type part of every feature that passes the layer's filter; geometry
    /// collections are split so each part is filtered with its own geometry type.
    static func forEachMatching(_ features: [RenderFeature], _ layer: StyleLayer, zoom: Double,
                                _ body: (StyleFeature, Geometry) -> Void) {
        for feature in features {
            visit(feature.geometry) { type, part in
                let styleFeature = StyleFeature(id: feature.id, properties: feature.properties, geometryType: type)
                if layer.matches(styleFeature, zoom: zoom) { body(styleFeature, part) }
            }
        }
    }

    private static func visit(_ geometry: Geometry, _ body: (StyleGeometryType, Geometry) -> Void) {
        switch geometry {
        case .point(let p): if p != nil { body(.point, geometry) }
        case .multiPoint(let ps): if !ps.isEmpty { body(.point, geometry) }
        case .lineString(let ps): if ps.count >= 2 { body(.lineString, geometry) }
        case .multiLineString(let ls): if ls.contains(where: { $0.count >= 2 }) { body(.lineString, geometry) }
        case .polygon(let p): if p.exterior.count >= 3 { body(.polygon, geometry) }
        case .multiPolygon(let ps): if ps.contains(where: { $0.exterior.count >= 3 }) { body(.polygon, geometry) }
        case .geometryCollection(let gs): for g in gs { visit(g, body) }
        }
    }

    /// Sets a straight-alpha colour with an extra opacity as the source.
    @inline(__always)
    func setSource(_ c: StyleColor, _ opacity: Double) {
        cairo_set_source_rgba(cr, c.r, c.g, c.b, c.a * opacity)
    }

    /// Clamps an opacity to 0...1 (NaN → 0).
    @inline(__always)
    static func unit(_ v: Double?, _ fallback: Double = 1) -> Double {
        let v = v ?? fallback
        return v.isNaN ? 0 : min(1, max(0, v))
    }

    /// A non-negative, finite size in device pixels.
    @inline(__always)
    func pixels(_ v: Double?, _ fallback: Double) -> Double {
        let v = (v ?? fallback) * ratio
        return v.isFinite && v > 0 ? min(v, 10_000) : 0
    }

    /// `background`: background-color at background-opacity over the whole tile.
    func background(_ layer: StyleLayer) {
        let color = layer.color("background-color", nil, zoom: zoom) ?? Self.black
        let opacity = Self.unit(layer.number("background-opacity", nil, zoom: zoom))
        guard color.a * opacity > 0 else { return }
        setSource(color, opacity)
        cairo_paint(cr)
    }

    /// `fill`: polygons filled with the even-odd rule (holes open); a 1 CSS px outline when fill-outline-color is set.
    func fill(_ layer: StyleLayer, _ features: [RenderFeature]) {
        cairo_set_fill_rule(cr, CAIRO_FILL_RULE_EVEN_ODD)
        Self.forEachMatching(features, layer, zoom: zoom) { feature, geometry in
            guard feature.geometryType == .polygon else { return }
            let color = layer.color("fill-color", feature, zoom: zoom) ?? Self.black
            let opacity = Self.unit(layer.number("fill-opacity", feature, zoom: zoom))
            let outline = layer.color("fill-outline-color", feature, zoom: zoom)
            let drawsFill = color.a * opacity > 0
            let drawsOutline = (outline?.a ?? 0) * opacity > 0
            guard drawsFill || drawsOutline else { return }
            switch geometry {
            case .polygon(let p): transform.addPolygon(p, to: cr)
            case .multiPolygon(let ps): for p in ps { transform.addPolygon(p, to: cr) }
            default: return
            }
            if drawsFill {
                setSource(color, opacity)
                cairo_fill_preserve(cr)
            }
            if drawsOutline, let outline {
                setSource(outline, opacity)
                cairo_set_line_width(cr, ratio)
                cairo_set_dash(cr, nil, 0, 0)
                cairo_set_line_join(cr, CAIRO_LINE_JOIN_MITER)
                cairo_stroke_preserve(cr)
            }
            cairo_new_path(cr)
        }
    }

    /// `line`: line strings and polygon rings stroked with line-width, -color, -opacity, -cap, -join,
    /// -miter-limit and line-dasharray (in line widths, as MapLibre scales it).
    func line(_ layer: StyleLayer, _ features: [RenderFeature]) {
        Self.forEachMatching(features, layer, zoom: zoom) { feature, geometry in
            guard feature.geometryType != .point else { return }
            let width = pixels(layer.number("line-width", feature, zoom: zoom), 1)
            let color = layer.color("line-color", feature, zoom: zoom) ?? Self.black
            let opacity = Self.unit(layer.number("line-opacity", feature, zoom: zoom))
            guard width > 0, color.a * opacity > 0 else { return }
            switch geometry {
            case .lineString(let ps): transform.addLine(ps, close: false, to: cr)
            case .multiLineString(let ls): for l in ls { transform.addLine(l, close: false, to: cr) }
            case .polygon(let p): for r in p.rings { transform.addLine(r, close: true, to: cr) }
            case .multiPolygon(let ps): for p in ps { for r in p.rings { transform.addLine(r, close: true, to: cr) } }
            default: return
            }
            let cap = Self.cap(layer.string("line-cap", feature, zoom: zoom))
            cairo_set_line_width(cr, width)
            cairo_set_line_cap(cr, cap)
            cairo_set_line_join(cr, Self.join(layer.string("line-join", feature, zoom: zoom)))
            let miter = layer.number("line-miter-limit", feature, zoom: zoom) ?? 2
            cairo_set_miter_limit(cr, miter.isFinite && miter >= 1 ? min(miter, 100) : 2)
            setDash(layer.numbers("line-dasharray", feature, zoom: zoom), width: width, cap: cap)
            setSource(color, opacity)
            cairo_stroke(cr)
        }
        cairo_set_dash(cr, nil, 0, 0)
    }

    /// Dashes scaled by the line width; ignored (solid) when not all finite and ≥ 0, all zero, or a period
    /// shorter than half a pixel (which would only cost time and look solid). With round or square caps the caps
    /// count as part of the dash, as in MapLibre: each dash is shortened by one width (a zero dash is a dot) and
    /// each gap lengthened by it.
    private func setDash(_ pattern: [Double]?, width: Double, cap: cairo_line_cap_t) {
        guard let pattern, !pattern.isEmpty, pattern.count <= 64,
              pattern.allSatisfy({ $0.isFinite && $0 >= 0 }) else {
            cairo_set_dash(cr, nil, 0, 0)
            return
        }
        // An odd pattern swaps dashes and gaps on every repeat: spell out two repeats so index parity holds.
        var scaled = (pattern.count % 2 == 0 ? pattern : pattern + pattern).map { $0 * width }
        guard scaled.reduce(0, +) >= 0.5 else {
            cairo_set_dash(cr, nil, 0, 0)
            return
        }
        if cap != CAIRO_LINE_CAP_BUTT {
            for i in scaled.indices { scaled[i] = i % 2 == 0 ? max(0, scaled[i] - width) : scaled[i] + width }
        }
        scaled.withUnsafeBufferPointer { cairo_set_dash(cr, $0.baseAddress, Int32($0.count), 0) }
    }

    private static func cap(_ value: String?) -> cairo_line_cap_t {
        switch value {
        case "round": CAIRO_LINE_CAP_ROUND
        case "square": CAIRO_LINE_CAP_SQUARE
        default: CAIRO_LINE_CAP_BUTT
        }
    }

    private static func join(_ value: String?) -> cairo_line_join_t {
        switch value {
        case "round": CAIRO_LINE_JOIN_ROUND
        case "bevel": CAIRO_LINE_JOIN_BEVEL
        default: CAIRO_LINE_JOIN_MITER
        }
    }

    /// `circle`: a disc of circle-radius at every point, with a circle-stroke-width ring outside the radius
    /// (as MapLibre draws it). Circles are drawn one by one in feature order, so a later circle covers an earlier;
    /// each look is drawn once into a stamp (``CircleStamps``) and composited at every point.
    func circle(_ layer: StyleLayer, _ features: [RenderFeature]) {
        let stamps = CircleStamps()
        // A layer whose look depends on no feature is evaluated once.
        let names = ["circle-radius", "circle-stroke-width", "circle-color", "circle-opacity", "circle-stroke-color", "circle-stroke-opacity"]
        let constant = names.allSatisfy { layer.isFeatureConstant($0) } ? look(layer, nil) : nil
        Self.forEachMatching(features, layer, zoom: zoom) { feature, geometry in
            guard feature.geometryType == .point, let disc = constant ?? look(layer, feature) else { return }
            switch geometry {
            case .point(let p): if let p { draw(disc, at: p, stamps) }
            case .multiPoint(let ps): for p in ps { draw(disc, at: p, stamps) }
            default: return
            }
        }
    }

    /// The evaluated look of a circle; nil when nothing of it would show.
    private func look(_ layer: StyleLayer, _ feature: StyleFeature?) -> CircleStamps.Look? {
        let radius = pixels(layer.number("circle-radius", feature, zoom: zoom), 5)
        let stroke = pixels(layer.number("circle-stroke-width", feature, zoom: zoom), 0)
        let color = layer.color("circle-color", feature, zoom: zoom) ?? Self.black
        let opacity = Self.unit(layer.number("circle-opacity", feature, zoom: zoom))
        let strokeColor = layer.color("circle-stroke-color", feature, zoom: zoom) ?? Self.black
        let strokeOpacity = Self.unit(layer.number("circle-stroke-opacity", feature, zoom: zoom))
        let fillAlpha = color.a * opacity, strokeAlpha = stroke > 0 ? strokeColor.a * strokeOpacity : 0
        guard radius + stroke > 0, fillAlpha > 0 || strokeAlpha > 0 else { return nil }
        return CircleStamps.Look(radius: radius, stroke: stroke, color: color, opacity: opacity,
                                 strokeColor: strokeColor, strokeOpacity: strokeOpacity,
                                 fills: fillAlpha > 0 && radius > 0, strokes: strokeAlpha > 0)
    }

    private func draw(_ d: CircleStamps.Look, at position: Position, _ stamps: CircleStamps) {
        guard let c = transform.pixel(position), transform.touchesImage(x: c.x, y: c.y, radius: d.radius + d.stroke) else {
            return
        }
        let drawn = stamps.paint(d, x: c.x, y: c.y, on: cr) { target, x, y in Self.disc(d, x: x, y: y, on: target) }
        if !drawn { Self.disc(d, x: c.x, y: c.y, on: cr) }
    }

    /// Draws one circle with cairo paths.
    private static func disc(_ d: CircleStamps.Look, x: Double, y: Double, on cr: OpaquePointer) {
        func source(_ c: StyleColor, _ opacity: Double) { cairo_set_source_rgba(cr, c.r, c.g, c.b, c.a * opacity) }
        if d.strokes, d.fills, d.color.a * d.opacity >= 1, d.strokeColor.a * d.strokeOpacity >= 1 {
            // Both opaque: two fills (outer ring colour, then the disc) are cheaper than a stroke.
            cairo_new_path(cr)
            cairo_arc(cr, x, y, d.radius + d.stroke, 0, 2 * Double.pi)
            source(d.strokeColor, 1)
            cairo_fill(cr)
            cairo_arc(cr, x, y, d.radius, 0, 2 * Double.pi)
            source(d.color, 1)
            cairo_fill(cr)
            return
        }
        if d.fills {
            cairo_new_path(cr)
            cairo_arc(cr, x, y, d.radius, 0, 2 * Double.pi)
            source(d.color, d.opacity)
            cairo_fill(cr)
        }
        if d.strokes {
            cairo_new_sub_path(cr)
            cairo_arc(cr, x, y, d.radius + d.stroke / 2, 0, 2 * Double.pi)
            cairo_set_line_width(cr, d.stroke)
            cairo_set_dash(cr, nil, 0, 0)
            source(d.strokeColor, d.strokeOpacity)
            cairo_stroke(cr)
        }
    }
}
