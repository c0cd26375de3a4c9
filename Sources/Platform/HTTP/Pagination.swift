import Hummingbird
import PluginKit

/// `?limit=` (1 to 200, default 50) and `?after=` (the cursor of the previous page).
package struct Page: Sendable {
    static let defaultLimit = 50
    static let maxLimit = 200

    package let limit: Int
    package let after: String?

    package init(_ request: Request) throws {
        let query = request.uri.queryParameters
        if let text = query["limit"] {
            guard let value = Int(String(text)), (1...Self.maxLimit).contains(value) else {
                throw ValidationFailure(field: "limit", "must be an integer from 1 to \(Self.maxLimit)")
            }
            limit = value
        } else {
            limit = Self.defaultLimit
        }
        after = query["after"].map(String.init).flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Parses the cursor as an ID of the listed kind; a foreign cursor is a client error.
    package func cursor<Kind>(_: TypedID<Kind>.Type) throws -> TypedID<Kind>? {
        guard let after else { return nil }
        guard let id = TypedID<Kind>(after) else { throw ValidationFailure(field: "after", "is not a cursor from this list") }
        return id
    }

    package func body<Item: Encodable, Kind>(_ items: [Item], lastID: TypedID<Kind>?) -> ListBody<Item> {
        ListBody(data: items, nextCursor: items.count == limit ? lastID?.rawValue : nil)
    }
}

extension RequestContext {
    /// The `{id}` path parameter as an ID of the expected kind; anything else cannot exist.
    package func pathID<Kind>(_: TypedID<Kind>.Type, _ name: String = "id") throws -> TypedID<Kind> {
        guard let text = parameters.get(name), let id = TypedID<Kind>(text) else {
            throw Problem.notFound(Kind.noun)
        }
        return id
    }
}
