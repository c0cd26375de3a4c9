import Foundation
import HTTPTypes

/// Drives server-rendered pages as a browser would, without following redirects: it keeps
/// cookies, posts forms, and reads the values of a page's form fields.
package struct PageBrowser {
    package let client: APITestClient
    package var cookies: [String: String] = [:]

    package init(client: APITestClient) { self.client = client }

    package mutating func get(_ path: String) async throws -> APITestClient.Reply {
        try remember(try await client.send(.get, path, headers: cookieHeader))
    }

    /// Posts `form` as `application/x-www-form-urlencoded`, its fields in the order given.
    package mutating func post(_ path: String, form: KeyValuePairs<String, String>) async throws -> APITestClient.Reply {
        try await post(path, fields: form.map { ($0.key, $0.value) })
    }

    package mutating func post(_ path: String, form: [String: String]) async throws -> APITestClient.Reply {
        try await post(path, fields: form.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
    }

    package mutating func post(_ path: String, fields: [(String, String)]) async throws -> APITestClient.Reply {
        var headers = cookieHeader
        headers[.contentType] = "application/x-www-form-urlencoded"
        let body = fields.map { name, value in
            "\(name)=\(value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")"
        }.joined(separator: "&")
        return try remember(try await client.send(.post, path, json: body, headers: headers))
    }

    private var cookieHeader: HTTPFields {
        cookies.isEmpty ? [:] : [.cookie: cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; ")]
    }

    private mutating func remember(_ reply: APITestClient.Reply) throws -> APITestClient.Reply {
        for header in reply.headers[values: .setCookie] {
            let pair = header.split(separator: ";")[0].split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(pair[0]), value = pair.count > 1 ? String(pair[1]) : ""
            if value.isEmpty || header.contains("Max-Age=0") { cookies[name] = nil } else { cookies[name] = value }
        }
        return reply
    }
}

extension APITestClient.Reply {
    /// The `value` of the page's input named `name` (`name="..." value="..."`, as the templates write them).
    package func formValue(_ name: String) -> String? {
        guard let range = text.range(of: #"name="\#(name)" value=""#) else { return nil }
        let rest = text[range.upperBound...]
        return rest.firstIndex(of: "\"").map { String(rest[..<$0]) }
    }
}
