import CGDAL
import Foundation

/// Writes one vector layer to a new file through GDAL/OGR (GeoPackage, FlatGeobuf, GeoJSON, ...).
///
/// - Important: Like every GDAL dataset, a writer exists only inside the closure of
///   ``create(at:driver:layerName:crs:geometryType:fields:_:)`` and stays on its thread.
public final class VectorWriter {
    private let dataset: GDALDatasetH
    private let layer: OGRLayerH
    private let fields: [Field]
    private let errors: GDALErrorCollector
    private let path: String
    /// Features written since the last commit, shared by the writers of one dataset (their
    /// layers share its transaction).
    private final class Pending { var count = 0 }
    private let pending: Pending
    private let usesTransactions: Bool
    /// Features written so far.
    public private(set) var written = 0

    private init(dataset: GDALDatasetH, layer: OGRLayerH, fields: [Field], errors: GDALErrorCollector, path: String, pending: Pending) {
        self.dataset = dataset
        self.pending = pending
        self.layer = layer
        self.fields = fields
        self.errors = errors
        self.path = path
        self.usesTransactions = GDALDatasetTestCapability(dataset, ODsCTransactions) != 0
    }

    /// One layer of a new file.
    public struct LayerDefinition: Sendable {
        public var name: String
        public var crs: CRS
        public var geometryType: GeometryType
        public var fields: [Field]

        public init(name: String, crs: CRS, geometryType: GeometryType, fields: [Field]) {
            self.name = name
            self.crs = crs
            self.geometryType = geometryType
            self.fields = fields
        }
    }

    /// Creates `path` (which must not exist) with one layer, runs `body` to write features, and closes the file.
    /// `metadata` goes to the dataset and the layer (GDAL metadata items; a GeoPackage keeps
    /// them in its metadata tables, a FlatGeobuf in its header where GDAL supports it).
    /// - Throws: `GeoError(.datasetWrite)` naming the file and GDAL's message.
    public static func create(at path: String, driver: String, layerName: String, crs: CRS,
                              geometryType: GeometryType, fields: [Field], metadata: [String: String] = [:],
                              _ body: (VectorWriter) throws -> Void) throws {
        try create(at: path, driver: driver, layers: [LayerDefinition(name: layerName, crs: crs, geometryType: geometryType, fields: fields)],
                   metadata: metadata) { _, writer in try body(writer) }
    }

