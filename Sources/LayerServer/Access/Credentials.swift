import Crypto
import Foundation

/// The text forms of credentials: API tokens (`lst_<id>.<secret>`) and signed tile-URL
/// parameters (`<token id>.<expiry>.<access class>.<HMAC>`).
enum Credentials {
    /// SHA-256 of a token secret, hex: the only form the store keeps.
    static func digest(_ secret: String) -> String {
        LayerService.hex(SHA256.hash(data: Data(secret.utf8)))
    }

    /// Splits `Bearer lst_<id>.<secret>`; nil when it is not of that shape. Works on the UTF-8
    /// bytes: it runs on every request.
    static func parseBearer(_ header: String) -> (id: String, secret: String)? {
        var utf8 = Substring(header).utf8[...]
        // The scheme, case-insensitively, then one or more spaces.
        let scheme = Array("bearer".utf8)
        guard utf8.count > scheme.count + 1, utf8.count <= 220 else { return nil }
        for (i, b) in utf8.prefix(scheme.count).enumerated() where b | 0x20 != scheme[i] { return nil }
        utf8 = utf8.dropFirst(scheme.count)
        guard utf8.first == UInt8(ascii: " ") else { return nil }
        while utf8.first == UInt8(ascii: " ") { utf8 = utf8.dropFirst() }
        while utf8.last == UInt8(ascii: " ") { utf8 = utf8.dropLast() }
        return parseToken(utf8)
    }

    /// `lst_<id>.<secret>` into its id and secret.
    static func parseToken(_ utf8: Substring.UTF8View.SubSequence) -> (id: String, secret: String)? {
        guard utf8.starts(with: "lst_".utf8) else { return nil }
        let body = utf8.dropFirst(4)
        guard body.count > 13, body[body.index(body.startIndex, offsetBy: 12)] == UInt8(ascii: ".") else { return nil }
        let id = body.prefix(12), secret = body.dropFirst(13)
        guard id.allSatisfy(isHex), (20...100).contains(secret.count), secret.allSatisfy(isSecretByte) else { return nil }
        return (String(decoding: id, as: UTF8.self), String(decoding: secret, as: UTF8.self))
    }

    /// `Basic base64(user:password)` with an API token as the password (any user name, e.g. the
    /// token's id): how desktop GIS clients (QGIS, ArcGIS, GDAL) keep a stored login, since they
    /// cannot always send custom headers. Nil when the header is not that.
    static func parseBasic(_ header: String) -> (id: String, secret: String)? {
        guard header.utf8.count <= 600 else { return nil }
        let scheme = "basic "
        guard header.utf8.count > scheme.utf8.count, header.prefix(scheme.count).lowercased() == scheme else { return nil }
        let encoded = header.dropFirst(scheme.count).trimmingCharacters(in: .whitespaces)
        guard let decoded = Data(base64Encoded: encoded), let text = String(data: decoded, encoding: .utf8),
              let colon = text.firstIndex(of: ":") else { return nil }
        let password = text[text.index(after: colon)...]
        return parseToken(Substring(password).utf8[...])
    }

    static func isHex(_ b: UInt8) -> Bool { nibble(b) != nil }

    /// base64url: letters, digits, `-` and `_`.
    static func isSecretByte(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x2D || b == 0x5F
    }

    /// Constant-time comparison of two hex digests.
    static func equal(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var diff: UInt8 = 0
        for i in 0..<x.count { diff |= x[i] ^ y[i] }
        return diff == 0
    }

    /// The signed-URL parameter for `layer`, bound to the token, the access class and the expiry.
    static func sign(tokenID: String, expires: Int64, layer: String, accessClass: String, key: SymmetricKey) -> String {
        let message = "\(tokenID).\(expires).\(layer).\(accessClass)"
        let mac = HMAC<SHA256>.authenticationCode(for: Data(message.utf8), using: key)
        return "\(tokenID).\(expires).\(accessClass).\(LayerService.hex(mac))"
    }

    /// Checks a signed-URL parameter's MAC for `layer`; nil when malformed or forged.
    static func verify(_ value: String, layer: String, key: SymmetricKey) -> (tokenID: String, expires: Int64, accessClass: String)? {
        let parts = value.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard value.count <= 200, parts.count == 4, let expires = Int64(parts[1]), parts[3].count == 64,
              let mac = hexBytes(parts[3]) else { return nil }
        let message = "\(parts[0]).\(expires).\(layer).\(parts[2])"
        guard HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: Data(message.utf8), using: key) else { return nil }
        return (parts[0], expires, parts[2])
    }

    static func hexBytes(_ hex: String) -> [UInt8]? {
        let chars = Array(hex.utf8)
        guard chars.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(chars.count / 2)
        for i in stride(from: 0, to: chars.count, by: 2) {
            guard let hi = nibble(chars[i]), let lo = nibble(chars[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
        }
        return out
    }

    static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case 48...57: c - 48
        case 97...102: c - 87
        case 65...70: c - 55
        default: nil
        }
    }
}
