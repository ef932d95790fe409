import Foundation

/// A strict JSON (RFC 8259) reader that builds a ``JSONValue``.
///
/// Ours rather than `JSONDecoder`: decoding an untyped value through `Decodable` has to try
/// each type in turn, and every miss is a thrown error (under the test runner each one also
/// captures a backtrace). This reader walks the bytes once and throws at most once, at the
/// first error, with its byte offset. Nesting is limited so that hostile input cannot exhaust
/// the stack; numbers must be finite doubles; strings must be valid UTF-8 with paired surrogates;
/// an object may not name a member twice.
struct JSONReader {
    struct Failure: Error, CustomStringConvertible {
        let offset: Int
        let reason: String
        var description: String { "invalid JSON at byte \(offset): \(reason)" }
    }

    /// Deeper than any GeoJSON, style or filter we read; shallow enough for a 512 KiB thread stack.
    static let maximumDepth = 256
    let bytes: [UInt8]
    var i = 0
    var failure: Failure?

    init(_ data: Data) { bytes = [UInt8](data) }

    mutating func fail(_ reason: String) -> JSONValue? {
        if failure == nil { failure = Failure(offset: i, reason: reason) }
        return nil
    }

    mutating func skipSpace() {
        while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 }
    }

    mutating func document() throws -> JSONValue {
        skipSpace()
        guard let v = value(depth: 0) else { throw failure ?? Failure(offset: i, reason: "no value") }
        skipSpace()
        guard i == bytes.count else { throw Failure(offset: i, reason: "data after the value") }
        return v
    }

    mutating func literal(_ word: [UInt8], _ v: JSONValue) -> JSONValue? {
        guard i + word.count <= bytes.count, bytes[i..<i + word.count].elementsEqual(word) else { return fail("unexpected character") }
        i += word.count
        return v
    }

    mutating func value(depth: Int) -> JSONValue? {
        guard depth < Self.maximumDepth else { return fail("nested more than \(Self.maximumDepth) levels") }
        guard i < bytes.count else { return fail("unexpected end") }
        switch bytes[i] {
        case UInt8(ascii: "{"):
            i += 1
            var members: [String: JSONValue] = [:]
            skipSpace()
            if i < bytes.count, bytes[i] == UInt8(ascii: "}") { i += 1; return .object(members) }
            while true {
                skipSpace()
                guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { return fail("expected a member name") }
                let keyAt = i
                guard let key = string() else { return nil }
                // RFC 8259 leaves duplicates undefined; two readers could take different ones.
                guard members[key] == nil else { i = keyAt; return fail("duplicate member \"\(key.prefix(64))\"") }
                skipSpace()
                guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { return fail("expected ':'") }
                i += 1
                skipSpace()
                guard let v = value(depth: depth + 1) else { return nil }
                members[key] = v
                skipSpace()
                guard i < bytes.count else { return fail("unexpected end") }
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                if bytes[i] == UInt8(ascii: "}") { i += 1; return .object(members) }
                return fail("expected ',' or '}'")
            }
        case UInt8(ascii: "["):
            i += 1
            var elements: [JSONValue] = []
            skipSpace()
            if i < bytes.count, bytes[i] == UInt8(ascii: "]") { i += 1; return .array(elements) }
            while true {
                skipSpace()
                guard let v = value(depth: depth + 1) else { return nil }
                elements.append(v)
                skipSpace()
                guard i < bytes.count else { return fail("unexpected end") }
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                if bytes[i] == UInt8(ascii: "]") { i += 1; return .array(elements) }
                return fail("expected ',' or ']'")
            }
        case UInt8(ascii: "\""):
            return string().map(JSONValue.string)
        case UInt8(ascii: "t"): return literal(Array("true".utf8), .bool(true))
        case UInt8(ascii: "f"): return literal(Array("false".utf8), .bool(false))
        case UInt8(ascii: "n"): return literal(Array("null".utf8), .null)
        default: return number()
        }
    }

    mutating func number() -> JSONValue? {
        let start = i
        func digits() -> Bool { let s = i; while i < bytes.count, bytes[i] >= 0x30, bytes[i] <= 0x39 { i += 1 }; return i > s }
        if i < bytes.count, bytes[i] == UInt8(ascii: "-") { i += 1 }
        guard i < bytes.count, bytes[i] >= 0x30, bytes[i] <= 0x39 else { return fail("unexpected character") }
        if bytes[i] == 0x30 { i += 1 } else { _ = digits() }
        if i < bytes.count, bytes[i] == UInt8(ascii: ".") { i += 1; guard digits() else { return fail("expected a digit") } }
        if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            i += 1
            if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
            guard digits() else { return fail("expected a digit") }
        }
        let d = bytes.withUnsafeBufferPointer { b in
            Double(Substring(decoding: UnsafeBufferPointer(rebasing: b[start..<i]), as: UTF8.self))
        }
        guard let d, d.isFinite else { return fail("number out of range") }
        return .number(d)
    }

    mutating func hex4() -> UInt32? {
        guard i + 4 <= bytes.count else { return nil }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[i]
            let d: UInt8
            switch c {
            case 0x30...0x39: d = c - 0x30
            case 0x41...0x46: d = c - 0x41 + 10
            case 0x61...0x66: d = c - 0x61 + 10
            default: return nil
            }
            v = v << 4 | UInt32(d)
            i += 1
        }
        return v
    }

    /// A string at `i` (which holds the opening quote).
    mutating func string() -> String? {
        i += 1
        let start = i
        // Fast path: no escapes.
        while i < bytes.count, bytes[i] != UInt8(ascii: "\""), bytes[i] != UInt8(ascii: "\\"), bytes[i] >= 0x20 { i += 1 }
        guard i < bytes.count else { _ = fail("unterminated string"); return nil }
        if bytes[i] == UInt8(ascii: "\"") {
            let s = bytes.withUnsafeBufferPointer { b in String(validating: UnsafeBufferPointer(rebasing: b[start..<i]), as: UTF8.self) }
            i += 1
            guard let s else { _ = fail("invalid UTF-8"); return nil }
            return s
        }
        var out = Array(bytes[start..<i])
        while true {
            guard i < bytes.count else { _ = fail("unterminated string"); return nil }
            let c = bytes[i]
            if c == UInt8(ascii: "\"") { i += 1; break }
            guard c >= 0x20 else { _ = fail("control character in a string"); return nil }
            if c != UInt8(ascii: "\\") { out.append(c); i += 1; continue }
            i += 1
            guard i < bytes.count else { _ = fail("unterminated string"); return nil }
            let e = bytes[i]
            i += 1
            switch e {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                guard var scalar = hex4() else { _ = fail("bad \\u escape"); return nil }
                if scalar >= 0xD800, scalar < 0xDC00 {
                    guard i + 2 <= bytes.count, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") else { _ = fail("lone surrogate"); return nil }
                    i += 2
                    guard let low = hex4(), low >= 0xDC00, low < 0xE000 else { _ = fail("lone surrogate"); return nil }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if scalar >= 0xDC00, scalar < 0xE000 { _ = fail("lone surrogate"); return nil }
                guard let u = Unicode.Scalar(scalar) else { _ = fail("bad \\u escape"); return nil }
                out.append(contentsOf: Array(String(Character(u)).utf8))
            default: _ = fail("bad escape"); return nil
            }
        }
        guard let s = String(validating: out, as: UTF8.self) else { _ = fail("invalid UTF-8"); return nil }
        return s
    }
}
