import CPROJ

/// What PROJ's database says about a CRS.
public struct CRSDefinition: Sendable, Hashable {
    /// The CRS name, e.g. "Amersfoort / RD New".
    public var name: String
    /// The OGC WKT 1 definition, as GeoPackage's `gpkg_spatial_ref_sys.definition` wants it.
    public var wkt: String
    /// True for a geographic (degrees) CRS.
    public var isGeographic: Bool
    /// The area of use in WGS84 longitude/latitude, when PROJ knows it.
    public var areaOfUse: Envelope?
}

extension CRS {
    /// Looks the CRS up in PROJ's database.
    /// - Throws: `GeoError(.crs)` when PROJ does not know the code.
    public func definition() throws -> CRSDefinition {
        guard let ctx = proj_context_create() else { throw GeoError(.crs, "PROJ could not create a context") }
        defer { proj_context_destroy(ctx) }
        proj_context_set_enable_network(ctx, 0)
        proj_log_level(ctx, PJ_LOG_NONE)
        guard let pj = proj_create_from_database(ctx, "EPSG", String(epsg), PJ_CATEGORY_CRS, 0, nil) else {
            throw GeoError(.crs, "PROJ does not know \(self): \(Transformer.lastError(ctx))", context: description)
        }
        defer { proj_destroy(pj) }
        let name = proj_get_name(pj).map { String(cString: $0) } ?? description
        guard let w = proj_as_wkt(ctx, pj, PJ_WKT1_GDAL, nil) else {
            throw GeoError(.crs, "PROJ cannot write \(self) as WKT 1: \(Transformer.lastError(ctx))", context: description)
        }
        let type = proj_get_type(pj)
        let geographic = type == PJ_TYPE_GEOGRAPHIC_2D_CRS || type == PJ_TYPE_GEOGRAPHIC_3D_CRS || type == PJ_TYPE_GEOGRAPHIC_CRS
        var w0 = 0.0, s0 = 0.0, e0 = 0.0, n0 = 0.0
        var area: Envelope?
        if proj_get_area_of_use(ctx, pj, &w0, &s0, &e0, &n0, nil) != 0, w0 > -1000 {
            area = Envelope(minX: w0, minY: s0, maxX: e0, maxY: n0)
        }
        return CRSDefinition(name: name, wkt: String(cString: w), isGeographic: geographic, areaOfUse: area)
    }
}
