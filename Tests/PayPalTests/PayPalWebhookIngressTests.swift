import Foundation
import HTTPTypes
import Platform
import PlatformTesting
import Testing
@testable import PayPal

/// Deliveries to `POST /webhooks/paypal` that must not be trusted: each is refused with 400 and
/// leaves nothing in the inbox; a genuine one is stored once.
@Suite struct PayPalWebhookIngressTests {
    static let expiredURL = "https://api-m.sandbox.paypal.com/v1/notifications/certs/CERT-expired"
    static let foreignURL = "https://api-m.sandbox.paypal.com/v1/notifications/certs/CERT-foreign"

    @Test(arguments: TestEngines.all)
    func untrustedDeliveriesAreRefusedAndNothingIsStored(engine: DatabaseEngine) async throws {
        let served = ServedCertificates()
        try await withPayPal(engine, served: served) { h, fake, _ in
            let now = Date(timeIntervalSince1970: Double(h.clock.now().milliseconds) / 1000)
            served.serve(try fake.certificate(from: now - 86_400 * 30, until: now - 60), at: Self.expiredURL)
            served.serve(try fake.certificate(by: try TestPayPalCA(name: "Someone Else's Root", now: now), from: now - 60, until: now + 86_400),
                         at: Self.foreignURL)
            let resource = #"{"id":"CAP-X","status":"COMPLETED","amount":{"currency_code":"EUR","value":"50.00"},"custom_id":"ord_01kt1gw6g02kem86r2nt8z8qej"}"#
            let genuine = fake.delivery("PAYMENT.CAPTURE.COMPLETED", resource: resource)
            var tampered = genuine.body
            tampered.setInteger(UInt8(ascii: "9"), at: tampered.readableBytes - 30)
            var forged = genuine.headers
            forged[HTTPField.Name("PAYPAL-TRANSMISSION-SIG")!] = fake.delivery("PAYMENT.CAPTURE.COMPLETED", resource: "{}")
                .headers[HTTPField.Name("PAYPAL-TRANSMISSION-SIG")!]
            let signedCRC = String(Int32(bitPattern: PayPalCRC32.checksum(Data(buffer: genuine.body))))
            let cases: [(String, FakePayPal.Delivery)] = [
                ("forged", .init(body: genuine.body, headers: forged, eventID: genuine.eventID)),
                ("tampered", .init(body: tampered, headers: genuine.headers, eventID: genuine.eventID)),
                ("wrong CRC", fake.delivery("PAYMENT.CAPTURE.COMPLETED", resource: resource, crc: signedCRC)),
                ("expired certificate", fake.delivery("PAYMENT.CAPTURE.COMPLETED", resource: resource, certificateURL: Self.expiredURL)),
                ("another CA", fake.delivery("PAYMENT.CAPTURE.COMPLETED", resource: resource, certificateURL: Self.foreignURL)),
                ("a host off the allowlist", fake.delivery("PAYMENT.CAPTURE.COMPLETED", resource: resource,
                                                            certificateURL: "https://certs.example.com/paypal.pem")),
                ("stale", fake.delivery("PAYMENT.CAPTURE.COMPLETED", resource: resource, at: h.clock.now().adding(seconds: -601))),
                ("the simulator's webhook id", fake.delivery("PAYMENT.CAPTURE.COMPLETED", resource: resource, webhookID: "WEBHOOK_ID")),
            ]
            for (what, delivery) in cases {
                #expect(try await h.deliverPayPal(delivery) == .badRequest, "\(what)")
            }
            #expect(try await h.inboxCount() == 0, "nothing stored")
            #expect(!served.fetches.contains { $0.contains("example.com") }, "a certificate off the allowlist is never fetched")

            #expect(try await h.deliverPayPal(genuine) == .ok)
            #expect(try await h.deliverPayPal(genuine) == .badRequest, "a replayed transmission")
            #expect(try await h.inboxCount() == 1)
            #expect(served.fetches.filter { $0 == FakePayPal.certificateURL }.count == 1, "the certificate is fetched once, then cached")
        }
    }

    @Test(arguments: TestEngines.all)
    func thePayPalAPICanVerifyInstead(engine: DatabaseEngine) async throws {
        try await withPayPal(engine, verification: .api) { h, fake, _ in
            let resource = #"{"id":"CAP-Y","status":"PENDING","amount":{"currency_code":"EUR","value":"50.00"},"custom_id":"ord_01kt1gw6g02kem86r2nt8z8qej"}"#
            let genuine = fake.delivery("PAYMENT.CAPTURE.PENDING", resource: resource)
            var tampered = genuine.body
            tampered.setInteger(UInt8(ascii: "9"), at: tampered.readableBytes - 30)
            let changed = try await h.deliverPayPal(.init(body: tampered, headers: genuine.headers, eventID: genuine.eventID))
            #expect(changed == .badRequest)
            let stale = try await h.deliverPayPal(fake.delivery("PAYMENT.CAPTURE.PENDING", resource: resource, at: h.clock.now().adding(seconds: -3_600)))
            #expect(stale == .badRequest, "stale")
            #expect(try await h.inboxCount() == 0)
            #expect(try await h.deliverPayPal(genuine) == .ok)
            #expect(try await h.inboxCount() == 1)
            #expect(fake.requests.filter { $0.path == "/v1/notifications/verify-webhook-signature" }.count == 2, "the stale one was not asked about")
        }
    }
}

/// The buyer's return and PayPal's approval event racing to capture the same order.
@Suite struct PayPalCaptureRaceTests {
    @Test(arguments: TestEngines.all)
    func returnAndApprovalTogetherCaptureOnceAndPayOnce(engine: DatabaseEngine) async throws {
        try await withPayPal(engine) { h, fake, _ in
            for round in 1...20 {
                let (order, paypal) = try await h.placePayPalOrder(quantity: 1)
                let link = try fake.approve(paypal)
                let event = try fake.approvedEvent(paypal)
                async let back = h.returnFromPayPal(link)
                async let delivered: HTTPResponse.Status = {
                    let status = try await h.deliverPayPal(event)
                    await h.drain()
                    return status
                }()
                let (reply, status) = try await (back, delivered)
                #expect(reply.status == .seeOther && status == .ok, "round \(round)")
                #expect(fake.captureCount == round, "round \(round): one capture")
                #expect(try await h.status(of: order) == "paid", "round \(round)")
            }
            #expect(try await h.variantCounts() == (20, 0))
            #expect(try await h.inboxCount(status: "processed") == 20)
        }
    }
}
