@_exported import enum AccessPolicy.Sensitivity
import Foundation
import GeoCore

/// One stored version of a layer.
public struct LayerVersion: Codable, Sendable, Hashable {
    /// The layer this version belongs to.
    public var layerID: String
    /// The version number, 1 for the first import, increasing.
    public var number: Int
    /// The GeoPackage feature table holding this version.
    public var tableName: String
    /// When the version was written.
    public var createdAt: Date
    /// SHA-256 over the stored features (ids, geometry blobs, attributes), hex.
    public var checksum: String
    /// Features stored.
    public var featureCount: Int
    /// Features the import rejected.
    public var rejectedCount: Int
    /// The file name the version was imported from.
    public var sourceFile: String
    /// The GDAL driver that read the file.
    public var sourceDriver: String
    /// The CRS of the stored coordinates (the source CRS).
    public var crs: CRS
    /// The geometry type of the feature table.
    public var geometryType: GeometryType
    /// The extent in the layer's CRS.
    public var extent: Envelope
    /// The extent in WGS 84 longitude/latitude.
    public var extentWGS84: Envelope
    /// The attribute fields, in column order.
    public var fields: [Field]
}

/// A layer as the catalog knows it: its metadata and its published versions.
public struct Layer: Codable, Sendable, Hashable, Identifiable {
    /// The layer id, also the URL segment: lower-case letters, digits and underscores.
    public var id: String
    /// Human-readable title.
    public var title: String
    /// The organisation that owns the source data.
    public var owner: String
    /// The sensitivity declared at the first import. It seeds the layer's conditions in the
    /// access policy; the policy's conditions, not this field, decide who reads the layer.
    public var sensitivity: Sensitivity
    /// Lowest zoom (WebMercatorQuad level) at which tiles carry features.
    public var minZoom: Int
    /// Highest zoom (WebMercatorQuad level) at which tiles carry features.
    public var maxZoom: Int
    /// The version served now.
    public var currentVersion: Int
    /// Published versions still kept, newest first.
    public var versions: [LayerVersion]
    /// When the layer was first published.
    public var createdAt: Date
    /// When the layer's current pointer last moved.
    public var updatedAt: Date

    /// The version served now.
    public var current: LayerVersion {
        versions.first { $0.number == currentVersion }!
    }

    /// This layer as a caller with these hidden attributes may see it: the fields are gone from
    /// every version's schema, so no document names them.
    public func hiding(_ attributes: some Collection<String>) -> Layer {
        guard !attributes.isEmpty else { return self }
        // Case-insensitively: a hidden "capacity" also hides a column named "Capacity".
        let hidden = Set(attributes.map { $0.lowercased() })
        var copy = self
        copy.versions = versions.map { v in
            var v = v
            v.fields = v.fields.filter { !hidden.contains($0.name.lowercased()) }
            return v
        }
        return copy
    }

    /// Prefixes of GeoPackage, SQLite and service tables, which layer ids may not take.
    public static let reservedPrefixes = ["gpkg_", "rtree_", "sqlite_", "ls_"]

    /// Checks a layer id: 1-40 characters, a lower-case letter first, then lower-case letters, digits or `_`.
    public static func validate(id: String) throws(StoreError) {
        let ok = !id.isEmpty && id.count <= 40 && id.first!.isASCII && id.first!.isLowercase
            && id.allSatisfy { ($0.isASCII && ($0.isLowercase || $0.isNumber)) || $0 == "_" }
        guard ok else {
            throw StoreError(.invalidRequest, "layer id \"\(id)\" is not valid: use 1-40 characters, a lower-case letter first, then lower-case letters, digits or _")
        }
        for reserved in reservedPrefixes where id.hasPrefix(reserved) {
            throw StoreError(.invalidRequest, "layer id \"\(id)\" is not valid: ids starting with \(reserved) are reserved for the store's own tables")
        }
    }
}
