/// An axis-aligned box in device pixels of the tile image (y down).
struct PixelBox: Equatable {
    var minX: Double
    var minY: Double
    var maxX: Double
    var maxY: Double

    /// True when the two boxes share interior area (touching edges do not overlap).
    @inline(__always)
    func intersects(_ other: PixelBox) -> Bool {
        minX < other.maxX && other.minX < maxX && minY < other.maxY && other.minY < maxY
    }

    /// True when the whole box lies inside a `size` × `size` image.
    func isInside(size: Double) -> Bool {
        minX >= 0 && minY >= 0 && maxX <= size && maxY <= size
    }

    /// The box grown by `d` on every side.
    func expanded(by d: Double) -> PixelBox {
        PixelBox(minX: minX - d, minY: minY - d, maxX: maxX + d, maxY: maxY + d)
    }

    /// The box moved by (`dx`, `dy`).
    func offset(_ dx: Double, _ dy: Double) -> PixelBox {
        PixelBox(minX: minX + dx, minY: minY + dy, maxX: maxX + dx, maxY: maxY + dy)
    }

    /// The smallest box holding both.
    func union(_ other: PixelBox) -> PixelBox {
        PixelBox(minX: min(minX, other.minX), minY: min(minY, other.minY),
                 maxX: max(maxX, other.maxX), maxY: max(maxY, other.maxY))
    }
}
