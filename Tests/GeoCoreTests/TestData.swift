import Foundation

/// Where the shared peer fixtures live (../shared/data next to the checkout).
enum TestData {
    static let root: URL = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }  // Tests/GeoCoreTests/TestData.swift -> repo
        let candidates = [url.appendingPathComponent("../shared/data"), URL(fileURLWithPath: "/work/shared/data")]
        return candidates.first { FileManager.default.fileExists(atPath: $0.path) }!.standardizedFileURL
    }()

    static func url(_ relative: String) -> URL { root.appendingPathComponent(relative) }

    static let repository: URL = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url
    }()
}
