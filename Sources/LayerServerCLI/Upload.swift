import ArgumentParser
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

struct Upload: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Upload a file as a new version of a layer to a running server, and follow the job to its end.",
        discussion: """
            Formats: GeoPackage (.gpkg), a zipped Shapefile set (.zip), GeoJSON (.geojson), FlatGeobuf (.fgb), \
            CSV (.csv: a WKT column, or x/y columns with --crs). Exit status 0 when the version is published or \
            staged, 1 when the server refused it (the reason and the validation report are printed).
            """)

    @Argument(help: "The file to upload.") var file: String
    @Option(help: "Layer id (created when new and your organisation may write).") var layer: String
    @Option(help: "Server base URL, e.g. http://127.0.0.1:8080.") var server: String
    @Option(help: "API token (default: $LAYERSERVER_TOKEN).") var token: String?
    @Option(help: "Title of a new layer.") var title: String?
    @Option(help: "Sensitivity of a new layer: open, restricted, confidential (default).") var sensitivity: String?
    @Option(help: "CRS of the coordinates when the file declares none (CSV x/y), e.g. EPSG:28992.") var crs: String?
    @Option(help: "Layer inside a multi-layer file, or the Shapefile in a zip holding several.") var sourceLayer: String?
    @Option(help: "reject (default: any rejected or repaired feature refuses the file) or repair (keep what can be kept).")
    var errors: String = "reject"
    @Flag(help: "Stage the version instead of publishing it.") var stage = false
    @Flag(help: "Print the finished job as JSON.") var json = false

    func run() async throws {
        guard let token = token ?? ProcessInfo.processInfo.environment["LAYERSERVER_TOKEN"], !token.isEmpty else {
            throw ValidationError("give --token or set LAYERSERVER_TOKEN")
        }
        let url = URL(fileURLWithPath: file)
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: url.path),
              let size = (attributes[.size] as? NSNumber)?.intValue else {
            throw ValidationError("cannot read \(file)")
        }
        guard var components = URLComponents(string: server.hasSuffix("/") ? String(server.dropLast()) : server) else {
            throw ValidationError("--server must be a URL such as http://127.0.0.1:8080")
        }
        components.path += "/collections/\(layer)/versions"
        var query = [URLQueryItem(name: "filename", value: url.lastPathComponent), URLQueryItem(name: "errors", value: errors)]
        if let title { query.append(URLQueryItem(name: "title", value: title)) }
        if let sensitivity { query.append(URLQueryItem(name: "sensitivity", value: sensitivity)) }
        if let crs { query.append(URLQueryItem(name: "crs", value: crs)) }
        if let sourceLayer { query.append(URLQueryItem(name: "sourceLayer", value: sourceLayer)) }
        if stage { query.append(URLQueryItem(name: "stage", value: "true")) }
        components.queryItems = query
        guard let endpoint = components.url else { throw ValidationError("cannot build the upload URL from \(server)") }

        var request = URLRequest(url: endpoint)
        request.httpMethod = "POST"
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        request.setValue("application/octet-stream", forHTTPHeaderField: "Content-Type")
        request.timeoutInterval = 3600
        let bar = ProgressBar(label: url.lastPathComponent)
        let watcher = UploadWatcher(total: size, bar: bar)
        let session = URLSession(configuration: .default, delegate: watcher, delegateQueue: nil)
        defer { session.finishTasksAndInvalidate() }
        let (data, response): (Data, URLResponse)
        do {
            (data, response) = try await session.upload(for: request, fromFile: url)
        } catch {
            bar.finish()
            throw failure("the upload did not reach the server: \(error.localizedDescription)")
        }
        bar.update("sending", fraction: 1, detail: Self.megabytes(size))
        guard let http = response as? HTTPURLResponse else { throw failure("no HTTP answer") }
        guard http.statusCode == 202 || http.statusCode == 201, var job = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let id = job["id"] as? String else {
            bar.finish()
            throw failure(Self.problemText(data, status: http.statusCode))
        }
        // Follow the job.
        var jobURL = components
        jobURL.path = String(components.path.dropLast("/collections/\(layer)/versions".count)) + "/jobs/\(id)"
        jobURL.queryItems = nil
        while !["staged", "published", "failed"].contains(job["state"] as? String ?? "") {
            try await Task.sleep(for: .milliseconds(250))
            var poll = URLRequest(url: jobURL.url!)
            poll.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
            let (body, answer) = try await session.data(for: poll)
            guard (answer as? HTTPURLResponse)?.statusCode == 200, let next = try? JSONSerialization.jsonObject(with: body) as? [String: Any] else {
                bar.finish()
                throw failure("cannot follow job \(id): \(Self.problemText(body, status: (answer as? HTTPURLResponse)?.statusCode ?? 0))")
            }
            job = next
            if let p = job["progress"] as? [String: Any] {
                let read = p["featuresRead"] as? Int ?? 0
                let total = p["featuresTotal"] as? Int
                bar.update(p["phase"] as? String ?? "working", fraction: p["fraction"] as? Double,
                           detail: total.map { "\(read)/\($0) features" } ?? "\(read) features")
            }
        }
        bar.finish()
        if json {
            let pretty = try JSONSerialization.data(withJSONObject: job, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            print(String(decoding: pretty, as: UTF8.self))
        }
        let state = job["state"] as? String ?? ""
        let report = job["report"] as? [String: Any]
        if state == "failed" {
            if let report, !json { Self.printReport(report) }
            throw failure(job["error"] as? String ?? "the upload failed")
        }
        if !json {
            print("\(layer) v\(job["version"] as? Int ?? 0) \(state) (job \(id))")
            if let report { Self.printReport(report) }
        }
    }

    func failure(_ message: String) -> ExitCode {
        FileHandle.standardError.write(Data("error: \(message)\n".utf8))
        return ExitCode(1)
    }

    static func megabytes(_ n: Int) -> String { String(format: "%.1f MB", Double(n) / 1_048_576) }

    static func problemText(_ data: Data, status: Int) -> String {
        if let p = try? JSONSerialization.jsonObject(with: data) as? [String: Any], let detail = p["detail"] as? String {
            return "HTTP \(status): \(detail)"
        }
        return "HTTP \(status): \(String(decoding: data.prefix(500), as: UTF8.self))"
    }

    static func printReport(_ r: [String: Any]) {
        print("features read \(r["featuresRead"] ?? 0), written \(r["featuresWritten"] ?? 0), rejected \(r["featuresRejected"] ?? 0), repaired \(r["featuresRepaired"] ?? 0)")
        for key in ["rejections", "repairs"] {
            for item in r[key] as? [[String: Any]] ?? [] {
                print("  \(key == "rejections" ? "rejected" : "repaired") \(item["count"] ?? 0) [\(item["code"] ?? "")] \(item["reason"] ?? "")")
            }
        }
        for change in r["schemaChanges"] as? [String] ?? [] { print("  schema: \(change)") }
    }
}

/// Reports the bytes sent to the progress bar.
final class UploadWatcher: NSObject, URLSessionTaskDelegate, @unchecked Sendable {
    // @unchecked: both properties are constants; ProgressBar locks its own state.
    let total: Int
    let bar: ProgressBar

    init(total: Int, bar: ProgressBar) {
        self.total = total
        self.bar = bar
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didSendBodyData bytesSent: Int64, totalBytesSent: Int64,
                    totalBytesExpectedToSend: Int64) {
        let fraction = total > 0 ? min(1, Double(totalBytesSent) / Double(total)) : nil
        bar.update("sending", fraction: fraction, detail: "\(Upload.megabytes(Int(totalBytesSent)))/\(Upload.megabytes(total))")
    }
}
