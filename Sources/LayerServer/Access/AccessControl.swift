import AccessPolicy
import Crypto
import Foundation
import Logging
import Synchronization

/// Who is calling, once the credentials are checked.
public struct Principal: Sendable, Hashable {
    public enum Via: String, Sendable {
        case bearer, signedURL = "signed-url", anonymous
        /// HTTP Basic with an API token as the password (desktop GIS clients' stored logins).
        case basic
    }
    public var subject: Subject
    /// The user's organisation; empty for anonymous callers.
    public var organisation: String
    /// The token used, if any.
    public var tokenID: String?
    public var via: Via

    public static let anonymous = Principal(subject: .anonymous, organisation: "", tokenID: nil, via: .anonymous)
}

/// Why credentials were refused. Every case answers 401 and is audited.
public struct AuthenticationFailure: Error, Sendable, Hashable {
    /// What the credentials claimed to be (a token id), or `unknown`.
    public var claimed: String
    /// A short, non-secret reason for the caller, e.g. `token expired`.
    public var reason: String
    /// The reason for the audit log, when it says more than the caller may learn.
    public var auditReason: String

    public init(claimed: String, reason: String, audit: String? = nil) {
        self.claimed = claimed
        self.reason = reason
        self.auditReason = audit ?? reason
    }
}

/// A read decision for one layer, with the access class that partitions caches. A class, so the
/// tile path passes one reference, not the decision's many fields.
public final class LayerGrant: Sendable {
    /// The layer id.
    public let layer: String
    public let decision: Decision
    /// Hex digest of what the decision lets the caller see of the layer (filter and hidden
    /// attributes). Callers with the same class see the same tiles, so they share cache entries.
    public let accessClass: String
    /// The audit record key of reads under this decision, nil when such reads are not audited
    /// (allowed reads of open layers). Made once per decision, not per request.
    let auditKey: AuditRecorder.Key?
    /// The policy generation the decision was made in.
    let generation: Int
    /// The caller's organisation (empty for anonymous callers), for the read counts of `/metrics`.
    let organisation: String

    init(layer: String, decision: Decision, accessClass: String, auditKey: AuditRecorder.Key?, generation: Int, organisation: String) {
        self.layer = layer
        self.organisation = organisation
        self.decision = decision
        self.accessClass = accessClass
        self.auditKey = auditKey
        self.generation = generation
    }
}

/// The running server's access state: the current policy version, the token table and a memo of
/// read decisions. Every read and write of the service goes through ``decide(_:_:_:at:)`` or
/// ``readGrant(_:layer:at:)``, which call ``AccessPolicy/PolicyVersion/decide(_:_:_:at:)``.
public final class AccessControl: Sendable {
    /// Server settings that take part in decisions.
    public struct Configuration: Sendable, Hashable {
        /// Anonymous callers may read open layers.
        public var anonymousAccess: Bool
        /// Lifetime of signed tile URLs.
        public var signedURLLifetime: Duration
        /// Refused credentials one address may send per minute before it gets 429 instead of 401.
        public var refusalsPerMinute: Int
        /// Refused credentials of one address and reason become one audit record per this interval.
        public var refusalAuditInterval: Duration

        public init(anonymousAccess: Bool = false, signedURLLifetime: Duration = .seconds(900),
                    refusalsPerMinute: Int = 60, refusalAuditInterval: Duration = .seconds(60)) {
            self.anonymousAccess = anonymousAccess
            self.signedURLLifetime = signedURLLifetime
            self.refusalsPerMinute = refusalsPerMinute
            self.refusalAuditInterval = refusalAuditInterval
        }
    }

    struct MemoKey: Hashable {
        var subject: Subject
        var layer: String
    }

    /// Signed-URL values that verified, with their fields (see ``authenticate(signed:layer:at:)``).
    private let verifiedSignatures = Mutex<[String: (tokenID: String, expires: Int64, accessClass: String)]>([:])

    struct State {
        var version: PolicyVersion
        var generation: Int
        var tokens: [String: TokenRecord]
        var memo: [MemoKey: LayerGrant] = [:]
        /// Bearer header values that authenticated, with their principal and expiry: a repeat
        /// request costs one lookup instead of a parse and a hash. Emptied with every reload
        /// (so revocations apply), bounded, and never holding a failed value.
        var authenticated: [String: (principal: Principal, expires: Date)] = [:]
    }

