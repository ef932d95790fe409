import Foundation
import GeoCore
import HTTPTypes

/// The OpenAPI 3.0 document of the whole service (`GET /api`), made from one table of
/// operations. ``check(_:metricsEnabled:)`` compares the table with the routes the router holds
/// when the application is built, and the application does not start when they differ: a route
/// cannot be added, renamed or dropped without its description.
///
/// Answers are described as they are: JSON documents with the members every client relies on
/// (not every member), binary formats by media type, and every error as `application/problem+json`
/// (the `default` response).
enum APIDocument {
    /// A value's JSON Schema (OpenAPI 3.0 dialect).
    typealias Schema = JSONValue

    /// One query or path parameter.
    struct Parameter {
        var name: String
        var schema: Schema
        var description: String
        var required = false
    }

    /// One successful answer.
    struct Answer {
        var status: String
        var description: String
        /// Media type → schema; empty for answers without a body.
        var content: [(String, Schema)]
    }

    /// One operation of the service.
    struct Operation {
        var method: HTTPRequest.Method
        var path: String
        var tag: String
        var summary: String
        var query: [Parameter] = []
        var answers: [Answer]
        var body: [(String, Schema)] = []
        /// False for the few routes anyone may call (landing, conformance, health, sprites, fonts).
        var secured = true
        /// Media types of error answers: problem details, and for WMTS also OWS exception reports.
        var errors = ["application/problem+json"]
    }

    // MARK: Schemas

    static func object(_ required: [String] = [], _ properties: [String: Schema] = [:]) -> Schema {
        var o: [String: JSONValue] = ["type": .string("object")]
        if !required.isEmpty { o["required"] = .array(required.map(JSONValue.string)) }
        if !properties.isEmpty { o["properties"] = .object(properties) }
        return .object(o)
    }

    static func array(_ items: Schema) -> Schema { .object(["type": .string("array"), "items": items]) }
    static let string: Schema = .object(["type": .string("string")])
    static let integer: Schema = .object(["type": .string("integer")])
    static let number: Schema = .object(["type": .string("number")])
    static let binary: Schema = .object(["type": .string("string"), "format": .string("binary")])
    static func enumeration(_ values: [String]) -> Schema { .object(["type": .string("string"), "enum": .array(values.map(JSONValue.string))]) }
    static func ref(_ name: String) -> Schema { .object(["$ref": .string("#/components/schemas/\(name)")]) }

    static let link = object(["href", "rel"], ["href": string, "rel": string, "type": string, "title": string])
    static let links = array(ref("Link"))

    static let schemas: [String: Schema] = [
        "Link": link,
        "Problem": object(["title", "status"], ["type": string, "title": string, "status": integer, "detail": string, "instance": string]),
        "Landing": object(["links"], ["title": string, "description": string, "links": links]),
        "Conformance": object(["conformsTo"], ["conformsTo": array(string)]),
        "Collection": object(["id", "links"], ["id": string, "title": string, "description": string, "links": links,
                                                "crs": array(string), "storageCrs": string, "extent": object()]),
        "Collections": object(["collections", "links"], ["collections": array(ref("Collection")), "links": links]),
        "FeatureCollection": object(["type", "features"], ["type": enumeration(["FeatureCollection"]), "features": array(ref("Feature")),
                                                           "links": links, "numberReturned": integer, "timeStamp": string]),
        "Feature": object(["type", "properties"], ["type": enumeration(["Feature"]), "id": .object(["oneOf": .array([string, integer])]),
                                                   "geometry": .object(["type": .string("object"), "nullable": .bool(true)]),
                                                   "properties": .object(["type": .string("object"), "nullable": .bool(true)])]),
    ]

    static let json = "application/json"
    static func jsonAnswer(_ schema: Schema = object(), status: String = "200", _ description: String = "The document") -> Answer {
        Answer(status: status, description: description, content: [(json, schema)])
    }
    static func media(_ types: [String], _ description: String, status: String = "200") -> Answer {
        Answer(status: status, description: description, content: types.map { ($0, binary) })
    }
    static let notModified = Answer(status: "304", description: "Not modified since the ETag the client holds", content: [])
    static let emptyTile = Answer(status: "204", description: "The tile holds nothing the caller may see", content: [])

    // MARK: Parameters

