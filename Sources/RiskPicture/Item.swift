import Foundation

/// Where an item is in its life. Every change is kept; nothing is edited in place or deleted.
public enum ItemState: String, Codable, Sendable, CaseIterable {
    /// Waits for the region's information manager.
    case submitted
    /// Verified: goes into the next published version.
    case accepted
    /// Refused, with a reason; never in any published version.
    case rejected
    /// In the current picture.
    case published
    /// Replaced by a newer item (an update).
    case superseded
    /// Withdrawn by a cancellation (or with its threat).
    case cancelled
    /// Past its `validUntil` (or with its threat).
    case expired

    /// States after which nothing more happens.
    public var isFinal: Bool { [.rejected, .superseded, .cancelled, .expired].contains(self) }
}

/// One kept state change of an item.
public struct StateChange: Codable, Sendable, Hashable {
    public var state: ItemState
    public var at: Date
    /// The user (or `system:expiry`) that made the change.
    public var by: String
    /// Why: a rejection's or cancellation's reason, the superseding item, ...
    public var reason: String?
    /// The picture version the change was published in.
    public var version: Int?

    public init(state: ItemState, at: Date, by: String, reason: String? = nil, version: Int? = nil) {
        self.state = state
        self.at = at
        self.by = by
        self.reason = reason
        self.version = version
    }
}

/// A contribution with its history.
public struct Item: Codable, Sendable, Hashable {
    public var contribution: Contribution
    /// Oldest first; never empty (it starts with `submitted`).
    public var history: [StateChange]

    public init(contribution: Contribution, history: [StateChange]) {
        self.contribution = contribution
        self.history = history
    }

    public var id: ItemID { contribution.id }
    public var state: ItemState { history.last!.state }

    /// The state at `time` (the last change at or before it), nil before it was submitted.
    public func state(at time: Date) -> ItemState? {
        history.last { $0.at <= time }?.state
    }
}
