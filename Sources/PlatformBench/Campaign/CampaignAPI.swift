import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization

/// The campaign's HTTP client: requests go round robin over the fleet's instances, and a request
/// that meets a dead server (refused or cut connection, timeout, 502/503) is sent again to the next
/// one, as a client behind a load balancer would, for up to two minutes.
struct CampaignAPI: Sendable {
    struct Answer: Sendable {
        let status: UInt
        let body: Data
        var json: [String: Any] { ((try? JSONSerialization.jsonObject(with: body)) as? [String: Any]) ?? [:] }
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    let client: HTTPClient
    let bases: [String]
    private let next = Counter()
    private let retries = Counter()
    private let errors = Tally()

    init(client: HTTPClient, bases: [String]) {
        self.client = client
        self.bases = bases
    }

    /// Requests sent again after a dead server or a 503.
    var retried: Int { retries.taken }
    /// Answers with a 5xx status, by status: a 503 is a clean refusal, anything else a fault.
    var serverErrors: [UInt: Int] { errors.counts }

    /// Sends to `instance` first when given, else to the next in turn.
    /// - Throws: the last transport error once two minutes of tries have passed.
    func send(_ method: HTTPMethod, _ path: String, json: [String: Any]? = nil, bearer: String? = nil,
              headers: [String: String] = [:], raw: (body: Data, headers: [String: String])? = nil, at instance: Int? = nil) async throws -> Answer {
        let deadline = ContinuousClock.now + .seconds(120)
        var lastError: (any Error)?
        var first = instance
        while ContinuousClock.now < deadline {
            let base = bases[(first ?? next.take()) % bases.count]
            first = nil
            var request = HTTPClientRequest(url: base + path)
            request.method = method
            if let bearer { request.headers.add(name: "Authorization", value: "Bearer \(bearer)") }
            for (name, value) in headers { request.headers.add(name: name, value: value) }
            if let json {
                request.headers.add(name: "Content-Type", value: "application/json")
                request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys])))
            }
            if let raw {
                for (name, value) in raw.headers { request.headers.add(name: name, value: value) }
                request.body = .bytes(ByteBuffer(bytes: raw.body))
            }
            do {
                let response = try await client.execute(request, timeout: .seconds(30))
                let body = Data(buffer: try await response.body.collect(upTo: 8 << 20))
                if response.status.code >= 500 { errors.add(response.status.code) }
                if response.status.code == 502 || response.status.code == 503 {
                    lastError = nil
                } else {
                    return Answer(status: response.status.code, body: body)
                }
            } catch {
                lastError = error
            }
            _ = retries.take()
            try await Task.sleep(for: .milliseconds(100))
        }
        throw lastError ?? CampaignFailure("\(method) \(path) answered 503 for two minutes")
    }
}

struct CampaignFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Counts per key, from concurrent tasks.
final class Tally: Sendable {
    private let values = Mutex<[UInt: Int]>([:])
    func add(_ key: UInt) { values.withLock { $0[key, default: 0] += 1 } }
    var counts: [UInt: Int] { values.withLock { $0 } }
}
