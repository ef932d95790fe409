import AccessPolicy
import ArgumentParser
import Foundation
import LayerServer

/// Administration from the console. The CLI acts as the local operator, who has the data
/// directory in hand; every change is a policy version with an audit record naming the operator.
struct AdminCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "admin", abstract: "Organisations, users, tokens, layer conditions and activities (audited).",
        subcommands: [Org.self, UserCmd.self, Token.self, Conditions.self, ActivityCmd.self, Remove.self, Show.self, BootstrapCmd.self])

    static func list(_ text: String?) -> [String] {
        (text ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    static func parse<T: RawRepresentable>(_ text: String, _ name: String) throws -> T where T.RawValue == String, T: CaseIterable {
        guard let v = T(rawValue: text) else {
            throw ValidationError("\(name) must be one of \(T.allCases.map(\.rawValue).joined(separator: ", ")), got \"\(text)\"")
        }
        return v
    }

    static func run(_ body: () throws -> PolicyVersion) throws {
        do {
            let v = try body()
            print("policy \(v.hash)")
        } catch { throw fail(error) }
    }

    struct Org: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "org", abstract: "Create or replace an organisation.")
        @OptionGroup var store: StoreOptions
        @Option var id: String
        @Option var name: String
        @Option(help: "hulpdienst, beheerder, dienstverlener or incidenteel.") var task: String
        @Option(help: "kern, structureel, koppel, standby or adhoc.") var profile: String
        @Option(help: "certified, not-audited, or conditional:YYYY-MM-DD (the re-audit date).") var audit: String
        @Option(help: "regional, supra-regional or national.") var reach: String
        @Option(help: "Safety-region codes, comma-separated, e.g. VR09,VR16.") var regions: String?
        @Option(help: "Adoption region code.") var adoption: String

        func run() async throws {
            let status: AuditStatus
            switch audit {
            case "certified": status = .certified
            case "not-audited": status = .notAudited
            case let s where s.hasPrefix("conditional:"):
                status = .conditional(until: try parseTime(String(s.dropFirst(12)) + (s.count == 22 ? "T00:00:00Z" : ""), "--audit"))
            default: throw ValidationError("--audit is certified, not-audited or conditional:YYYY-MM-DD")
            }
            let org = Organisation(id: id, name: name, coreTask: try AdminCommand.parse(task, "--task"),
                                   profile: try AdminCommand.parse(profile, "--profile"), audit: status,
                                   reach: try AdminCommand.parse(reach, "--reach"), regions: AdminCommand.list(regions), adoptionRegion: adoption)
            let (access, _) = try await openAccess(store)
            try AdminCommand.run { try access.put(org, by: .localOperator()) }
        }
    }

    struct UserCmd: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "user", abstract: "Create or replace a user.")
        @OptionGroup var store: StoreOptions
        @Option var id: String
        @Option var name: String
        @Option(name: .customLong("org")) var organisation: String
        @Option(help: "Comma-separated: viewer, editor, information-manager:VRnn, layer-administrator, security-reviewer, administrator.")
        var roles: String

        func run() async throws {
            let parsed = try AdminCommand.list(roles).map { t in
                guard let r = Role(text: t) else { throw ValidationError("unknown role \"\(t)\"") }
                return r
            }
            let (access, _) = try await openAccess(store)
            try AdminCommand.run { try access.put(User(id: id, name: name, organisation: organisation, roles: parsed), by: .localOperator()) }
        }
    }

    struct Token: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Issue, revoke or list API tokens.", subcommands: [Issue.self, Revoke.self, List.self])

        struct Issue: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Issue a token; it is printed once and stored only as a hash.")
            @OptionGroup var store: StoreOptions
            @Option var user: String
            @Option(help: "Days until it expires (1-366).") var days: Int = 30
            @Option var label: String = ""

            func run() async throws {
                guard (1...366).contains(days) else { throw ValidationError("--days must be 1-366") }
                do {
                    let (access, _) = try await openAccess(store)
                    let issued = try access.issueToken(for: user, label: label, expiresAt: Date() + Double(days) * 86_400, by: .localOperator())
                    print("token \(issued.record.id) for \(user), expires \(issued.record.expiresAt.formatted(.iso8601)) (shown once):")
                    print(issued.token)
                } catch { throw fail(error) }
            }
        }

        struct Revoke: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Revoke a token by id.")
            @OptionGroup var store: StoreOptions
            @Argument var id: String
            func run() async throws {
                do {
                    let (access, _) = try await openAccess(store)
                    try access.revokeToken(id, by: .localOperator())
                    print("token \(id) revoked")
                } catch { throw fail(error) }
            }
        }

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List tokens (no secrets).")
            @OptionGroup var store: StoreOptions
            func run() async throws {
                do {
                    let (access, _) = try await openAccess(store)
                    for t in try access.tokens() {
                        let state = t.revokedAt != nil ? "revoked" : t.expiresAt <= Date() ? "expired" : "valid"
                        print("\(t.id)  \(t.userID)  \(state)  expires \(t.expiresAt.formatted(.iso8601))  \(t.label)")
                    }
                } catch { throw fail(error) }
            }
        }
    }

    struct Conditions: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set a layer's conditions (on behalf of its owner).")
        @OptionGroup var store: StoreOptions
        @Argument(help: "Layer id.") var layer: String
        @Option(help: "Owner organisation id.") var owner: String
        @Option(help: "open, restricted or confidential.") var sensitivity: String
        @Option(help: "Profiles that may read, comma-separated (default kern,structureel,standby).") var profiles: String?
        @Option(help: "true or false (default: true for confidential).") var auditRequired: Bool?
        @Option(help: "Clip to the reader's regions: true or false.") var clip: Bool = true
        @Option(help: "Hidden attributes as profile:attr1+attr2, comma-separated, e.g. standby:capacity+name.") var hide: String?

        func run() async throws {
            let allowed: [Profile] = try profiles.map { try AdminCommand.list($0).map { try AdminCommand.parse($0, "--profiles") } }
                ?? [.kern, .structureel, .standby]
            var hidden: [Profile: [String]] = [:]
            for item in AdminCommand.list(hide) {
                let parts = item.split(separator: ":", maxSplits: 1).map(String.init)
                guard parts.count == 2 else { throw ValidationError("--hide items look like standby:capacity+name") }
                let profile: Profile = try AdminCommand.parse(parts[0], "--hide profile")
                hidden[profile, default: []] += parts[1].split(separator: "+").map(String.init)
            }
            let c = LayerConditions(layer: layer, owner: owner, sensitivity: try AdminCommand.parse(sensitivity, "--sensitivity"),
                                    allowedProfiles: allowed, auditRequired: auditRequired, clipToRegions: clip, hiddenAttributes: hidden)
            let (access, _) = try await openAccess(store)
            try AdminCommand.run { try access.put(c, by: .localOperator()) }
        }
    }

    struct ActivityCmd: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "activity", abstract: "Create or replace an incident or exercise.")
        @OptionGroup var store: StoreOptions
        @Option var id: String
        @Option var name: String
        @Option(help: "incident or exercise.") var kind: String = "incident"
        @Option(help: "Region codes, comma-separated.") var regions: String
        @Option(help: "Area as minLon,minLat,maxLon,maxLat (default: the regions).") var area: String?
        @Option(help: "Start, ISO 8601 (default now).") var start: String?
        @Option(help: "End, ISO 8601.") var end: String
        @Option(help: "Attach a standby partner: ORG or ORG@FROM/UNTIL (ISO 8601); repeatable.") var attach: [String] = []

        func run() async throws {
            guard let k = Activity.Kind(rawValue: kind) else { throw ValidationError("--kind is incident or exercise") }
            let s = try parseTime(start, "--start"), e = try parseTime(end, "--end")
            var box: Area?
            if let area {
                let n = area.split(separator: ",").compactMap { Double($0) }
                guard n.count == 4 else { throw ValidationError("--area is minLon,minLat,maxLon,maxLat") }
                box = .box(minLon: n[0], minLat: n[1], maxLon: n[2], maxLat: n[3])
            }
            let attachments = try attach.map { item -> Attachment in
                let parts = item.split(separator: "@", maxSplits: 1).map(String.init)
                guard parts.count == 2 else { return Attachment(organisation: item, from: s, until: e) }
                let window = parts[1].split(separator: "/").map(String.init)
                guard window.count == 2 else { throw ValidationError("--attach is ORG or ORG@FROM/UNTIL") }
                return Attachment(organisation: parts[0], from: try parseTime(window[0], "--attach"), until: try parseTime(window[1], "--attach"))
            }
            let a = Activity(id: id, name: name, kind: k, regions: AdminCommand.list(regions), area: box, start: s, end: e, attachments: attachments)
            let (access, _) = try await openAccess(store)
            try AdminCommand.run { try access.put(a, by: .localOperator()) }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove an organisation, user, activity or a layer's conditions.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "organisation, user, activity or conditions.") var kind: String
        @Argument var id: String
        func run() async throws {
            let k: AccessStore.Kind = try AdminCommand.parse(kind, "kind")
            let (access, _) = try await openAccess(store)
            try AdminCommand.run { try access.remove(k, id, by: .localOperator()) }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the current policy as JSON, with its hash.")
        @OptionGroup var store: StoreOptions
        func run() async throws {
            do {
                let (access, _) = try await openAccess(store)
                let p = try access.current().policy
                print(AccessStore.apiJSON(["hash": PolicyVersion(p).hash]))
                print(AccessStore.apiJSON(p))
            } catch { throw fail(error) }
        }
    }

    struct BootstrapCmd: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "bootstrap", abstract: "Create the first administrator from a bootstrap JSON file.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "The bootstrap file (see docs/access.md).") var file: String
        func run() async throws {
            do {
                let (access, _) = try await openAccess(store)
                print(try Bootstrap.apply(file: file, to: access) ?? "an administrator exists already; nothing done")
            } catch { throw fail(error) }
        }
    }
}

