import Foundation
import Hummingbird
import Platform
import PluginKit

/// The organizer's API keys for integrations: made on the page (the secret shown once) and revoked.
struct APIKeyPages {
    let site: MemberSite
    let catalog: Catalog
    let keys: APIKeyCache

    func register(_ web: WebRoutes) {
        web.on(.get, "backoffice/api-keys") { request, _ in try await site.guarded { try await list(request) } }
        web.on(.post, "backoffice/api-keys") { request, _ in try await site.guarded { try await create(request) } }
        web.on(.post, "backoffice/api-keys/{id}/revoke") { request, context in
            try await site.guarded { try await revoke(request, id: context.parameters.get("id") ?? "") }
        }
    }

    private func list(_ request: Request, session given: Members.Session? = nil, issued: IssuedAPIKey? = nil, notice: String? = nil,
                      error: String? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        let session = try await site.member(request, given: given, may: \.managesMembers)
        guard let organizer = session.member.organizerID else { throw PlatformError.notFound("organizer") }
        let listed = try await catalog.organizerKeys(organizer)
        return try site.page("backoffice_api_keys", [
            "title": "API keys",
            "keys": listed.map { ["id": $0.id.rawValue, "label": $0.label, "prefix": $0.prefix] },
            "issued": issued.map { ["secret": $0.secret, "prefix": $0.prefix] } ?? false,
            "notice": notice ?? false, "error": error ?? false,
        ], request: request, session: session, status: status)
    }

    private func create(_ request: Request) async throws -> Response {
        let session = try await site.member(request, may: \.managesMembers)
        let form = try await site.form(request, session: session)
        guard let organizer = session.member.organizerID else { throw PlatformError.notFound("organizer") }
        let label = (form["label"] ?? "").trimmingCharacters(in: .whitespaces)
        guard TextRules.isPresent(label, max: 100) else {
            return try await list(request, session: session, error: "Label must be 1 to 100 characters.", status: .unprocessableContent)
        }
        let issued = try await site.acting(session) { try await catalog.issueKey(organizer: organizer, label: label) }
        return try await list(request, session: session, issued: issued)
    }

    private func revoke(_ request: Request, id: String) async throws -> Response {
        let session = try await site.member(request, may: \.managesMembers)
        _ = try await site.form(request, session: session)
        guard let organizer = session.member.organizerID, let key = APIKeyID(id),
              try await site.acting(session, { try await catalog.revokeKey(key, organizer: organizer) }) else {
            return try await list(request, session: session, error: "No such key; nothing was changed.", status: .notFound)
        }
        keys.forget(key)
        return try await list(request, session: session, notice: "Key revoked: it stops working at once.")
    }
}
