import Foundation
import Hummingbird
import Platform
import Synchronization

/// An integrator's endpoint for outgoing webhooks: records every request it gets and answers with
/// the statuses it is scripted with (then 200). Served on loopback by `serve`.
package final class FakeWebhookReceiver: Sendable {
    package struct Received: Sendable {
        package let path: String
        /// By lowercase name.
        package let headers: [String: String]
        package let body: Data

        package var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
        package var type: String? { json["type"] as? String }
        package var eventID: String? { json["id"] as? String }
    }

    private let state = Mutex<(received: [Received], script: [Int])>(([], []))

    package init() {}

    /// The next answers, in order; after them every request gets 200.
    package func answer(_ statuses: [Int]) { state.withLock { $0.script = statuses } }
    package var received: [Received] { state.withLock { $0.received } }

    /// Serves the receiver on a free loopback port; `body` gets its base URL (`http://127.0.0.1:port`).
    package func serve<T: Sendable>(_ body: @escaping @Sendable (String) async throws -> T) async throws -> T {
        let router = Router()
        router.post("**") { [self] request, _ -> Response in
            let bytes = try await request.body.collect(upTo: 1 << 20)
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName.lowercased()] = field.value }
            // HTTP/1's Host header arrives as the request's authority.
            headers["host"] = request.head.authority
            let status = state.withLock { state -> Int in
                state.received.append(Received(path: request.uri.path, headers: headers, body: Data(buffer: bytes)))
                return state.script.isEmpty ? 200 : state.script.removeFirst()
            }
            var response = Response(status: .init(code: status), body: .init(byteBuffer: ByteBuffer(string: "answer \(status)")))
            if (300..<400).contains(status) { response.headers[.location] = "/redirected" }
            return response
        }
        return try await servingLocally(router, name: "webhook-receiver", body)
    }
}

/// Resolves host names from a table the test changes as it goes (a name that resolves elsewhere later).
package final class StubHostResolver: HostResolver {
    private let table: Mutex<[String: [String]]>

    package init(_ table: [String: [String]] = [:]) { self.table = Mutex(table) }

    package func set(_ host: String, to addresses: [String]) { table.withLock { $0[host] = addresses } }

    package func addresses(of host: String) async throws -> [String] {
        guard let found = table.withLock({ $0[host] }) else { throw WebhookURLRefused("\(host) does not resolve") }
        return found
    }
}

/// Resolves every name to one public address without asking DNS (a test that must not reach the
/// network but whose webhook URLs are arbitrary public names).
package struct EveryNamePublic: HostResolver {
    package init() {}
    package func addresses(of host: String) async throws -> [String] { ["93.184.216.34"] }
}
