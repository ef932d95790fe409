/// Text for XML documents the project writes (CAP alerts, WMTS capabilities).
public enum XMLText {
    /// `s` escaped for XML character data and attribute values; characters XML 1.0 does not
    /// allow are left out.
    public static func escape(_ s: String) -> String {
        var out = ""
        for ch in s {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default:
                if ch.unicodeScalars.allSatisfy({ $0.value == 0x9 || $0.value == 0xA || $0.value == 0xD || $0.value >= 0x20 }) { out.append(ch) }
            }
        }
        return out
    }
}
