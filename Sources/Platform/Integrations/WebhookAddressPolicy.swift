import Foundation
import NIOPosix
#if canImport(Glibc)
import Glibc
#endif

/// Resolves a host name to its addresses (numeric text, IPv4 or IPv6).
package protocol HostResolver: Sendable {
    func addresses(of host: String) async throws -> [String]
}

/// The system's resolver (getaddrinfo), run on NIO's blocking-I/O pool.
package struct SystemHostResolver: HostResolver {
    package init() {}

    package func addresses(of host: String) async throws -> [String] {
        try await NIOThreadPool.singleton.runIfActive {
            var hints = addrinfo()
            hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
            var result: UnsafeMutablePointer<addrinfo>?
            let status = getaddrinfo(host, nil, &hints, &result)
            guard status == 0, let first = result else { throw WebhookURLRefused("\(host) does not resolve") }
            defer { freeaddrinfo(first) }
            var found: [String] = []
            var node: UnsafeMutablePointer<addrinfo>? = first
            while let info = node {
                var buffer = [CChar](repeating: 0, count: Int(NI_MAXHOST))
                if getnameinfo(info.pointee.ai_addr, info.pointee.ai_addrlen, &buffer, socklen_t(buffer.count), nil, 0, NI_NUMERICHOST) == 0 {
                    found.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
                }
                node = info.pointee.ai_next
            }
            return Array(Set(found)).sorted()
        }
    }
}

/// A webhook URL the platform will not call, and why.
package struct WebhookURLRefused: Error, Sendable, CustomStringConvertible {
    package let description: String
    package init(_ description: String) { self.description = description }
}

/// Where outgoing webhooks may go. https only, no credentials in the URL; every address the host
/// resolves to must be public: loopback, private (RFC 1918, fc00::/7), link-local (169.254/16, where
/// cloud metadata lives; fe80::/10), carrier-grade NAT, multicast and reserved ranges are refused,
/// checked after DNS resolution so that a name cannot point the platform at its own network.
/// `allowLoopbackHTTP` (`ALLOW_HTTP_WEBHOOKS=true`, for development) admits http and https to
/// loopback addresses only.
package struct WebhookAddressPolicy: Sendable {
    package let resolver: any HostResolver
    package let allowLoopbackHTTP: Bool

    package init(resolver: any HostResolver = SystemHostResolver(), allowLoopbackHTTP: Bool = false) {
        self.resolver = resolver
        self.allowLoopbackHTTP = allowLoopbackHTTP
    }

    /// The URL's shape alone (scheme, host, no user info), before any resolution.
    /// - Throws: `WebhookURLRefused` saying why.
    package func checkShape(_ text: String) throws -> URLComponents {
        guard text.unicodeScalars.count <= 2000, let url = URLComponents(string: text), let scheme = url.scheme?.lowercased(),
              let host = url.host, !host.isEmpty else {
            throw WebhookURLRefused("must be an absolute https URL")
        }
        guard url.user == nil, url.password == nil else { throw WebhookURLRefused("must not carry a user name or password") }
        guard url.fragment == nil else { throw WebhookURLRefused("must not have a fragment") }
        guard scheme == "https" || (scheme == "http" && allowLoopbackHTTP) else {
            throw WebhookURLRefused(allowLoopbackHTTP ? "must be an http(s) URL" : "must be an https URL")
        }
        return url
    }

    /// Checks the shape and every address the host resolves to; returns the address to connect
    /// to (nil when the URL names an address itself).
    /// - Throws: `WebhookURLRefused` saying why.
    @discardableResult
    package func check(_ text: String) async throws -> String? {
        let url = try checkShape(text)
        let host = (url.host ?? "").trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        let addresses = IPAddressRange.isNumeric(host) ? [host] : try await resolver.addresses(of: host)
        guard !addresses.isEmpty else { throw WebhookURLRefused("\(host) does not resolve") }
        for address in addresses {
            guard let range = IPAddressRange.classify(address) else { throw WebhookURLRefused("\(host) resolves to an unreadable address") }
            if range == .loopback && allowLoopbackHTTP { continue }
            guard range == .public else { throw WebhookURLRefused("\(host) resolves to a \(range.rawValue) address (\(address))") }
        }
        if url.scheme?.lowercased() == "http", !addresses.allSatisfy({ IPAddressRange.classify($0) == .loopback }) {
            throw WebhookURLRefused("http is allowed only to loopback addresses; use https")
        }
        return IPAddressRange.isNumeric(host) ? nil : addresses.first
    }
}

