import Foundation

extension CAPAlert {
    /// Reads and checks a CAP 1.2 alert: the XSD's element order, cardinality, enumerations and
    /// patterns, and the specification's prose rules (identifier and sender without spaces,
    /// commas, `<` or `&`; times with offsets and never before `sent`; polygons of at least four
    /// closed `lat,lon` pairs; circles `lat,lon radius`; a restriction for scope Restricted and
    /// addresses for Private; `references` as `sender,identifier,sent` triples, required by
    /// Update and Cancel).
    /// - Throws: ``RiskPictureError`` (`invalidContribution`) naming the element that is wrong.
    public static func parse(_ data: Data) throws -> CAPAlert {
        try parse(XMLTree.parse(data))
    }

    static func fail(_ message: String) -> RiskPictureError { RiskPictureError(.invalidContribution, message) }

    public static func parse(_ root: XNode) throws -> CAPAlert {
        guard root.name == "alert" else { throw fail("the root element is <\(root.name)>, not a CAP <alert>") }
        guard root.namespace == namespace else {
            throw fail("the alert's namespace is \(root.namespace.map { "\"\($0)\"" } ?? "missing"); this service reads CAP 1.2 (\(namespace)) only")
        }
        var c = Children(root)
        let identifier = try c.one("identifier").value
        let sender = try c.one("sender").value
        for (name, value) in [("identifier", identifier), ("sender", sender)] {
            guard !value.isEmpty, !value.contains(where: { $0 == " " || $0 == "," || $0 == "<" || $0 == "&" || $0.isNewline || $0 == "\t" }) else {
                throw fail("<\(name)> \"\(value.prefix(80))\" must not be empty nor contain spaces, commas, < or &")
            }
        }
        let sentNode = try c.one("sent")
        let sent = try time(sentNode.value, "sent")
        let status = try c.one("status").value
        try oneOf(status, ["Actual", "Exercise", "System", "Test", "Draft"], "status")
        let msgType = try c.one("msgType").value
        try oneOf(msgType, ["Alert", "Update", "Cancel", "Ack", "Error"], "msgType")
        _ = c.optional("source")
        let scope = try c.one("scope").value
        try oneOf(scope, ["Public", "Restricted", "Private"], "scope")
        let restriction = c.optional("restriction")?.value
        let addresses = c.optional("addresses")?.value
        _ = c.many("code")
        _ = c.optional("note")
        let referencesText = c.optional("references")?.value
        // Checked where they stand, in document order.
        var references: [Reference] = []
        if let referencesText {
            guard !referencesText.isEmpty else { throw fail("<references> is empty; give sender,identifier,sent triples or leave it out") }
            for triple in referencesText.split(whereSeparator: { $0 == " " || $0.isNewline || $0 == "\t" }) {
                let parts = triple.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
                guard parts.count == 3, !parts[0].isEmpty, !parts[1].isEmpty else {
                    throw fail("<references> entry \"\(triple.prefix(120))\" is not sender,identifier,sent")
                }
                _ = try time(parts[2], "references")
                references.append(Reference(sender: parts[0], identifier: parts[1], sent: parts[2]))
            }
        }
        _ = c.optional("incidents")
        let infos = try c.many("info").map { try info($0, sent: sent) }
        if let signature = c.peek, signature.namespace == "http://www.w3.org/2000/09/xmldsig#" {
            throw fail("the alert is signed (<Signature>); XML signatures are not verified here: send the alert unsigned over an authenticated connection")
        }
        try c.end()