    public let store: AccessStore
    public let recorder: AuditRecorder
    /// Counts refused credentials per source address.
    public let refusals: RefusalLimiter
    public let configuration: Configuration
    /// Denials, refused credentials and reads are counted here (for `/metrics`).
    public let metrics: ServiceMetrics
    /// The URL-signing key's bytes (SymmetricKey is not Sendable; one is made per use).
    let keyBytes: [UInt8]
    var key: SymmetricKey { SymmetricKey(data: keyBytes) }
    let logger: Logger
    private let state: Mutex<State>

    public init(store: AccessStore, configuration: Configuration, metrics: ServiceMetrics = ServiceMetrics(),
                logger: Logger = Logger(label: "layerserver.access")) throws {
        self.store = store
        self.configuration = configuration
        self.logger = logger
        self.metrics = metrics
        self.recorder = AuditRecorder(store: store, refusalInterval: configuration.refusalAuditInterval, metrics: metrics, logger: logger)
        self.refusals = RefusalLimiter(perMinute: configuration.refusalsPerMinute)
        self.keyBytes = try store.signingKey().withUnsafeBytes { Array($0) }
        let (policy, generation) = try store.current()
        let tokens = try store.tokens()
        state = Mutex(State(version: Self.effective(policy, configuration), generation: generation,
                            tokens: Dictionary(uniqueKeysWithValues: tokens.map { ($0.id, $0) })))
    }

    /// The stored policy with the operator's settings applied.
    static func effective(_ policy: Policy, _ configuration: Configuration) -> PolicyVersion {
        var p = policy
        p.anonymousAccess = configuration.anonymousAccess
        return PolicyVersion(p)
    }

    /// The policy version decisions use now.
    public var policy: PolicyVersion { state.withLock { $0.version } }

    /// Reloads the policy and tokens when they changed (here or in another process).
    @discardableResult
    public func refresh() throws -> Bool {
        let known = state.withLock { $0.generation }
        let fresh = try store.store.readSync { db -> (Policy, Int, [TokenRecord])? in
            let generation = try AccessSchema.policyGeneration(db)
            guard generation != known else { return nil }
            return (try AccessStore.loadPolicy(db), generation, try AccessStore.loadTokens(db))
        }
        guard let (policy, generation, tokens) = fresh else { return false }
        let version = Self.effective(policy, configuration)
        state.withLock { s in
            s = State(version: version, generation: generation, tokens: Dictionary(uniqueKeysWithValues: tokens.map { ($0.id, $0) }))
        }
        logger.info("access policy reloaded", metadata: ["generation": "\(generation)", "policy": "\(version.hash.prefix(12))"])
        return true
    }

    // MARK: Authentication

    /// Checks an API token, sent as a bearer token or as the password of HTTP Basic (same checks,
    /// audit and limits). No header means anonymous (which the policy may still deny).
    public func authenticate(authorization: String?, at time: Date) -> Result<Principal, AuthenticationFailure> {
        guard let authorization else { return .success(.anonymous) }
        // Basic logins are remembered by their token, not the header: any user name goes with
        // a token, and one token holder must not fill the memo with variants.
        let basic = authorization.utf8.first.map { $0 | 0x20 == UInt8(ascii: "b") } == true
            && authorization.prefix(6).lowercased() == "basic " ? Credentials.parseBasic(authorization) : nil
        let memoKey = basic.map { "basic lst_\($0.id).\($0.secret)" } ?? authorization
        if let hit = state.withLock({ $0.authenticated[memoKey] }), time < hit.expires {
            return .success(hit.principal)
        }
        let parsed: (id: String, secret: String, via: Principal.Via)
        if let basic {
            parsed = (basic.id, basic.secret, .basic)
        } else if let (id, secret) = Credentials.parseBearer(authorization) {
            parsed = (id, secret, .bearer)
        } else {
            return .failure(AuthenticationFailure(claimed: "unknown", reason: "malformed Authorization header: use \"Bearer lst_<id>.<secret>\", or HTTP Basic with the token as the password"))
        }
        let id = parsed.id
        let result = principal(tokenID: id, secret: parsed.secret, at: time, via: parsed.via)
        if case .success(let p) = result {
            state.withLock { s in
                guard let record = s.tokens[id], record.revokedAt == nil else { return }
                if s.authenticated.count > 10_000 { s.authenticated.removeAll() }
                s.authenticated[memoKey] = (p, record.expiresAt)
            }
        }
        return result
    }

