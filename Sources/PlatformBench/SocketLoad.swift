import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A benchmark client as lean as it can be: one keep-alive HTTP/1.1 connection with blocking socket
/// calls on a thread of its own and no HTTP library. The server under test shares the machine's
/// cores with its load generator; this one leaves it most of them.
final class SocketClient {
    private let descriptor: Int32
    /// Bytes received past the end of the last response.
    private var pending: [UInt8] = []
    private var buffer = [UInt8](repeating: 0, count: 65_536)

    init(port: Int) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw SocketLoadError("socket() failed: errno \(errno)") }
        var one: Int32 = 1
        setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(descriptor)
            throw SocketLoadError("connect() to 127.0.0.1:\(port) failed: errno \(errno)")
        }
    }

    deinit { close(descriptor) }

    /// Sends one request and reads its whole response, which must carry a Content-Length.
    func call(_ request: [UInt8]) throws -> (status: UInt, body: ArraySlice<UInt8>) {
        var sent = 0
        while sent < request.count {
            let written = request[sent...].withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard written > 0 else { throw SocketLoadError("send() failed: errno \(errno)") }
            sent += written
        }
        var headerEnd: Int?
        while headerEnd == nil {
            headerEnd = Self.endOfHeader(pending)
            if headerEnd == nil { try receive() }
        }
        let head = String(decoding: pending[..<headerEnd!], as: UTF8.self).lowercased()
        let statusLine = head.prefix(while: { $0 != "\r" }).split(separator: " ")
        guard statusLine.count >= 2, let status = UInt(statusLine[1]),
              let lengthLine = head.split(separator: "\r\n").first(where: { $0.hasPrefix("content-length:") }),
              let length = Int(lengthLine.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) else {
            throw SocketLoadError("a response without a status or a Content-Length")
        }
        while pending.count < headerEnd! + length { try receive() }
        let body = pending[headerEnd!..<(headerEnd! + length)]
        pending.removeFirst(headerEnd! + length)
        return (status, body)
    }

    private func receive() throws {
        let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { throw SocketLoadError(count == 0 ? "the server closed the connection" : "recv() failed: errno \(errno)") }
        pending.append(contentsOf: buffer[..<count])
    }

    /// The index just past the blank line that ends the header, once it has arrived.
    private static func endOfHeader(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for index in 3..<bytes.count where bytes[index] == 10 && bytes[index - 1] == 13 && bytes[index - 2] == 10 && bytes[index - 3] == 13 {
            return index + 1
        }
        return nil
    }

    /// A request with a JSON body, as bytes ready to send.
    static func post(_ path: String, json: String, headers: [(String, String)]) -> [UInt8] {
        let body = Array(json.utf8)
        var head = "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        return Array((head + "\r\n").utf8) + body
    }
}

struct SocketLoadError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Sends requests from `clients` threads, each on its own connection, until `total` have been
/// made; returns each request's latency and what `judge` makes of its answer.
func socketLoad(port: Int, clients: Int, total: Int, request: @escaping @Sendable (Int) -> [UInt8],
                judge: @escaping @Sendable (UInt, ArraySlice<UInt8>) -> UInt) async throws -> (elapsed: Duration, samples: [(Duration, UInt)]) {
    let next = Counter()
    let clock = ContinuousClock()
    let results = Mutex<(samples: [(Duration, UInt)], failure: (any Error)?, finished: Int)>(([], nil, 0))
    let start = clock.now
    // The threads block in socket calls; the task waits without holding one of the few threads
    // Swift concurrency runs the server on.
    await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
        for _ in 0..<clients {
            Thread.detachNewThread {
                var mine: [(Duration, UInt)] = []
                var failure: (any Error)?
                do {
                    let client = try SocketClient(port: port)
                    while true {
                        let index = next.take()
                        guard index < total else { break }
                        let began = clock.now
                        let (status, body) = try client.call(request(index))
                        mine.append((clock.now - began, judge(status, body)))
                    }
                } catch {
                    failure = error
                }
                let last = results.withLock { state in
                    state.samples += mine
                    if state.failure == nil { state.failure = failure }
                    state.finished += 1
                    return state.finished == clients
                }
                if last { done.resume() }
            }
        }
    }
    let elapsed = clock.now - start
    let (samples, failure, _) = results.withLock { $0 }
    if let failure { throw failure }
    return (elapsed, samples)
}
