import AccessPolicy
import Foundation
import GRDB
import GeoCore
import Hummingbird
import HummingbirdTesting
@testable import LayerServer
import MVTTestSupport
import NIOCore
import Testing
import TileRender

/// Access control over HTTP: credentials, cache partitioning, lapses, review and administration.
@Suite("Access control end to end", .serialized)
struct AccessHTTPTests {
    /// A WebMercatorQuad z10 tile over Utrecht: it holds hydrants inside and outside the exercise area.
    static let utrecht: TileID = {
        let p = try! Transformer(from: .wgs84, to: .webMercator).transform(Position(5.12, 52.09))
        return TileMatrixSet.webMercatorQuad.tile(containing: p, z: 10)!
    }()
    static var uri: String { "/collections/hydrants/tiles/WebMercatorQuad/\(utrecht.z)/\(utrecht.row)/\(utrecht.col)" }

    /// Decoded features of a tile response, with their positions in WGS 84.
    static func features(_ r: TestResponse, tile: TileID = utrecht) throws -> [Position] {
        guard r.status == .ok else { return [] }
        let decoded = try MVTDecoder.decodeAndInterpret(r.bytes)
        let bounds = TileMatrixSet.webMercatorQuad.bounds(of: tile)!
        let toWGS = try Transformer(from: .webMercator, to: .wgs84)
        return try decoded.layers.flatMap(\.features).flatMap { f -> [Position] in
            guard case .points(let ps) = try MVTGeometryDecoder.interpret(f.type, f.geometry) else { return [] }
            return try ps.map { p in
                try toWGS.transform(Position(bounds.minX + Double(p.x) / 4096 * bounds.width, bounds.maxY - Double(p.y) / 4096 * bounds.height))
            }
        }
    }

    static func auditRecords(_ client: AuthClient, kind: AuditEvent.Kind) async throws -> [AuditRecord] {
        try await client.service.access.recorder.flush()
        return try await client.service.store.read { db in try AuditLog.query(db, kind: kind, limit: 100_000) }
    }

    @Test("missing, malformed, unknown, forged, expired and revoked tokens, and tampered or expired signed URLs: 401, no data, audited")
    func refusedCredentials() async throws {
        let tokens = try await ServerFixture.tokens()
        let forged = String(tokens.national.dropLast(4)) + "AAAA"
        let unknown = "lst_000000000000.abcdefghijklmnopqrstuvwxyz0123456789"
        // The server's clock is after the expiring token's end.
        try await ServerFixture.withServer(clock: { ServerFixture.tokenExpiry + 60 }) { client in
            let before = try await Self.auditRecords(client, kind: .authentication).count
            let cases: [(String?, String)] = [
                (nil, "no credentials"), ("Basic dXNlcjpwYXNz", "malformed"), ("Bearer nonsense", "malformed"),
                // Unknown ids and wrong secrets look the same to the caller.
                ("Bearer \(unknown)", "invalid token"), ("Bearer \(forged)", "invalid token"),
                ("Bearer \(tokens.expiring)", "token expired"), ("Bearer \(tokens.revoked)", "token revoked"),
            ]
            for (header, reason) in cases {
                for uri in [Self.uri, "/collections", "/collections/hydrants/tiles/WebMercatorQuad/tilejson"] {
                    let r = try await client.client.execute(uri: uri, method: .get,
                                                            headers: header.map { [.authorization: $0] } ?? [:], body: nil)
                    #expect(r.status == .unauthorized, "\(header ?? "none") \(uri)")
                    #expect(r.headers[.contentType] == "application/problem+json")
                    #expect(try r.json()["detail"]?.string?.contains(reason) == true, "\(reason): \(r.text)")
                    #expect(!r.text.contains("hydrant_id"))
                }
            }
            // Signed URLs: a good one works without a header; any change to it is refused.
            let tj = try await client.execute(uri: "/collections/hydrants/tiles/WebMercatorQuad/tilejson", method: .get,
                                              token: tokens.national).json()
            let template = try #require(tj["tiles"]?.array?.first?.string)
            let query = String(template[template.range(of: "?access=")!.upperBound...])
            let good = try await client.anonymous(Self.uri + "?access=" + query)
            #expect(good.status == .ok)
            var tampered = Array(query)
            tampered[tampered.count - 1] = tampered.last == "0" ? "1" : "0"
            let parts = query.split(separator: ".").map(String.init)
            let variants = [
                String(tampered),
                [parts[0], String(Int(parts[1])! + 3600), parts[2], parts[3]].joined(separator: "."),  // longer life
                [parts[0], parts[1], "ffffffffffffffff", parts[3]].joined(separator: "."),              // another class
                "garbage",
            ]
            for v in variants {
                let r = try await client.anonymous(Self.uri + "?access=" + v)
                #expect(r.status == .unauthorized, "\(v)")
                #expect(r.headers[.contentType] == "application/problem+json")
            }
            // Bound to its layer.
            let other = try await client.anonymous("/collections/regions/tiles/WebMercatorQuad/10/0/0?access=" + query)
            #expect(other.status == .unauthorized)
            let records = try await Self.auditRecords(client, kind: .authentication)
            let added = records.dropFirst(before)
            #expect(added.reduce(0) { $0 + $1.event.count } >= cases.count * 3 + variants.count + 1)
            for reason in ["no credentials", "malformed", "unknown id", "wrong secret", "token expired", "token revoked", "signature"] {
                #expect(added.contains { $0.event.detail.contains(reason) && $0.event.decision == "deny" }, "\(reason)")
            }
        }
        // A signed URL stops working at its expiry.
        let signed = try await ServerFixture.withServer { client in
            let tj = try await client.execute(uri: "/collections/hydrants/tiles/WebMercatorQuad/tilejson", method: .get).json()
            let template = try #require(tj["tiles"]?.array?.first?.string)
            return String(template[template.range(of: "?access=")!.upperBound...])
        }
        try await ServerFixture.withServer(clock: { Date() + 1000 }) { client in
            let r = try await client.anonymous(Self.uri + "?access=" + signed)
            #expect(r.status == .unauthorized)
            #expect(try r.json()["detail"]?.string == "signed URL expired", "\(r.text)")
        }
    }