        if scope == "Restricted", (restriction ?? "").isEmpty { throw fail("<scope>Restricted</scope> needs a <restriction>") }
        if scope == "Private", (addresses ?? "").isEmpty { throw fail("<scope>Private</scope> needs <addresses>") }
        if msgType == "Update" || msgType == "Cancel", references.isEmpty {
            throw fail("<msgType>\(msgType)</msgType> needs <references> to the message it \(msgType == "Update" ? "updates" : "cancels")")
        }
        return CAPAlert(identifier: identifier, sender: sender, sent: sent, sentText: sentNode.value, status: status, msgType: msgType,
                        scope: scope, restriction: restriction, references: references, infos: infos)
    }

    static func info(_ node: XNode, sent: Date) throws -> Info {
        var c = Children(node)
        let language = c.optional("language")?.value
        let categories = try c.many("category", min: 1).map(\.value)
        for category in categories {
            try oneOf(category, ["Geo", "Met", "Safety", "Security", "Rescue", "Fire", "Health", "Env", "Transport", "Infra", "CBRNE", "Other"], "category")
        }
        let event = try c.one("event").value
        let responseTypes = c.many("responseType").map(\.value)
        for r in responseTypes {
            try oneOf(r, ["Shelter", "Evacuate", "Prepare", "Execute", "Avoid", "Monitor", "Assess", "AllClear", "None"], "responseType")
        }
        let urgencyText = try c.one("urgency").value
        guard let urgency = Urgency(rawValue: urgencyText) else { throw enumeration(urgencyText, Urgency.allCases.map(\.rawValue), "urgency") }
        let severityText = try c.one("severity").value
        guard let severity = Severity(rawValue: severityText) else { throw enumeration(severityText, Severity.allCases.map(\.rawValue), "severity") }
        let certaintyText = try c.one("certainty").value
        guard let certainty = Certainty(rawValue: certaintyText) else { throw enumeration(certaintyText, Certainty.allCases.map(\.rawValue), "certainty") }
        _ = c.optional("audience")
        let eventCodes = try c.many("eventCode").map(pair)
        var times: [String: Date] = [:]
        for name in ["effective", "onset", "expires"] {
            guard let n = c.optional(name) else { continue }
            let t = try time(n.value, name)
            guard t >= sent else { throw fail("<\(name)> \(n.value) lies before <sent>") }
            times[name] = t
        }
        let senderName = c.optional("senderName")?.value
        let headline = c.optional("headline")?.value
        let description = c.optional("description")?.value
        let instruction = c.optional("instruction")?.value
        _ = c.optional("web")
        _ = c.optional("contact")
        let parameters = try c.many("parameter").map(pair)
        for resource in c.many("resource") {
            var r = Children(resource)
            _ = try r.one("resourceDesc")
            _ = try r.one("mimeType")
            if let size = r.optional("size"), Int(size.value) == nil { throw fail("<resource><size> \"\(size.value.prefix(40))\" is not a whole number") }
            _ = r.optional("uri")
            _ = r.optional("derefUri")
            _ = r.optional("digest")
            try r.end()
        }
        let areas = try c.many("area").map(area)
        try c.end()
        return Info(language: language, categories: categories, event: event, responseTypes: responseTypes, urgency: urgency, severity: severity,
                    certainty: certainty, eventCodes: Dictionary(eventCodes, uniquingKeysWith: { a, _ in a }), effective: times["effective"],
                    onset: times["onset"], expires: times["expires"], senderName: senderName, headline: headline, description: description,
                    instruction: instruction, parameters: Dictionary(parameters, uniquingKeysWith: { a, _ in a }), areas: areas)
    }

    static func pair(_ node: XNode) throws -> (String, String) {
        var c = Children(node)
        let name = try c.one("valueName").value
        let value = try c.one("value").value
        try c.end()
        return (name, value)
    }

    static func area(_ node: XNode) throws -> Area {
        var c = Children(node)
        let description = try c.one("areaDesc").value
        let polygons = try c.many("polygon").map { try polygon($0.value) }
        let circles = try c.many("circle").map { try circle($0.value) }
        let geocodes = try c.many("geocode").map(pair)
        let altitude = c.optional("altitude")
        if let altitude, Double(altitude.value) == nil { throw fail("<altitude> \"\(altitude.value.prefix(40))\" is not a number") }
        if let ceiling = c.optional("ceiling") {
            guard altitude != nil else { throw fail("<ceiling> needs an <altitude> before it") }
            guard Double(ceiling.value) != nil else { throw fail("<ceiling> \"\(ceiling.value.prefix(40))\" is not a number") }
        }
        try c.end()
        return Area(description: description, polygons: polygons, circles: circles, geocodes: geocodes.map { (name: $0.0, value: $0.1) })
    }

    static func point(_ text: Substring, _ element: String) throws -> (lat: Double, lon: Double) {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
        guard parts.count == 2, let lat = Double(parts[0]), let lon = Double(parts[1]), (-90...90).contains(lat), (-180...180).contains(lon) else {
            throw fail("<\(element)> point \"\(text.prefix(60))\" is not lat,lon in WGS 84 (latitude -90...90, longitude -180...180)")
        }
        return (lat, lon)
    }

    static func polygon(_ text: String) throws -> [(lat: Double, lon: Double)] {
        let points = try text.split(whereSeparator: { $0 == " " || $0.isNewline || $0 == "\t" }).map { try point($0, "polygon") }
        guard points.count >= 4 else { throw fail("<polygon> has \(points.count) points; at least 4 are needed, the last equal to the first") }
        guard points.first! == points.last! else { throw fail("<polygon> is not closed: its last point must equal its first") }
        return points
    }

    static func circle(_ text: String) throws -> (lat: Double, lon: Double, radiusKm: Double) {
        let parts = text.split(whereSeparator: { $0 == " " || $0.isNewline || $0 == "\t" })
        guard parts.count == 2, let radius = Double(parts[1]), radius.isFinite, radius >= 0, radius <= 20_000 else {
            throw fail("<circle> \"\(text.prefix(60))\" is not \"lat,lon radius\" with a radius in kilometres")
        }
        let centre = try point(parts[0], "circle")
        return (centre.lat, centre.lon, radius)
    }

    /// A CAP time: `YYYY-MM-DDThh:mm:ss` with an offset `+hh:mm` or `-hh:mm` (the XSD's pattern).
    static func time(_ text: String, _ element: String) throws -> Date {
        let ok = text.count == 25 && text.enumerated().allSatisfy { i, ch in
            switch i {
            case 4, 7: ch == "-"
            case 10: ch == "T"
            case 13, 16, 22: ch == ":"
            case 19: ch == "+" || ch == "-"
            default: ch.isASCII && ch.isNumber
            }
        }
        guard ok, let date = try? Date(text, strategy: .iso8601) else {
            throw fail("<\(element)> \"\(text.prefix(40))\" is not a CAP time like 2026-12-01T14:30:00+01:00 (with its offset)")
        }
        return date
    }

    static func oneOf(_ value: String, _ allowed: [String], _ element: String) throws {
        guard allowed.contains(value) else { throw enumeration(value, allowed, element) }
    }

    static func enumeration(_ value: String, _ allowed: [String], _ element: String) -> RiskPictureError {
        fail("<\(element)> \"\(value.prefix(40))\" is not one of \(allowed.joined(separator: ", "))")
    }

    /// The child elements of a CAP element, read in the XSD's order.
    struct Children {
        let parent: String
        var nodes: ArraySlice<XNode>

        init(_ node: XNode) {
            parent = node.name
            // Children in the CAP namespace; anything else is checked by `end`.
            nodes = node.children[...]
        }

        var peek: XNode? { nodes.first }

        mutating func optional(_ name: String) -> XNode? {
            guard let n = nodes.first, n.name == name, n.namespace == CAPAlert.namespace else { return nil }
            nodes = nodes.dropFirst()
            return n
        }

        mutating func one(_ name: String) throws -> XNode {
            guard let n = optional(name) else {
                throw CAPAlert.fail("<\(parent)> needs <\(name)> here\(nodes.first.map { ", found <\($0.name)>" } ?? " (it ends)")")
            }
            return n
        }

        mutating func many(_ name: String, min: Int = 0) throws -> [XNode] {
            let found = many(name)
            guard found.count >= min else { throw CAPAlert.fail("<\(parent)> needs at least \(min) <\(name)>") }
            return found
        }

        mutating func many(_ name: String) -> [XNode] {
            var out: [XNode] = []
            while let n = optional(name) { out.append(n) }
            return out
        }

        func end() throws {
            if let n = nodes.first {
                throw CAPAlert.fail("<\(parent)> has <\(n.name)> where it is not allowed (out of order, repeated or unknown)")
            }
        }
    }
}
