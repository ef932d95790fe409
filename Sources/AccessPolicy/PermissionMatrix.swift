import Foundation

/// Organisation × layer: read, write or none, with the spatial scope, as ``PolicyVersion/decide(_:_:_:at:)``
/// decides for a member of the organisation with the viewer and editor roles.
public struct PermissionMatrix: Codable, Sendable, Hashable {
    /// One cell.
    public struct Entry: Codable, Sendable, Hashable {
        public var organisation: String
        public var layer: String
        /// `none`, `read`, `write` or `read+write`.
        public var access: String
        /// `none`, `direct` or `approval` (structureel submissions).
        public var write: String
        /// Where the organisation reads: the spatial filter's description.
        public var scope: String
        public var hiddenAttributes: [String]
        public var readRules: [String]
        public var writeRules: [String]
    }

    public var policyHash: String
    public var at: Date
    public var entries: [Entry]

    /// Builds the matrix of `version` for `layers` (all layers with conditions when nil) at `time`;
    /// with `organisation`, only that organisation's row.
    public init(_ version: PolicyVersion, layers: [String]? = nil, organisation: String? = nil, at time: Date) {
        policyHash = version.hash
        at = time
        let layerIDs = (layers ?? Array(version.policy.layers.keys)).sorted()
        var rows: [Entry] = []
        var subjects = version.policy.organisations.keys.sorted().map { Subject.member(organisation: $0) }
        subjects.append(.anonymous)
        if let organisation { subjects = [.member(organisation: organisation)] }
        for subject in subjects {
            for layer in layerIDs {
                let r = version.decide(subject, .read, .layer(layer), at: time)
                let w = version.decide(subject, .write, .layer(layer), at: time)
                let access = [r.allowed ? "read" : nil, w.allowed ? "write" : nil].compactMap { $0 }.joined(separator: "+")
                let name: String = if case .member(let org) = subject { org } else { "(anonymous)" }
                rows.append(Entry(organisation: name, layer: layer, access: access.isEmpty ? "none" : access,
                                  write: !w.allowed ? "none" : (w.requiresApproval ? "approval" : "direct"),
                                  scope: r.filter.text, hiddenAttributes: r.hiddenAttributes,
                                  readRules: r.rules, writeRules: w.rules))
            }
        }
        entries = rows
    }

    /// CSV (RFC 4180) with a header row.
    public var csv: String {
        var out = "organisation,layer,access,write,scope,hidden_attributes,read_rules,write_rules\r\n"
        for e in entries {
            let cells = [e.organisation, e.layer, e.access, e.write, e.scope, e.hiddenAttributes.joined(separator: " "),
                         e.readRules.joined(separator: " "), e.writeRules.joined(separator: " ")]
            out += cells.map(Self.csvCell).joined(separator: ",") + "\r\n"
        }
        return out
    }

    static func csvCell(_ s: String) -> String {
        // Quote when needed; a leading =, +, - or @ is prefixed so spreadsheets do not run it as a formula.
        var v = s
        if let f = v.first, "=+-@".contains(f) { v = "'" + v }
        guard v.contains(where: { ",\"\r\n".contains($0) }) else { return v }
        return "\"" + v.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// A changed cell between two matrices.
    public struct Change: Codable, Sendable, Hashable {
        public var organisation: String
        public var layer: String
        public var before: Entry?
        public var after: Entry?
        /// `added`, `removed`, `widened`, `narrowed` or `changed`.
        public var kind: String
    }

    /// The cells whose access, write mode, scope or hidden attributes differ from `old`.
    public func diff(from old: PermissionMatrix) -> [Change] {
        func key(_ e: Entry) -> String { e.organisation + "\u{0}" + e.layer }
        let before = Dictionary(old.entries.map { (key($0), $0) }, uniquingKeysWith: { a, _ in a })
        let after = Dictionary(entries.map { (key($0), $0) }, uniquingKeysWith: { a, _ in a })
        var out: [Change] = []
        for k in Set(before.keys).union(after.keys).sorted() {
            let b = before[k], a = after[k]
            func same(_ x: Entry, _ y: Entry) -> Bool {
                x.access == y.access && x.write == y.write && x.scope == y.scope && x.hiddenAttributes == y.hiddenAttributes
            }
            if let b, let a, same(a, b) { continue }
            let e = (a ?? b)!
            let kind: String
            switch (b, a) {
            case (nil, _): kind = "added"
            case (_, nil): kind = "removed"
            case let (b?, a?):
                let rank = ["none": 0, "read": 1, "write": 1, "read+write": 2]
                let rb = rank[b.access] ?? 0, ra = rank[a.access] ?? 0
                kind = ra > rb ? "widened" : ra < rb ? "narrowed" : "changed"
            }
            out.append(Change(organisation: e.organisation, layer: e.layer, before: b, after: a, kind: kind))
        }
        return out
    }
}
