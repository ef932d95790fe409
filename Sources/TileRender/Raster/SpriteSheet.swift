import CCairo
import Foundation
import GeoCore

/// A MapLibre sprite: one PNG holding every icon and a JSON index
/// `{name: {"x", "y", "width", "height", "pixelRatio"}}` (pixels of the PNG; `pixelRatio` defaults to 1).
public struct SpriteSheet: Sendable {
    /// Where one icon lies in the sheet.
    struct Icon: Sendable, Equatable {
        var x: Int
        var y: Int
        var width: Int
        var height: Int
        var pixelRatio: Double
    }

    /// The icons by name.
    let icons: [String: Icon]
    /// The sheet's pixels.
    let pixels: SpritePixels

    /// Decodes the PNG with cairo and parses the index. Throws `TileRenderError(.invalidSprite)` when the PNG does
    /// not decode, the index is not a JSON object of icon entries, or an icon lies outside the image.
    public init(png: [UInt8], index: Data) throws {
        let decoded = try CairoSupport.surface(png: png, code: .invalidSprite)
        defer { cairo_surface_destroy(decoded) }
        let pixels = try SpritePixels(copying: decoded)
        let json: JSONValue
        do {
            json = try JSONValue.parse(index)
        } catch {
            throw TileRenderError(.invalidSprite, "sprite index is not JSON: \(error)")
        }
        guard case .object(let entries) = json else {
            throw TileRenderError(.invalidSprite, "sprite index is not a JSON object")
        }
        var icons: [String: Icon] = [:]
        for (name, entry) in entries {
            icons[name] = try Self.icon(name, entry, width: pixels.width, height: pixels.height)
        }
        self.icons = icons
        self.pixels = pixels
    }

    /// The icon names, sorted.
    public var names: [String] { icons.keys.sorted() }

    /// The size of an icon in CSS pixels (its pixel size divided by its pixel ratio), or nil for an unknown name.
    func cssSize(_ name: String) -> (width: Double, height: Double)? {
        guard let icon = icons[name] else { return nil }
        return (Double(icon.width) / icon.pixelRatio, Double(icon.height) / icon.pixelRatio)
    }

    /// Paints icon `name` with its top-left corner at (`x`, `y`) in device pixels, `scale` device pixels per
    /// sprite pixel, at `opacity`. `source` is a surface from `pixels.sourceSurface()`.
    func draw(_ name: String, source: OpaquePointer, on cr: OpaquePointer, x: Double, y: Double, scale: Double,
              opacity: Double = 1) {
        guard let icon = icons[name], scale > 0 else { return }
        cairo_save(cr)
        cairo_translate(cr, x, y)
        cairo_scale(cr, scale, scale)
        cairo_set_source_surface(cr, source, -Double(icon.x), -Double(icon.y))
        // Nearest sampling keeps unscaled icons on the pixel grid crisp; bilinear smooths scaled ones.
        if let pattern = cairo_get_source(cr) {
            cairo_pattern_set_filter(pattern, abs(scale - 1) < 1e-9 ? CAIRO_FILTER_NEAREST : CAIRO_FILTER_GOOD)
            cairo_pattern_set_extend(pattern, CAIRO_EXTEND_PAD)
        }
        cairo_new_path(cr)
        cairo_rectangle(cr, 0, 0, Double(icon.width), Double(icon.height))
        cairo_clip(cr)
        cairo_paint_with_alpha(cr, opacity)
        cairo_restore(cr)
    }

    private static func icon(_ name: String, _ entry: JSONValue, width: Int, height: Int) throws(TileRenderError) -> Icon {
        func integer(_ key: String) throws(TileRenderError) -> Int {
            guard let n = entry[key]?.number, n.isFinite, n >= 0, n <= 1_000_000, n == n.rounded() else {
                throw TileRenderError(.invalidSprite, "sprite icon \"\(name)\": \(key) must be a non-negative integer")
            }
            return Int(n)
        }
        guard case .object = entry else {
            throw TileRenderError(.invalidSprite, "sprite icon \"\(name)\" is not an object")
        }
        let icon = Icon(x: try integer("x"), y: try integer("y"), width: try integer("width"),
                        height: try integer("height"), pixelRatio: entry["pixelRatio"]?.number ?? 1)
        guard icon.pixelRatio.isFinite, icon.pixelRatio > 0, icon.pixelRatio <= 16 else {
            throw TileRenderError(.invalidSprite, "sprite icon \"\(name)\": pixelRatio must be a positive number")
        }
        guard icon.width > 0, icon.height > 0, icon.x + icon.width <= width, icon.y + icon.height <= height else {
            throw TileRenderError(.invalidSprite, "sprite icon \"\(name)\" lies outside the \(width)×\(height) sheet")
        }
        return icon
    }
}