    static func p(_ name: String, _ schema: Schema = string, _ description: String, required: Bool = false) -> Parameter {
        Parameter(name: name, schema: schema, description: description, required: required)
    }
    static let limit = p("limit", .object(["type": .string("integer"), "minimum": .number(1)]), "Most items in one page")
    static let at = p("at", string, "The moment (RFC 3339) of the decision or picture; default now")
    static let f = p("f", string, "The format (json; for items also gpkg, fgb, csv)")
    static let accessParameter = p("access", string, "A signed-URL signature, instead of an Authorization header")
    static let tileParameters = [accessParameter, f]

    // MARK: Operations

    static func get(_ path: String, _ tag: String, _ summary: String, query: [Parameter] = [], _ answers: [Answer], secured: Bool = true) -> Operation {
        Operation(method: .get, path: path, tag: tag, summary: summary, query: query, answers: answers, secured: secured)
    }
    static func write(_ method: HTTPRequest.Method, _ path: String, _ tag: String, _ summary: String, query: [Parameter] = [],
                      body: [(String, Schema)] = [(json, object())], _ answers: [Answer] = [jsonAnswer(status: "2XX", "Done")]) -> Operation {
        Operation(method: method, path: path, tag: tag, summary: summary, query: query, answers: answers, body: body)
    }

    static let mvt = "application/vnd.mapbox-vector-tile"
    static let geoJSON = "application/geo+json"

