import Foundation

/// An OASIS CAP 1.2 alert, as far as this service reads and writes it.
public struct CAPAlert: Sendable, Hashable {
    public static let namespace = "urn:oasis:names:tc:emergency:cap:1.2"

    /// A reference to an earlier message: `sender,identifier,sent`.
    public struct Reference: Sendable, Hashable {
        public var sender: String
        public var identifier: String
        public var sent: String

        public var text: String { "\(sender),\(identifier),\(sent)" }
    }

    public struct Area: Sendable, Hashable {
        public var description: String
        /// Rings of (lat, lon) pairs as CAP writes them, closed.
        public var polygons: [[(lat: Double, lon: Double)]]
        /// Centre (lat, lon) and radius in kilometres.
        public var circles: [(lat: Double, lon: Double, radiusKm: Double)]
        public var geocodes: [(name: String, value: String)]

        public static func == (a: Area, b: Area) -> Bool {
            a.description == b.description && a.polygons.map { $0.map { [$0.lat, $0.lon] } } == b.polygons.map { $0.map { [$0.lat, $0.lon] } }
                && a.circles.map { [$0.lat, $0.lon, $0.radiusKm] } == b.circles.map { [$0.lat, $0.lon, $0.radiusKm] }
                && a.geocodes.map { [$0.name, $0.value] } == b.geocodes.map { [$0.name, $0.value] }
        }

        public func hash(into h: inout Hasher) { h.combine(description) }
    }

    public struct Info: Sendable, Hashable {
        public var language: String?
        public var categories: [String]
        public var event: String
        public var responseTypes: [String]
        public var urgency: Urgency
        public var severity: Severity
        public var certainty: Certainty
        public var eventCodes: [String: String]
        public var effective: Date?
        public var onset: Date?
        public var expires: Date?
        public var senderName: String?
        public var headline: String?
        public var description: String?
        public var instruction: String?
        public var parameters: [String: String]
        public var areas: [Area]
    }

    public var identifier: String
    public var sender: String
    public var sent: Date
    /// `sent` as written (with its offset), for references.
    public var sentText: String
    public var status: String
    public var msgType: String
    public var scope: String
    public var restriction: String?
    public var references: [Reference]
    public var infos: [Info]

    /// This alert as a reference for later messages.
    public var reference: Reference { Reference(sender: sender, identifier: identifier, sent: sentText) }
}
