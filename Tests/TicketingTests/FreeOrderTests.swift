import Foundation
import HTTPTypes
import Platform
import PlatformTesting
import Testing
@testable import Ticketing

/// An order whose total is 0 needs no provider: it is paid where its seats are taken, its tickets
/// and confirmation follow, and no fee is booked.
@Suite struct FreeOrderTests {
    @Test(arguments: TestEngines.all)
    func aFreeOrderIsPaidAtOnceWithTicketsAndNoProvider(engine: DatabaseEngine) async throws {
        try await TicketingHarness.run(engine, price: 0) { h in
            let body = #"{"lines":[{"variant_id":"\#(h.base.variantID)","quantity":2}],"email":"guest@example.com"}"#
            let placed = try await h.base.placeOrder(key: "free-1", body: body)
            #expect(placed.status == .created, "\(placed.text)")
            let order = try #require(placed.json["order"] as? [String: Any])
            #expect(order["status"] as? String == "paid" && order["total"] as? Int == 0)
            #expect(placed.json.keys.contains("checkout_url") && placed.json["checkout_url"] is NSNull, "nothing to pay anywhere")
            let id = try #require(order["id"] as? String)
            #expect(try await h.base.order(id).string("provider") == "free")
            #expect(try await h.base.variantCounts() == (2, 0))
            #expect(try await h.count("tickets", where: "order_id = '\(id)'") == 2)
            #expect(try await h.count("outbox_messages", where: "kind = 'order_confirmation'") == 1)
            #expect(try await h.count("ledger_transfers") == 0, "no fee on nothing")

            // The same key answers the same; a new key is a new order, within the per-order rules.
            let again = try await h.base.placeOrder(key: "free-1", body: body)
            #expect(again.status == .created && again.json["order"] as? [String: Any] != nil)
            #expect((again.json["order"] as? [String: Any])?["id"] as? String == id)
            #expect(try await h.count("orders") == 1)
            let tooMany = #"{"lines":[{"variant_id":"\#(h.base.variantID)","quantity":99}],"email":"guest@example.com"}"#
            #expect(try await h.base.placeOrder(key: "free-2", body: tooMany).status == .conflict, "98 seats are left")
            #expect(try await h.base.variantCounts() == (2, 0))
        }
    }

    /// Placed at once, free orders share a batch's transaction (`CheckoutBatches`), where their
    /// tickets, confirmations and audit entries are written together: each still gets its own.
    @Test(arguments: TestEngines.all)
    func freeOrdersPlacedAtOnceEachGetTheirTickets(engine: DatabaseEngine) async throws {
        try await TicketingHarness.run(engine, price: 0) { h in
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<20 {
                    let body = #"{"lines":[{"variant_id":"\#(h.base.variantID)","quantity":1}],"email":"guest\#(index)@example.com"}"#
                    group.addTask { try await h.base.placeOrder(body: body).status.code }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(statuses == Array(repeating: 201, count: 20))
            #expect(try await h.base.variantCounts() == (20, 0))
            #expect(try await h.count("tickets") == 20)
            #expect(try await h.count("orders", where: "status = 'paid'") == 20)
            #expect(try await h.count("outbox_messages", where: "kind = 'order_confirmation'") == 20)
            #expect(try await h.count("audit_log", where: "action IN ('order.placed', 'order.paid')") == 40)
            #expect(h.base.platform.checkout.largestBatch > 1, "the orders shared a batch")
            #expect(h.base.platform.checkout.batchesFailed == 0)
        }
    }

    @Test(arguments: TestEngines.all)
    func anOrderThatCostsSomethingStillNeedsAProvider(engine: DatabaseEngine) async throws {
        try await TicketingHarness.run(engine) { h in
            let body = #"{"lines":[{"variant_id":"\#(h.base.variantID)","quantity":1}],"email":"buyer@example.com"}"#
            let reply = try await h.base.placeOrder(body: body)
            #expect(reply.status == .unprocessableContent, "\(reply.text)")
            #expect(reply.errorFields == ["provider"])
            #expect(try await h.base.variantCounts() == (0, 0), "nothing reserved")
            #expect(try await h.count("orders") == 0)
            let unknown = #"{"lines":[{"variant_id":"\#(h.base.variantID)","quantity":1}],"email":"buyer@example.com","provider":"nope"}"#
            #expect(try await h.base.placeOrder(body: unknown).errorFields == ["provider"])
        }
    }
}
