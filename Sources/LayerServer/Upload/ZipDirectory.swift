import Foundation

/// The central directory of a zip archive, read by us before GDAL sees a byte of it: entry
/// names exactly as stored (to refuse `../` and absolute paths), declared sizes (to refuse
/// bombs before inflating), symlinks, encryption and multi-disk or zip64 archives.
struct ZipDirectory {
    struct Entry {
        /// The name exactly as stored in the archive.
        var name: String
        var uncompressedSize: Int
        var isDirectory: Bool { name.hasSuffix("/") }
    }

    var entries: [Entry]

    /// Reads and checks the directory of `url`.
    /// - Throws: `StoreError(.invalidInput)` saying what is wrong, naming `displayName`.
    init(url: URL, displayName: String, maxEntries: Int) throws {
        func bad(_ why: String) -> StoreError { StoreError(.invalidInput, why, context: displayName) }
        guard let handle = FileHandle(forReadingAtPath: url.path) else { throw bad("cannot be read") }
        defer { try? handle.close() }
        let size = Int(try handle.seekToEnd())
        let tailLength = min(size, 22 + 65_535)
        try handle.seek(toOffset: UInt64(size - tailLength))
        let tail = [UInt8](try handle.read(upToCount: tailLength) ?? Data())
        guard tail.count >= 22, let eocd = stride(from: tail.count - 22, through: 0, by: -1).first(where: {
            Self.u32(tail, $0) == 0x0605_4B50
        }) else {
            throw bad("is not a zip archive (no end of central directory); upload a zipped Shapefile set")
        }
        let diskNumber = Self.u16(tail, eocd + 4), cdDisk = Self.u16(tail, eocd + 6)
        let count = Self.u16(tail, eocd + 10)
        let cdSize = Self.u32(tail, eocd + 12), cdOffset = Self.u32(tail, eocd + 16)
        guard diskNumber == 0, cdDisk == 0 else { throw bad("is a multi-part zip archive; upload one archive") }
        guard count != 0xFFFF, cdSize != 0xFFFF_FFFF, cdOffset != 0xFFFF_FFFF else {
            throw bad("is a zip64 archive; zip the Shapefile set without zip64 (under 4 GB and 65,535 files)")
        }
        guard count <= maxEntries else {
            throw bad("holds \(count) files; at most \(maxEntries) are accepted (upload-max-files)")
        }
        guard Int(cdOffset) + Int(cdSize) <= size else { throw bad("has a central directory past its end: the archive is damaged") }
        // A directory entry is at most 46 bytes plus three 16-bit lengths.
        guard Int(cdSize) <= Int(count) * (46 + 3 * 65_535) else { throw bad("has a central directory larger than its entries can be") }
        try handle.seek(toOffset: UInt64(cdOffset))
        let cd = [UInt8](try handle.read(upToCount: Int(cdSize)) ?? Data())
        guard cd.count == Int(cdSize) else { throw bad("is truncated") }
        var entries: [Entry] = []
        var p = 0
        for _ in 0..<count {
            guard p + 46 <= cd.count, Self.u32(cd, p) == 0x0201_4B50 else { throw bad("has a damaged central directory") }
            let madeBy = Self.u16(cd, p + 4), flags = Self.u16(cd, p + 8), method = Self.u16(cd, p + 10)
            let csize = Int(Self.u32(cd, p + 20)), usize = Int(Self.u32(cd, p + 24))
            let nameLength = Int(Self.u16(cd, p + 28)), extraLength = Int(Self.u16(cd, p + 30)), commentLength = Int(Self.u16(cd, p + 32))
            let external = Self.u32(cd, p + 38)
            guard p + 46 + nameLength <= cd.count else { throw bad("has a damaged central directory") }
            let raw = Array(cd[(p + 46)..<(p + 46 + nameLength)])
            let name = String(decoding: raw, as: UTF8.self)
            p += 46 + nameLength + extraLength + commentLength
            guard Self.isSafe(raw, name) else {
                throw bad("holds a file named \"\(Self.printable(name))\", which points outside the archive; zip the files without paths")
            }
            if madeBy >> 8 == 3, (external >> 16) & 0o170000 == 0o120000 {
                throw bad("holds a symbolic link (\(Self.printable(name))); zip the files themselves")
            }
            guard csize != 0xFFFF_FFFF, usize != 0xFFFF_FFFF else {
                throw bad("holds \(Self.printable(name)) with zip64 sizes; zip the Shapefile set without zip64")
            }
            guard flags & 1 == 0 else { throw bad("holds an encrypted file (\(Self.printable(name))); upload it without a password") }
            guard method == 0 || method == 8 || name.hasSuffix("/") else {
                throw bad("holds \(Self.printable(name)) compressed with method \(method); use deflate or no compression")
            }
            entries.append(Entry(name: name, uncompressedSize: usize))
        }
        self.entries = entries
    }

    /// A relative path inside the archive: no `..` component, not absolute, no backslashes,
    /// drive letters or control characters, valid UTF-8.
    static func isSafe(_ raw: [UInt8], _ name: String) -> Bool {
        guard !raw.isEmpty, Array(name.utf8) == raw else { return false }
        guard !raw.contains(where: { $0 < 0x20 || $0 == 0x7F || $0 == UInt8(ascii: "\\") }) else { return false }
        guard raw.first != UInt8(ascii: "/"), !(raw.count >= 2 && raw[1] == UInt8(ascii: ":")) else { return false }
        return !name.split(separator: "/", omittingEmptySubsequences: false).contains { $0 == ".." }
    }

    static func printable(_ s: String) -> String {
        String(s.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? "?" : Character($0) }.prefix(200))
    }

    static func u16(_ b: [UInt8], _ i: Int) -> UInt16 { UInt16(b[i]) | UInt16(b[i + 1]) << 8 }
    static func u32(_ b: [UInt8], _ i: Int) -> UInt32 { UInt32(u16(b, i)) | UInt32(u16(b, i + 2)) << 16 }
}
