import Hummingbird
import HTTPTypes

/// Which other origins' web pages may call the service (`cors-origins`): none (the default), a
/// list of origins, or any (`*`, an explicit choice). The service uses no cookies or other
/// ambient credentials (every request carries its token or signed URL), so allowing an origin
/// lets its pages make the calls their users' tokens allow, never more: credentials are never
/// allowed, and what a response holds is decided by the token as for any other client.
public enum CrossOriginPolicy: Sendable, Hashable {
    case none
    case any
    case origins(Set<String>)

    /// Parses `*` or a comma-separated list of origins like `https://maps.example.nl` (scheme,
    /// host and optional port; no path).
    public static func parse(_ text: String) throws(StoreError) -> CrossOriginPolicy {
        let items = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        if items.isEmpty { return .none }
        if items == ["*"] { return .any }
        var origins = Set<String>()
        for item in items {
            // ASCII only: browsers send origins in lower-case ASCII (IDNs as punycode).
            guard item.allSatisfy(\.isASCII) else {
                throw StoreError(.invalidRequest, "cors-origins: \"\(item)\" is not an ASCII origin; write international names in punycode")
            }
            let lower = item.lowercased()
            guard let schemeEnd = lower.range(of: "://"), ["http", "https"].contains(String(lower[..<schemeEnd.lowerBound])) else {
                throw StoreError(.invalidRequest, "cors-origins: \"\(item)\" is not an origin; use * or origins like https://maps.example.nl")
            }
            let rest = lower[schemeEnd.upperBound...]
            guard !rest.isEmpty, !rest.contains("/"), !rest.contains("*"), !rest.contains("@"), !rest.contains("?") else {
                throw StoreError(.invalidRequest, "cors-origins: \"\(item)\" is not an origin (scheme://host[:port], no path); use * for any")
            }
            origins.insert(lower)
        }
        return .origins(origins)
    }

    /// The value of Access-Control-Allow-Origin for a request from `origin`, nil when not allowed.
    func allowOrigin(_ origin: String) -> String? {
        switch self {
        case .none: nil
        case .any: "*"
        case .origins(let set): set.contains(origin) ? origin : nil
        }
    }
}

/// Answers cross-origin requests (CORS) per ``CrossOriginPolicy``: preflights (OPTIONS with
/// Access-Control-Request-Method) from an allowed origin get the methods and headers in use;
/// other responses to an allowed origin say so and expose the headers clients need (ETag,
/// Location, Link, Content-Crs). Requests from other origins get no CORS headers at all, so
/// browsers keep their pages from reading the answers.
struct CrossOriginMiddleware<Context: RequestContext>: RouterMiddleware {
    let policy: CrossOriginPolicy

    static var allowedMethods: String { "GET, HEAD, POST, PUT, DELETE, OPTIONS" }
    static var allowedHeaders: String { "Authorization, Content-Type, Accept, Accept-Language, If-None-Match, If-Match, Content-Crs" }
    static var exposedHeaders: String { "ETag, Location, Link, Content-Crs, Content-Encoding, Retry-After, Cache-Control" }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard policy != .none else { return try await next(request, context) }
        guard let origin = request.headers[.origin], let allow = policy.allowOrigin(origin) else {
            // Answers differ by Origin once CORS is on: caches must keep them apart.
            var response = try await next(request, context)
            Self.varyOnOrigin(&response.headers)
            return response
        }
        if request.method == .options, request.headers[.accessControlRequestMethod] != nil {
            var headers = HTTPFields()
            headers[.accessControlAllowOrigin] = allow
            headers[.accessControlAllowMethods] = Self.allowedMethods
            headers[.accessControlAllowHeaders] = Self.allowedHeaders
            headers[.accessControlMaxAge] = "600"
            headers[.vary] = "Origin"
            return Response(status: .noContent, headers: headers)
        }
        var response = try await next(request, context)
        response.headers[.accessControlAllowOrigin] = allow
        response.headers[.accessControlExposeHeaders] = Self.exposedHeaders
        Self.varyOnOrigin(&response.headers)
        return response
    }

    static func varyOnOrigin(_ headers: inout HTTPFields) {
        let vary = headers[.vary]
        headers[.vary] = vary.map { $0.contains("Origin") ? $0 : $0 + ", Origin" } ?? "Origin"
    }
}
