import AccessPolicy
import ArgumentParser
import Foundation
import GRDB
import LayerServer

/// Opens the access data of a data directory.
func openAccess(_ options: StoreOptions) async throws -> (AccessStore, ServerConfiguration) {
    let config = try await options.serverConfiguration()
    return (AccessStore(store: try LayerStore(configuration: config.store)), config)
}

/// The policy version a command works on: a stored one by hash, or the current one, with the
/// operator's anonymous-access setting applied as the server applies it.
func policyVersion(_ access: AccessStore, _ config: ServerConfiguration, hash: String?) throws -> PolicyVersion {
    var policy: Policy
    if let hash {
        guard let p = try access.policy(hash: hash) else { throw ValidationError("no policy version \(hash); see `layerserver access versions`") }
        policy = p
    } else {
        policy = try access.current().policy
    }
    policy.anonymousAccess = config.access.anonymousAccess
    return PolicyVersion(policy)
}

func parseTime(_ text: String?, _ name: String = "--at") throws -> Date {
    guard let text else { return Date() }
    guard let date = try? Date(text, strategy: .iso8601) else {
        throw ValidationError("\(name) must be an ISO 8601 time such as 2026-12-01T12:00:00Z, got \"\(text)\"")
    }
    return date
}

struct AccessCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "access", abstract: "Review access: explain a decision, the permission matrix, its diff, policy versions, rules.",
        subcommands: [Explain.self, Matrix.self, Diff.self, Versions.self, Rules.self])

    struct Explain: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Why a user may or may not read and write a layer (the enforcement decision).")
        @OptionGroup var store: StoreOptions
        @Option(help: "User id.") var user: String
        @Option(help: "Layer id.") var layer: String
        @Option(help: "Moment of the decision, ISO 8601 (default now).") var at: String?
        @Option(help: "Policy version hash (default the current one).") var policy: String?
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            do {
                let (access, config) = try await openAccess(store)
                let e = Explanation.make(try policyVersion(access, config, hash: policy), user: user, layer: layer, at: try parseTime(at))
                print(json ? AccessStore.apiJSON(e) : e.text)
            } catch { throw fail(error) }
        }
    }

    struct Matrix: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Organisation × layer: read, write or none, with the spatial scope.")
        @OptionGroup var store: StoreOptions
        @Option(help: "json or csv.") var format: String = "csv"
        @Option(help: "Moment of the decisions, ISO 8601 (default now).") var at: String?
        @Option(help: "Policy version hash (default the current one).") var policy: String?

        func run() async throws {
            do {
                guard format == "csv" || format == "json" else { throw ValidationError("--format is csv or json") }
                let (access, config) = try await openAccess(store)
                let m = PermissionMatrix(try policyVersion(access, config, hash: policy), at: try parseTime(at))
                print(format == "csv" ? m.csv : AccessStore.apiJSON(m), terminator: format == "csv" ? "" : "\n")
            } catch { throw fail(error) }
        }
    }

    struct Diff: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "What changed in the permission matrix between two policy versions.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "The older policy version hash.") var from: String
        @Argument(help: "The newer policy version hash (default the current one).") var to: String?
        @Option(help: "Moment of the decisions, ISO 8601 (default now).") var at: String?
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            do {
                let (access, config) = try await openAccess(store)
                let at = try parseTime(at)
                let before = PermissionMatrix(try policyVersion(access, config, hash: from), at: at)
                let after = PermissionMatrix(try policyVersion(access, config, hash: to), at: at)
                let changes = after.diff(from: before)
                if json { print(AccessStore.apiJSON(changes)); return }
                print("policy \(before.policyHash.prefix(12)) -> \(after.policyHash.prefix(12)): \(changes.count) change(s)")
                for c in changes {
                    let b = c.before.map { "\($0.access) [\($0.scope)]" } ?? "-", a = c.after.map { "\($0.access) [\($0.scope)]" } ?? "-"
                    print("  \(c.kind.padding(toLength: 9, withPad: " ", startingAt: 0)) \(c.organisation) × \(c.layer): \(b) -> \(a)")
                }
            } catch { throw fail(error) }
        }
    }

    struct Versions: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Every stored policy version: hash, time, who and what.")
        @OptionGroup var store: StoreOptions
        func run() async throws {
            do {
                let (access, _) = try await openAccess(store)
                for v in try access.versions() {
                    print("\(v.seq)  \(v.hash.prefix(16))  \(v.createdAt.formatted(.iso8601))  \(v.actor)  \(v.summary.prefix(120))")
                }
            } catch { throw fail(error) }
        }
    }

    struct Rules: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The rules the decision applies, by id.")
        func run() {
            for r in Rule.all { print("\(r.id.padding(toLength: 26, withPad: " ", startingAt: 0)) \(r.text)") }
        }
    }
}

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "The tamper-evident audit log.", subcommands: [Verify.self, List.self])

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Check the hash chain; names the first edited, deleted or reordered record.")
        @OptionGroup var store: StoreOptions
        @Option(help: "A head hash noted earlier (printed here, logged by the server): also detect records cut off the end since.")
        var expectHead: String?
        func run() async throws {
            let result: AuditVerification
            do {
                let (access, _) = try await openAccess(store)
                result = try access.verifyAudit(expectHead: expectHead)
            } catch { throw fail(error) }
            if let bad = result.firstBad {
                FileHandle.standardError.write(Data("audit log BROKEN at record \(bad): \(result.problem ?? "")\n".utf8))
                throw ExitCode(2)
            }
            print("audit log intact: \(result.records) records, head \(result.head)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Audit records, filtered by layer, organisation, kind and period.")
        @OptionGroup var store: StoreOptions
        @Option(help: "Layer id.") var layer: String?
        @Option(help: "Organisation id.") var organisation: String?
        @Option(help: "read, denial, authentication or change.") var kind: String?
        @Option(help: "From (ISO 8601).") var from: String?
        @Option(help: "To (ISO 8601).") var to: String?
        @Option(help: "At most this many records (1-\(AuditLog.maximumPage)).") var limit: Int = 100
        @Option(help: "Start after this record: the cursor printed at the end of the previous page.") var after: Int64?
        @Flag(help: "Print JSON: {records, next}.") var json = false

        func run() async throws {
            do {
                let k = try kind.map { t -> AuditEvent.Kind in
                    guard let v = AuditEvent.Kind(rawValue: t) else { throw ValidationError("--kind is read, denial, authentication or change") }
                    return v
                }
                let f = try from.map { try parseTime($0, "--from") }, t = try to.map { try parseTime($0, "--to") }
                guard (1...AuditLog.maximumPage).contains(limit) else { throw ValidationError("--limit must be 1-\(AuditLog.maximumPage)") }
                let (access, _) = try await openAccess(store)
                let page = try access.store.readSync { db in
                    try AuditLog.page(db, layer: layer, organisation: organisation, kind: k, from: f, to: t, after: after, limit: limit)
                }
                if json { print(AccessStore.apiJSON(page)); return }
                for r in page.records {
                    let e = r.event
                    print("\(r.seq)  \(e.time.formatted(.iso8601))  \(e.kind.rawValue)  \(e.subject)@\(e.organisation)  \(e.action) \(e.resource)  \(e.decision)  ×\(e.count)  [\(e.rules.joined(separator: " "))]  \(e.detail.prefix(100))")
                }
                if let next = page.next {
                    FileHandle.standardError.write(Data("more records: add --after \(next)\n".utf8))
                }
            } catch { throw fail(error) }
        }
    }
}