    /// Creates `path` (which must not exist) with `layers` (a driver that holds several, such as
    /// GeoPackage), runs `body` once per layer with its index and writer, in one transaction
    /// where the driver has them, and closes the file.
    public static func create(at path: String, driver: String, layers: [LayerDefinition], metadata: [String: String] = [:],
                              _ body: (Int, VectorWriter) throws -> Void) throws {
        _ = GDALEnvironment.ready
        guard !FileManager.default.fileExists(atPath: path) else {
            throw GeoError(.datasetWrite, "file already exists; remove it or choose another name", context: path)
        }
        guard let drv = GDALGetDriverByName(driver) else {
            throw GeoError(.datasetWrite, "GDAL has no driver \(driver)", context: path)
        }
        let errors = GDALErrorCollector()
        try errors.collect {
            guard let ds = GDALCreate(drv, path, 0, 0, 0, GDT_Unknown, nil) else {
                throw GeoError(.datasetWrite, "cannot create: \(errors.last)", context: path)
            }
            var closed = false
            defer { if !closed { GDALClose(ds) } }
            for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
                GDALSetMetadataItem(ds, key, value, nil)
            }
            let pending = Pending()
            let writers = try layers.map { definition -> VectorWriter in
                let layer = try createLayer(ds, definition, driver: driver, errors: errors, path: path)
                for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
                    GDALSetMetadataItem(layer, key, value, nil)
                }
                return VectorWriter(dataset: ds, layer: layer, fields: definition.fields, errors: errors, path: path, pending: pending)
            }
            guard let first = writers.first else { throw GeoError(.datasetWrite, "no layer to write", context: path) }
            try first.begin()
            for (i, writer) in writers.enumerated() { try body(i, writer) }
            try first.commit()
            closed = true
            errors.reset()
            GDALClose(ds)
            if CPLGetLastErrorType() == CE_Failure {
                throw GeoError(.datasetWrite, "cannot finish the file: \(errors.last)", context: path)
            }
        }
    }

    /// A layer of `definition` with its fields in the open dataset `ds`.
    private static func createLayer(_ ds: GDALDatasetH, _ definition: LayerDefinition, driver: String,
                                    errors: GDALErrorCollector, path: String) throws -> OGRLayerH {
        guard let srs = OSRNewSpatialReference(nil) else { throw GeoError(.datasetWrite, "cannot create a CRS", context: path) }
        defer { OSRDestroySpatialReference(srs) }
        guard OSRImportFromEPSG(srs, Int32(definition.crs.epsg)) == OGRERR_NONE else {
            throw GeoError(.datasetWrite, "GDAL does not know \(definition.crs)", context: path)
        }
        OSRSetAxisMappingStrategy(srs, OAMS_TRADITIONAL_GIS_ORDER)
        let options = CStringList(driver == "GPKG" ? ["SPATIAL_INDEX=YES"] : driver == "CSV" ? ["GEOMETRY=AS_WKT"] : [])
        guard let layer = GDALDatasetCreateLayer(ds, definition.name, srs, OGRwkbGeometryType(definition.geometryType.wkbCode), options.pointer) else {
            throw GeoError(.datasetWrite, "cannot create layer \(definition.name): \(errors.last)", context: path)
        }
        for field in definition.fields {
            let type: OGRFieldType = switch field.type {
            case .bool, .integer: OFTInteger64
            case .real: OFTReal
            case .text: OFTString
            case .date: OFTDate
            case .dateTime: OFTDateTime
            case .blob: OFTBinary
            }
            guard let fd = OGR_Fld_Create(field.name, type) else { continue }
            if field.type == .bool { OGR_Fld_SetType(fd, OFTInteger); OGR_Fld_SetSubType(fd, OFSTBoolean) }
            defer { OGR_Fld_Destroy(fd) }
            guard OGR_L_CreateField(layer, fd, 1) == OGRERR_NONE else {
                throw GeoError(.datasetWrite, "cannot create field \(field.name): \(errors.last)", context: path)
            }
        }
        return layer
    }

    private func begin() throws {
        guard usesTransactions else { return }
        guard GDALDatasetStartTransaction(dataset, 0) == OGRERR_NONE else {
            throw GeoError(.datasetWrite, "cannot start a transaction: \(errors.last)", context: path)
        }
    }

    private func commit() throws {
        guard usesTransactions else { return }
        guard GDALDatasetCommitTransaction(dataset) == OGRERR_NONE else {
            throw GeoError(.datasetWrite, "cannot commit: \(errors.last)", context: path)
        }
    }

    /// Writes one feature; attributes follow the field list given at creation.
    /// The feature's `id` is ignored: the driver assigns ids.
    public func write(_ feature: Feature) throws {
        guard let f = OGR_F_Create(OGR_L_GetLayerDefn(layer)) else {
            throw GeoError(.datasetWrite, "cannot create a feature", context: path)
        }
        defer { OGR_F_Destroy(f) }
        for (i, value) in feature.attributes.enumerated() where i < fields.count {
            let idx = Int32(i)
            switch value {
            case .null: OGR_F_SetFieldNull(f, idx)
            case .bool(let b): OGR_F_SetFieldInteger(f, idx, b ? 1 : 0)
            case .int(let n): OGR_F_SetFieldInteger64(f, idx, n)
            case .double(let d): OGR_F_SetFieldDouble(f, idx, d)
            case .string(let s): OGR_F_SetFieldString(f, idx, s)
            case .blob(let b): b.withUnsafeBufferPointer { OGR_F_SetFieldBinary(f, idx, Int32($0.count), $0.baseAddress) }
            }
        }
        if let g = feature.geometry {
            var bytes = WKB.encode(g)
            var geom: OGRGeometryH?
            let err = bytes.withUnsafeMutableBufferPointer { OGR_G_CreateFromWkb($0.baseAddress, nil, &geom, Int32($0.count)) }
            guard err == OGRERR_NONE, let geom else {
                throw GeoError(.datasetWrite, "cannot convert a geometry for GDAL", context: path)
            }
            OGR_F_SetGeometryDirectly(f, geom)
        }
        guard OGR_L_CreateFeature(layer, f) == OGRERR_NONE else {
            throw GeoError(.datasetWrite, "cannot write feature \(written + 1): \(errors.last)", context: path)
        }
        written += 1
        pending.count += 1
        if pending.count >= 50_000 {
            try commit()
            try begin()
            pending.count = 0
        }
    }
}
