import GeoCore

/// Per-feature checks and repairs of an import: presence, finiteness, type, validity, area.
struct FeaturePreparation {
    /// The geometry type of the feature table.
    let storageType: GeometryType
    /// The CRS's area of use in its own coordinates, grown by a margin; nil when unknown.
    let area: Envelope?
    let crs: CRS

    /// The result for one feature.
    enum Outcome {
        case accept(Geometry, repaired: Bool)
        case reject(String)
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
        guard var g = geometry else { return .reject("feature has no geometry") }
        guard !g.isEmpty else { return .reject("geometry is empty") }
        guard g.hasOnlyFinitePositions else { return .reject("geometry has coordinates that are not finite numbers") }
        g = fit(g)
        guard storageType.accepts(g.type) else {
            return .reject("geometry type \(g.type.rawValue) does not match the layer's type \(storageType.rawValue)")
        }
        var repaired = false
        if needsValidityCheck(g) {
            let reason: String?
            do {
                reason = try GeometryOperations.invalidityReason(g)
            } catch {
                return .reject("invalid geometry: \(error)")
            }
            if let reason {
                guard let fixed = try? GeometryOperations.makeValid(g) else {
                    return .reject("invalid geometry (\(reason)) that cannot be repaired")
                }
                let kept = fit(keepFamily(fixed, of: g))
                guard !kept.isEmpty, storageType.accepts(kept.type) else {
                    return .reject("invalid geometry (\(reason)) that collapses when repaired")
                }
                g = kept
                repaired = true
            }
        }
        if let area, let env = g.envelope, !area.intersects(env) {
            return .reject("lies outside the area where \(crs) is defined; check the CRS or the coordinates")
        }
        return .accept(g, repaired: repaired)
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
