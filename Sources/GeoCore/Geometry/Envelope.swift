/// An axis-aligned bounding box in some CRS.
public struct Envelope: Hashable, Sendable, Codable {
    public var minX: Double
    public var minY: Double
    public var maxX: Double
    public var maxY: Double

    /// Creates an envelope from its corners.
    public init(minX: Double, minY: Double, maxX: Double, maxY: Double) {
        self.minX = minX
        self.minY = minY
        self.maxX = maxX
        self.maxY = maxY
    }

    /// An envelope around a single position.
    public init(_ p: Position) {
        self.init(minX: p.x, minY: p.y, maxX: p.x, maxY: p.y)
    }

    /// Grows the envelope to contain `p`.
    public mutating func expand(_ p: Position) {
        if p.x < minX { minX = p.x }
        if p.x > maxX { maxX = p.x }
        if p.y < minY { minY = p.y }
        if p.y > maxY { maxY = p.y }
    }

    /// Grows the envelope to contain `other`.
    public mutating func expand(_ other: Envelope) {
        minX = Swift.min(minX, other.minX)
        minY = Swift.min(minY, other.minY)
        maxX = Swift.max(maxX, other.maxX)
        maxY = Swift.max(maxY, other.maxY)
    }

    /// The envelope grown by `d` on every side.
    public func buffered(by d: Double) -> Envelope {
        Envelope(minX: minX - d, minY: minY - d, maxX: maxX + d, maxY: maxY + d)
    }

    /// The centre of the box.
    public var center: Position { Position((minX + maxX) / 2, (minY + maxY) / 2) }

    public var width: Double { maxX - minX }
    public var height: Double { maxY - minY }

    /// True when the two envelopes share at least one point.
    public func intersects(_ o: Envelope) -> Bool {
        minX <= o.maxX && maxX >= o.minX && minY <= o.maxY && maxY >= o.minY
    }

    /// True when `p` lies inside or on the boundary.
    public func contains(_ p: Position) -> Bool {
        p.x >= minX && p.x <= maxX && p.y >= minY && p.y <= maxY
    }

    /// The envelope as a closed polygon ring, counter-clockwise.
    public var polygon: Polygon {
        Polygon(rings: [[
            Position(minX, minY), Position(maxX, minY), Position(maxX, maxY),
            Position(minX, maxY), Position(minX, minY),
        ]])
    }
}
