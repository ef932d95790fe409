import HTTPTypes
import Hummingbird

/// Every answer a browser may keep (`Cache-Control: private` with a lifetime) differs by caller,
/// so it varies on `Authorization`: without it a shared browser (a crisis centre's desk at a
/// change of shift) would give the next user the previous user's layer list from its cache.
struct VaryOnAuthorizationMiddleware: RouterMiddleware {
    typealias Context = ServerContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        Self.vary(&response.headers)
        return response
    }

    static func vary(_ headers: inout HTTPFields) {
        guard let cache = headers[.cacheControl]?.lowercased(), cache.contains("private"), !cache.contains("no-store") else { return }
        let vary = headers[.vary]
        guard !(vary?.lowercased().contains("authorization") ?? false) else { return }
        headers[.vary] = vary.map { $0 + ", Authorization" } ?? "Authorization"
    }
}