    private func principal(tokenID id: String, secret: String?, at time: Date, via: Principal.Via) -> Result<Principal, AuthenticationFailure> {
        let (record, policy) = state.withLock { ($0.tokens[id], $0.version.policy) }
        // Unknown ids and wrong secrets get the same answer (no oracle for which ids exist);
        // the audit record tells them apart.
        guard let record else { return .failure(AuthenticationFailure(claimed: id, reason: "invalid token", audit: "invalid token (unknown id)")) }
        if let secret, !Credentials.equal(Credentials.digest(secret), record.secretSHA256) {
            return .failure(AuthenticationFailure(claimed: id, reason: "invalid token", audit: "invalid token (wrong secret)"))
        }
        if record.revokedAt != nil { return .failure(AuthenticationFailure(claimed: id, reason: "token revoked")) }
        if record.expiresAt <= time { return .failure(AuthenticationFailure(claimed: id, reason: "token expired")) }
        guard let user = policy.users[record.userID] else {
            return .failure(AuthenticationFailure(claimed: id, reason: "the token's user no longer exists"))
        }
        return .success(Principal(subject: .user(user.id), organisation: user.organisation, tokenID: id, via: via))
    }

    /// The principal of a user of the policy, for the operator's own tools on the server
    /// (seeding the cache for that user's access class); never for a request.
    public func localPrincipal(user id: String) -> Principal? {
        state.withLock { s in s.version.policy.users[id] }.map { Principal(subject: .user($0.id), organisation: $0.organisation, tokenID: nil, via: .bearer) }
    }

    /// True while the credentials `principal` came with are still good: its token exists, is
    /// not revoked or expired, and its user is still in the policy (anonymous callers while
    /// anonymous access is on). Long-lived answers (event streams) ask it as they go.
    public func stillAuthenticated(_ principal: Principal, at time: Date) -> Bool {
        guard let id = principal.tokenID else { return principal.via == .anonymous && configuration.anonymousAccess }
        return state.withLock { s in
            guard let record = s.tokens[id], record.revokedAt == nil, record.expiresAt > time else { return false }
            return s.version.policy.users[record.userID] != nil
        }
    }

    /// Checks a signed tile-URL parameter for `layer`: its MAC, its expiry, the token it was
    /// made from, and that the caller's access class for the layer is still the one signed.
    public func authenticate(signed value: String, layer: String, at time: Date) -> Result<Principal, AuthenticationFailure> {
        // A value whose MAC was checked before gives the same fields again: the check is a pure
        // function of the value, the layer and the server's key. Only values that verified are
        // remembered (no stranger can make one), and expiry, revocation and access class are
        // still checked below on every request.
        let memoKey = layer + "\u{0}" + value
        let verified: (tokenID: String, expires: Int64, accessClass: String)
        if let hit = verifiedSignatures.withLock({ $0[memoKey] }) {
            verified = hit
        } else {
            guard let fresh = Credentials.verify(value, layer: layer, key: key) else {
                return .failure(AuthenticationFailure(claimed: "unknown", reason: "signed URL is malformed or its signature does not match"))
            }
            verified = fresh
            verifiedSignatures.withLock { m in
                if m.count >= 10_000 { m.removeAll() }
                m[memoKey] = fresh
            }
        }
        let (tokenID, expires, accessClass) = verified
        guard Double(expires) > time.timeIntervalSince1970 else {
            return .failure(AuthenticationFailure(claimed: tokenID, reason: "signed URL expired"))
        }
        switch principal(tokenID: tokenID, secret: nil, at: time, via: .signedURL) {
        case .failure(let f): return .failure(f)
        case .success(let p):
            guard readGrant(p, layer: layer, at: time).accessClass == accessClass else {
                return .failure(AuthenticationFailure(claimed: tokenID, reason: "access changed since the URL was signed"))
            }
            return .success(p)
        }
    }

    /// A signed-URL parameter for `principal`'s current access to `layer`, or nil when the
    /// caller did not authenticate with a token.
    public func signedParameter(for principal: Principal, layer: String, at time: Date) -> (value: String, expires: Date)? {
        guard let tokenID = principal.tokenID, principal.via == .bearer || principal.via == .basic else { return nil }
        let lifetime = Double(configuration.signedURLLifetime.components.seconds)
        let expires = Int64(time.timeIntervalSince1970 + lifetime)
        let grant = readGrant(principal, layer: layer, at: time)
        return (Credentials.sign(tokenID: tokenID, expires: expires, layer: layer, accessClass: grant.accessClass, key: key),
                Date(timeIntervalSince1970: Double(expires)))
    }

