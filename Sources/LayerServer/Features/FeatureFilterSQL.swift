import GRDB
import GeoCore

/// A ``CQL2`` filter compiled to an SQL condition over a version table (alias `f`), with its
/// values bound as arguments (never spliced into the text). Properties resolve against the fields
/// the caller may see only: a hidden attribute is an unknown property, exactly as one that does
/// not exist.
struct FeatureFilterSQL {
    /// The condition, e.g. `(f."kind" = ? AND f."depth" BETWEEN ? AND ?)`.
    var sql: String
    var arguments: [DatabaseValue]
    /// Literal geometries of `S_INTERSECTS`, in the layer's CRS, by the index the SQL passes to
    /// ``functionName``.
    var geometries: [Geometry]
    /// The envelope every matching feature lies in (layer CRS) when the filter requires one at
    /// its top level (an `S_INTERSECTS` conjunct); for the R-tree.
    var envelope: Envelope?

    /// The SQL function that tests a stored geometry against a literal (registered per read).
    static let functionName = "ls_s_intersects"

    /// Compiles `filter` for `fields` (the visible ones). `toLayer` brings literal geometries
    /// from the filter CRS into the layer's (and keeps positions in east/north order).
    static func compile(_ filter: CQL2, fields: [Field], toLayer: (Geometry) throws -> Geometry) throws(CQL2.ParseError) -> FeatureFilterSQL {
        var out = FeatureFilterSQL(sql: "", arguments: [], geometries: [], envelope: nil)
        let byName = Dictionary(fields.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        out.sql = try out.condition(filter, byName, toLayer, top: true)
        return out
    }

    /// `top`: the condition is the filter or one of its top-level conjuncts; an S_INTERSECTS
    /// there narrows the R-tree box (one anywhere else, under OR or NOT, does not).
    private mutating func condition(_ e: CQL2, _ fields: [String: Field], _ toLayer: (Geometry) throws -> Geometry, top: Bool = false) throws(CQL2.ParseError) -> String {
        switch e {
        case .and(let parts):
            var s: [String] = []
            for p in parts { s.append(try condition(p, fields, toLayer, top: top)) }
            return "(" + s.joined(separator: " AND ") + ")"
        case .or(let parts):
            var s: [String] = []
            for p in parts { s.append(try condition(p, fields, toLayer)) }
            return "(" + s.joined(separator: " OR ") + ")"
        case .not(let inner):
            return "(NOT " + (try condition(inner, fields, toLayer)) + ")"
        case .literal(let b):
            return b ? "1" : "0"
        case .compare(let op, let a, let b):
            return "(\(try operand(a, fields)) \(op.rawValue) \(try operand(b, fields)))"
        case .like(let a, let pattern):
            arguments.append(Self.glob(pattern).databaseValue)
            return "(\(try operand(a, fields)) GLOB ?)"
        case .between(let a, let low, let high):
            return "(\(try operand(a, fields)) BETWEEN \(try operand(low, fields)) AND \(try operand(high, fields)))"
        case .inList(let a, let list):
            let left = try operand(a, fields)
            var items: [String] = []
            for v in list { items.append(try operand(v, fields)) }
            return "(\(left) IN (\(items.joined(separator: ", "))))"
        case .isNull(let a):
            return "(\(try operand(a, fields)) IS NULL)"
        case .intersects(let literal):
            let g: Geometry
            do { g = try toLayer(literal) } catch {
                throw CQL2.ParseError(message: "the S_INTERSECTS geometry cannot be brought into the layer's coordinate reference system: \(error)")
            }
            geometries.append(g)
            if top {
                // An empty geometry intersects nothing: an empty box.
                let env = g.envelope ?? Envelope(minX: 1, minY: 1, maxX: 0, maxY: 0)
                envelope = envelope.map { $0.intersection(env) } ?? env
            }
            return "(\(Self.functionName)(f.geom, \(geometries.count - 1)) = 1)"
        }
    }

    private mutating func operand(_ s: CQL2.Scalar, _ fields: [String: Field]) throws(CQL2.ParseError) -> String {
        switch s {
        case .property(let name):
            guard let field = fields[name] else {
                let known = fields.keys.sorted().joined(separator: ", ")
                throw CQL2.ParseError(message: "unknown property \"\(name)\"; the queryables of this collection are: \(known)")
            }
            return "f." + GeoPackageSchema.quote(field.name)
        case .string(let v): arguments.append(v.databaseValue)
        case .number(let v): arguments.append(v.databaseValue)
        case .integer(let v): arguments.append(v.databaseValue)
        case .boolean(let v): arguments.append((v ? 1 : 0).databaseValue)
        }
        return "?"
    }

    /// A CQL2 LIKE pattern (`%` any run, `_` one character, `\` escapes) as an SQLite GLOB
    /// pattern, which is case-sensitive as CQL2's LIKE is.
    static func glob(_ pattern: String) -> String {
        var out = ""
        var escaped = false
        for c in pattern {
            if escaped {
                out += literal(c)
                escaped = false
                continue
            }
            switch c {
            case "\\": escaped = true
            case "%": out += "*"
            case "_": out += "?"
            default: out += literal(c)
            }
        }
        if escaped { out += literal("\\") }
        return out
    }

    private static func literal(_ c: Character) -> String {
        switch c {
        case "*": "[*]"
        case "?": "[?]"
        case "[": "[[]"
        default: String(c)
        }
    }
}
