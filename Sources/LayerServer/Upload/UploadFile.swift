import Foundation
import GeoCore

/// An uploaded file in its job directory: its format (from its name or media type, checked
/// against its first bytes) and, for a zipped Shapefile set, the set unpacked beside it.
enum UploadFile {
    /// The formats an upload may have, by file extension.
    static let extensions = ["gpkg", "zip", "geojson", "json", "fgb", "csv"]

    /// The extension for a media type, when the upload has no usable file name.
    static func fileExtension(mediaType: String?) -> String? {
        guard let type = mediaType?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased() else { return nil }
        switch type {
        case "application/geopackage+sqlite3", "application/x-sqlite3", "application/vnd.sqlite3": return "gpkg"
        case "application/zip", "application/x-zip-compressed": return "zip"
        case "application/geo+json": return "geojson"
        case "application/flatgeobuf": return "fgb"
        case "text/csv": return "csv"
        default: return nil
        }
    }

    /// The file name an uploader gave, reduced to a safe base name, or nil when it has none.
    static func safeName(_ raw: String?) -> String? {
        guard let raw, !raw.isEmpty else { return nil }
        let base = raw.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? raw
        let cleaned = String(base.unicodeScalars.map { s -> Character in
            s.isASCII && (CharacterSet.alphanumerics.contains(s) || "._-".unicodeScalars.contains(s)) ? Character(s) : "_"
        }.prefix(120))
        return cleaned.isEmpty || cleaned.allSatisfy({ $0 == "." }) ? nil : cleaned
    }

    /// Checks that the file's first bytes fit its extension.
    static func checkSignature(_ url: URL, ext: String, displayName: String) throws {
        guard let handle = FileHandle(forReadingAtPath: url.path) else {
            throw StoreError(.invalidInput, "cannot be read", context: displayName)
        }
        defer { try? handle.close() }
        let head = [UInt8]((try? handle.read(upToCount: 65_536)) ?? Data())
        guard !head.isEmpty else { throw StoreError(.invalidInput, "is empty", context: displayName) }
        func starts(_ magic: [UInt8]) -> Bool { head.count >= magic.count && Array(head.prefix(magic.count)) == magic }
        let ok: Bool
        let expected: String
        switch ext {
        case "gpkg":
            ok = starts(Array("SQLite format 3".utf8) + [0])
            expected = "a GeoPackage (an SQLite database)"
        case "zip":
            ok = starts([0x50, 0x4B, 0x03, 0x04]) || starts([0x50, 0x4B, 0x05, 0x06])
            expected = "a zip archive"
        case "fgb":
            ok = starts([0x66, 0x67, 0x62])
            expected = "a FlatGeobuf file"
        case "geojson", "json":
            var body = head[...]
            if starts([0xEF, 0xBB, 0xBF]) { body = body.dropFirst(3) }
            ok = body.first(where: { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }) == UInt8(ascii: "{")
            expected = "a GeoJSON document (a JSON object)"
            if ok { try checkStreamable(url, head: head, displayName: displayName) }
        case "csv":
            ok = !head.contains(0)
            expected = "a CSV text file"
        default:
            throw StoreError(.invalidInput, "files of type .\(ext) are not accepted; upload \(extensions.map { "." + $0 }.joined(separator: ", "))", context: displayName)
        }
        guard ok else { throw StoreError(.invalidInput, "is named .\(ext) but is not \(expected); check the file and its name", context: displayName) }
    }

    /// GeoJSON up to this size may have any layout.
    static let geoJSONWholeFileLimit = 32 << 20

