import GeoCore

/// The accepted features of an import, held compactly until they are written in spatial order.
///
/// Each record is `[blob length: u32][GeoPackage blob][attributes]`, an attribute being a tag
/// byte and its payload (0 null, 1 bool, 2 int64, 3 double, 4 text, 5 blob; lengths u32,
/// numbers little-endian). The same bytes feed the SQLite insert and the version checksum.
struct FeatureArena {
    private(set) var bytes: [UInt8] = []
    private(set) var offsets: [Int] = []

    var count: Int { offsets.count }

    mutating func reserve(features: Int, bytesPerFeature: Int) {
        offsets.reserveCapacity(features)
        bytes.reserveCapacity(features * bytesPerFeature)
    }

    mutating func append(blob: [UInt8], attributes: [AttributeValue]) {
        offsets.append(bytes.count)
        put(UInt32(blob.count))
        bytes += blob
        for a in attributes {
            switch a {
            case .null: bytes.append(0)
            case .bool(let b): bytes.append(1); bytes.append(b ? 1 : 0)
            case .int(let n): bytes.append(2); put(UInt64(bitPattern: n))
            case .double(let d): bytes.append(3); put(d.bitPattern)
            case .string(let s): bytes.append(4); put(UInt32(s.utf8.count)); bytes += s.utf8
            case .blob(let b): bytes.append(5); put(UInt32(b.count)); bytes += b
            }
        }
    }

    private mutating func put<T: FixedWidthInteger>(_ v: T) {
        withUnsafeBytes(of: v.littleEndian) { bytes += $0 }
    }

    /// The bytes of record `i`.
    func withRecord<R>(_ i: Int, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        let start = offsets[i]
        let end = i + 1 < offsets.count ? offsets[i + 1] : bytes.count
        return try bytes.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[start..<end])) }
    }

    /// Binds a record to an insert: parameter 2 the blob, 3... the attributes (1 is the fid).
    static func bind(_ record: UnsafeRawBufferPointer, to insert: SQLiteInsert, columns: Int) {
        var o = 0
        func u32() -> Int {
            defer { o += 4 }
            return Int(UInt32(littleEndian: record.loadUnaligned(fromByteOffset: o, as: UInt32.self)))
        }
        func u64() -> UInt64 {
            defer { o += 8 }
            return UInt64(littleEndian: record.loadUnaligned(fromByteOffset: o, as: UInt64.self))
        }
        let blobLength = u32()
        insert.bindBytes(2, UnsafeRawBufferPointer(rebasing: record[o..<(o + blobLength)]))
        o += blobLength
        var column: Int32 = 3
        while o < record.count, column < Int32(columns + 3) {
            let tag = record[o]
            o += 1
            switch tag {
            case 1: insert.bind(column, Int64(record[o])); o += 1
            case 2: insert.bind(column, Int64(bitPattern: u64()))
            case 3:
                let d = Double(bitPattern: u64())
                if d.isFinite { insert.bind(column, d) } else { insert.bindNull(column) }
            case 4:
                let n = u32()
                insert.bindText(column, UnsafeRawBufferPointer(rebasing: record[o..<(o + n)]))
                o += n
            case 5:
                let n = u32()
                insert.bindBytes(column, UnsafeRawBufferPointer(rebasing: record[o..<(o + n)]))
                o += n
            default: insert.bindNull(column)
            }
            column += 1
        }
    }
}

/// Position along a Hilbert curve of order 16 over a frame: nearby positions get nearby keys,
/// so features written in key order are stored together.
struct HilbertKey {
    let frame: Envelope

    func key(_ p: Position) -> UInt64 {
        let n: UInt32 = 1 << 16
        func cell(_ v: Double, _ lo: Double, _ span: Double) -> UInt32 {
            guard span > 0, v.isFinite else { return 0 }
            return UInt32(min(max((v - lo) / span * Double(n), 0), Double(n - 1)))
        }
        var x = cell(p.x, frame.minX, frame.width)
        var y = cell(p.y, frame.minY, frame.height)
        var d: UInt64 = 0
        var s = n / 2
        while s > 0 {
            let rx: UInt32 = (x & s) > 0 ? 1 : 0
            let ry: UInt32 = (y & s) > 0 ? 1 : 0
            d += UInt64(s) * UInt64(s) * UInt64((3 * rx) ^ ry)
            if ry == 0 {
                if rx == 1 {
                    x = s &- 1 &- x
                    y = s &- 1 &- y
                }
                swap(&x, &y)
            }
            s /= 2
        }
        return d
    }
}