    // MARK: Decisions

    /// The decision, not memoised: for writes, administration, review and explanations.
    public func decide(_ principal: Principal, _ action: Action, _ resource: Resource, at time: Date) -> Decision {
        policy.decide(principal.subject, action, resource, at: time)
    }

    /// The read decision for a layer, memoised per subject and layer until the policy changes
    /// or the decision's own validity ends (an audit lapses, an attachment ends).
    public func readGrant(_ principal: Principal, layer: String, at time: Date) -> LayerGrant {
        let key = MemoKey(subject: principal.subject, layer: layer)
        let memo = state.withLock { s -> LayerGrant? in
            guard let m = s.memo[key], m.generation == s.generation else { return nil }
            return m
        }
        if let memo, memo.decision.validUntil.map({ time < $0 }) ?? true {
            return memo
        }
        let (version, generation) = state.withLock { ($0.version, $0.generation) }
        let decision = version.decide(principal.subject, .read, .layer(layer), at: time)
        let audited = !decision.allowed || (version.policy.layers[layer]?.sensitivity ?? .confidential) > .open
        let auditKey = audited ? AuditRecorder.Key(
            kind: decision.allowed ? .read : .denial, subject: principal.subject.text, organisation: principal.organisation,
            action: "read", resource: "layer:" + layer, decision: decision.allowed ? "allow" : "deny", rules: decision.rules,
            policyHash: decision.policyHash, detail: decision.reasons.joined(separator: "; ")) : nil
        let grant = LayerGrant(layer: layer, decision: decision, accessClass: Self.accessClass(decision), auditKey: auditKey,
                               generation: generation, organisation: principal.organisation)
        state.withLock { s in
            guard s.generation == generation else { return }
            if s.memo.count > 50_000 { s.memo.removeAll() }
            s.memo[key] = grant
        }
        return grant
    }

    /// Read decisions memoised now (for tests of what callers can make the server hold).
    var memoCount: Int { state.withLock { $0.memo.count } }

    /// Hex digest of what an allowed read shows: the filter and the hidden attributes.
    static func accessClass(_ d: Decision) -> String {
        guard d.allowed else { return "denied" }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let filter = (try? encoder.encode(d.filter)) ?? Data()
        let hidden = (try? encoder.encode(d.hiddenAttributes.map { $0.lowercased() }.sorted())) ?? Data()
        let text = String(decoding: filter, as: UTF8.self) + "|" + String(decoding: hidden, as: UTF8.self)
        return LayerService.hex(SHA256.hash(data: Data(text.utf8)).prefix(8))
    }

    // MARK: Audit

    /// Records a read decision: denials always, allowed reads of restricted and confidential layers.
    public func audit(read grant: LayerGrant, item: @autoclosure () -> String?, at time: Date) {
        if grant.decision.allowed {
            metrics.read(layer: grant.layer, organisation: grant.organisation)
        } else {
            metrics.denial(rules: grant.decision.rules)
        }
        guard let key = grant.auditKey else { return }
        recorder.record(key, item: item(), at: time)
    }

    /// Records any other denied decision.
    public func audit(denied d: Decision, principal: Principal, action: Action, resource: Resource, at time: Date) {
        metrics.denial(rules: d.rules)
        recorder.record(.denial, subject: principal.subject.text, organisation: principal.organisation, action: action.rawValue,
                        resource: resource.text, decision: "deny", rules: d.rules, policyHash: d.policyHash, item: nil,
                        detail: d.reasons.joined(separator: "; "), at: time)
    }

    /// Records a refused credential, merged per source address and reason (see
    /// ``AuditRecorder/recordRefusal(address:reason:claimed:path:policyHash:at:)``).
    public func audit(_ failure: AuthenticationFailure, address: String, path: String, at time: Date) {
        metrics.authenticationFailure(reason: failure.auditReason)
        recorder.recordRefusal(address: address, reason: failure.auditReason, claimed: failure.claimed, path: path,
                               policyHash: policy.hash, at: time)
    }
}
