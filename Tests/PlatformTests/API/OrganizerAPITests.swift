import Hummingbird
import Platform
import PlatformTesting
import Testing

@Suite struct OrganizerAPITests {
    @Test(arguments: TestEngines.all)
    func adminCreatesOrganizerWhoseKeyWorks(engine: DatabaseEngine) async throws {
        try await withTestAPI(engine) { client, database in
            let admin = try await issueAdminKey(database)
            let reply = try await client.post("/api/v1/organizers", key: admin,
                                              json: #"{"name":"Acme Live","slug":"acme-live","email":"ops@acme.example","fee_bps":250}"#)
            #expect(reply.status == .created)
            let organizer = try #require(reply.json["organizer"] as? [String: Any])
            #expect(organizer["fee_bps"] as? Int == 250)
            #expect(organizer["slug"] as? String == "acme-live")
            let key = try #require(reply.json["api_key"] as? [String: Any])
            let secret = try #require(key["key"] as? String)
            #expect(secret.hasPrefix("plk_") && secret.count == 44)
            #expect(key["prefix"] as? String == String(secret.prefix(12)))
            #expect(key["scope"] as? String == "organizer:\(organizer["id"] as? String ?? "")")
            #expect(try await client.get("/api/v1/events", key: secret).status == .ok)
        }
    }

    @Test(arguments: TestEngines.all)
    func defaultFeeAndListPages(engine: DatabaseEngine) async throws {
        try await withTestAPI(engine) { client, database in
            let admin = try await issueAdminKey(database)
            for index in 0..<3 { _ = try await client.createOrganizer(admin: admin, slug: "org-\(index)") }
            let first = try await client.get("/api/v1/organizers?limit=2", key: admin)
            let page = try #require(first.json["data"] as? [[String: Any]])
            #expect(page.map { $0["slug"] as? String } == ["org-0", "org-1"])
            #expect(page.first?["fee_bps"] as? Int == 500)
            let cursor = try #require(first.string("next_cursor"))
            let second = try await client.get("/api/v1/organizers?limit=2&after=\(cursor)", key: admin)
            #expect((second.json["data"] as? [[String: Any]])?.map { $0["slug"] as? String } == ["org-2"])
            #expect(second.json["next_cursor"] == nil)
            #expect(try await client.get("/api/v1/organizers?limit=0", key: admin).status == .unprocessableContent)
        }
    }

    @Test(arguments: TestEngines.all)
    func duplicateSlugIsRejectedAndNothingWritten(engine: DatabaseEngine) async throws {
        try await withTestAPI(engine) { client, database in
            let admin = try await issueAdminKey(database)
            _ = try await client.createOrganizer(admin: admin, slug: "taken")
            let before = try await rowCounts(database)
            let reply = try await client.post("/api/v1/organizers", key: admin, json: #"{"name":"B","slug":"taken","email":"b@b.example"}"#)
            #expect(reply.status == .unprocessableContent)
            #expect(reply.errorFields == ["slug"])
            #expect(try await rowCounts(database) == before)
        }
    }

    @Test(arguments: TestEngines.all)
    func issuesFurtherKeys(engine: DatabaseEngine) async throws {
        try await withTestAPI(engine) { client, database in
            let admin = try await issueAdminKey(database)
            let organizer = try await client.createOrganizer(admin: admin, slug: "keys")
            let reply = try await client.post("/api/v1/organizers/\(organizer.id)/api-keys", key: admin, json: #"{"label":"door"}"#)
            #expect(reply.status == .created)
            let key = try #require(reply.string("key"))
            #expect(key != organizer.key)
            #expect(try await client.get("/api/v1/events", key: key).status == .ok)
            let bare = try await client.send(.post, "/api/v1/organizers/\(organizer.id)/api-keys", key: admin)
            #expect(bare.status == .created)
            let missing = try await client.post("/api/v1/organizers/org_00000000000000000000000000/api-keys", key: admin, json: "{}")
            #expect(missing.status == .notFound)
        }
    }

    @Test(arguments: TestEngines.all)
    func adminRoutesNeedAnAdminKey(engine: DatabaseEngine) async throws {
        try await withTestAPI(engine) { client, database in
            let admin = try await issueAdminKey(database)
            let organizer = try await client.createOrganizer(admin: admin, slug: "plain")
            let noKey = try await client.get("/api/v1/organizers")
            #expect(noKey.status == .unauthorized)
            #expect(noKey.headers[.wwwAuthenticate] == "Bearer")
            #expect(noKey.headers[.contentType] == "application/problem+json")
            #expect(try await client.get("/api/v1/organizers", key: "plk_not-a-real-key").status == .unauthorized)
            #expect(try await client.get("/api/v1/organizers", key: organizer.key).status == .forbidden)
            #expect(try await client.post("/api/v1/organizers", key: organizer.key, json: #"{"name":"x","slug":"xyz","email":"a@b.example"}"#).status == .forbidden)
            #expect(try await client.get("/api/v1/events", key: admin).status == .forbidden, "organizer routes need an organizer key")
        }
    }

    @Test(arguments: TestEngines.all)
    func aKeyRevokedElsewhereStopsWorkingWithinTheCacheTime(engine: DatabaseEngine) async throws {
        let clock = ManualClock()
        try await withTestAPI(engine, clock: clock) { client, database in
            let admin = try await issueAdminKey(database)
            #expect(try await client.get("/api/v1/organizers", key: admin).status == .ok)
            // Another process revokes it: this one has the key cached and goes on accepting it for at most the cache time.
            try await database.transaction { sql in try await APIKeyRepository(sql).revoke(label: "test", scope: .admin, at: clock.now()) }
            #expect(try await client.get("/api/v1/organizers", key: admin).status == .ok)
            clock.set(Timestamp(milliseconds: clock.now().milliseconds + APIKeyCache.ttlMilliseconds))
            #expect(try await client.get("/api/v1/organizers", key: admin).status == .unauthorized)
        }
    }
}
