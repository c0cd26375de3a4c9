import Hummingbird
import Foundation
import Platform
import PlatformTesting
import Testing

/// An organizer made through the admin API, with its key.
struct OrganizerFixture {
    let id: String
    let key: String
}

extension APITestClient {
    func createOrganizer(admin: String, slug: String) async throws -> OrganizerFixture {
        let reply = try await post("/api/v1/organizers", key: admin,
                                   json: #"{"name":"Org \#(slug)","slug":"\#(slug)","email":"team@\#(slug).example"}"#)
        try #require(reply.status == .created, "\(reply.text)")
        let organizer = try #require(reply.json["organizer"] as? [String: Any])
        let key = try #require(reply.json["api_key"] as? [String: Any])
        return OrganizerFixture(id: try #require(organizer["id"] as? String), key: try #require(key["key"] as? String))
    }

    func createEvent(_ key: String, status: String = "draft", title: String = "Summer Gig") async throws -> String {
        let reply = try await post("/api/v1/events", key: key, json: """
            {"title":"\(title)","starts_at":"2026-07-01T19:00:00Z","ends_at":"2026-07-01T23:00:00Z",
             "timezone":"Europe/Berlin","currency":"EUR","venue":"Hall","status":"\(status)"}
            """)
        try #require(reply.status == .created, "\(reply.text)")
        return try #require(reply.string("id"))
    }

    func createVariant(_ key: String, event: String, name: String = "GA", price: Int = 2500, quota: Int = 100,
                       status: String = "live") async throws -> String {
        let reply = try await post("/api/v1/events/\(event)/variants", key: key,
                                   json: #"{"name":"\#(name)","price":\#(price),"quota":\#(quota),"status":"\#(status)"}"#)
        try #require(reply.status == .created, "\(reply.text)")
        return try #require(reply.string("id"))
    }
}
