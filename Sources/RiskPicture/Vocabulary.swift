/// The controlled list of hazards a threat is about.
public enum Hazard: String, Codable, Sendable, CaseIterable {
    case highWater = "high-water"
    case flooding
    case drought
    case storm
    case heat
    case powerOutage = "power-outage"
    case drinkingWaterOutage = "drinking-water-outage"
    case gasOutage = "gas-outage"
    case contamination
    case other
}

/// CAP 1.2 `urgency`: how soon action is needed.
public enum Urgency: String, Codable, Sendable, CaseIterable {
    case immediate = "Immediate", expected = "Expected", future = "Future", past = "Past", unknown = "Unknown"
}

/// CAP 1.2 `severity`: how bad the threat is. Ordered from `unknown` (least known) to `extreme`.
public enum Severity: String, Codable, Sendable, CaseIterable, Comparable {
    case unknown = "Unknown", minor = "Minor", moderate = "Moderate", severe = "Severe", extreme = "Extreme"

    private var rank: Int { Self.allCases.firstIndex(of: self)! }
    public static func < (a: Severity, b: Severity) -> Bool { a.rank < b.rank }
}

/// CAP 1.2 `certainty`: how sure the source is that the threat happens.
public enum Certainty: String, Codable, Sendable, CaseIterable {
    case observed = "Observed", likely = "Likely", possible = "Possible", unlikely = "Unlikely", unknown = "Unknown"
}
