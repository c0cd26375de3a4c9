import Foundation
import HTTPTypes
import NIOCore
@testable import PayPal
@testable import Platform
@testable import Sandbox
@testable import Stripe
@testable import Ticketing

/// The parsers of outside input, one libFuzzer target each (`FUZZ_TARGET` picks it; `scripts/fuzz`
/// runs them all). A target may throw on bad input; it must never crash, trap or hang.
enum FuzzTargets {
    static let now = Timestamp(milliseconds: 1_767_225_600_000)

    static let all: [String: @Sendable (Data) -> Void] = [
        // Stripe's and the Sandbox's `t=…,v1=…` header: the first line is the header, the rest the body.
        "signature": { data in
            let (header, body) = split(data)
            _ = try? TimestampedSignature.verify(header: header, body: body, secrets: ["whsec_fuzz", "whsec_other"], now: now)
        },
        // PayPal's transmission headers, one `Name: value` a line, through the age and format checks.
        "paypal-headers": { data in
            var headers = HTTPFields()
            for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
                let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                guard parts.count == 2, let name = HTTPField.Name(parts[0]) else { continue }
                headers.append(HTTPField(name: name, value: parts[1]))
            }
            _ = try? payPalVerifier.fresh(headers, now: now)
        },
        "stripe-events": { data in handle(StripeWebhooks.handlers, data) },
        "paypal-events": { data in
            handle(PayPalWebhooks.handlers, data)
            handle(PayPalPayoutEvents.handlers, data)
        },
        // The Sandbox's events, and its sealed checkout sessions (the token in its page's URL).
        "sandbox": { data in
            handle(sandbox.webhookHandlers, data)
            _ = SandboxSession.open(String(decoding: data, as: UTF8.self), secret: "sandbox-fuzz")
        },
        // Every API request body goes through RequestFields; this reads one as the order and the
        // offline sync routes do.
        "request-json": { data in
            guard let fields = try? RequestFields.parse(ByteBuffer(bytes: data)) else { return }
            _ = fields.string("email")
            _ = fields.integer("price")
            _ = fields.choice("direction", ScanDirection.self)
            for line in fields.objects("lines") { _ = (line.string("variant_id"), line.integer("quantity")) }
            for item in fields.separateObjects("scans") {
                _ = (item?.string("nonce"), item?.string("token"), item?.timestamp("scanned_at"), item?.object("meta"), item?.stringArray("events"))
            }
            try? fields.finish()
        },
        // Query strings and form bodies (the pages' forms, Stripe's form encoding).
        "form": { data in
            let text = String(decoding: data, as: UTF8.self)
            _ = URLForm.decode(text)
            _ = FormParameters.decode(text)
        },
        "ticket-token": { data in _ = TokenVerifier.unverifiedClaims(String(decoding: data, as: UTF8.self)) },
        // What a door device downloads and reads offline.
        "offline-bundle": { data in
            _ = try? JSONCoding.decoder.decode(OfflineBundle.self, from: data)
            _ = try? JSONCoding.decoder.decode(BundleContents.self, from: data)
        },
    ]

    static let sandbox = SandboxProvider(secret: "sandbox-fuzz", baseURL: "http://127.0.0.1:8080")
    static let payPalVerifier = PayPalWebhookVerifier(webhookID: "WH-FUZZ", certificates: PayPalCertificates(fetcher: NoFetcher(), anchors: []))

    struct NoFetcher: PayPalCertificateFetcher {
        func pem(at url: URL) async throws -> String { throw URLError(.cannotConnectToHost) }
    }

    static func split(_ data: Data) -> (String, Data) {
        guard let newline = data.firstIndex(of: 0x0A) else { return (String(decoding: data, as: UTF8.self), Data()) }
        return (String(decoding: data[..<newline], as: UTF8.self), Data(data[data.index(after: newline)...]))
    }

    static func handle(_ handlers: [String: WebhookHandler], _ data: Data) {
        let payload = String(decoding: data, as: UTF8.self)
        for (type, handler) in handlers { _ = try? handler(WebhookEnvelope(eventID: "evt_fuzz", eventType: type, payload: payload)) }
    }
}

/// One input, to the target `FUZZ_TARGET` names (libFuzzer's `LLVMFuzzerTestOneInput`).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let name = ProcessInfo.processInfo.environment["FUZZ_TARGET"] ?? ""
    guard let target = FuzzTargets.all[name] else {
        fatalError("FUZZ_TARGET must be one of: \(FuzzTargets.all.keys.sorted().joined(separator: ", "))")
    }
    target(start.map { Data(bytes: $0, count: count) } ?? Data())
    return 0
}
