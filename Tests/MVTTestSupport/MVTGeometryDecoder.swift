/// A position in tile coordinates (x right, y down). Int64 so that the cursor cannot overflow
/// on streams whose deltas sum beyond the Int32 range (fixtures 049 and 050).
public struct MVTPoint: Hashable, Sendable, CustomStringConvertible {
    public var x: Int64
    public var y: Int64

    public init(_ x: Int64, _ y: Int64) {
        self.x = x
        self.y = y
    }

    public var description: String { "(\(x), \(y))" }
}

/// An interpreted feature geometry.
public enum MVTGeometry: Equatable, Sendable {
    /// An UNKNOWN feature: its command stream was checked for well-formedness only.
    case unknown
    /// One point or a multipoint.
    case points([MVTPoint])
    /// One line or a multiline.
    case lineStrings([[MVTPoint]])
    /// Polygons, each its exterior ring followed by its holes. Rings are open: the closing
    /// point (implied by ClosePath) is not repeated.
    case polygons([[[MVTPoint]]])
}

/// Interprets MVT geometry command streams (specification section 4.3), strictly.
public enum MVTGeometryDecoder {
    /// One decoded command with absolute positions.
    public enum Step: Equatable {
        case moveTo([MVTPoint])
        case lineTo([MVTPoint])
        case closePath
    }

    /// Splits a command stream into steps, checking what holds for every geometry type:
    /// known command ids, parameters present for the whole count (checked before any
    /// allocation), non-zero counts, ClosePath count 1, no zero-length LineTo, and a
    /// MoveTo first.
    public static func steps(_ commands: [UInt32]) throws(MVTDecodingError) -> [Step] {
        var steps: [Step] = []
        var i = 0
        var cx: Int64 = 0, cy: Int64 = 0
        while i < commands.count {
            let id = commands[i] & 0x7
            let count = Int(commands[i] >> 3)
            i += 1
            guard !steps.isEmpty || id == 1 else { throw invalid("command stream does not start with MoveTo") }
            switch id {
            case 1, 2:
                let name = id == 1 ? "MoveTo" : "LineTo"
                guard count > 0 else { throw invalid("\(name) with count 0") }
                let remaining = commands.count - i
                guard count <= remaining / 2 else {
                    throw invalid("\(name) count \(count) needs \(count * 2) parameters, \(remaining) remain")
                }
                var points: [MVTPoint] = []
                points.reserveCapacity(count)
                for _ in 0..<count {
                    let dx = unzigzag(commands[i]), dy = unzigzag(commands[i + 1])
                    i += 2
                    if id == 2, dx == 0, dy == 0 { throw invalid("LineTo with a zero delta at \(MVTPoint(cx, cy))") }
                    cx += dx
                    cy += dy
                    points.append(MVTPoint(cx, cy))
                }
                steps.append(id == 1 ? .moveTo(points) : .lineTo(points))
            case 7:
                guard count == 1 else { throw invalid("ClosePath with count \(count)") }
                steps.append(.closePath)
            default:
                throw invalid("unknown command id \(id)")
            }
        }
        return steps
    }

    /// Interprets `commands` as a geometry of `type`, enforcing the sequence rules of the type.
    public static func interpret(_ type: MVTDecoder.GeomType, _ commands: [UInt32]) throws(MVTDecodingError) -> MVTGeometry {
        let steps = try steps(commands)
        switch type {
        case .unknown:
            return .unknown
        case .point:
            guard steps.count == 1, case .moveTo(let points) = steps[0] else {
                throw invalid("POINT must be exactly one MoveTo")
            }
            return .points(points)
        case .lineString:
            return .lineStrings(try lines(steps))
        case .polygon:
            return .polygons(try polygons(steps))
        }
    }

    private static func lines(_ steps: [Step]) throws(MVTDecodingError) -> [[MVTPoint]] {
        guard !steps.isEmpty, steps.count % 2 == 0 else { throw invalid("LINESTRING must be (MoveTo, LineTo) pairs") }
        var lines: [[MVTPoint]] = []
        for i in stride(from: 0, to: steps.count, by: 2) {
            guard case .moveTo(let start) = steps[i], start.count == 1, case .lineTo(let rest) = steps[i + 1] else {
                throw invalid("LINESTRING step \(i): expected MoveTo(1) then LineTo (ClosePath is not allowed)")
            }
            lines.append(start + rest)
        }
        return lines
    }

    private static func polygons(_ steps: [Step]) throws(MVTDecodingError) -> [[[MVTPoint]]] {
        guard !steps.isEmpty, steps.count % 3 == 0 else { throw invalid("POLYGON must be (MoveTo, LineTo, ClosePath) triples") }
        var polygons: [[[MVTPoint]]] = []
        for i in stride(from: 0, to: steps.count, by: 3) {
            guard case .moveTo(let start) = steps[i], start.count == 1,
                  case .lineTo(let rest) = steps[i + 1], rest.count > 1,
                  steps[i + 2] == .closePath
            else { throw invalid("ring \(i / 3): expected MoveTo(1), LineTo(>1), ClosePath") }
            let ring = start + rest
            guard ring.last != ring.first else { throw invalid("ring \(i / 3) repeats its first point before ClosePath") }
            let area = try doubleArea(ring)
            if area > 0 {
                polygons.append([ring])
            } else if area < 0, !polygons.isEmpty {
                polygons[polygons.count - 1].append(ring)
            } else {
                throw invalid(area == 0 ? "ring \(i / 3) has zero area" : "interior ring before any exterior ring")
            }
        }
        return polygons
    }

    /// Twice the signed area by the surveyor's formula in tile coordinates (y down):
    /// positive for an exterior ring, negative for an interior ring.
    public static func doubleArea(_ ring: [MVTPoint]) throws(MVTDecodingError) -> Int64 {
        var sum: Int64 = 0
        var j = ring.count - 1
        for i in ring.indices {
            let (a, o1) = ring[j].x.multipliedReportingOverflow(by: ring[i].y)
            let (b, o2) = ring[i].x.multipliedReportingOverflow(by: ring[j].y)
            let (d, o3) = a.subtractingReportingOverflow(b)
            let (s, o4) = sum.addingReportingOverflow(d)
            guard !(o1 || o2 || o3 || o4) else { throw invalid("ring area overflows Int64") }
            sum = s
            j = i
        }
        return sum
    }

    /// Decodes a zigzag `ParameterInteger`.
    public static func unzigzag(_ v: UInt32) -> Int64 {
        Int64(v >> 1) ^ -Int64(v & 1)
    }

    private static func invalid(_ detail: String) -> MVTDecodingError {
        MVTDecodingError(.invalidGeometry, detail)
    }
}
