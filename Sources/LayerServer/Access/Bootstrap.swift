import AccessPolicy
import Foundation

/// The first administrator, from a JSON file:
///
/// ```json
/// { "organisation": { "id": "ifv", "name": "IFV", "coreTask": "hulpdienst", "profile": "kern",
///                     "audit": { "status": "certified" }, "reach": "national", "regions": [], "adoptionRegion": "VR09" },
///   "administrator": { "id": "admin", "name": "Platform administrator", "organisation": "ifv", "roles": ["administrator"] },
///   "tokenFile": "/var/lib/layerserver/admin.token", "tokenDays": 7 }
/// ```
///
/// Applied only while the policy has no administrator. The token is written to `tokenFile`
/// (mode 0600, refused if the file exists) and never logged.
public struct Bootstrap: Codable, Sendable {
    public var organisation: Organisation
    public var administrator: User
    public var tokenFile: String
    public var tokenDays: Int?

    /// Reads and applies the file. Returns what was done, or nil when an administrator exists.
    public static func apply(file: String, to access: AccessStore, at now: Date = Date()) throws -> String? {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: file)) } catch {
            throw StoreError(.invalidRequest, "cannot read the bootstrap file: \(error.localizedDescription)", context: file)
        }
        let b: Bootstrap
        do { b = try AccessStore.apiDecoder().decode(Bootstrap.self, from: data) } catch {
            throw StoreError(.invalidRequest, "the bootstrap file is not valid: \(error)", context: file)
        }
        let policy = try access.current().policy
        guard !policy.users.values.contains(where: { $0.roles.contains(.administrator) }) else { return nil }
        guard b.administrator.roles.contains(.administrator), b.administrator.organisation == b.organisation.id else {
            throw StoreError(.invalidRequest, "the bootstrap administrator needs the administrator role and must belong to the bootstrap organisation", context: file)
        }
        guard !FileManager.default.fileExists(atPath: b.tokenFile) else {
            throw StoreError(.invalidRequest, "the token file \(b.tokenFile) exists already; remove it or name another", context: file)
        }
        let actor = AccessActor(subject: "bootstrap", organisation: "(bootstrap file)")
        try access.change(by: actor, resource: "user:\(b.administrator.id)", summary: "bootstrap administrator \(b.administrator.id) of \(b.organisation.id)", at: now) { p in
            if p.organisations[b.organisation.id] == nil { p.organisations[b.organisation.id] = b.organisation }
            p.users[b.administrator.id] = b.administrator
        }
        let issued = try access.issueToken(for: b.administrator.id, label: "bootstrap", expiresAt: now + Double(b.tokenDays ?? 7) * 86_400,
                                           by: actor, at: now)
        // Created exclusively with mode 0600 (no race with another file of that name, no symlink followed).
        let fd = open(b.tokenFile, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        let bytes = Array((issued.token + "\n").utf8)
        let written = fd >= 0 ? bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) } : -1
        if fd >= 0 { close(fd) }
        guard written == bytes.count else {
            try access.revokeToken(issued.record.id, by: actor, at: now)
            throw StoreError(.invalidRequest, "cannot write the token file \(b.tokenFile); the token was revoked", context: file)
        }
        return "bootstrap: administrator \(b.administrator.id) created; token \(issued.record.id) written to \(b.tokenFile)"
    }
}
