import Foundation

/// `{"status": "certified"}`, `{"status": "conditional", "until": <date>}` or `{"status": "not-audited"}`.
extension AuditStatus {
    enum CodingKeys: String, CodingKey { case status, until }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        switch try c.decode(String.self, forKey: .status) {
        case "certified": self = .certified
        case "conditional": self = .conditional(until: try c.decode(Date.self, forKey: .until))
        case "not-audited": self = .notAudited
        case let other:
            throw DecodingError.dataCorruptedError(forKey: .status, in: c,
                                                   debugDescription: "audit status \"\(other)\" is not certified, conditional or not-audited")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .certified: try c.encode("certified", forKey: .status)
        case .conditional(let until):
            try c.encode("conditional", forKey: .status)
            try c.encode(until, forKey: .until)
        case .notAudited: try c.encode("not-audited", forKey: .status)
        }
    }
}

/// A role is its text form, e.g. `"information-manager:VR09"`.
extension Role {
    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        let text = try c.decode(String.self)
        guard let role = Role(text: text) else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "role \"\(text)\" is not one of viewer, editor, information-manager:<region>, layer-administrator, security-reviewer, administrator")
        }
        self = role
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(text)
    }
}
