import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The map viewer (`/viewer`): static files of the repository's `viewer/` and MapLibre GL JS
/// (`/viewer/vendor/`, from the maplibre wheel the Makefile unpacks). Read once at start; public
/// (they hold no layer data: the page asks for everything with the signed-in caller's token),
/// with a content security policy that lets the page talk to this service only.
struct ViewerRoutes: Sendable {
    struct File: Sendable {
        var bytes: ByteBuffer
        var type: String
    }

    let files: [String: File]
    let vendor: [String: File]

    static let types = ["html": "text/html; charset=utf-8", "js": "text/javascript; charset=utf-8", "css": "text/css; charset=utf-8"]

    /// The files of `directory` (and of `vendorDirectory`) that the viewer serves; none when a
    /// directory is missing.
    init(directory: URL?, vendorDirectory: URL?) {
        func read(_ dir: URL?, _ names: [String]) -> [String: File] {
            guard let dir else { return [:] }
            var out: [String: File] = [:]
            for name in names {
                guard let ext = name.split(separator: ".").last.map(String.init), let type = Self.types[ext],
                      let data = try? Data(contentsOf: dir.appendingPathComponent(name)) else { continue }
                out[name] = File(bytes: ByteBuffer(bytes: data), type: type)
            }
            return out
        }
        let listed = directory.flatMap { try? FileManager.default.contentsOfDirectory(atPath: $0.path) } ?? []
        files = read(directory, listed.filter { $0.range(of: #"^[a-z0-9-]+\.(html|js|css)$"#, options: .regularExpression) != nil })
        vendor = read(vendorDirectory, ["maplibre-gl.js", "maplibre-gl.css"])
    }

    static let securityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
        + "worker-src blob:; child-src blob:; connect-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

    func register(on router: Router<ServerContext>) {
        router.get("/viewer") { _, _ in try answer(files["index.html"], "index.html") }
        router.get("/viewer/:file") { _, context in
            let name = context.parameters.get("file") ?? ""
            return try answer(files[name], name)
        }
        router.get("/viewer/vendor/:file") { _, context in
            let name = context.parameters.get("file") ?? ""
            return try answer(vendor[name], "vendor/" + name)
        }
    }

    func answer(_ file: File?, _ name: String) throws -> Response {
        guard let file else {
            throw Problem.notFound(files.isEmpty || vendor.isEmpty
                ? "the viewer is not installed here (it needs the repository's viewer/ and MapLibre GL JS, which make run fetches)"
                : "no viewer file \"\(name.prefix(100))\"")
        }
        return Response(status: .ok, headers: [
            .contentType: file.type, .cacheControl: "no-cache", .contentSecurityPolicy: Self.securityPolicy,
            HTTPField.Name("X-Content-Type-Options")!: "nosniff", HTTPField.Name("Referrer-Policy")!: "no-referrer",
        ], body: .init(byteBuffer: file.bytes))
    }
}
