import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
@testable import LayerServer
import Testing

/// Web pages of other origins (a partner's own MapLibre or OpenLayers application): CORS.
@Suite("Cross-origin requests")
struct CrossOriginTests {
    static let allowed = "https://maps.partner.example"
    static let tile = "/collections/hydrants/tiles/WebMercatorQuad/10/336/527"

    @Test("an allowed origin gets preflights and readable answers (errors too); another origin, and the default, get no CORS headers")
    func allowedAndOtherOrigins() async throws {
        try await ServerFixture.withServer(configure: { $0.crossOrigin = try! CrossOriginPolicy.parse(Self.allowed + ", http://localhost:5173") }) { client in
            // Preflight of a tile fetch with an Authorization header.
            let preflight = try await client.client.execute(uri: Self.tile, method: .options, headers: [
                .origin: Self.allowed, .accessControlRequestMethod: "GET", .accessControlRequestHeaders: "authorization",
            ], body: nil)
            #expect(preflight.status == .noContent)
            #expect(preflight.headers[.accessControlAllowOrigin] == Self.allowed)
            #expect(preflight.headers[.accessControlAllowHeaders]?.lowercased().contains("authorization") == true)
            #expect(preflight.headers[.accessControlAllowMethods]?.contains("PUT") == true)
            #expect(preflight.headers[.accessControlAllowCredentials] == nil, "no ambient credentials, never allowed")
            // The request itself: readable, with the headers a client needs exposed.
            for uri in ["/collections", Self.tile, "/collections/hydrants/tiles/WebMercatorQuad/tilejson"] {
                let r = try await client.execute(uri: uri, method: .get, headers: [.origin: Self.allowed])
                #expect(r.status == .ok || r.status == .noContent, "\(uri)")
                #expect(r.headers[.accessControlAllowOrigin] == Self.allowed, "\(uri)")
                #expect(r.headers[.accessControlExposeHeaders]?.contains("ETag") == true)
                #expect(r.headers[.vary]?.contains("Origin") == true)
            }
            // An error answer is readable too, and says no more than without an Origin.
            let refused = try await client.client.execute(uri: "/collections", method: .get, headers: [.origin: Self.allowed], body: nil)
            #expect(refused.status == .unauthorized)
            #expect(refused.headers[.accessControlAllowOrigin] == Self.allowed)
            // Allowing an origin widens nothing: a hidden layer is as missing as without it.
            let hidden = try await client.execute(uri: "/collections/hydrants", method: .get, headers: [.origin: Self.allowed],
                                                  token: client.tokens.notAudited)
            let hiddenPlain = try await client.execute(uri: "/collections/hydrants", method: .get, token: client.tokens.notAudited)
            #expect(hidden.status == hiddenPlain.status)
            // Another origin: no CORS headers, so the browser keeps the answer from its page.
            let other = "https://evil.example"
            let otherPreflight = try await client.client.execute(uri: Self.tile, method: .options, headers: [
                .origin: other, .accessControlRequestMethod: "GET",
            ], body: nil)
            #expect(otherPreflight.status != .noContent)
            #expect(otherPreflight.headers[.accessControlAllowOrigin] == nil)
            let otherGet = try await client.execute(uri: "/collections", method: .get, headers: [.origin: other])
            #expect(otherGet.headers[.accessControlAllowOrigin] == nil && otherGet.headers[.accessControlExposeHeaders] == nil)
            #expect(otherGet.headers[.vary]?.contains("Origin") == true, "answers differ by Origin: caches keep them apart")
            // Origins compare whole: a prefix or a subdomain is another origin.
            let lookalike = try await client.execute(uri: "/collections", method: .get, headers: [.origin: Self.allowed + ".evil.example"])
            #expect(lookalike.headers[.accessControlAllowOrigin] == nil)
        }
        // The default: no origin allowed.
        try await ServerFixture.withServer { client in
            let r = try await client.execute(uri: "/collections", method: .get, headers: [.origin: Self.allowed])
            #expect(r.headers[.accessControlAllowOrigin] == nil)
        }
        // `*` as an explicit choice.
        try await ServerFixture.withServer(configure: { $0.crossOrigin = .any }) { client in
            let r = try await client.execute(uri: Self.tile, method: .get, headers: [.origin: "https://anyone.example"])
            #expect(r.headers[.accessControlAllowOrigin] == "*")
        }
    }

    @Test("cors-origins takes * or whole origins, and says what is wrong with anything else")
    func parsing() throws {
        #expect(try CrossOriginPolicy.parse("") == .none)
        #expect(try CrossOriginPolicy.parse(" * ") == .any)
        #expect(try CrossOriginPolicy.parse("https://A.example, http://localhost:8080") == .origins(["https://a.example", "http://localhost:8080"]))
        for bad in ["https://a.example/path", "ftp://a.example", "a.example", "https://*.example", "https://user@a.example", "*, https://a.example"] {
            #expect(throws: StoreError.self, "\(bad)") { try CrossOriginPolicy.parse(bad) }
        }
    }

    /// A TCP port free on 127.0.0.1 just now (for the page server of the browser test, whose
    /// origin the layer server must list before it starts).
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EMFILE) }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        guard bound == 0 else { throw POSIXError(.EADDRINUSE) }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    @Test("a MapLibre page of an allowed origin draws a layer in headless Chromium, without console errors; the same page from another origin gets nothing")
    func browser() async throws {
        guard WMTSTests.browserInstalled() else { return }
        let port = try Self.freePort()
        try await ServerFixture.withServer(configure: { $0.crossOrigin = try! CrossOriginPolicy.parse("http://127.0.0.1:\(port)") }) { client in
            let server = try #require(client.client.port)
            let (status, output) = try await WMTSTests.runClient("cors_browser.py", [
                "http://127.0.0.1:\(server)", client.tokens.national, String(port),
                ServerFixture.repository.appendingPathComponent(".build/maplibre").path, "hydrants",
            ])
            #expect(status == 0 && output.hasSuffix("ok\n"), "\(output)")
        }
    }
}
