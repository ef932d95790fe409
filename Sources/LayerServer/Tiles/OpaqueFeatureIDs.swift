import Crypto
import Foundation
import _CryptoExtras

/// Feature ids for a caller that sees a layer only in part. Stored ids are ranks along a
/// Hilbert curve over the whole layer: in a clipped reader's tiles and feature pages they would
/// count the hidden features and show where they lie. Such a caller gets, instead of id `n`, a
/// keyed permutation of the 48-bit numbers: a four-round Feistel network whose round function
/// is AES-256 under a key made from the server's secret, the layer, its version and the caller's
/// access class. The ids are stable for one class and version (map clients keep feature state
/// across tiles, and a tile's id names the same feature in `/items/{id}`), unrelated across
/// classes and versions, neither ordered nor dense, and only the server can turn one back into
/// the stored id (``Hasher/fid(_:)``). 48 bits keep the ids exact in JavaScript numbers.
struct OpaqueFeatureIDs: Sendable, Hashable {
    let key: [UInt8]

    init(secret: [UInt8], layer: String, version: Int, accessClass: String) {
        var h = SHA256()
        h.update(data: secret)
        h.update(data: Data("feature-ids|\(layer)|\(version)|\(accessClass)".utf8))
        key = Array(h.finalize())
    }

    /// The permutation under this key.
    func hasher() -> Hasher { Hasher(key: SymmetricKey(data: key)) }

    struct Hasher {
        let key: SymmetricKey
        static let half: Int64 = 1 << 24
        static let mask: Int64 = (1 << 24) - 1
        static let rounds: UInt8 = 4

        /// The round function: 24 bits of AES_K(round ‖ input).
        private func round(_ i: UInt8, _ input: Int64) -> Int64 {
            var block: [UInt8] = [i, UInt8(input & 0xFF), UInt8((input >> 8) & 0xFF), UInt8((input >> 16) & 0xFF), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
            // The key is 32 bytes and the block 16: permute cannot fail.
            try? AES.permute(&block, key: key)
            return Int64(block[0]) | Int64(block[1]) << 8 | Int64(block[2]) << 16
        }

        /// The id the caller sees for the stored id `fid`. Stored ids are ranks (1...n), far
        /// below 2⁴⁸; a larger one is reduced modulo 2⁴⁸ (it still says nothing of the rest).
        func id(_ fid: Int64) -> Int64 {
            var l = (fid >> 24) & Self.mask
            var r = fid & Self.mask
            for i in 0..<Self.rounds { (l, r) = (r, l ^ round(i, r)) }
            return l << 24 | r
        }

        /// The stored id of the id `id` a caller was given; nil when `id` is not a 48-bit number.
        func fid(_ id: Int64) -> Int64? {
            guard id >= 0, id < 1 << 48 else { return nil }
            var l = (id >> 24) & Self.mask
            var r = id & Self.mask
            for i in (0..<Self.rounds).reversed() { (l, r) = (r ^ round(i, l), l) }
            return l << 24 | r
        }
    }
}
