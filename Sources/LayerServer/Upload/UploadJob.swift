import Foundation
import GRDB
import GeoCore

/// What the uploader asked for with the file.
public struct UploadOptions: Codable, Sendable, Hashable {
    public var title: String?
    public var sensitivity: Sensitivity?
    public var sourceCRS: Int?
    public var sourceLayer: String?
    public var minZoom: Int?
    public var maxZoom: Int?
    public var errorMode: ImportRequest.ErrorMode = .reject
    /// The uploader asked to stage instead of publishing.
    public var stage = false
    /// The policy requires approval (a structural partner): the version is staged whatever `stage` says.
    public var requiresApproval = false
    /// The rules of the write decision and the policy they came from.
    public var rules: [String] = []
    public var policyHash: String = ""
    /// The file extension the upload was stored under.
    public var fileExtension: String
}

/// An upload job as the API shows it.
public struct UploadJob: Codable, Sendable {
    public enum State: String, Codable, Sendable {
        case receiving, queued, running, staged, published, failed
        var isFinished: Bool { self == .staged || self == .published || self == .failed }
    }

    /// Where a running job is.
    public struct Progress: Codable, Sendable {
        /// receiving, queued, checking, reading, writing, done.
        public var phase: String
        public var bytesReceived: Int
        public var featuresRead: Int
        public var featuresTotal: Int?
        /// 0...1, when it can be told.
        public var fraction: Double?
    }

    public var id: String
    public var layer: String
    public var state: State
    public var subject: String
    public var organisation: String
    public var file: String
    public var bytes: Int
    public var createdAt: Date
    public var updatedAt: Date
    public var version: Int?
    public var options: UploadOptions
    public var progress: Progress?
    public var report: ImportReport?
    public var error: String?

    static func from(_ row: Row) throws -> UploadJob {
        let decoder = JSONDecoder()
        let optionsText: String = try row.decode(forColumn: "options")
        let stateText: String = try row.decode(forColumn: "state")
        return UploadJob(
            id: try row.decode(forColumn: "id"), layer: try row.decode(forColumn: "layer_id"),
            state: State(rawValue: stateText) ?? .failed, subject: try row.decode(forColumn: "subject"),
            organisation: try row.decode(forColumn: "organisation"), file: try row.decode(forColumn: "file_name"),
            bytes: try row.decode(forColumn: "bytes"),
            createdAt: LayerStore.timestamp(try row.decode(forColumn: "created_at") as String),
            updatedAt: LayerStore.timestamp(try row.decode(forColumn: "updated_at") as String),
            version: row["version"], options: try decoder.decode(UploadOptions.self, from: Data(optionsText.utf8)),
            progress: nil,
            report: (row["report"] as String?).flatMap { try? decoder.decode(ImportReport.self, from: Data($0.utf8)) },
            error: row["error"])
    }
}
