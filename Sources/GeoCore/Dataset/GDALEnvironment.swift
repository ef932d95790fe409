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
        GDALAllRegister()
    }()
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

    /// Forgets collected messages.
    func reset() { messages.removeAll(); CPLErrorReset() }
}