/// The kind of network an address belongs to, from the IANA special-purpose registries.
package enum IPAddressRange: String, Sendable {
    case `public`, loopback, `private`, linkLocal = "link-local", sharedNAT = "shared (carrier NAT)", multicast, reserved, unspecified

    static func isNumeric(_ text: String) -> Bool { v4(text) != nil || v6(text) != nil }

    /// Nil for text that is no IP address.
    package static func classify(_ text: String) -> IPAddressRange? {
        if let bytes = v4(text) { return classify(v4: bytes) }
        guard let bytes = v6(text) else { return nil }
        if bytes.allSatisfy({ $0 == 0 }) { return .unspecified }
        if bytes[0..<15].allSatisfy({ $0 == 0 }) && bytes[15] == 1 { return .loopback }
        // IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible and NAT64 (64:ff9b::/96) carry an IPv4 address.
        if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xff && bytes[11] == 0xff { return classify(v4: Array(bytes[12...])) }
        if bytes[0..<12].allSatisfy({ $0 == 0 }) { return classify(v4: Array(bytes[12...])) }
        if bytes[0] == 0x00 && bytes[1] == 0x64 && bytes[2] == 0xff && bytes[3] == 0x9b { return classify(v4: Array(bytes[12...])) }
        // 6to4 (2002::/16) carries an IPv4 address in its next 32 bits.
        if bytes[0] == 0x20 && bytes[1] == 0x02 { return classify(v4: Array(bytes[2..<6])) }
        if bytes[0] & 0xfe == 0xfc { return .private }
        // fe80::/10 link-local; fec0::/10, the deprecated site-local, is private in practice.
        if bytes[0] == 0xfe && bytes[1] & 0xc0 == 0x80 { return .linkLocal }
        if bytes[0] == 0xfe && bytes[1] & 0xc0 == 0xc0 { return .private }
        if bytes[0] == 0xff { return .multicast }
        // Documentation (2001:db8::/32), Teredo (2001::/32, it tunnels to hidden IPv4 hosts), discard (100::/64).
        if bytes[0] == 0x20 && bytes[1] == 0x01 && ((bytes[2] == 0x0d && bytes[3] == 0xb8) || (bytes[2] == 0 && bytes[3] == 0)) { return .reserved }
        if bytes[0] == 0x01 && bytes[1..<8].allSatisfy({ $0 == 0 }) { return .reserved }
        return .public
    }

    private static func classify(v4 b: [UInt8]) -> IPAddressRange {
        switch (b[0], b[1]) {
        case (0, _): return .unspecified
        case (127, _): return .loopback
        case (10, _), (172, 16...31), (192, 168): return .private
        case (169, 254): return .linkLocal
        case (100, 64...127): return .sharedNAT
        case (224...239, _): return .multicast
        case (240...255, _), (198, 18...19): return .reserved
        // 192.0.0/24 (protocol assignments) and the documentation networks 192.0.2/24, 198.51.100/24, 203.0.113/24.
        case (192, 0) where b[2] == 0 || b[2] == 2: return .reserved
        case (198, 51) where b[2] == 100: return .reserved
        case (203, 0) where b[2] == 113: return .reserved
        // The retired 6to4 relay anycast.
        case (192, 88) where b[2] == 99: return .reserved
        default: return .public
        }
    }

    private static func v4(_ text: String) -> [UInt8]? {
        var address = in_addr()
        guard inet_pton(AF_INET, text, &address) == 1 else { return nil }
        return withUnsafeBytes(of: &address) { Array($0) }
    }

    private static func v6(_ text: String) -> [UInt8]? {
        var address = in6_addr()
        guard inet_pton(AF_INET6, text, &address) == 1 else { return nil }
        return withUnsafeBytes(of: &address) { Array($0) }
    }
}
