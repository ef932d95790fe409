import CGDAL
import Foundation

/// Copies one member of a zip archive to a file, decompressing with GDAL's /vsizip/ reader.
public enum ZipEntryCopy {
    /// Writes entry `entry` of `archive` to `destination`, stopping with an error once more than
    /// `limit` bytes come out (a header that understates the size, a zip bomb).
    ///
    /// The caller checks `entry` first: it must be a plain relative name from the archive's
    /// own directory, without `..` or a leading `/`.
    /// - Returns: The bytes written.
    /// - Important: Blocks the calling thread; call it off the cooperative pool.
    public static func copy(archive: String, entry: String, to destination: URL, limit: Int) throws -> Int {
        _ = GDALEnvironment.ready
        let name = URL(fileURLWithPath: archive).lastPathComponent
        let source = "/vsizip/" + URL(fileURLWithPath: archive).standardizedFileURL.path + "/" + entry
        let errors = GDALErrorCollector()
        return try errors.collect {
            guard let fp = VSIFOpenL(source, "rb") else {
                throw GeoError(.datasetOpen, "cannot read \(entry) in the archive: \(errors.last)", context: name)
            }
            defer { VSIFCloseL(fp) }
            guard FileManager.default.createFile(atPath: destination.path, contents: nil),
                  let out = FileHandle(forWritingAtPath: destination.path) else {
                throw GeoError(.datasetWrite, "cannot create \(destination.lastPathComponent)", context: destination.path)
            }
            defer { try? out.close() }
            var buffer = [UInt8](repeating: 0, count: 1 << 20)
            var total = 0
            while true {
                let n = buffer.withUnsafeMutableBytes { VSIFReadL($0.baseAddress, 1, $0.count, fp) }
                if n == 0 {
                    if errors.messages.contains(where: { !$0.isEmpty }) && VSIFEofL(fp) == 0 {
                        throw GeoError(.datasetRead, "\(entry) in the archive cannot be decompressed: \(errors.last)", context: name)
                    }
                    return total
                }
                total += n
                guard total <= limit else {
                    throw GeoError(.datasetNotAllowed, "\(entry) in the archive decompresses to more than \(limit) bytes, more than it declares or the limit allows", context: name)
                }
                try out.write(contentsOf: buffer[0..<n])
            }
        }
    }
}
