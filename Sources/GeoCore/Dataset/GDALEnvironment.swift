import CGDAL
import Foundation

/// Process-wide GDAL set-up, done once: drivers registered, network and sidecar writes off.
enum GDALEnvironment {
    /// Swift runs a static initialiser exactly once, thread-safely.
    static let ready: Void = {
        // No /vsicurl/ file may be reached: no extension is allowed.
        CPLSetConfigOption("CPL_VSIL_CURL_ALLOWED_EXTENSIONS", ".no-network-access")
        CPLSetConfigOption("GDAL_HTTP_TIMEOUT", "1")
        // Do not write .aux.xml sidecars next to the files we read.
        CPLSetConfigOption("GDAL_PAM_ENABLED", "NO")
        // PROJ inside GDAL must not download grids either.
        CPLSetConfigOption("PROJ_NETWORK", "OFF")
        OSRSetPROJEnableNetwork(0)
        // Every HTTP fetch GDAL makes itself (a GeoJSON "crs" link, OSR importFromUrl, ...)
        // lands here and is refused. The error goes to the calling thread's handler, so the
        // open that tried it fails naming the URL (VectorDataset checks for the marker).
        CPLHTTPSetFetchCallback({ url, _, _, _, _, _, _ in
            let target = url.map { String(cString: $0) } ?? "?"
            reportGDALError(CE_Failure, "\(GDALEnvironment.networkRefusal)\(target)")
            guard let result = CPLCalloc(1, MemoryLayout<CPLHTTPResult>.size)?.assumingMemoryBound(to: CPLHTTPResult.self) else { return nil }
            result.pointee.nStatus = 1
            result.pointee.pszErrBuf = CPLStrdup("network access is disabled in this service")
            return result
        }, nil)
        GDALAllRegister()
    }()

    /// The start of the error GDAL reports when a file made it reach for the network.
    static let networkRefusal = "network access refused: "
}

/// Raises a GDAL error with a preformatted message (CPLError itself is variadic).
func reportGDALError(_ cls: CPLErr, _ message: String) {
    message.withCString { m in
        withVaList([m]) { CPLErrorV(cls, CPLE_AppDefined, "%s", $0) }
    }
}

/// A NULL-terminated C string list (`char **`) owned by Swift.
struct CStringList: ~Copyable {
    private(set) var pointer: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?

    init(_ items: [String]) {
        for s in items { pointer = CSLAddString(pointer, s) }
    }

    /// The list as the `const char *const *` that GDALOpenEx takes.
    var constPointer: UnsafePointer<UnsafePointer<CChar>?>? {
        pointer.map { UnsafePointer<UnsafePointer<CChar>?>(OpaquePointer($0)) }
    }

    deinit { CSLDestroy(pointer) }
}

/// Collects the messages GDAL emits on this thread while it is installed.
final class GDALErrorCollector {
    private(set) var messages: [String] = []

    /// Runs `body` with this collector as the thread's GDAL error handler.
    func collect<R>(_ body: () throws -> R) rethrows -> R {
        CPLPushErrorHandlerEx({ cls, _, msg in
            guard let ud = CPLGetErrorHandlerUserData(), let msg else { return }
            let c = Unmanaged<GDALErrorCollector>.fromOpaque(ud).takeUnretainedValue()
            if cls.rawValue >= CE_Warning.rawValue { c.messages.append(String(cString: msg)) }
        }, Unmanaged.passUnretained(self).toOpaque())
        defer { CPLPopErrorHandler() }
        return try body()
    }

    /// The last message, or a fallback.
    var last: String { messages.last ?? "GDAL gave no message" }

    /// Throws when GDAL tried to reach the network while this collector listened: the file
    /// refers to something outside itself.
    func checkNetwork(_ file: String) throws {
        guard let m = messages.first(where: { $0.hasPrefix(GDALEnvironment.networkRefusal) }) else { return }
        let url = m.dropFirst(GDALEnvironment.networkRefusal.count)
        throw GeoError(.datasetNotAllowed, "refers to \(url) outside itself; files must be self-contained (no links, URLs or external references)", context: file)
    }

    /// Forgets collected messages.
    func reset() { messages.removeAll(); CPLErrorReset() }
}