    /// GDAL streams a GeoJSON FeatureCollection only when its `"features"` array opens within
    /// the first few kilobytes; any other layout it parses whole, in memory, at open. A big file
    /// of that kind would take the server's memory before any limit applies.
    static func checkStreamable(_ url: URL, head: [UInt8], displayName: String) throws {
        let size = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? NSNumber)?.intValue ?? 0
        guard size > geoJSONWholeFileLimit else { return }
        let window = Array(head.prefix(6000))
        let key = Array("\"features\"".utf8)
        var i = 0
        while i + key.count <= window.count {
            if Array(window[i..<(i + key.count)]) == key {
                var j = i + key.count
                while j < window.count, [0x20, 0x09, 0x0A, 0x0D, UInt8(ascii: ":")].contains(window[j]) { j += 1 }
                if j < window.count, window[j] == UInt8(ascii: "[") { return }
            }
            i += 1
        }
        throw StoreError(.invalidInput, "is a GeoJSON file over \(geoJSONWholeFileLimit >> 20) MB whose \"features\" array does not open in its first 6,000 bytes; such files are read whole into memory. Put \"features\" first, or upload a GeoPackage or FlatGeobuf", context: displayName)
    }

    /// The parts of a Shapefile set that are unpacked; everything else in the archive is ignored.
    static let shapefileParts: Set<String> = ["shp", "shx", "dbf", "prj", "cpg"]

    /// Unpacks the Shapefile set of a zip into `directory`: only after its directory passed the
    /// checks (names, count, declared sizes), only the set's own parts, flattened to base
    /// names, and never more bytes than declared or allowed.
    /// - Returns: The .shp to import.
    static func unpackShapefile(_ zip: URL, displayName: String, into directory: URL, limits: UploadLimits,
                                sourceLayer: String?) throws -> URL {
        let archive = try ZipDirectory(url: zip, displayName: displayName, maxEntries: limits.maxFiles)
        let declared = archive.entries.reduce(0) { $0 + $1.uncompressedSize }
        guard declared <= limits.maxUncompressedBytes else {
            throw StoreError(.invalidInput, "unpacks to \(declared) bytes; at most \(limits.maxUncompressedBytes) are accepted (upload-max-uncompressed-mb)", context: displayName)
        }
        let parts = archive.entries.filter { e in
            !e.isDirectory && !e.name.hasPrefix("__MACOSX/")
                && shapefileParts.contains(URL(fileURLWithPath: e.name).pathExtension.lowercased())
        }
        let shps = parts.filter { URL(fileURLWithPath: $0.name).pathExtension.lowercased() == "shp" }
        let stem = { (e: ZipDirectory.Entry) in URL(fileURLWithPath: e.name).deletingPathExtension().lastPathComponent }
        let chosen: ZipDirectory.Entry
        switch shps.count {
        case 0:
            throw StoreError(.invalidInput, "holds no .shp file; zip a Shapefile set (.shp, .shx, .dbf, .prj)", context: displayName)
        case 1:
            chosen = shps[0]
        default:
            guard let wanted = sourceLayer, let match = shps.first(where: { stem($0) == wanted }) else {
                throw StoreError(.invalidInput, "holds \(shps.count) Shapefiles (\(shps.map(stem).joined(separator: ", "))); choose one with sourceLayer", context: displayName)
            }
            chosen = match
        }
        let chosenDir = (chosen.name as NSString).deletingLastPathComponent
        let set = parts.filter { stem($0) == stem(chosen) && ($0.name as NSString).deletingLastPathComponent == chosenDir }
        let exts = Set(set.map { URL(fileURLWithPath: $0.name).pathExtension.lowercased() })
        guard exts.contains("shx") else {
            throw StoreError(.invalidInput, "holds \(chosen.name) without its .shx index; zip the whole Shapefile set", context: displayName)
        }
        let base = safeName(stem(chosen)) ?? "layer"
        let out = directory.appendingPathComponent("shapefile")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        var budget = limits.maxUncompressedBytes
        var shp: URL?
        for e in set {
            let ext = URL(fileURLWithPath: e.name).pathExtension.lowercased()
            let target = out.appendingPathComponent(base + "." + ext)
            let written: Int
            do {
                written = try ZipEntryCopy.copy(archive: zip.path, entry: e.name, to: target, limit: min(e.uncompressedSize, budget))
            } catch let error as GeoError {
                throw StoreError(.invalidInput, error.message, context: displayName)
            }
            budget -= written
            if ext == "shp" { shp = target }
        }
        return shp!
    }
}
