import Foundation
import Hummingbird
import Logging
import RiskPicture

/// An RFC 9457 problem detail, sent as `application/problem+json`.
public struct Problem: HTTPResponseError, Sendable {
    /// The HTTP status.
    public var status: HTTPResponse.Status
    /// A short summary of the problem type.
    public var title: String
    /// What is wrong with this request and how to fix it.
    public var detail: String
    /// Extra response headers (e.g. WWW-Authenticate).
    public var headers: HTTPFields = [:]
    /// Extension members of the problem document (RFC 9457 section 3.2), e.g. an upload's job.
    var extensions: [String: AnyEncodable] = [:]

    /// Creates a problem.
    public init(_ status: HTTPResponse.Status, _ title: String, detail: String) {
        self.status = status
        self.title = title
        self.detail = detail
    }

    struct Body: Encodable {
        var type = "about:blank"
        var title: String
        var status: Int
        var detail: String
        var instance: String
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let body = Body(title: title, status: status.code, detail: detail, instance: request.uri.path)
        var data = try Routes.encoder.encode(body)
        if !extensions.isEmpty {
            // The extension members, then the standard ones (which win on a name clash).
            var members = extensions
            for (k, v) in ["type": body.type, "title": title, "detail": detail, "instance": body.instance] { members[k] = AnyEncodable(v) }
            members["status"] = AnyEncodable(status.code)
            data = try Routes.encoder.encode(members)
        }
        var fields = headers
        fields[.contentType] = "application/problem+json"
        return Response(status: status, headers: fields,
                        body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func badRequest(_ detail: String) -> Problem { Problem(.badRequest, "Bad request", detail: detail) }
    static func notFound(_ detail: String) -> Problem { Problem(.notFound, "Not found", detail: detail) }
    static func forbidden(_ detail: String) -> Problem { Problem(.forbidden, "Forbidden", detail: detail) }
    static func unauthorized(_ detail: String) -> Problem {
        var p = Problem(.unauthorized, "Unauthorized", detail: detail)
        // Bearer only: a Basic challenge would make browsers pop up their own login dialog.
        // Desktop clients with a stored Basic login (QGIS, GDAL) send it without being asked.
        p.headers[.wwwAuthenticate] = "Bearer realm=\"layerserver\""
        return p
    }
}

/// Turns every error into problem+json: Hummingbird's own errors (unknown route: 404) keep
/// their status; anything unexpected becomes a 500 whose detail does not leak internals.
struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let problem as Problem {
            return try problem.response(from: request, context: context)
        } catch let error as StoreError where error.code == .notFound {
            return try Problem.notFound(error.message).response(from: request, context: context)
        } catch let error as StoreError where error.code == .forbidden {
            return try Problem.forbidden(error.message).response(from: request, context: context)
        } catch let error as StoreError where error.code == .invalidRequest || error.code == .invalidInput || error.code == .sourceRead {
            // With its context: the file the problem is in.
            return try Problem(.unprocessableContent, "Unprocessable content", detail: error.description).response(from: request, context: context)
        } catch let error as RiskPictureError {
            let status: HTTPResponse.Status = switch error.code {
            case .notFound: .notFound
            case .conflict: .conflict
            case .invalidArea, .invalidContribution: .unprocessableContent
            }
            return try Problem(status, status.reasonPhrase, detail: error.message).response(from: request, context: context)
        } catch let error as HTTPError {
            let detail = error.status == .notFound ? "no resource at \(request.uri.path)" : (error.body ?? error.status.reasonPhrase)
            return try Problem(error.status, error.status.reasonPhrase, detail: detail).response(from: request, context: context)
        } catch let error as any HTTPResponseError {
            return try Problem(error.status, error.status.reasonPhrase, detail: "\(error)").response(from: request, context: context)
        } catch {
            logger.error("request failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            return try Problem(.internalServerError, "Internal server error",
                               detail: "the server could not complete the request; it has been logged")
                .response(from: request, context: context)
        }
    }
}
