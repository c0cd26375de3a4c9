/// A request to a page a plugin serves: the path's `{name}` parameters and the query.
public struct PageRequest: Sendable {
    public let parameters: [String: String]
    public let query: [String: String]

    public init(parameters: [String: String], query: [String: String] = [:]) {
        self.parameters = parameters
        self.query = query
    }
}

/// What a plugin's page answers. HTML is sent with `Cache-Control: no-store`.
public enum PageResponse: Sendable, Equatable {
    /// A complete HTML document, 200.
    case html(String)
    /// 303 See Other to `location`.
    case redirect(to: String)
}

/// Why a plugin's page cannot be shown; the kernel answers it as application/problem+json.
public struct PageProblem: Error, Sendable, Equatable {
    /// The HTTP status code, 400 to 599 (anything else is answered as 500).
    public let status: Int
    /// The stable last part of the problem type.
    public let kind: String
    public let title: String
    public let detail: String

    public init(status: Int, kind: String, title: String, detail: String) {
        self.status = status
        self.kind = kind
        self.title = title
        self.detail = detail
    }

    public static func notFound(_ what: String) -> PageProblem {
        PageProblem(status: 404, kind: "not-found", title: "Not found", detail: "no such \(what)")
    }
}

/// Where a plugin adds its own pages, at the root of the server (`sandbox/checkout/{session}`).
/// They are not part of the API document.
public protocol PluginRoutes {
    func get(_ path: String, _ handler: @escaping @Sendable (PageRequest) async throws -> PageResponse)
    func post(_ path: String, _ handler: @escaping @Sendable (PageRequest) async throws -> PageResponse)
}
