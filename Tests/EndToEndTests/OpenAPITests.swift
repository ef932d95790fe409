import Foundation
import Hummingbird
import HummingbirdTesting
@testable import LayerServer
import Testing

/// Issue 13, item 5: one OpenAPI 3.0 document of the whole API, checked against the routes.
@Suite("OpenAPI document")
struct OpenAPITests {
    @Test("the document and the routes name the same operations; a route without a description stops the start")
    func table() throws {
        let all = APIDocument.operations.map { (method: $0.method.rawValue, path: $0.path) }
        try APIDocument.check(all, metricsEnabled: true)
        try APIDocument.check(all.filter { $0.path != "/metrics" }, metricsEnabled: false)
        #expect(throws: (any Error).self) { try APIDocument.check(all.dropLast(), metricsEnabled: true) }
        #expect(throws: (any Error).self) { try APIDocument.check(all + [(method: "GET", path: "/undocumented")], metricsEnabled: true) }
        // Every operation id is unique and every path parameter is a segment of its own.
        let ids = APIDocument.operations.map(APIDocument.operationID)
        #expect(Set(ids).count == ids.count)
    }

    @Test("valid OpenAPI 3.0 (openapi-spec-validator), linked as service-desc; schemathesis finds no 5xx and no answer outside it")
    func clients() async throws {
        guard WMTSTests.clientsInstalled() else { return }
        // A world of its own: the run calls every operation, writes too.
        let world = try await MapWorld.fresh(hydrants: 500)
        defer { world.remove() }
        try await world.withServer(configure: { $0.stylesDirectory = MapWorld.styles }) { client in
            let port = try #require(client.client.port)
            let (status, output) = try await WMTSTests.runClient("openapi_check.py", ["http://127.0.0.1:\(port)"] +
                                                                 ["im-utrecht", "hdsr-editor", "admin"].map { world.token($0) })
            #expect(status == 0 && output.hasSuffix("ok\n"), "\(output)")
        }
    }
}
