import HTTPTypes
import Platform
import PlatformTesting
import SQLKit
import Testing

@Suite struct PublicEventPageTests {
    private static func available(_ h: CheckoutHarness) async throws -> (available: Int?, price: Int?) {
        let reply = try await h.client.get("/api/v1/public/events/\(h.eventID)")
        #expect(reply.status == .ok)
        #expect(reply.headers[.cacheControl] == "public, max-age=5")
        let variant = (reply.json["variants"] as? [[String: Any]])?.first
        return (variant?["available"] as? Int, variant?["price"] as? Int)
    }

    /// The page is kept for a second, but this process's orders and edits show on it at once; a
    /// write it did not make (another server's) shows once the second is over.
    @Test(arguments: TestEngines.all)
    func thePageShowsThisServersWritesAtOnceAndOthersWithinASecond(engine: DatabaseEngine) async throws {
        try await CheckoutHarness.run(engine, quota: 100) { h in
            #expect(try await Self.available(h) == (100, 2_500))
            #expect(try await h.placeOrder(body: h.cart(quantity: 3)).status == .created)
            #expect(try await Self.available(h) == (97, 2_500), "the seats held show at once")
            let edited = try await h.client.patch("/api/v1/variants/\(h.variantID)", key: h.organizerKey, json: #"{"price":3000}"#)
            #expect(edited.status == .ok)
            #expect(try await Self.available(h) == (97, 3_000), "the edit shows at once")

            try await h.database.transaction { sql in
                try await sql.raw("UPDATE ticket_variants SET sold = sold + 10 WHERE id = \(bind: h.variantID)").run()
            }
            h.clock.advance(seconds: 1)
            #expect(try await Self.available(h) == (87, 3_000), "another server's sale shows after a second")
        }
    }
}
