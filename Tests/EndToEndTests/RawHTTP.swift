import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A plain TCP connection to the server under test, for what an HTTP client library will not
/// do: half-sent headers, trickled bodies, thousands of raw requests. Blocking: run it off the
/// cooperative pool (``BlockingWork``) or on its own thread.
final class RawConnection: @unchecked Sendable {
    // @unchecked: one connection is used by one test thread at a time; the descriptor is its only state.
    let fd: Int32

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// A response: status, headers (lower-case names) and body.
    struct Response {
        var status: Int
        var headers: [String: String]
        var body: [UInt8]
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            Glibc.close(fd)
            throw Failure(description: "connect: \(errno)")
        }
    }

    deinit { Glibc.close(fd) }

    /// Sends all of `bytes`; false when the server closed the connection.
    @discardableResult
    func send(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { return false }
            offset += n
        }
        return true
    }

    func send(_ text: String) -> Bool { send(Array(text.utf8)) }

    /// Waits up to `timeout` seconds for the server to close the connection; returns the
    /// seconds it took, or nil when it stayed open. Bytes that arrive meanwhile are read and dropped.
    func waitForClose(timeout: TimeInterval) -> TimeInterval? {
        let start = Date()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let left = timeout - Date().timeIntervalSince(start)
            guard left > 0 else { return nil }
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&p, 1, Int32(left * 1000))
            if ready == 0 { return nil }
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { return Date().timeIntervalSince(start) }
        }
    }

    /// Everything read so far by ``read(until:timeout:)``.
    private(set) var received = ""

    /// Reads until the text received holds `marker` (true), the connection closes or `timeout`
    /// passes (false). For streams (Server-Sent Events).
    func read(until marker: String, timeout: TimeInterval) -> Bool {
        var buffer = [UInt8](repeating: 0, count: 65536)
        let start = Date()
        while !received.contains(marker) {
            let left = timeout - Date().timeIntervalSince(start)
            guard left > 0 else { return false }
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, Int32(left * 1000)) > 0 else { continue }
            let n = recv(fd, &buffer, buffer.count, 0)
            guard n > 0 else { return false }
            received += String(decoding: buffer[0..<n], as: UTF8.self)
        }
        return true
    }

    /// Reads one response (headers and a Content-Length body) within `timeout` seconds.
    func readResponse(timeout: TimeInterval = 30) throws -> Response {
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        let start = Date()
        var headerEnd: Int?
        var length = 0
        while true {
            if let end = headerEnd, data.count >= end + length { break }
            let left = timeout - Date().timeIntervalSince(start)
            guard left > 0 else { throw Failure(description: "no complete response within \(timeout) s") }
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, Int32(left * 1000)) > 0 else { continue }
            let n = recv(fd, &buffer, buffer.count, 0)
            guard n > 0 else { throw Failure(description: "the server closed the connection") }
            data += buffer[0..<n]
            if headerEnd == nil, let r = Self.find([13, 10, 13, 10], in: data) {
                headerEnd = r + 4
                let head = String(decoding: data[0..<r], as: UTF8.self)
                length = Self.headers(head)["content-length"].flatMap { Int($0) } ?? 0
            }
        }
        let end = headerEnd!
        let head = String(decoding: data[0..<(end - 4)], as: UTF8.self)
        let statusLine = head.split(separator: "\r\n").first ?? ""
        let status = statusLine.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        return Response(status: status, headers: Self.headers(head), body: Array(data[end..<(end + length)]))
    }

    static func headers(_ head: String) -> [String: String] {
        var out: [String: String] = [:]
        for line in head.split(separator: "\r\n").dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            out[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return out
    }

    static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for i in 0...(haystack.count - needle.count) where haystack[i] == needle[0] && Array(haystack[i..<(i + needle.count)]) == needle {
            return i
        }
        return nil
    }

    /// A GET request's bytes.
    static func get(_ path: String, token: String? = nil) -> String {
        "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n" + (token.map { "Authorization: Bearer \($0)\r\n" } ?? "") + "\r\n"
    }
}
