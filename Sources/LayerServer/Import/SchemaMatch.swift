import GeoCore

/// Compares a file's fields with the layer's current schema. A field that keeps its name but
/// changes type is stored in the layer's type: each value is converted, and a feature whose
/// value cannot be converted is rejected (attribute-type). New and dropped fields are reported.
struct SchemaMatch {
    /// Per stored column: the type to convert to, when it differs from the file's.
    let targets: [FieldType?]
    /// The columns as stored (the layer's types where names match).
    let columns: [Field]
    /// Human-readable notes for the report.
    let changes: [String]

    init(file columns: [Field], previous: [Field]?) {
        guard let previous else {
            self.targets = Array(repeating: nil, count: columns.count)
            self.columns = columns
            self.changes = []
            return
        }
        var byName: [String: Field] = [:]
        for f in previous { byName[f.name.lowercased()] = f }
        var targets: [FieldType?] = []
        var stored: [Field] = []
        var changes: [String] = []
        for c in columns {
            if let p = byName[c.name.lowercased()], p.type != c.type {
                targets.append(p.type)
                stored.append(Field(name: c.name, type: p.type))
                changes.append("field \(c.name) is \(c.type.rawValue) in the file and \(p.type.rawValue) in the layer: values are converted to \(p.type.rawValue)")
            } else {
                targets.append(nil)
                stored.append(c)
                if byName[c.name.lowercased()] == nil { changes.append("new field \(c.name) (\(c.type.rawValue))") }
            }
        }
        let now = Set(columns.map { $0.name.lowercased() })
        for p in previous where !now.contains(p.name.lowercased()) {
            changes.append("field \(p.name) of the current version is not in the file")
        }
        self.targets = targets
        self.columns = stored
        self.changes = changes
    }

    /// True when no value needs converting.
    var isIdentity: Bool { targets.allSatisfy { $0 == nil } }

    /// Converts `values` in place; returns the reason of the first value that does not fit.
    func convert(_ values: inout [AttributeValue]) -> String? {
        for (i, target) in targets.enumerated() where i < values.count {
            guard let target else { continue }
            guard let v = Self.convert(values[i], to: target) else {
                return "attribute \(columns[i].name): \(Self.describe(values[i])) is not a valid \(target.rawValue) value as the layer's schema requires"
            }
            values[i] = v
        }
        return nil
    }

    static func convert(_ v: AttributeValue, to type: FieldType) -> AttributeValue? {
        switch (v, type) {
        case (.null, _): return .null
        case (.string(let s), .text), (.string(let s), .date), (.string(let s), .dateTime): return .string(s)
        case (_, .text): return .string(text(v))
        case (.int, .integer), (.double, .real), (.bool, .bool), (.blob, .blob): return v
        case (.int(let i), .real): return .double(Double(i))
        case (.bool(let b), .integer): return .int(b ? 1 : 0)
        case (.double(let d), .integer):
            guard d.rounded() == d, abs(d) < 9.0e15 else { return nil }
            return .int(Int64(d))
        case (.string(let s), .integer): return Int64(s.trimmingCharacters(in: .whitespaces)).map { .int($0) }
        case (.string(let s), .real): return Double(s.trimmingCharacters(in: .whitespaces)).flatMap { $0.isFinite ? .double($0) : nil }
        case (.int(let i), .bool) where i == 0 || i == 1: return .bool(i == 1)
        case (.string(let s), .bool):
            switch s.lowercased() {
            case "true", "1", "yes", "ja": return .bool(true)
            case "false", "0", "no", "nee": return .bool(false)
            default: return nil
            }
        default: return nil
        }
    }

    static func text(_ v: AttributeValue) -> String {
        switch v {
        case .null: ""
        case .bool(let b): b ? "true" : "false"
        case .int(let i): String(i)
        case .double(let d): String(d)
        case .string(let s): s
        case .blob(let b): "\(b.count) bytes"
        }
    }

    static func describe(_ v: AttributeValue) -> String {
        let t = text(v)
        return "\"" + (t.count > 40 ? String(t.prefix(40)) + "..." : t) + "\""
    }
}
