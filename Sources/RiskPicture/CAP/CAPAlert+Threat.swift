import Foundation

extension CAPAlert {
    /// The contribution this alert makes to `picture`: an Alert adds a threat, an Update
    /// supersedes the threat its `references` name, a Cancel withdraws it. The threat comes
    /// from the first `<info>` in Dutch (or the first): its polygons and circles (WGS 84), event,
    /// CAP urgency, severity and certainty, headline, description, effective (or onset, or sent)
    /// and expires; the hazard from an `eventCode` named `hazard` or from the event's words; the
    /// likelihood from a `parameter` named `likelihood`.
    /// - Throws: ``RiskPictureError``: an alert that is not a threat (status Test, System or
    ///   Draft; msgType Ack or Error), has no polygon or circle, or refers to nothing in the picture.
    public func contribution(id: ItemID, in picture: RegionPicture, organisation: String, author: String, at time: Date) throws -> Contribution {
        guard status == "Actual" || status == "Exercise" else {
            throw RiskPictureError(.invalidContribution, "the alert's <status> is \(status); only Actual and Exercise alerts are threats for the picture")
        }
        let action: Contribution.Action
        switch msgType {
        case "Alert", "Update":
            let threat = try self.threat()
            var supersedes: ItemID?
            if msgType == "Update" {
                guard let target = resolve(in: picture) else {
                    throw RiskPictureError(.notFound, "the alert updates \(references.map(\.text).joined(separator: " ")), which is not in the current picture of \(picture.region)")
                }
                supersedes = target
            }
            action = .add(.threat(threat), supersedes: supersedes)
        case "Cancel":
            guard let target = resolve(in: picture) else {
                throw RiskPictureError(.notFound, "the alert cancels \(references.map(\.text).joined(separator: " ")), which is not in the current picture of \(picture.region)")
            }
            let info = preferredInfo
            action = .cancel(target, reason: info?.description ?? info?.headline ?? "cancelled by CAP message \(identifier) of \(sender)")
        default:
            throw RiskPictureError(.invalidContribution, "the alert's <msgType> is \(msgType); Alert, Update and Cancel messages are taken")
        }
        return Contribution(id: id, region: picture.region, action: action, organisation: organisation, author: author,
                            submittedAt: time, externalReference: reference.text)
    }

    /// The item of the current picture a reference names: one that came in as that CAP message,
    /// or that this service sent out under that identifier. The last reference that resolves wins.
    func resolve(in picture: RegionPicture) -> ItemID? {
        let current = Set(picture.current?.items ?? [])
        for ref in references.reversed() {
            let byMessage = picture.items.values.first { item in
                guard let external = item.contribution.externalReference?.split(separator: ",").map(String.init), external.count == 3 else { return false }
                return external[0] == ref.sender && external[1] == ref.identifier
            }?.id
            for candidate in [byMessage, picture.items[ref.identifier]?.id].compactMap({ $0 }) {
                // The chain's item in the current picture (an earlier message of an updated threat).
                if let head = picture.head(of: candidate, in: picture.current), current.contains(head) { return head }
            }
        }
        return nil
    }

    var preferredInfo: Info? {
        infos.first { ($0.language ?? "").lowercased().hasPrefix("nl") } ?? infos.first
    }

    /// The threat the alert describes (its preferred `<info>`).
    public func threat() throws -> Threat {
        guard let info = preferredInfo else { throw RiskPictureError(.invalidContribution, "the alert has no <info>: a threat needs its event, area and times") }
        var shape = Shape()
        for area in info.areas {
            for ring in area.polygons { shape.polygons.append([ring.map { XY($0.lon, $0.lat) }]) }
            for c in area.circles where c.radiusKm > 0 { shape.circles.append(Circle(center: XY(c.lon, c.lat), radiusMetres: c.radiusKm * 1000)) }
        }
        guard !shape.polygons.isEmpty || !shape.circles.isEmpty else {
            throw RiskPictureError(.invalidArea, "the alert's <area> has no <polygon> or <circle> with a radius (geocodes are not resolved here)")
        }
        let area = try RiskArea(crs: .wgs84, given: shape) { $0 }
        var likelihood: Double?
        if let text = info.parameters["likelihood"] {
            guard let l = Double(text), (0...1).contains(l) else {
                throw RiskPictureError(.invalidContribution, "<parameter> likelihood \"\(text.prefix(20))\" must be a number 0-1")
            }
            likelihood = l
        }
        return Threat(hazard: Self.hazard(info), area: area, likelihood: likelihood, severity: info.severity, urgency: info.urgency,
                      certainty: info.certainty, headline: info.headline ?? info.event, expectedEffects: info.description ?? "",
                      validFrom: info.effective ?? info.onset ?? sent, validUntil: info.expires)
    }

    /// The hazard: an `eventCode` named `hazard`, else the event's words (Dutch or English).
    static func hazard(_ info: Info) -> Hazard {
        if let code = info.eventCodes["hazard"], let h = Hazard(rawValue: code) { return h }
        let words = info.event.lowercased()
        let table: [(Hazard, [String])] = [
            (.highWater, ["hoogwater", "high water", "high-water"]), (.flooding, ["overstroming", "flood", "inundatie"]),
            (.drinkingWaterOutage, ["drinkwater", "drinking water"]), (.gasOutage, ["gasstoring", "gas outage", "gasuitval"]),
            (.powerOutage, ["stroomstoring", "power outage", "stroomuitval", "blackout"]), (.drought, ["droogte", "drought"]),
            (.storm, ["storm", "wind", "orkaan", "hurricane", "tornado"]), (.heat, ["hitte", "heat"]),
            (.contamination, ["besmetting", "verontreiniging", "contamination", "chemical", "cbrn"]),
        ]
        return table.first { $0.1.contains { words.contains($0) } }?.0 ?? .other
    }
}
