import Crypto
import Foundation

/// The position of a page of features, sealed (ChaCha20-Poly1305 under a key made from the
/// server's secret) so that a caller can neither read the stored ids in it nor forge one. It
/// names the layer version the paging started on (pages stay on that version while newer ones
/// are published) and the caller's access class (a cursor does not carry over to another view).
struct FeatureCursor {
    var layer: String
    var version: Int
    var accessClass: String
    var position: FeatureQuery.Position

    private var text: String {
        switch position {
        case .after(let fid): "\(layer)|\(version)|\(accessClass)|a|\(fid)"
        case .before(let fid): "\(layer)|\(version)|\(accessClass)|b|\(fid)"
        }
    }

    static func key(_ secret: [UInt8]) -> SymmetricKey {
        var h = SHA256()
        h.update(data: secret)
        h.update(data: Data("feature-cursor".utf8))
        return SymmetricKey(data: h.finalize())
    }

    /// The cursor as a URL-safe string.
    func seal(key secret: [UInt8]) -> String {
        guard let box = try? ChaChaPoly.seal(Data(text.utf8), using: Self.key(secret)) else { return "" }
        return box.combined.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// The cursor of a string made by ``seal(key:)``; nil when it is not one (or was altered).
    static func open(_ value: String, key secret: [UInt8]) -> FeatureCursor? {
        guard value.utf8.count <= 512 else { return nil }
        var b64 = value.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while b64.count % 4 != 0 { b64 += "=" }
        guard let data = Data(base64Encoded: b64), let box = try? ChaChaPoly.SealedBox(combined: data),
              let plain = try? ChaChaPoly.open(box, using: key(secret)) else { return nil }
        let parts = String(decoding: plain, as: UTF8.self).split(separator: "|", omittingEmptySubsequences: false)
        guard parts.count == 5, let version = Int(parts[1]), let fid = Int64(parts[4]) else { return nil }
        let position: FeatureQuery.Position
        switch parts[3] {
        case "a": position = .after(fid)
        case "b": position = .before(fid)
        default: return nil
        }
        return FeatureCursor(layer: String(parts[0]), version: version, accessClass: String(parts[2]), position: position)
    }
}
