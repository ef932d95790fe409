import GeoCore

/// What a validation finding is about: the categories of a version's validation report.
public enum ValidationCode: String, Sendable, Codable, CaseIterable {
    case noGeometry = "no-geometry"
    case emptyGeometry = "empty-geometry"
    case notFinite = "non-finite-coordinates"
    case invalidGeometry = "invalid-geometry"
    case repairedGeometry = "repaired-geometry"
    case geometryType = "geometry-type"
    case outsideNetherlands = "outside-netherlands"
    case missingCRS = "missing-crs"
    case attributeType = "attribute-type"
    case unreadable = "unreadable-feature"
}

/// The European Netherlands with its exclusive economic zone in the North Sea, in WGS 84,
/// with a margin of about 10 km: gas platforms and wind farms lie far offshore.
public enum Netherlands {
    public static let extentWGS84 = Envelope(minX: 2.4, minY: 50.6, maxX: 7.4, maxY: 55.9)
}

/// Per-feature checks and repairs of an import: presence, finiteness, type, validity, area.
struct FeaturePreparation {
    /// The geometry type of the feature table.
    let storageType: GeometryType
    /// The CRS's area of use in its own coordinates, grown by a margin; nil when unknown.
    let area: Envelope?
    /// The Netherlands (with its part of the North Sea) in the layer's CRS; features must touch it.
    let netherlands: Envelope?
    let crs: CRS

    /// The result for one feature.
    enum Outcome {
        case accept(Geometry, repair: String?)
        case reject(ValidationCode, String)
    }

    /// The storage type for a declared source type: lines and polygons are stored in their
    /// multi form (like ogr2ogr -nlt PROMOTE_TO_MULTI), so repaired and mixed single/multi
    /// features fit; points stay points.
    static func storageType(for declared: GeometryType) -> GeometryType {
        switch declared {
        case .lineString, .polygon: declared.multi
        default: declared
        }
    }

    func prepare(_ geometry: Geometry?) -> Outcome {
        guard var g = geometry else { return .reject(.noGeometry, "feature has no geometry") }
        guard !g.isEmpty else { return .reject(.emptyGeometry, "geometry is empty") }
        guard g.hasOnlyFinitePositions else { return .reject(.notFinite, "geometry has coordinates that are not finite numbers") }
        g = fit(g)
        guard storageType.accepts(g.type) else {
            return .reject(.geometryType, "geometry type \(g.type.rawValue) does not match the layer's type \(storageType.rawValue)")
        }
        var repair: String?
        if needsValidityCheck(g) {
            let reason: String?
            do {
                reason = try GeometryOperations.invalidityReason(g)
            } catch {
                return .reject(.invalidGeometry, "invalid geometry: \(error)")
            }
            if let full = reason {
                // GEOS appends the location ("Self-intersection[5.1 52.3]"): group by the kind.
                let reason = full.split(separator: "[").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? full
                guard let fixed = try? GeometryOperations.makeValid(g) else {
                    return .reject(.invalidGeometry, "invalid geometry (\(reason)) that cannot be repaired")
                }
                let kept = fit(keepFamily(fixed, of: g))
                guard !kept.isEmpty, storageType.accepts(kept.type) else {
                    return .reject(.invalidGeometry, "invalid geometry (\(reason)) that collapses when repaired")
                }
                g = kept
                repair = "invalid geometry repaired (\(reason))"
            }
        }
        if let netherlands, let env = g.envelope {
            if !netherlands.intersects(env) {
                return .reject(.outsideNetherlands, "lies outside the Netherlands and its part of the North Sea; check the CRS or the coordinates")
            }
        } else if let area, let env = g.envelope, !area.intersects(env) {
            return .reject(.outsideNetherlands, "lies outside the area where \(crs) is defined; check the CRS or the coordinates")
        }
        return .accept(g, repair: repair)
    }

    private func needsValidityCheck(_ g: Geometry) -> Bool {
        switch g.type.family {
        case .polygon, .line: true
        case .point: false
        case nil: true
        }
    }

    /// Promotes a single geometry to the multi storage type. A generic (mixed) layer stores
    /// lines and polygons in their multi form too, so that a layer mixing Polygon and
    /// MultiPolygon ends up with one type.
    private func fit(_ g: Geometry) -> Geometry {
        if storageType == g.type.multi, storageType != g.type { return g.promotedToMulti }
        if storageType == .geometry, g.type == .lineString || g.type == .polygon { return g.promotedToMulti }
        return g
    }

    /// From a repaired geometry, keeps the parts of the original's family
    /// (make-valid may return a collection of a polygon and a stray line).
    private func keepFamily(_ fixed: Geometry, of original: Geometry) -> Geometry {
        guard case .geometryCollection(let parts) = fixed, let family = original.type.family else { return fixed }
        let same = parts.filter { $0.type.family == family }
        switch family {
        case .polygon:
            return .multiPolygon(same.flatMap { g -> [Polygon] in
                if case .polygon(let p) = g { return [p] }
                if case .multiPolygon(let ps) = g { return ps }
                return []
            })
        case .line:
            return .multiLineString(same.flatMap { g -> [[Position]] in
                if case .lineString(let l) = g { return [l] }
                if case .multiLineString(let ls) = g { return ls }
                return []
            })
        case .point:
            return .multiPoint(same.flatMap { g -> [Position] in
                if case .point(let p) = g { return p.map { [$0] } ?? [] }
                if case .multiPoint(let ps) = g { return ps }
                return []
            })
        }
    }
}
