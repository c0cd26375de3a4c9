#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// Ports handed out by this process, so two servers of one test run never get the same one.
private let handedOut = Mutex<Set<Int>>([])

/// A loopback TCP port that nothing listens on right now, for a server whose own address must be
/// known before it starts (its `BASE_URL` goes into the links it hands out).
///
/// It is drawn from 20000-31999, below Linux's ephemeral range (32768-60999): a port the kernel
/// chose (bind to 0) is free only until the next outgoing connection of a busy test run takes it.
/// - Throws: `TestDatabaseError` when 200 draws found no port free.
package func freeLoopbackPort() throws -> Int {
    for _ in 0..<200 {
        let port = Int.random(in: 20_000..<32_000)
        guard handedOut.withLock({ $0.insert(port).inserted }) else { continue }
        if canBind(port) { return port }
    }
    throw TestDatabaseError(description: "no free loopback port in 20000-31999")
}

private func canBind(_ port: Int) -> Bool {
    let socket = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard socket >= 0 else { return false }
    defer { close(socket) }
    var reuse: Int32 = 1
    _ = setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = UInt16(port).bigEndian
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    } == 0
}
