import Crypto
import Foundation

/// Feature ids for a caller that sees a layer only in part. Stored ids are ranks along a
/// Hilbert curve over the whole layer: in a clipped reader's tiles they would count the hidden
/// features and show where they lie. Such a caller gets, instead of id `n`, the first 48 bits of
/// HMAC-SHA256(key, n), under a key made from the server's secret, the layer, its version and
/// the caller's access class: stable for one class and version (map clients keep feature
/// state across tiles), unrelated across classes and versions, neither ordered nor dense.
/// 48 bits keep the ids exact in JavaScript numbers; two features of one version share an id
/// with odds of about n²/2⁴⁹.
struct OpaqueFeatureIDs: Sendable, Hashable {
    let key: [UInt8]

    init(secret: [UInt8], layer: String, version: Int, accessClass: String) {
        var h = SHA256()
        h.update(data: secret)
        h.update(data: Data("feature-ids|\(layer)|\(version)|\(accessClass)".utf8))
        key = Array(h.finalize())
    }

    /// A hasher keyed once per tile; each id then costs one HMAC.
    func hasher() -> Hasher { Hasher(base: HMAC<SHA256>(key: SymmetricKey(data: key))) }

    struct Hasher {
        let base: HMAC<SHA256>

        func id(_ fid: Int64) -> Int64 {
            var h = base
            withUnsafeBytes(of: fid.littleEndian) { h.update(data: $0) }
            var out: Int64 = 0
            for (i, b) in h.finalize().prefix(6).enumerated() { out |= Int64(b) << (8 * i) }
            return out
        }
    }
}