    static let operations: [Operation] = [
        get("/", "Capabilities", "The landing page", [jsonAnswer(ref("Landing"))], secured: false),
        get("/api", "Capabilities", "This OpenAPI document", [Answer(status: "200", description: "OpenAPI 3.0", content: [(openAPIType, object())])], secured: false),
        get("/conformance", "Capabilities", "The conformance classes implemented", [jsonAnswer(ref("Conformance"))], secured: false),
        get("/health/live", "Operations", "Liveness", [jsonAnswer()], secured: false),
        get("/health/ready", "Operations", "Readiness: the store answers", [jsonAnswer()], secured: false),
        get("/metrics", "Operations", "Prometheus metrics (with the metrics token, when one is configured)",
            [Answer(status: "200", description: "Prometheus text format 0.0.4", content: [("text/plain", string)])]),

        get("/viewer", "Viewer", "The map viewer (sign in with a token)", [Answer(status: "200", description: "HTML", content: [("text/html", string)])], secured: false),
        get("/viewer/{file}", "Viewer", "The viewer's scripts and style sheets",
            [Answer(status: "200", description: "A file", content: [("text/javascript", string), ("text/css", string), ("text/html", string)])], secured: false),
        get("/viewer/vendor/{file}", "Viewer", "MapLibre GL JS (maplibre-gl.js, maplibre-gl.css)",
            [Answer(status: "200", description: "A file", content: [("text/javascript", string), ("text/css", string)])], secured: false),
        get("/collections", "Collections", "The layers the caller may read", [jsonAnswer(ref("Collections"))]),
        get("/collections/{layer}", "Collections", "One layer", [jsonAnswer(ref("Collection"))]),
        get("/collections/{layer}/tiles", "Vector tiles", "The layer's tilesets", [jsonAnswer()]),
        get("/collections/{layer}/tiles/{tms}", "Vector tiles", "One tileset", [jsonAnswer()]),
        get("/collections/{layer}/tiles/{tms}/tilejson", "Vector tiles", "TileJSON 3.0 with a signed tile URL template", [jsonAnswer()]),
        get("/collections/{layer}/tiles/{tms}/{z}/{row}/{col}", "Vector tiles", "A vector tile (MVT) of what the caller may see",
            query: tileParameters, [media([mvt], "Mapbox Vector Tile 2.1"), emptyTile, notModified]),
        get("/collections/{layer}/tiles/{tms}/mbtiles", "Vector tiles", "An offline package (MBTiles 1.3) of the caller's tiles of an area and zoom range (WebMercatorQuad)",
            query: [p("bbox", array(number), "minlon,minlat,maxlon,maxlat (CRS84); default the layer's extent"),
                    p("minzoom", .object(["type": .string("integer"), "minimum": .number(0)]), "Lowest zoom (default the layer's)"),
                    p("maxzoom", .object(["type": .string("integer"), "minimum": .number(0)]), "Highest zoom (default the layer's)")],
            [media(["application/vnd.sqlite3"], "MBTiles (SQLite)")]),
        get("/tileMatrixSets", "Vector tiles", "The tile matrix sets", [jsonAnswer()]),
        get("/tileMatrixSets/{tms}", "Vector tiles", "One tile matrix set (OGC TMS 2.0)", [jsonAnswer()]),

        get("/collections/{layer}/items", "Features", "Features the caller may see (OGC API Features; f=gpkg|fgb|csv for exports)",
            query: [limit, p("bbox", array(number), "minx,miny,maxx,maxy in bbox-crs"), p("bbox-crs", string, "CRS of bbox (default CRS84)"),
                    p("crs", string, "CRS of the answer (default CRS84)"), p("filter", string, "A CQL2 filter"),
                    p("filter-lang", enumeration(["cql2-text", "cql2-json"]), "Language of filter"), p("filter-crs", string, "CRS of the filter's geometries"),
                    p("cursor", string, "A page position this server gave in a next or prev link"),
                    p("f", enumeration(["json", "geojson", "gpkg", "fgb", "csv"]), "The format")],
            [Answer(status: "200", description: "A page of features, or an export",
                    content: [(geoJSON, ref("FeatureCollection")), ("application/geopackage+sqlite3", binary), ("application/flatgeobuf", binary), ("text/csv", string)])]),
        get("/collections/{layer}/items/{featureId}", "Features", "One feature by the id the caller was given",
            query: [p("crs", string, "CRS of the answer (default CRS84)"), p("f", enumeration(["json", "geojson"]), "The format")],
            [Answer(status: "200", description: "A feature", content: [(geoJSON, ref("Feature"))])]),
        get("/exports/gpkg", "Features", "Several layers in one GeoPackage, each as the caller may see it",
            query: [p("collections", string, "Comma-separated layer ids (at most 32)", required: true),
                    p("bbox", array(number), "minx,miny,maxx,maxy in bbox-crs"), p("bbox-crs", string, "CRS of bbox (default CRS84)"),
                    p("crs", string, "CRS of the file (default CRS84)")],
            [media(["application/geopackage+sqlite3"], "GeoPackage")]),
        get("/collections/{layer}/queryables", "Features", "The properties a filter may name (JSON Schema)",
            [Answer(status: "200", description: "JSON Schema", content: [("application/schema+json", object())])]),

        write(.post, "/collections/{layer}/versions", "Uploads", "Upload a new version (GeoPackage, Shapefile zip, FlatGeobuf, GeoJSON)",
              query: [p("crs", string, "CRS of a file that names none"), p("stage", enumeration(["true", "false"]), "Stage instead of publishing"),
                      p("wait", enumeration(["true", "false"]), "Answer when the import is done"), p("errors", enumeration(["reject", "repair"]), "Invalid geometries"),
                      p("title", string, "Title of a new layer"), p("sensitivity", enumeration(["open", "restricted", "confidential"]), "Sensitivity of a new layer")],
              body: [("application/octet-stream", binary)]),
        get("/collections/{layer}/versions", "Uploads", "The layer's versions and their history", [jsonAnswer()]),
        write(.post, "/collections/{layer}/versions/{version}/publish", "Uploads", "Publish a staged version", body: []),
        write(.post, "/collections/{layer}/versions/{version}/discard", "Uploads", "Discard a staged version", body: []),
        write(.post, "/collections/{layer}/rollback", "Uploads", "Make an earlier version current", query: [p("version", integer, "The version (default the previous)")], body: []),
        get("/jobs", "Uploads", "The caller's upload jobs", [jsonAnswer()]),
        get("/jobs/{id}", "Uploads", "One upload job with its report", [jsonAnswer()]),

        get("/styles", "Maps", "The MapLibre styles", [jsonAnswer()]),
        get("/styles/{style}", "Maps", "A style for the caller (only readable layers, signed tile URLs)",
            query: [f], [Answer(status: "200", description: "MapLibre style", content: [("application/vnd.mapbox.style+json", object())])]),
        get("/styles/{style}/map/tiles/{tms}/{z}/{row}/{col}", "Maps", "A PNG map tile of a style",
            query: tileParameters, [media(["image/png"], "PNG"), notModified]),
        get("/collections/{layer}/map/tiles/{tms}/{z}/{row}/{col}", "Maps", "A PNG map tile of one layer in the default style",
            query: tileParameters, [media(["image/png"], "PNG"), notModified]),
        get("/xyz/{layer}/{tms}/{z}/{col}/{row}", "Maps", "A layer's tile by x/y (row.mvt, row.png, row@2x.png)",
            query: [accessParameter], [media([mvt, "image/png"], "MVT or PNG"), emptyTile, notModified]),
        get("/xyz/styles/{style}/{tms}/{z}/{col}/{row}", "Maps", "A style's PNG tile by x/y (row.png, row@2x.png)",
            query: [accessParameter], [media(["image/png"], "PNG"), notModified]),
        get("/sprites/{file}", "Maps", "The sprite sheet (index JSON or PNG, @2x too)", [media([json, "image/png"], "Sprite index or image")], secured: false),
        get("/fonts/{fontstack}/{range}", "Maps", "SDF glyphs of a font stack ({start}-{end}.pbf)", [media(["application/x-protobuf"], "Glyphs")], secured: false),
        get("/wmts", "Maps", "OGC WMTS 1.0 key-value requests (GetCapabilities, GetTile)",
            query: ["SERVICE", "REQUEST", "VERSION", "LAYER", "STYLE", "FORMAT", "TILEMATRIXSET", "TILEMATRIX", "TILEROW", "TILECOL"].map { p($0, string, "WMTS KVP parameter (any case)") } + [accessParameter],
            [Answer(status: "200", description: "Capabilities or a tile", content: [("application/xml", string), ("image/png", binary)]), notModified]).ows,
        get("/wmts/1.0.0/WMTSCapabilities.xml", "Maps", "OGC WMTS 1.0 capabilities (RESTful)",
            query: [accessParameter], [Answer(status: "200", description: "Capabilities", content: [("application/xml", string)])]).ows,
        get("/wmts/{layer}/{style}/{tms}/{z}/{row}/{col}", "Maps", "OGC WMTS 1.0 RESTful tile ({col}.png)",
            query: [accessParameter], [media(["image/png"], "PNG"), notModified]).ows,

        write(.post, "/pictures/{region}/contributions", "Risk pictures", "Submit a contribution (JSON or a CAP alert)",
              body: [(json, object()), ("application/cap+xml", string)]),
        get("/pictures/{region}/contributions", "Risk pictures", "Contributions the caller may see",
            query: [p("state", enumeration(["pending"]), "Only pending contributions")], [jsonAnswer()]),
        get("/pictures/{region}/contributions/{id}", "Risk pictures", "One contribution", [jsonAnswer()]),
        write(.post, "/pictures/{region}/contributions/{id}/accept", "Risk pictures", "Accept a contribution"),
        write(.post, "/pictures/{region}/contributions/{id}/reject", "Risk pictures", "Reject a contribution"),
        write(.post, "/pictures/{region}/versions", "Risk pictures", "Publish the picture's accepted contributions"),
        get("/pictures", "Risk pictures", "The pictures the caller may see", [jsonAnswer()]),
        get("/pictures/{region}", "Risk pictures", "The current (or as-of) picture of a region", query: [at], [jsonAnswer()]),
        get("/pictures/{region}/versions", "Risk pictures", "The picture's latest publications: version, time, publisher (oldest first)",
            query: [p("limit", .object(["type": .string("integer"), "minimum": .number(1), "maximum": .number(1000)]), "How many (default 100)")], [jsonAnswer()]),
        get("/pictures/{region}/versions/{n}", "Risk pictures", "One published version", [jsonAnswer()]),
        get("/pictures/{region}/diff", "Risk pictures", "What changed between two versions",
            query: [p("from", integer, "The earlier version (default to-1)"), p("to", integer, "The later version", required: true)], [jsonAnswer()]),
        get("/pictures/{region}/alerts", "Risk pictures", "The published threats as an Atom feed of CAP alerts",
            [Answer(status: "200", description: "Atom", content: [("application/atom+xml", string)])]),
        get("/pictures/{region}/alerts/{id}", "Risk pictures", "One published threat as a CAP 1.2 alert",
            [Answer(status: "200", description: "CAP", content: [("application/cap+xml", string)])]),
        get("/pictures/{region}/tiles/{tms}/{z}/{row}/{col}", "Risk pictures", "The region's picture as a vector tile",
            query: tileParameters, [media([mvt], "MVT"), emptyTile, notModified]),
        get("/pictures/tiles/{tms}/{z}/{row}/{col}", "Risk pictures", "The national picture as a vector tile",
            query: tileParameters, [media([mvt], "MVT"), emptyTile, notModified]),
        get("/pictures/{region}/threats/{id}/impact", "Risk pictures", "Features of readable layers inside a threat's area",
            query: [p("layers", string, "Comma-separated layer ids", required: true)], [jsonAnswer()]),
        get("/pictures/{region}/events", "Risk pictures", "Server-sent events of a region's publications",
            query: [p("lastEventId", string, "Resume after this event")], [Answer(status: "200", description: "Event stream", content: [("text/event-stream", string)])]),
        get("/pictures/events", "Risk pictures", "Server-sent events of every publication the caller may see",
            query: [p("lastEventId", string, "Resume after this event")], [Answer(status: "200", description: "Event stream", content: [("text/event-stream", string)])]),

        get("/access/explain", "Access", "Why a user may (not) read a layer",
            query: [p("user", string, "The user", required: true), p("layer", string, "The layer", required: true), at], [jsonAnswer()]),
        get("/access/areas", "Access", "View as: an organisation's layers with its read area per layer, hidden attributes and rules (no layer data)",
            query: [p("organisation", string, "The organisation", required: true), at, p("policy", string, "A policy hash (default current)")], [jsonAnswer()]),
        get("/me", "Access", "The caller: user, organisation, what it may approve or review, and its read area per layer", [jsonAnswer()]),
        get("/access/rules", "Access", "The policy's rules", [jsonAnswer(array(object()))]),
        get("/access/versions", "Access", "The policy's versions", [jsonAnswer(array(object()))]),
        get("/access/matrix", "Access", "Who may read which layer, where",
            query: [p("policy", string, "A policy hash (default current)"), at, p("format", enumeration(["json", "csv"]), "The format")],
            [Answer(status: "200", description: "The matrix", content: [(json, object()), ("text/csv", string)])]),
        get("/access/matrix/diff", "Access", "What changed in the matrix between two policies",
            query: [p("from", string, "A policy hash", required: true), p("to", string, "A policy hash (default current)"), at], [jsonAnswer()]),
        get("/audit", "Access", "Audit records",
            query: [limit, p("after", integer, "Records after this sequence number"), p("from", string, "From (RFC 3339)"), p("to", string, "Until (RFC 3339)"),
                    p("kind", string, "read, denial, change or authentication"), p("layer", string, "A layer"), p("organisation", string, "An organisation")],
            [jsonAnswer()]),
        get("/audit/verify", "Access", "Verify the audit hash chain", [jsonAnswer()]),

        get("/admin/policy", "Administration", "The stored policy", [jsonAnswer()]),
        write(.put, "/admin/organisations/{id}", "Administration", "Create or change an organisation"),
        write(.put, "/admin/users/{id}", "Administration", "Create or change a user"),
        write(.put, "/admin/activities/{id}", "Administration", "Create or change an activity"),
        write(.delete, "/admin/organisations/{id}", "Administration", "Remove an organisation", body: []),
        write(.delete, "/admin/users/{id}", "Administration", "Remove a user", body: []),
        write(.delete, "/admin/activities/{id}", "Administration", "Remove an activity", body: []),
        write(.put, "/admin/layers/{id}/conditions", "Administration", "Set a layer's owner, sensitivity and conditions"),
        get("/admin/tokens", "Administration", "Issued tokens (without secrets)", [jsonAnswer(array(object()))]),
        write(.post, "/admin/users/{id}/tokens", "Administration", "Issue a token for a user"),
        write(.delete, "/admin/tokens/{id}", "Administration", "Revoke a token", body: []),
    ]

