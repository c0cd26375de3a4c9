import Hummingbird
import PluginKit

extension Request {
    /// `?status=` of an admin list: `all`, or a comma-separated list of `allowed` values; `fallback` when absent.
    func statusFilter(allowed: [String], default fallback: [String]) throws -> [String] {
        guard let text = uri.queryParameters["status"] else { return fallback }
        if text == "all" { return allowed }
        // Empty items are refused, as the API document's pattern says.
        let wanted = text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        guard !wanted.isEmpty, wanted.allSatisfy(allowed.contains) else {
            throw ValidationFailure(field: "status", "must be all or a comma-separated list of " + allowed.joined(separator: ", "))
        }
        return wanted
    }

    func statusFilter<Status: RawRepresentable<String> & CaseIterable>(_: Status.Type, default fallback: [Status]) throws -> [Status] {
        try statusFilter(allowed: Status.allCases.map(\.rawValue), default: fallback.map(\.rawValue)).compactMap(Status.init(rawValue:))
    }
}

extension Request {
    /// A `?name=true|false` query flag; false when absent.
    func flag(_ name: String) throws -> Bool {
        guard let text = uri.queryParameters[Substring(name)] else { return false }
        switch text {
        case "true": return true
        case "false": return false
        default: throw ValidationFailure(field: name, "must be true or false")
        }
    }
}
