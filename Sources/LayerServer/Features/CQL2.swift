import Foundation
import GeoCore

/// A filter of OGC API Features Part 3, Basic CQL2 plus `S_INTERSECTS` with a literal geometry:
/// comparisons, `AND`/`OR`/`NOT`, `LIKE`, `BETWEEN`, `IN` and `IS NULL`. Parsed by us from
/// cql2-text or cql2-json; anything else is a ``CQL2/ParseError`` that says what to fix.
indirect enum CQL2: Equatable, Sendable {
    enum Comparison: String, Sendable { case eq = "=", ne = "<>", lt = "<", le = "<=", gt = ">", ge = ">=" }

    /// A property, or a literal value.
    enum Scalar: Equatable, Sendable {
        case property(String)
        case string(String)
        case number(Double)
        case integer(Int64)
        case boolean(Bool)
    }

    case and([CQL2])
    case or([CQL2])
    case not(CQL2)
    case literal(Bool)
    case compare(Comparison, Scalar, Scalar)
    case like(Scalar, pattern: String)
    case between(Scalar, Scalar, Scalar)
    case inList(Scalar, [Scalar])
    case isNull(Scalar)
    /// The feature's geometry (the property `geom` or `geometry`) intersects a literal geometry,
    /// given in the filter CRS.
    case intersects(Geometry)

    /// A filter the parser refused.
    struct ParseError: Error, Equatable {
        var message: String
    }

    /// Bounds on what a filter may make us do.
    static let maximumLength = 16_384
    static let maximumDepth = 32
    static let maximumNodes = 1_000

    /// Names by which a filter refers to the feature's geometry.
    static let geometryNames: Set<String> = ["geom", "geometry"]

    /// The number of predicates and operators in the filter.
    var nodeCount: Int {
        switch self {
        case .and(let xs), .or(let xs): 1 + xs.reduce(0) { $0 + $1.nodeCount }
        case .not(let x): 1 + x.nodeCount
        case .inList(_, let xs): 1 + xs.count
        default: 1
        }
    }

    // MARK: cql2-text

    /// Parses cql2-text.
    static func parseText(_ text: String) throws(ParseError) -> CQL2 {
        guard text.utf8.count <= maximumLength else { throw ParseError(message: "the filter is longer than \(maximumLength) bytes") }
        var parser = TextParser(tokens: try Lexer.tokens(text))
        let expression = try parser.expression(depth: 0)
        guard parser.atEnd else { throw ParseError(message: "unexpected \(parser.describeNext()) after a complete filter") }
        guard expression.nodeCount <= maximumNodes else { throw ParseError(message: "the filter has more than \(maximumNodes) predicates and values") }
        return expression
    }

    enum Token: Equatable {
        case word(String)          // identifiers and keywords, as written
        case quoted(String)        // "double-quoted identifier"
        case string(String)        // 'string literal'
        case number(String)
        case symbol(String)        // ( ) , = <> < <= > >= -
    }

    enum Lexer {
        static func tokens(_ text: String) throws(ParseError) -> [Token] {
            var out: [Token] = []
            let chars = Array(text.unicodeScalars)
            var i = 0
            func isWordStart(_ c: Unicode.Scalar) -> Bool { c.properties.isAlphabetic || c == "_" }
            func isWord(_ c: Unicode.Scalar) -> Bool { isWordStart(c) || c.properties.numericType != nil || c == "_" || c == "." || c == ":" }
            while i < chars.count {
                let c = chars[i]
                if c.properties.isWhitespace { i += 1; continue }
                if c == "'" || c == "\"" {
                    var s = String.UnicodeScalarView()
                    i += 1
                    var closed = false
                    while i < chars.count {
                        if chars[i] == c {
                            if i + 1 < chars.count, chars[i + 1] == c { s.append(c); i += 2; continue }
                            closed = true
                            i += 1
                            break
                        }
                        s.append(chars[i])
                        i += 1
                    }
                    guard closed else { throw ParseError(message: "a \(c == "'" ? "string" : "quoted name") is not closed: add the closing \(c)") }
                    out.append(c == "'" ? .string(String(s)) : .quoted(String(s)))
                    continue
                }
                if c.properties.numericType != nil || (c == "." && i + 1 < chars.count && chars[i + 1].properties.numericType != nil) {
                    var s = ""
                    while i < chars.count, chars[i].properties.numericType != nil || chars[i] == "." || chars[i] == "e" || chars[i] == "E"
                            || ((chars[i] == "+" || chars[i] == "-") && (s.last == "e" || s.last == "E")) {
                        s.unicodeScalars.append(chars[i])
                        i += 1
                    }
                    out.append(.number(s))
                    continue
                }
                if isWordStart(c) {
                    var s = ""
                    while i < chars.count, isWord(chars[i]) { s.unicodeScalars.append(chars[i]); i += 1 }
                    out.append(.word(s))
                    continue
                }
                let two = i + 1 < chars.count ? String(String.UnicodeScalarView([c, chars[i + 1]])) : ""
                if ["<>", "<=", ">="].contains(two) {
                    out.append(.symbol(two))
                    i += 2
                    continue
                }
                if "(),=<>-+".unicodeScalars.contains(c) {
                    out.append(.symbol(String(c)))
                    i += 1
                    continue
                }
                throw ParseError(message: "unexpected character \"\(c)\" at position \(i + 1)")
            }
            return out
        }
    }

    struct TextParser {
        let tokens: [Token]
        var at = 0

        var atEnd: Bool { at >= tokens.count }

        func describeNext() -> String {
            guard at < tokens.count else { return "end of filter" }
            switch tokens[at] {
            case .word(let w): return "\"\(w)\""
            case .quoted(let w): return "\"\\\"\(w)\\\"\""
            case .string(let s): return "'\(s)'"
            case .number(let n): return n
            case .symbol(let s): return "\"\(s)\""
            }
        }

        func keyword(_ k: String, offset: Int = 0) -> Bool {
            guard at + offset < tokens.count, case .word(let w) = tokens[at + offset] else { return false }
            return w.uppercased() == k
        }

        mutating func accept(_ k: String) -> Bool {
            guard keyword(k) else { return false }
            at += 1
            return true
        }

        mutating func acceptSymbol(_ s: String) -> Bool {
            guard at < tokens.count, tokens[at] == .symbol(s) else { return false }
            at += 1
            return true
        }

        mutating func expect(_ s: String) throws(ParseError) {
            guard acceptSymbol(s) else { throw ParseError(message: "expected \"\(s)\" but found \(describeNext())") }
        }

        mutating func expression(depth: Int) throws(ParseError) -> CQL2 {
            guard depth < CQL2.maximumDepth else { throw ParseError(message: "the filter nests deeper than \(CQL2.maximumDepth) levels") }
            var terms = [try term(depth: depth)]
            while accept("OR") { terms.append(try term(depth: depth)) }
            return terms.count == 1 ? terms[0] : .or(terms)
        }

        mutating func term(depth: Int) throws(ParseError) -> CQL2 {
            var factors = [try factor(depth: depth)]
            while accept("AND") { factors.append(try factor(depth: depth)) }
            return factors.count == 1 ? factors[0] : .and(factors)
        }

        mutating func factor(depth: Int) throws(ParseError) -> CQL2 {
            if accept("NOT") { return .not(try factor(depth: depth + 1)) }
            if acceptSymbol("(") {
                let e = try expression(depth: depth + 1)
                try expect(")")
                return e
            }
            if keyword("S_INTERSECTS") {
                at += 1
                try expect("(")
                let target = try scalar()
                guard case .property(let name) = target, CQL2.geometryNames.contains(name.lowercased()) else {
                    throw ParseError(message: "S_INTERSECTS takes the geometry property first: S_INTERSECTS(geom, POINT(4.9 52.4))")
                }
                try expect(",")
                let g = try geometry(depth: depth)
                try expect(")")
                return .intersects(g)
            }
            if let spatial = ["S_CONTAINS", "S_WITHIN", "S_DISJOINT", "S_EQUALS", "S_TOUCHES", "S_OVERLAPS", "S_CROSSES", "T_AFTER", "T_BEFORE", "T_INTERSECTS", "A_CONTAINS", "CASEI", "ACCENTI"].first(where: { keyword($0) }) {
                throw ParseError(message: "\(spatial) is not supported: this server implements Basic CQL2 and S_INTERSECTS")
            }
            // TRUE/FALSE alone is a predicate; followed by an operator it is a value.
            if (keyword("TRUE") || keyword("FALSE")), isPredicateEnd(offset: 1) {
                let v = keyword("TRUE")
                at += 1
                return .literal(v)
            }
            let left = try scalar()
            if accept("IS") {
                let negated = accept("NOT")
                guard accept("NULL") else { throw ParseError(message: "expected NULL after IS but found \(describeNext())") }
                return negated ? .not(.isNull(left)) : .isNull(left)
            }
            let negated = accept("NOT")
            if accept("LIKE") {
                guard at < tokens.count, case .string(let pattern) = tokens[at] else {
                    throw ParseError(message: "LIKE takes a string pattern in single quotes, found \(describeNext())")
                }
                at += 1
                let e = CQL2.like(left, pattern: pattern)
                return negated ? .not(e) : e
            }
            if accept("BETWEEN") {
                let low = try scalar()
                guard accept("AND") else { throw ParseError(message: "expected AND in BETWEEN but found \(describeNext())") }
                let high = try scalar()
                let e = CQL2.between(left, low, high)
                return negated ? .not(e) : e
            }
            if accept("IN") {
                try expect("(")
                var list = [try scalar()]
                while acceptSymbol(",") { list.append(try scalar()) }
                try expect(")")
                let e = CQL2.inList(left, list)
                return negated ? .not(e) : e
            }
            guard !negated else { throw ParseError(message: "expected LIKE, BETWEEN or IN after NOT but found \(describeNext())") }
            for op in [Comparison.ne, .le, .ge, .eq, .lt, .gt] where acceptSymbol(op.rawValue) {
                return .compare(op, left, try scalar())
            }
            throw ParseError(message: "expected a comparison (=, <>, <, <=, >, >=, LIKE, BETWEEN, IN, IS NULL) but found \(describeNext())")
        }

        func isPredicateEnd(offset: Int) -> Bool {
            guard at + offset < tokens.count else { return true }
            if tokens[at + offset] == .symbol(")") { return true }
            return keyword("AND", offset: offset) || keyword("OR", offset: offset)
        }

        mutating func scalar() throws(ParseError) -> Scalar {
            guard at < tokens.count else { throw ParseError(message: "the filter ends where a value or property was expected") }
            let token = tokens[at]
            at += 1
            switch token {
            case .string(let s): return .string(s)
            case .quoted(let name): return .property(name)
            case .number(let n): return try Self.number(n)
            case .symbol("-"), .symbol("+"):
                guard at < tokens.count, case .number(let n) = tokens[at] else { throw ParseError(message: "a sign must be followed by a number") }
                at += 1
                return try Self.number(token == .symbol("-") ? "-" + n : n)
            case .word(let w):
                switch w.uppercased() {
                case "TRUE": return .boolean(true)
                case "FALSE": return .boolean(false)
                case "DATE", "TIMESTAMP", "INTERVAL":
                    throw ParseError(message: "\(w.uppercased()) literals are not supported: this server implements Basic CQL2 (compare dates as strings)")
                case "AND", "OR", "NOT", "LIKE", "BETWEEN", "IN", "IS", "NULL":
                    throw ParseError(message: "expected a value or property but found the keyword \(w.uppercased())")
                default:
                    if at < tokens.count, tokens[at] == .symbol("(") {
                        throw ParseError(message: "function \(w) is not supported")
                    }
                    return .property(w)
                }
            case .symbol(let s):
                throw ParseError(message: "expected a value or property but found \"\(s)\"")
            }
        }

        static func number(_ text: String) throws(ParseError) -> Scalar {
            if let i = Int64(text) { return .integer(i) }
            if let d = Double(text), d.isFinite { return .number(d) }
            throw ParseError(message: "\"\(text)\" is not a number")
        }

        // MARK: WKT and BBOX literals

        mutating func geometry(depth: Int) throws(ParseError) -> Geometry {
            guard at < tokens.count, case .word(let w) = tokens[at] else {
                throw ParseError(message: "expected a geometry literal (POINT, LINESTRING, POLYGON, MULTI..., BBOX) but found \(describeNext())")
            }
            at += 1
            let kind = w.uppercased()
            if kind == "BBOX" {
                try expect("(")
                var values = [try coordinate()]
                while acceptSymbol(",") { values.append(try coordinate()) }
                try expect(")")
                guard values.count == 4, values[0] <= values[2], values[1] <= values[3] else {
                    throw ParseError(message: "BBOX takes four numbers: minx, miny, maxx, maxy (min not above max)")
                }
                return .polygon(Envelope(minX: values[0], minY: values[1], maxX: values[2], maxY: values[3]).polygon)
            }
            switch kind {
            case "POINT":
                let ps = try positionList()
                guard ps.count == 1 else { throw ParseError(message: "POINT takes one position: POINT(x y)") }
                return .point(ps[0])
            case "LINESTRING":
                let ps = try positionList()
                guard ps.count >= 2 else { throw ParseError(message: "a LINESTRING needs at least two positions") }
                return .lineString(ps)
            case "POLYGON":
                return .polygon(try polygon())
            case "MULTIPOINT":
                try expect("(")
                var ps: [Position] = []
                repeat {
                    if acceptSymbol("(") { ps.append(try position()); try expect(")") } else { ps.append(try position()) }
                } while acceptSymbol(",")
                try expect(")")
                return .multiPoint(ps)
            case "MULTILINESTRING":
                try expect("(")
                var ls = [try positionList()]
                while acceptSymbol(",") { ls.append(try positionList()) }
                try expect(")")
                return .multiLineString(ls)
            case "MULTIPOLYGON":
                try expect("(")
                var polys = [try polygon()]
                while acceptSymbol(",") { polys.append(try polygon()) }
                try expect(")")
                return .multiPolygon(polys)
            default:
                throw ParseError(message: "\(kind) is not a supported geometry literal; use POINT, LINESTRING, POLYGON, MULTIPOINT, MULTILINESTRING, MULTIPOLYGON or BBOX")
            }
        }

        mutating func polygon() throws(ParseError) -> Polygon {
            try expect("(")
            var rings = [try positionList()]
            while acceptSymbol(",") { rings.append(try positionList()) }
            try expect(")")
            for r in rings where r.count < 4 || r.first != r.last {
                throw ParseError(message: "a polygon ring needs at least four positions, the last equal to the first")
            }
            return Polygon(rings: rings)
        }

        mutating func positionList() throws(ParseError) -> [Position] {
            try expect("(")
            var ps = [try position()]
            while acceptSymbol(",") { ps.append(try position()) }
            try expect(")")
            guard ps.count <= 100_000 else { throw ParseError(message: "a geometry literal may have at most 100000 positions") }
            return ps
        }

        mutating func position() throws(ParseError) -> Position {
            let x = try coordinate()
            let y = try coordinate()
            // A third ordinate (Z) is accepted and ignored.
            if at < tokens.count, case .number = tokens[at] { _ = try coordinate() }
            return Position(x, y)
        }

        mutating func coordinate() throws(ParseError) -> Double {
            let s = try scalar()
            switch s {
            case .integer(let i): return Double(i)
            case .number(let d): return d
            default: throw ParseError(message: "expected a coordinate (a number) in the geometry literal")
            }
        }
    }

    // MARK: cql2-json

    /// Parses cql2-json.
    static func parseJSON(_ data: Data) throws(ParseError) -> CQL2 {
        guard data.count <= maximumLength else { throw ParseError(message: "the filter is longer than \(maximumLength) bytes") }
        let value: JSONValue
        do { value = try JSONValue.parse(data) } catch { throw ParseError(message: "the filter is not valid JSON") }
        let e = try fromJSON(value, depth: 0)
        guard e.nodeCount <= maximumNodes else { throw ParseError(message: "the filter has more than \(maximumNodes) predicates and values") }
        return e
    }

    static func fromJSON(_ value: JSONValue, depth: Int) throws(ParseError) -> CQL2 {
        guard depth < maximumDepth else { throw ParseError(message: "the filter nests deeper than \(maximumDepth) levels") }
        if case .bool(let b) = value { return .literal(b) }
        guard case .object(let o) = value, case .string(let op)? = o["op"], case .array(let args)? = o["args"] else {
            throw ParseError(message: "a cql2-json predicate is an object with \"op\" and \"args\"")
        }
        func arity(_ n: Int) throws(ParseError) {
            guard args.count == n else { throw ParseError(message: "\"\(op)\" takes \(n) arguments, got \(args.count)") }
        }
        switch op.lowercased() {
        case "and", "or":
            guard args.count >= 2 else { throw ParseError(message: "\"\(op)\" takes at least two arguments") }
            var parts: [CQL2] = []
            for a in args { parts.append(try fromJSON(a, depth: depth + 1)) }
            return op.lowercased() == "and" ? .and(parts) : .or(parts)
        case "not":
            try arity(1)
            return .not(try fromJSON(args[0], depth: depth + 1))
        case "=", "<>", "<", "<=", ">", ">=":
            try arity(2)
            return .compare(Comparison(rawValue: op)!, try scalar(args[0]), try scalar(args[1]))
        case "like":
            try arity(2)
            guard case .string(let pattern) = args[1] else { throw ParseError(message: "\"like\" takes a string pattern as its second argument") }
            return .like(try scalar(args[0]), pattern: pattern)
        case "between":
            try arity(3)
            return .between(try scalar(args[0]), try scalar(args[1]), try scalar(args[2]))
        case "in":
            try arity(2)
            guard case .array(let list) = args[1], !list.isEmpty else { throw ParseError(message: "\"in\" takes a non-empty array as its second argument") }
            var values: [Scalar] = []
            for v in list { values.append(try scalar(v)) }
            return .inList(try scalar(args[0]), values)
        case "isnull":
            try arity(1)
            return .isNull(try scalar(args[0]))
        case "s_intersects":
            try arity(2)
            guard case .object(let p) = args[0], case .string(let name)? = p["property"], geometryNames.contains(name.lowercased()) else {
                throw ParseError(message: "\"s_intersects\" takes {\"property\": \"geom\"} first")
            }
            if case .object(let b) = args[1], case .array(let box)? = b["bbox"] {
                let n = box.compactMap { v -> Double? in if case .number(let d) = v { d } else { nil } }
                guard n.count == 4, box.count == 4, n[0] <= n[2], n[1] <= n[3] else { throw ParseError(message: "a bbox literal takes four numbers: minx, miny, maxx, maxy") }
                return .intersects(.polygon(Envelope(minX: n[0], minY: n[1], maxX: n[2], maxY: n[3]).polygon))
            }
            do {
                return .intersects(try GeoJSON.geometry(from: args[1]))
            } catch {
                throw ParseError(message: "the second argument of \"s_intersects\" is not a GeoJSON geometry or bbox: \(error)")
            }
        default:
            throw ParseError(message: "\"\(op)\" is not supported: this server implements Basic CQL2 and s_intersects")
        }
    }

    static func scalar(_ value: JSONValue) throws(ParseError) -> Scalar {
        switch value {
        case .string(let s): return .string(s)
        case .number(let d):
            if d == d.rounded(), abs(d) < 9e15 { return .integer(Int64(d)) }
            return .number(d)
        case .bool(let b): return .boolean(b)
        case .object(let o):
            if case .string(let name)? = o["property"], o.count == 1 { return .property(name) }
            throw ParseError(message: "only {\"property\": name}, strings, numbers and booleans are values here")
        default:
            throw ParseError(message: "only {\"property\": name}, strings, numbers and booleans are values here")
        }
    }
}
