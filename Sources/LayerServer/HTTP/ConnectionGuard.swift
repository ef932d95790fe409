import Hummingbird
import HummingbirdCore
import NIOCore
import NIOHTTPTypes

/// Closes connections that hold the server without sending: a request header that does not
/// complete in time, a keep-alive connection idle too long, a request body that trickles in.
///
/// One guard per connection, in the HTTP/1 pipeline after the codec (it sees request heads,
/// bodies and ends, and response ends); it puts a small ``ByteWatch`` at the front of the
/// pipeline that tells it when the first byte of a request arrives and whether the server is
/// waiting for the client's bytes at all. Time spent while the server itself does not read
/// (backpressure from a slow disk) never counts against the client.
///
/// A cut-off body reaches the route as an error (``SlowBody``), so an upload fails its job
/// instead of storing a truncated file.
///
/// - Important: Not thread-safe; it lives on its channel's event loop, as NIO handlers do.
final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// The limits, from the server configuration.
    struct Configuration: Sendable, Hashable {
        /// A request header must be complete this long after its first byte (or after the
        /// connection opened).
        var headerTimeout: TimeAmount = .seconds(30)
        /// A connection with no request in flight is closed after this long.
        var idleTimeout: TimeAmount = .seconds(60)
        /// A body that averages fewer bytes per second than this ...
        var bodyMinBytesPerSecond: Int = 1024
        /// ... over this many seconds (while the server waits for it) is cut off.
        var bodySlowSeconds: Int = 60
        /// How often the guard looks; tests shorten it with the timeouts.
        var tick: TimeAmount = .seconds(1)
    }

    /// The error a cut-off body fails with.
    struct SlowBody: Error, CustomStringConvertible {
        var bytesPerSecond: Int
        var seconds: Int
        var description: String {
            "the request body arrived slower than \(bytesPerSecond) bytes per second for \(seconds) s and was cut off"
        }
    }

    enum Phase: Equatable {
        /// No request in flight; waiting for the next one since then.
        case idle(since: NIODeadline)
        /// The first bytes of a request header arrived then (or the connection opened).
        case header(since: NIODeadline)
        /// A request's body is arriving.
        case body
        /// The request is read; the server works on its answer.
        case answering
    }

    let configuration: Configuration
    private(set) var phase: Phase = .header(since: .now())
    /// Requests whose response has not ended.
    private var inFlight = 0
    /// Body bytes per tick while the server waited for them, newest last.
    private var samples: [Int] = []
    private var bytesThisTick = 0
    /// The server asked the socket for bytes during this tick (or still waits for them).
    private var waitedThisTick = false
    /// A read is outstanding at the socket: the server waits for the client.
    private var readOutstanding = false
    private var timer: Scheduled<Void>?
    private var context: ChannelHandlerContext?

    init(configuration: Configuration) {
        self.configuration = configuration
    }

    // MARK: Life cycle

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        do {
            try context.pipeline.syncOperations.addHandler(ByteWatch(guard: self), position: .first)
        } catch {
            context.close(promise: nil)
            return
        }
        if context.channel.isActive { start(context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        stop()
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        start(context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        stop()
        context.fireChannelInactive()
    }

    private func start(_ context: ChannelHandlerContext) {
        guard timer == nil else { return }
        phase = .header(since: .now())
        schedule(context)
    }

    private func stop() {
        timer?.cancel()
        timer = nil
    }

    private func schedule(_ context: ChannelHandlerContext) {
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: configuration.tick) { [self] in
            timer = nil
            guard context.channel.isActive else { return }
            if check(now: .now()) {
                schedule(context)
            }
        }
    }

    // MARK: Events

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            inFlight += 1
            phase = .body
            samples.removeAll()
            bytesThisTick = 0
        case .body(let buffer):
            bytesThisTick += buffer.readableBytes
        case .end:
            // A body the server already answered (an early 401, 413 or 429) and drained ends
            // while the connection idles: it stays idle.
            if phase == .body { phase = .answering }
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) {
            inFlight = max(0, inFlight - 1)
            // Answered: idle from now, also when the answer came before the body (which the
            // server then drains under the idle timeout).
            if inFlight == 0 { phase = .idle(since: .now()) }
        }
        context.write(data, promise: promise)
    }

    /// Bytes arrived at the socket.
    func sawBytes() {
        readOutstanding = false
        if case .idle = phase { phase = .header(since: .now()) }
    }

    /// The server asked the socket for more bytes.
    func sawRead() {
        readOutstanding = true
        waitedThisTick = true
    }

    /// Looks at the connection once per tick. Returns false once it has closed it.
    func check(now: NIODeadline) -> Bool {
        let waited = waitedThisTick || readOutstanding
        defer {
            bytesThisTick = 0
            waitedThisTick = false
        }
        switch phase {
        case .idle(let since):
            if now - since >= configuration.idleTimeout { return close(nil) }
        case .header(let since):
            if now - since >= configuration.headerTimeout { return close(nil) }
        case .body:
            // Ticks in which the server did not wait for the client (it was busy) do not count.
            guard waited || bytesThisTick > 0 else { return true }
            samples.append(bytesThisTick)
            let tick = max(1, Int(configuration.tick.nanoseconds))
            let window = max(1, configuration.bodySlowSeconds * 1_000_000_000 / tick)
            if samples.count > window { samples.removeFirst(samples.count - window) }
            let seconds = Double(tick) / 1e9 * Double(samples.count)
            if samples.count == window, Double(samples.reduce(0, +)) < Double(configuration.bodyMinBytesPerSecond) * seconds {
                return close(SlowBody(bytesPerSecond: configuration.bodyMinBytesPerSecond, seconds: configuration.bodySlowSeconds))
            }
        case .answering:
            break
        }
        return true
    }

    private func close(_ error: (any Error)?) -> Bool {
        guard let context else { return false }
        // The route reading the body sees the error, not a body that merely ended.
        if let error { context.fireErrorCaught(error) }
        context.close(promise: nil)
        return false
    }
}

/// The front of the pipeline: tells the ``ConnectionGuard`` when bytes arrive and when the
/// server asks for more.
final class ByteWatch: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = IOData
    typealias OutboundOut = IOData

    /// The guard of the same connection (same event loop).
    let owner: ConnectionGuard

    init(guard owner: ConnectionGuard) {
        self.owner = owner
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        owner.sawBytes()
        context.fireChannelRead(data)
    }

    func read(context: ChannelHandlerContext) {
        owner.sawRead()
        context.read()
    }
}
