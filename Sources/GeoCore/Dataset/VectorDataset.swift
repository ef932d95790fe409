import CGDAL
import Foundation

/// What a dataset layer holds, before any feature is read.
public struct VectorLayerInfo: Sendable, Hashable {
    /// The layer name in the dataset.
    public var name: String
    /// The declared geometry type; curves, surfaces and TINs are reported as their linear forms.
    public var geometryType: GeometryType
    /// The CRS when the dataset declares one that PROJ can match to an EPSG code.
    public var crs: CRS?
    /// The dataset's own name for its CRS, when it declares one (also when no EPSG code matched).
    public var crsName: String?
    /// The attribute fields, in order.
    public var fields: [Field]
    /// The feature count if the driver knows it cheaply.
    public var featureCount: Int?
}

/// Options for opening datasets.
public struct DatasetOptions: Sendable {
    /// The GDAL drivers that may open a file. VRT and every network driver stay out.
    public var allowedDrivers: [String]

    /// The allowlist: GeoPackage, Shapefile (plain or zipped), GeoJSON, FlatGeobuf and CSV.
    public static let standard = DatasetOptions(allowedDrivers: ["GPKG", "ESRI Shapefile", "GeoJSON", "FlatGeobuf", "CSV"])

    /// Creates options.
    public init(allowedDrivers: [String]) {
        self.allowedDrivers = allowedDrivers
    }
}

/// One result of reading a feature: a feature, or the reason it could not be read.
public enum FeatureReadResult: Sendable {
    case feature(Feature)
    case rejected(sourceID: Int64, reason: String)
}

/// A vector dataset opened read-only through GDAL/OGR.
///
/// - Important: GDAL dataset handles are not thread-safe. A `VectorDataset` only exists
///   inside the closure of ``withDataset(at:options:_:)`` and must stay on the thread that
///   runs it. Run that closure off the cooperative pool (a dedicated thread or NIOThreadPool).
public final class VectorDataset {
    /// The path as given.
    public let path: String
    /// The GDAL driver that opened the file, e.g. "GPKG".
    public let driverName: String
    /// The layers of the dataset.
    public let layers: [VectorLayerInfo]

    private let handle: GDALDatasetH
    private let errors: GDALErrorCollector

    private init(path: String, handle: GDALDatasetH, errors: GDALErrorCollector) throws {
        self.path = path
        self.handle = handle
        self.errors = errors
        let drv = GDALGetDatasetDriver(handle)
        self.driverName = drv.flatMap { GDALGetDriverShortName($0) }.map { String(cString: $0) } ?? "unknown"
        var infos: [VectorLayerInfo] = []
        for i in 0..<GDALDatasetGetLayerCount(handle) {
            guard let layer = GDALDatasetGetLayer(handle, i) else { continue }
            infos.append(VectorDataset.info(of: layer))
        }
        self.layers = infos
    }

