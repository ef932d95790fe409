import Foundation
import GeoCore

/// Published threats as CAP 1.2 alerts, and a region's current alerts as an Atom feed, for the
/// partners' own systems. An alert's identifier is the item id; the first threat of a chain is
/// an Alert, a threat that supersedes another an Update (referring to the alert it replaces),
/// a cancelled threat a Cancel (referring to its own alert).
public enum CAPExport {
    /// The sender of this service's alerts for a region (no spaces, commas, `<` or `&`).
    public static func sender(region: String) -> String { "risicobeeld.\(region)@layerserver" }

    /// CAP time: seconds, with an explicit UTC offset.
    static func time(_ date: Date) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyy-MM-dd'T'HH:mm:ss'+00:00'"
        return f.string(from: date)
    }

    static func escape(_ s: String) -> String { XMLText.escape(s) }

    static func category(_ h: Hazard) -> String {
        switch h {
        case .highWater, .flooding, .storm, .heat: "Met"
        case .drought: "Env"
        case .powerOutage, .drinkingWaterOutage, .gasOutage: "Infra"
        case .contamination: "CBRNE"
        case .other: "Other"
        }
    }

    /// When an item entered the picture (its publication), or nil.
    static func published(_ item: Item) -> Date? { item.history.first { $0.state == .published }?.at }

    /// The alert of a published (or since withdrawn) threat, nil when `id` is no threat or was
    /// never published. A cancelled threat's alert is its Cancel message.
    public static func alert(_ id: ItemID, in picture: RegionPicture) -> String? {
        guard let item = picture.items[id], case .add(.threat(let threat), let supersedes) = item.contribution.action,
              let sent = published(item) else { return nil }
        let sender = sender(region: picture.region)
        var msgType = supersedes == nil ? "Alert" : "Update"
        var references: [String] = []
        var sentAt = sent
        if let old = supersedes, let previous = picture.items[old], let at = published(previous) {
            references.append("\(sender),\(old),\(time(at))")
        }
        if item.state == .cancelled, let cancelled = item.history.last(where: { $0.state == .cancelled }) {
            msgType = "Cancel"
            references = ["\(sender),\(id),\(time(sent))"]
            sentAt = cancelled.at
        }
        var xml = """
            <?xml version="1.0" encoding="UTF-8"?>
            <alert xmlns="\(CAPAlert.namespace)">
              <identifier>\(escape(msgType == "Cancel" ? "\(id)-cancel" : id))</identifier>
              <sender>\(escape(sender))</sender>
              <sent>\(time(sentAt))</sent>
              <status>Actual</status>
              <msgType>\(msgType)</msgType>
              <source>\(escape(item.contribution.organisation))</source>
              <scope>Restricted</scope>
              <restriction>Crisis organisation: readers of the risk picture of \(escape(picture.region)) under the access policy</restriction>

            """
        if !references.isEmpty { xml += "  <references>\(references.map(escape).joined(separator: " "))</references>\n" }
        xml += """
              <info>
                <language>nl-NL</language>
                <category>\(category(threat.hazard))</category>
                <event>\(escape(threat.hazard.rawValue))</event>
                <urgency>\(threat.urgency.rawValue)</urgency>
                <severity>\(threat.severity.rawValue)</severity>
                <certainty>\(threat.certainty.rawValue)</certainty>
                <eventCode><valueName>hazard</valueName><value>\(threat.hazard.rawValue)</value></eventCode>
                <effective>\(time(max(threat.validFrom, sentAt)))</effective>

            """
        if let until = threat.validUntil { xml += "    <expires>\(time(max(until, sentAt)))</expires>\n" }
        xml += "    <senderName>\(escape(item.contribution.organisation))</senderName>\n"
        xml += "    <headline>\(escape(threat.headline))</headline>\n"
        if !threat.expectedEffects.isEmpty { xml += "    <description>\(escape(threat.expectedEffects))</description>\n" }
        if let l = threat.likelihood { xml += "    <parameter><valueName>likelihood</valueName><value>\(l)</value></parameter>\n" }
        xml += "    <area>\n      <areaDesc>\(escape(threat.headline))</areaDesc>\n"
        for polygon in threat.area.wgs84.polygons {
            guard let ring = polygon.first else { continue }
            xml += "      <polygon>\(ring.map { "\($0.y),\($0.x)" }.joined(separator: " "))</polygon>\n"
        }
        for c in threat.area.wgs84.circles {
            xml += "      <circle>\(c.center.y),\(c.center.x) \(c.radiusMetres / 1000)</circle>\n"
        }
        xml += "    </area>\n  </info>\n</alert>\n"
        return xml
    }

    /// The region's current alerts as an Atom feed (RFC 4287); `base` is the service's URL.
    public static func feed(_ picture: RegionPicture, base: String, visible: (Item) -> Bool = { _ in true }) -> String {
        let threats = picture.current.map { picture.items(of: $0) }?.filter { visible($0) && $0.contribution.content?.kind == "threat" } ?? []
        let updated = picture.current?.publishedAt ?? Date(timeIntervalSince1970: 0)
        var xml = """
            <?xml version="1.0" encoding="UTF-8"?>
            <feed xmlns="http://www.w3.org/2005/Atom">
              <id>\(escape(base))/pictures/\(escape(picture.region))/alerts</id>
              <title>Actueel risicobeeld \(escape(picture.region))</title>
              <updated>\(time(updated))</updated>
              <author><name>\(escape(sender(region: picture.region)))</name></author>
              <link rel="self" href="\(escape(base))/pictures/\(escape(picture.region))/alerts"/>

            """
        for item in threats {
            guard case .threat(let t)? = item.contribution.content else { continue }
            let href = "\(base)/pictures/\(picture.region)/alerts/\(item.id)"
            xml += """
                  <entry>
                    <id>\(escape(href))</id>
                    <title>\(escape(t.headline))</title>
                    <updated>\(time(published(item) ?? updated))</updated>
                    <link rel="alternate" type="application/cap+xml" href="\(escape(href))"/>
                    <summary>\(escape("\(t.hazard.rawValue), \(t.severity.rawValue)"))</summary>
                  </entry>

                """
        }
        return xml + "</feed>\n"
    }
}