    static let openAPIType = "application/vnd.oai.openapi+json;version=3.0"

    /// The path parameters of a templated path, in order.
    static func pathParameters(_ path: String) -> [String] {
        path.split(separator: "/").compactMap { c in c.hasPrefix("{") && c.hasSuffix("}") ? String(c.dropFirst().dropLast()) : nil }
    }

    /// Throws unless the router's routes and the table name the same operations.
    static func check(_ routes: [(method: String, path: String)], metricsEnabled: Bool) throws {
        let served = Set(routes.map { "\($0.method) \($0.path)" })
        let described = Set(operations.filter { metricsEnabled || $0.path != "/metrics" }.map { "\($0.method.rawValue) \($0.path)" })
        guard served == described else {
            let undescribed = served.subtracting(described).sorted(), unserved = described.subtracting(served).sorted()
            throw StoreError(.invalidRequest, "the OpenAPI table and the routes differ: routes without a description \(undescribed); descriptions without a route \(unserved)")
        }
    }

    /// The document, with `base` as its server.
    static func document(base: String, metricsEnabled: Bool) -> JSONValue {
        var paths: [String: [String: JSONValue]] = [:]
        for op in operations where metricsEnabled || op.path != "/metrics" {
            // Tile and version numbers are integers, except where a file suffix follows them (XYZ, WMTS REST).
            let numbered = !op.path.hasPrefix("/xyz/") && !op.path.hasPrefix("/wmts/")
            var parameters: [JSONValue] = pathParameters(op.path).map { name in
                let whole = numbered && ["z", "row", "col", "version", "n"].contains(name)
                return .object(["name": .string(name), "in": .string("path"), "required": .bool(true),
                                "schema": whole ? .object(["type": .string("integer"), "minimum": .number(0)]) : string])
            }
            for q in op.query {
                var o: [String: JSONValue] = ["name": .string(q.name), "in": .string("query"), "required": .bool(q.required),
                                              "description": .string(q.description), "schema": q.schema]
                if case .object(let s) = q.schema, s["type"] == .string("array") {
                    o["style"] = .string("form")
                    o["explode"] = .bool(false)
                }
                parameters.append(.object(o))
            }
            var responses: [String: JSONValue] = [:]
            for a in op.answers {
                var r: [String: JSONValue] = ["description": .string(a.description)]
                if !a.content.isEmpty {
                    r["content"] = .object(Dictionary(a.content.map { ($0.0, JSONValue.object(["schema": $0.1])) }, uniquingKeysWith: { a, _ in a }))
                }
                responses[a.status] = .object(r)
            }
            responses["default"] = .object(["description": .string(op.errors.count > 1 ? "An error (problem details, or an OWS exception report)" : "An error (RFC 9457 problem details)"),
                                            "content": .object(Dictionary(uniqueKeysWithValues: op.errors.map { type in
                                                (type, JSONValue.object(["schema": type == "application/problem+json" ? ref("Problem") : string]))
                                            }))])
            var o: [String: JSONValue] = [
                "summary": .string(op.summary), "tags": .array([.string(op.tag)]),
                "operationId": .string(operationID(op)), "responses": .object(responses),
            ]
            if !parameters.isEmpty { o["parameters"] = .array(parameters) }
            if !op.body.isEmpty {
                o["requestBody"] = .object(["required": .bool(true), "content": .object(Dictionary(op.body.map { ($0.0, JSONValue.object(["schema": $0.1])) },
                                                                                                   uniquingKeysWith: { a, _ in a }))])
            }
            o["security"] = op.secured ? .array([.object(["bearer": .array([])]), .object(["basic": .array([])])]) : .array([])
            paths[op.path, default: [:]][op.method.rawValue.lowercased()] = .object(o)
        }
        return .object([
            "openapi": .string("3.0.3"),
            "info": .object(["title": .string("Layer server: map layers and risk pictures for Dutch crisis management"),
                             "version": .string("1.0"),
                             "description": .string("Every answer holds only what the caller may see; a layer the caller may not read is answered as missing (404).")]),
            "servers": .array([.object(["url": .string(base)])]),
            "paths": .object(paths.mapValues { JSONValue.object($0) }),
            "components": .object([
                "schemas": .object(schemas),
                "securitySchemes": .object([
                    "bearer": .object(["type": .string("http"), "scheme": .string("bearer"), "description": .string("An API token (lst_<id>.<secret>)")]),
                    "basic": .object(["type": .string("http"), "scheme": .string("basic"), "description": .string("Any user name, the API token as password (reads only)")]),
                ]),
            ]),
        ])
    }

    /// A stable operation id: the method and the path's words.
    static func operationID(_ op: Operation) -> String {
        let words = op.path.split(whereSeparator: { !$0.isLetter && !$0.isNumber }).map { $0.prefix(1).uppercased() + $0.dropFirst() }
        return op.method.rawValue.lowercased() + (words.isEmpty ? "Root" : words.joined())
    }
}

extension APIDocument.Operation {
    /// The operation with WMTS's error answers (OWS exception reports) besides problem details.
    var ows: Self {
        var o = self
        o.errors = ["application/problem+json", "application/xml"]
        return o
    }
}