    @Test("HTTP Basic with the token as the password works wherever a bearer token does, with the same refusals and audit")
    func basicAuthentication() async throws {
        let tokens = try await ServerFixture.tokens()
        @Sendable func basic(_ user: String, _ password: String) -> String { "Basic " + Data("\(user):\(password)".utf8).base64EncodedString() }
        try await ServerFixture.withServer(clock: { ServerFixture.tokenExpiry + 60 }) { client in
            let before = try await Self.auditRecords(client, kind: .authentication).count
            let tokenID = String(tokens.national.dropFirst(4).prefix(12))
            for user in ["qgis", tokenID, ""] {
                for uri in [Self.uri, "/collections", "/collections/hydrants/tiles/WebMercatorQuad/tilejson"] {
                    let viaBasic = try await client.client.execute(uri: uri, method: .get, headers: [.authorization: basic(user, tokens.national)], body: nil)
                    let viaBearer = try await client.execute(uri: uri, method: .get, token: tokens.national)
                    #expect(viaBasic.status == .ok, "\(user) \(uri): \(viaBasic.text)")
                    if uri == Self.uri { #expect(viaBasic.bytes == viaBearer.bytes, "the same tile") }
                }
            }
            // The TileJSON signs tile URLs for a Basic caller too (QGIS drops headers on tile requests).
            let tj = try await client.client.execute(uri: "/collections/hydrants/tiles/WebMercatorQuad/tilejson", method: .get,
                                                     headers: [.authorization: basic("qgis", tokens.national)], body: nil).json()
            #expect(tj["tiles"]?.array?.first?.string?.contains("?access=") == true)
            // The limited caller sees its own view through Basic as through Bearer.
            let amsterdam = try await client.client.execute(uri: Self.uri, method: .get, headers: [.authorization: basic("x", tokens.amsterdam)], body: nil)
            let amsterdamBearer = try await client.execute(uri: Self.uri, method: .get, token: tokens.amsterdam)
            #expect(amsterdam.status == amsterdamBearer.status && amsterdam.bytes == amsterdamBearer.bytes)
            let forged = String(tokens.national.dropLast(4)) + "AAAA"
            let cases: [(String, String)] = [
                (basic("qgis", forged), "invalid token"), (basic("qgis", tokens.expiring), "token expired"),
                (basic("qgis", tokens.revoked), "token revoked"), (basic("qgis", "password"), "malformed"),
                ("Basic not-base64!", "malformed"), (basic("qgis", "Bearer " + tokens.national), "malformed"),
            ]
            for (header, reason) in cases {
                let r = try await client.client.execute(uri: Self.uri, method: .get, headers: [.authorization: header], body: nil)
                #expect(r.status == .unauthorized, "\(header)")
                #expect(try r.json()["detail"]?.string?.contains(reason) == true, "\(reason): \(r.text)")
                #expect(r.headers[.wwwAuthenticate] == "Bearer realm=\"layerserver\"", "no Basic challenge: browsers would prompt")
            }
            // Basic reads; it never writes (a browser that stored a Basic login would send it to
            // requests any page can make).
            let write = try await client.client.execute(uri: "/collections/hydrants/rollback", method: .post,
                                                        headers: [.authorization: basic("qgis", tokens.national)], body: nil)
            #expect(write.status == .unauthorized)
            #expect(try write.json()["detail"]?.string?.contains("reading only") == true, "\(write.text)")
            let added = try await Self.auditRecords(client, kind: .authentication).dropFirst(before)
            for reason in ["wrong secret", "token expired", "token revoked", "malformed", "reading only"] {
                #expect(added.contains { $0.event.detail.contains(reason) && $0.event.decision == "deny" }, "\(reason)")
            }
        }
    }

    @Test("a tile cached for one access class is never served to another, in either order")
    func cachePartition() async throws {
        // National node first, then the standby partner, the Amsterdam partner and anonymous callers.
        try await ServerFixture.withServer(anonymousAccess: true) { client in
            let t = client.tokens
            let national = try await client.execute(uri: Self.uri, method: .get, token: t.national)
            let standby = try await client.execute(uri: Self.uri, method: .get, token: t.standby)
            let amsterdam = try await client.execute(uri: Self.uri, method: .get, token: t.amsterdam)
            let anonymous = try await client.anonymous(Self.uri)
            let all = try Self.features(national), inArea = try Self.features(standby)
            #expect(all.count > inArea.count && !inArea.isEmpty)
            #expect(inArea.allSatisfy { $0.x >= 4.999 && $0.x <= 5.201 && $0.y >= 51.999 && $0.y <= 52.151 })
            #expect(national.headers[.eTag] != standby.headers[.eTag])
            #expect(amsterdam.status == .noContent)  // Utrecht is outside VR13
            #expect(anonymous.status == .notFound)   // restricted layer
            // The same requests again, served from the cache, keep their own answers.
            let standby2 = try await client.execute(uri: Self.uri, method: .get, token: t.standby)
            #expect(standby2.bytes == standby.bytes)
            let national2 = try await client.execute(uri: Self.uri, method: .get, token: t.national)
            #expect(national2.bytes == national.bytes)
            // An If-None-Match with another class's ETag is not a match.
            let cross = try await client.execute(uri: Self.uri, method: .get, headers: [.ifNoneMatch: national.headers[.eTag]!], token: t.standby)
            #expect(cross.status == .ok && cross.bytes == standby.bytes)
        }
        // Standby first, then the national node.
        try await ServerFixture.withServer(anonymousAccess: true) { client in
            let t = client.tokens
            let standby = try await client.execute(uri: Self.uri, method: .get, token: t.standby)
            let national = try await client.execute(uri: Self.uri, method: .get, token: t.national)
            let anonymous = try await client.anonymous(Self.uri)
            #expect(try Self.features(national).count > Self.features(standby).count)
            #expect(anonymous.status == .notFound)
        }
    }

    @Test("a spatially limited caller's documents leave out whole-layer counts and cut the extent to its area")
    func limitedMetadata() async throws {
        try await ServerFixture.withServer(token: \.amsterdam) { client in
            let doc = try await client.execute(uri: "/collections/hydrants", method: .get).json()
            #expect(doc["featureCount"] == nil)
            #expect(doc["versions"]?.array?.first?["sourceFile"] == nil)
            let first = doc["extent"]?["spatial"]?["bbox"]?.array?.first?.array ?? []
            let bbox = first.compactMap { $0.number }
            try #require(bbox.count == 4)
            // VR13 Amsterdam-Amstelland lies within 4.6-5.2 E, 52.15-52.5 N; the whole layer spans the country.
            #expect(bbox[0] >= 4.6 && bbox[2] <= 5.2 && bbox[1] >= 52.15 && bbox[3] <= 52.5, "\(bbox)")
            let national = try await client.execute(uri: "/collections/hydrants", method: .get, token: client.tokens.national).json()
            #expect(national["featureCount"]?.number == 20_000)
        }
    }

    @Test("a standby attachment lapses at its end without anyone acting")
    func standbyLapse() async throws {
        for (offset, visible) in [(-60.0, true), (60.0, false)] {
            try await ServerFixture.withServer(token: \.standby, clock: { ServerFixture.attachmentEnd + offset }) { client in
                let ids = try await client.execute(uri: "/collections", method: .get).json()["collections"]?.array?.compactMap { $0["id"]?.string }
                #expect(ids?.contains("hydrants") == visible, "\(offset)")
                #expect(try await client.execute(uri: Self.uri, method: .get).status == (visible ? .ok : .notFound))
            }
        }
    }

    @Test("review: explain, matrix, diff and the audit log are for reviewers; everyone else gets 403")
    func review() async throws {
        try await ServerFixture.withServer(token: \.reviewer) { client in
            let e = try await client.execute(uri: "/access/explain?user=standby&layer=hydrants", method: .get)
            #expect(e.status == .ok)
            let json = try e.json()
            #expect(json["read"]?["allowed"] == .bool(true))
            #expect(json["read"]?["rules"]?.array?.compactMap(\.string).contains("standby-attached") == true)
            let decision = client.service.access.policy.decide(.user("standby"), .read, .layer("hydrants"), at: Date())
            #expect(json["read"]?["policyHash"]?.string == decision.policyHash)
            let csv = try await client.execute(uri: "/access/matrix?format=csv", method: .get)
            #expect(csv.headers[.contentType]?.hasPrefix("text/csv") == true)
            #expect(csv.text.contains("contractor,hydrants,read,none,1 activity area(s)"))
            #expect(csv.text.contains("unaudited,zones,none"))
            // Viewing hydrants produces read records the reviewer can filter by layer and organisation.
            _ = try await client.execute(uri: Self.uri, method: .get, token: client.tokens.amsterdam)
            let audit = try await client.execute(uri: "/audit?layer=hydrants&organisation=vr-aa", method: .get).json()
            let reads = audit["records"]?.array?.filter { $0["event"]?["kind"]?.string == "read" } ?? []
            #expect(!reads.isEmpty)
            #expect(reads.allSatisfy { $0["event"]?["organisation"]?.string == "vr-aa" && $0["event"]?["resource"]?.string == "layer:hydrants" })
            #expect(reads.contains { $0["event"]?["items"]?.array?.contains(.string("WebMercatorQuad/\(Self.utrecht.z)/\(Self.utrecht.row)/\(Self.utrecht.col)")) == true })
            let verify = try await client.execute(uri: "/audit/verify", method: .get).json()
            #expect(verify["firstBad"] == nil && (verify["records"]?.number ?? 0) > 0)
            for token in [client.tokens.national, client.tokens.admin] {
                let r = try await client.execute(uri: "/audit", method: .get, token: token)
                #expect(r.status == .forbidden)
            }
            #expect(try await client.execute(uri: "/access/matrix", method: .get, token: client.tokens.national).status == .forbidden)
        }
    }

    @Test("administration over HTTP: only administrators, every change a policy version with an audit record, the diff shows it")
    func administration() async throws {
        try await ServerFixture.withServer(token: \.admin) { client in
            let before = client.service.access.policy.hash
            let org = #"{"id":"wb","name":"Waterschap","coreTask":"beheerder","profile":"structureel","audit":{"status":"conditional","until":"2030-01-01T00:00:00Z"},"reach":"regional","regions":["VR09"],"adoptionRegion":"VR09"}"#
            let put = try await client.execute(uri: "/admin/organisations/wb-\(UInt32.random(in: 0...UInt32.max))", method: .put, body: ByteBuffer(string: org))
            #expect(put.status == .ok, "\(put.text)")
            let bad = try await client.execute(uri: "/admin/organisations/bad", method: .put,
                                               body: ByteBuffer(string: org.replacingOccurrences(of: "VR09", with: "VR99")))
            #expect(bad.status == .unprocessableContent)
            #expect(bad.text.contains("VR99"))
            let denied = try await client.execute(uri: "/admin/organisations/x", method: .put, body: ByteBuffer(string: org), token: client.tokens.national)
            #expect(denied.status == .forbidden)
            let after = client.service.access.policy.hash
            #expect(after != before)
            let diff = try await client.execute(uri: "/access/matrix/diff?from=\(before)&to=\(after)", method: .get).json()
            #expect(diff["changes"]?.array?.contains { $0["kind"]?.string == "added" } == true)
            // Tokens: issued once, listed without secret, revocable.
            let issued = try await client.execute(uri: "/admin/users/reviewer/tokens", method: .post, body: ByteBuffer(string: #"{"label":"t","days":1}"#))
            #expect(issued.status == .created)
            let token = try #require(try issued.json()["token"]?.string)
            let id = try #require(try issued.json()["id"]?.string)
            #expect(try await client.execute(uri: "/access/rules", method: .get, token: token).status == .ok)
            #expect(!(try await client.execute(uri: "/admin/tokens", method: .get).text.contains(String(token.split(separator: ".")[1]))))
            #expect(try await client.execute(uri: "/admin/tokens/\(id)", method: .delete).status == .ok)
            #expect(try await client.execute(uri: "/access/rules", method: .get, token: token).status == .unauthorized)
            let changes = try await Self.auditRecords(client, kind: .change)
            #expect(changes.contains { $0.event.action == "revoke-token" && $0.event.resource == "token:\(id)" && $0.event.subject == "admin" })
            #expect(changes.contains { $0.event.resource.hasPrefix("organisation:wb-") && $0.event.policyHash == after })
        }
    }
}
