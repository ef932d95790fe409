import AccessPolicy
import GeoCore

/// What the access decision lets a caller see of a layer: where (the spatial filter), which
/// attributes (the rest are hidden) and which ids (opaque for a caller limited to an area).
/// The one restriction step of every feature read: tiles of every format, and later routes
/// that serve features. It sits between the query (which features lie in a box) and the
/// encoding (how they are written), and knows neither.
public struct Restriction: Sendable, Hashable {
    /// Where features may be seen.
    public var filter: SpatialFilter
    /// Attributes left out, lower-cased (matched case-insensitively against column names).
    public var hiddenAttributes: Set<String>
    /// Ids that say nothing of the features the caller does not see; nil: the stored ids.
    var featureIDs: OpaqueFeatureIDs?

    /// Creates a restriction.
    public init(filter: SpatialFilter, hiddenAttributes: some Sequence<String>) {
        self.filter = filter
        self.hiddenAttributes = Set(hiddenAttributes.map { $0.lowercased() })
    }

    /// The restriction of a read grant on `layer`: a caller limited to an area gets opaque ids.
    init(_ grant: LayerGrant, layer: Layer, secret: [UInt8]) {
        self.init(filter: grant.decision.filter, hiddenAttributes: grant.decision.hiddenAttributes)
        if grant.decision.filter != .everywhere {
            featureIDs = OpaqueFeatureIDs(secret: secret, layer: layer.id, version: layer.currentVersion, accessClass: grant.accessClass)
        }
    }

    /// No restriction: for the owner, benchmarks and tests of the renderer itself.
    public static let none = Restriction(filter: .everywhere, hiddenAttributes: [])

    /// The fields the caller may see (blobs are never served).
    public func visibleFields(_ fields: [Field]) -> [Field] {
        fields.filter { $0.type != .blob && !hiddenAttributes.contains($0.name.lowercased()) }
    }

    /// The restriction for reading features in `box` (in the layer's CRS): nil when the caller
    /// sees nothing there.
    func bind(to box: Envelope, crs: CRS, scope: SpatialScope) throws -> Bound? {
        guard filter != .nowhere else { return nil }
        var area: Geometry?
        if let resolved = try scope.resolve(filter, crs: crs) {
            guard resolved.envelope.intersects(box) else { return nil }
            let local = try GeometryOperations.clip(resolved.geometry, to: box)
            guard local.envelope != nil else { return nil }
            // A box wholly inside the area needs no per-feature test.
            if try !GeometryOperations.contains(local, .polygon(box.polygon)) { area = local }
        }
        return Bound(area: area, prepared: area.map(PreparedArea.init), ids: featureIDs?.hasher())
    }

    /// The restriction for one box of features.
    struct Bound {
        /// The caller's area inside the box (layer CRS); nil when the box lies wholly inside it.
        let area: Geometry?
        /// The area prepared for point tests (a tile tests thousands of points against it).
        let prepared: PreparedArea?
        let ids: OpaqueFeatureIDs.Hasher?

        /// The part of `g` the caller may see, nil when none.
        func geometry(_ g: Geometry) throws -> Geometry? {
            guard let area else { return g }
            return try Restriction.cut(g, to: area)
        }

        /// Whether the caller may see the point `p` (layer CRS).
        @inline(__always)
        func contains(_ p: Position) -> Bool {
            guard let prepared else { return true }
            return prepared.contains(p)
        }

        /// The id the caller sees for the stored id `fid`.
        func id(_ fid: Int64) -> Int64 {
            ids.map { $0.id(fid) } ?? fid
        }
    }

    /// The part of `g` inside `area` (both in the layer's CRS), nil when nothing is inside.
    /// Points are tested one by one; lines and polygons are cut with GEOS.
    static func cut(_ g: Geometry, to area: Geometry) throws -> Geometry? {
        switch g {
        case .point(let p?):
            return area.containsPoint(p) ? g : nil
        case .multiPoint(let ps):
            let kept = ps.filter { area.containsPoint($0) }
            return kept.isEmpty ? nil : .multiPoint(kept)
        default:
            guard let e = g.envelope, let a = area.envelope, e.intersects(a) else { return nil }
            var cut = try GeometryOperations.intersection(g, area)
            if case .geometryCollection(let parts) = cut {
                // Keep the parts of the feature's own dimension (drop touching points and edges).
                let polygons = parts.flatMap { p -> [Polygon] in
                    switch p { case .polygon(let q): [q]; case .multiPolygon(let qs): qs; default: [] }
                }
                let lines = parts.flatMap { p -> [[Position]] in
                    switch p { case .lineString(let l): [l]; case .multiLineString(let ls): ls; default: [] }
                }
                cut = !polygons.isEmpty ? .multiPolygon(polygons) : .multiLineString(lines)
            }
            return cut.envelope == nil ? nil : cut
        }
    }
}