    /// Opens `path` read-only with the allowlisted drivers, runs `body`, and closes the dataset.
    ///
    /// A `.zip` file is opened as a zipped Shapefile set. Paths must be local files:
    /// GDAL virtual file systems and URLs are refused.
    /// - Throws: `GeoError(.datasetNotAllowed)` or `GeoError(.datasetOpen)` naming the file and the cause.
    public static func withDataset<R>(at path: String, options: DatasetOptions = .standard,
                                      _ body: (VectorDataset) throws -> R) throws -> R {
        _ = GDALEnvironment.ready
        let url = URL(fileURLWithPath: path)
        let name = url.lastPathComponent
        if path.hasPrefix("/vsi") || path.contains("://") {
            throw GeoError(.datasetNotAllowed, "only local files can be read; virtual file systems and URLs are not allowed", context: name)
        }
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw GeoError(.datasetOpen, "file does not exist", context: path)
        }
        guard !isDir.boolValue else {
            throw GeoError(.datasetOpen, "is a directory; give one file (a .gpkg, .shp, .zip, .geojson, .fgb or .csv)", context: path)
        }
        let ext = url.pathExtension.lowercased()
        var openOptions: [String] = []
        var gdalPath = url.standardizedFileURL.path
        // One driver per extension: a file never reaches a driver its name does not promise
        // (a VRT renamed .geojson meets the GeoJSON parser only, and fails there).
        guard let driver = driverName(forExtension: ext) else {
            if ["vrt", "xml", "ovf"].contains(ext) {
                throw GeoError(.datasetNotAllowed, "VRT and XML-described datasets are not allowed; upload the data itself", context: name)
            }
            throw GeoError(.datasetNotAllowed, "files of type \"\(ext.isEmpty ? "(no extension)" : "." + ext)\" are not accepted; use \(acceptedExtensions)", context: name)
        }
        guard options.allowedDrivers.contains(driver) else {
            throw GeoError(.datasetNotAllowed, "the \(driver) driver is not on the allowlist (\(options.allowedDrivers.joined(separator: ", ")))", context: name)
        }
        let drivers = [driver]
        switch ext {
        case "zip":
            gdalPath = "/vsizip/" + gdalPath
        case "csv":
            openOptions = [
                "X_POSSIBLE_NAMES=x,lon,long,longitude,lng,easting",
                "Y_POSSIBLE_NAMES=y,lat,latitude,northing",
                "GEOM_POSSIBLE_NAMES=wkt,geom,geometry,the_geom",
                "KEEP_GEOM_COLUMNS=NO",
                "AUTODETECT_TYPE=YES",
            ]
        default:
            break
        }
        let errors = GDALErrorCollector()
        return try errors.collect {
            errors.reset()
            let driverList = CStringList(drivers)
            let optionList = CStringList(openOptions)
            let flags = UInt32(GDAL_OF_VECTOR) | UInt32(GDAL_OF_READONLY) | UInt32(GDAL_OF_VERBOSE_ERROR)
            guard let h = GDALOpenEx(gdalPath, flags, driverList.constPointer, optionList.constPointer, nil) else {
                try errors.checkNetwork(name)
                let why = errors.messages.isEmpty
                    ? "not a dataset that an allowed driver (\(options.allowedDrivers.joined(separator: ", "))) can read"
                    : errors.messages.joined(separator: "; ")
                throw GeoError(.datasetOpen, why, context: path)
            }
            defer { GDALClose(h) }
            try errors.checkNetwork(name)
            let ds = try VectorDataset(path: path, handle: h, errors: errors)
            try errors.checkNetwork(name)
            return try body(ds)
        }
    }

    /// The one driver that reads files with this extension, or nil when none may.
    public static func driverName(forExtension ext: String) -> String? {
        switch ext.lowercased() {
        case "gpkg": "GPKG"
        case "shp", "zip": "ESRI Shapefile"
        case "geojson", "json": "GeoJSON"
        case "fgb": "FlatGeobuf"
        case "csv": "CSV"
        default: nil
        }
    }

    static let acceptedExtensions = ".gpkg, .zip (a Shapefile set), .shp, .geojson, .json, .fgb or .csv"

    static func info(of layer: OGRLayerH) -> VectorLayerInfo {
        let name = String(cString: OGR_L_GetName(layer))
        let gtype = geometryType(OGR_L_GetGeomType(layer))
        var crs: CRS?
        var crsName: String?
        if let srs = OGR_L_GetSpatialRef(layer) {
            crsName = OSRGetName(srs).map { String(cString: $0) }
            crs = epsg(of: srs)
        }
        let defn = OGR_L_GetLayerDefn(layer)
        var fields: [Field] = []
        for i in 0..<OGR_FD_GetFieldCount(defn) {
            guard let fd = OGR_FD_GetFieldDefn(defn, i) else { continue }
            fields.append(Field(name: String(cString: OGR_Fld_GetNameRef(fd)), type: fieldType(fd)))
        }
        let count = OGR_L_GetFeatureCount(layer, 0)
        return VectorLayerInfo(name: name, geometryType: gtype ?? .geometry, crs: crs, crsName: crsName,
                               fields: fields, featureCount: count >= 0 ? Int(count) : nil)
    }

    /// True when the layer has a geometry column at all.
    public func hasGeometry(layer index: Int) -> Bool {
        guard let layer = GDALDatasetGetLayer(handle, Int32(index)) else { return false }
        return OGR_GT_Flatten(OGR_L_GetGeomType(layer)) != wkbNone
    }

    static func epsg(of srs: OGRSpatialReferenceH) -> CRS? {
        guard let clone = OSRClone(srs) else { return nil }
        defer { OSRDestroySpatialReference(clone) }
        if let auth = OSRGetAuthorityName(clone, nil), String(cString: auth) == "EPSG",
           let code = OSRGetAuthorityCode(clone, nil), let n = Int(String(cString: code)) {
            return CRS(epsg: n)
        }
        if OSRAutoIdentifyEPSG(clone) == OGRERR_NONE,
           let auth = OSRGetAuthorityName(clone, nil), String(cString: auth) == "EPSG",
           let code = OSRGetAuthorityCode(clone, nil), let n = Int(String(cString: code)) {
            return CRS(epsg: n)
        }
        // Last resort: PROJ's identification, accepted only when it is confident.
        var count: Int32 = 0
        var confidences: UnsafeMutablePointer<Int32>?
        guard let matches = OSRFindMatches(clone, nil, &count, &confidences) else { return nil }
        defer {
            OSRFreeSRSArray(matches)
            VSIFree(confidences)
        }
        for i in 0..<Int(count) where (confidences?[i] ?? 0) >= 90 {
            guard let m = matches[i] else { continue }
            if let auth = OSRGetAuthorityName(m, nil), String(cString: auth) == "EPSG",
               let code = OSRGetAuthorityCode(m, nil), let n = Int(String(cString: code)) {
                return CRS(epsg: n)
            }
        }
        return nil
    }

    static func geometryType(_ raw: OGRwkbGeometryType) -> GeometryType? {
        var t = OGR_GT_Flatten(raw)
        if t == wkbNone { return nil }
        if t == wkbTriangle { return .polygon }
        if t == wkbTIN || t == wkbPolyhedralSurface { return .multiPolygon }
        if OGR_GT_IsNonLinear(t) != 0 { t = OGR_GT_GetLinear(t) }
        if t == wkbCurve { return .lineString }
        if t == wkbSurface { return .polygon }
        return GeometryType(wkbCode: t.rawValue) ?? .geometry
    }

    static func fieldType(_ fd: OGRFieldDefnH) -> FieldType {
        switch OGR_Fld_GetType(fd) {
        case OFTInteger: OGR_Fld_GetSubType(fd) == OFSTBoolean ? .bool : .integer
        case OFTInteger64: .integer
        case OFTReal: .real
        case OFTDate: .date
        case OFTDateTime: .dateTime
        case OFTBinary: .blob
        default: .text
        }
    }

    /// Reads every feature of layer `index` in dataset order and calls `body` with each
    /// feature or the reason it was rejected. Geometries are made 2D and linear
    /// (curves are approximated, triangles and TINs become polygons).
    ///
    /// - Throws: `GeoError(.datasetRead)` when GDAL fails mid-way; `body`'s errors pass through.
    public func readFeatures(layer index: Int, _ body: (FeatureReadResult) throws -> Void) throws {
        guard let layer = GDALDatasetGetLayer(handle, Int32(index)) else {
            throw GeoError(.datasetRead, "layer \(index) does not exist", context: path)
        }
        let fieldTypes = layers[index].fields.map(\.type)
        OGR_L_ResetReading(layer)
        while true {
            errors.reset()
            guard let f = OGR_L_GetNextFeature(layer) else {
                if CPLGetLastErrorType() == CE_Failure || CPLGetLastErrorType() == CE_Fatal {
                    throw GeoError(.datasetRead, "reading stopped: \(String(cString: CPLGetLastErrorMsg()))", context: path)
                }
                return
            }
            let result = convert(f, fieldTypes: fieldTypes)
            OGR_F_Destroy(f)
            try errors.checkNetwork(URL(fileURLWithPath: path).lastPathComponent)
            try body(result)
        }
    }

    private func convert(_ f: OGRFeatureH, fieldTypes: [FieldType]) -> FeatureReadResult {
        let fid = OGR_F_GetFID(f)
        var geometry: Geometry?
        if var g = OGR_F_StealGeometry(f) {
            defer { OGR_G_DestroyGeometry(g) }
            let t = OGR_GT_Flatten(OGR_G_GetGeometryType(g))
            if t == wkbTriangle || t == wkbTIN || t == wkbPolyhedralSurface {
                let target = t == wkbTriangle ? wkbPolygon : wkbMultiPolygon
                // OGR_G_ForceTo takes ownership of g and returns the converted geometry.
                guard let forced = OGR_G_ForceTo(g, target, nil) else {
                    return .rejected(sourceID: fid, reason: "cannot convert a \(String(cString: OGRGeometryTypeToName(t))) to polygons")
                }
                g = forced
            } else if OGR_GT_IsNonLinear(t) != 0 {
                guard let lin = OGR_G_GetLinearGeometry(g, 0, nil) else {
                    return .rejected(sourceID: fid, reason: "cannot approximate the curve geometry")
                }
                OGR_G_DestroyGeometry(g)
                g = lin
            }
            OGR_G_FlattenTo2D(g)
            let size = Int(OGR_G_WkbSize(g))
            var bytes = [UInt8](repeating: 0, count: size)
            let err = bytes.withUnsafeMutableBufferPointer { OGR_G_ExportToIsoWkb(g, wkbNDR, $0.baseAddress) }
            guard err == OGRERR_NONE else { return .rejected(sourceID: fid, reason: "GDAL cannot export the geometry: \(errors.last)") }
            do {
                geometry = try WKB.decode(bytes)
            } catch {
                return .rejected(sourceID: fid, reason: "\(error)")
            }
        }
        var attributes: [AttributeValue] = []
        attributes.reserveCapacity(fieldTypes.count)
        for (i, type) in fieldTypes.enumerated() {
            let idx = Int32(i)
            guard OGR_F_IsFieldSetAndNotNull(f, idx) != 0 else { attributes.append(.null); continue }
            switch type {
            case .bool: attributes.append(.bool(OGR_F_GetFieldAsInteger(f, idx) != 0))
            case .integer: attributes.append(.int(OGR_F_GetFieldAsInteger64(f, idx)))
            case .real: attributes.append(.double(OGR_F_GetFieldAsDouble(f, idx)))
            case .text: attributes.append(.string(String(cString: OGR_F_GetFieldAsString(f, idx))))
            case .date, .dateTime: attributes.append(dateValue(f, idx, type))
            case .blob:
                var n: Int32 = 0
                if let p = OGR_F_GetFieldAsBinary(f, idx, &n) {
                    attributes.append(.blob(Array(UnsafeBufferPointer(start: p, count: Int(n)))))
                } else {
                    attributes.append(.null)
                }
            }
        }
        return .feature(Feature(id: fid, geometry: geometry, attributes: attributes))
    }

    private func dateValue(_ f: OGRFeatureH, _ idx: Int32, _ type: FieldType) -> AttributeValue {
        var y: Int32 = 0, mo: Int32 = 0, d: Int32 = 0, h: Int32 = 0, mi: Int32 = 0, tz: Int32 = 0
        var s: Float = 0
        guard OGR_F_GetFieldAsDateTimeEx(f, idx, &y, &mo, &d, &h, &mi, &s, &tz) != 0 else {
            return .string(String(cString: OGR_F_GetFieldAsString(f, idx)))
        }
        let date = String(format: "%04d-%02d-%02d", y, mo, d)
        if type == .date { return .string(date) }
        let whole = Int(s)
        let millis = Int(((s - Float(whole)) * 1000).rounded())
        var text = date + String(format: "T%02d:%02d:%02d", h, mi, whole)
        if millis > 0 { text += String(format: ".%03d", millis) }
        // OGR time zone flag: 0 unknown, 1 local time, 100 UTC, 100±n quarter hours.
        if tz == 100 {
            text += "Z"
        } else if tz > 1 {
            let offset = Int(tz - 100) * 15
            text += String(format: "%@%02d:%02d", offset < 0 ? "-" : "+", abs(offset) / 60, abs(offset) % 60)
        }
        return .string(text)
    }
}
