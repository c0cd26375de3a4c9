import Foundation
import Platform
import PlatformTesting
import Testing
@testable import Ticketing

/// `platform checkin verify`, run as the built executable a door operator would run.
@Suite struct CheckinCommandTests {
    @Test func theCommandAdmitsFromABundleAloneAndRejectsATamperedOne() async throws {
        let built = try BuiltCommand.path("platform")
        try await TicketingHarness.run(.sqlite) { h in
            let order = try await h.paidOrder(quantity: 2)
            _ = try await h.client.post("/api/v1/orders/\(order.id)/refunds", key: h.organizerKey, json: #"{"tickets":["\#(order.ticketIDs[1])"]}"#)
            let data = try await OfflineTests.bundle(h, key: h.organizerKey)
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("verify-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let file = directory.appendingPathComponent("bundle.json")
            try data.write(to: file)
            let at = h.clock.now().rfc3339

            let admitted = try await BuiltCommand.run(built, ["checkin", "verify", "--bundle", file.path, "--at", at, order.tokens[0]])
            #expect(admitted.status == 0, "\(admitted.stderr)")
            #expect(admitted.json["result"] as? String == "admitted")
            let refunded = try await BuiltCommand.run(built, ["checkin", "verify", "--bundle", file.path, "--at", at, order.tokens[1]])
            #expect(refunded.status == 1 && refunded.json["result"] as? String == "refunded")

            let text = String(decoding: data, as: UTF8.self)
            let tampered = text.replacingOccurrences(of: #"\"status\":\"refunded\""#, with: #"\"status\":\"valid\""#)
            #expect(tampered != text, "the bundle's payload names the refunded ticket")
            try Data(tampered.utf8).write(to: file)
            let rejected = try await BuiltCommand.run(built, ["checkin", "verify", "--bundle", file.path, "--at", at, order.tokens[1]])
            #expect(rejected.status == 2 && rejected.stderr.contains("rejected"))
        }
    }
}
