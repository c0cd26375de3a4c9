import AsyncHTTPClient
import Foundation
import NIOCore
import PluginKit
import X509

/// Fetches signing certificates over HTTPS, following no redirect (one could lead off the
/// allowlist the URL was checked against).
public struct PayPalHTTPSFetcher: PayPalCertificateFetcher {
    /// A client made once per process: no redirects, short timeouts.
    static let client: HTTPClient = {
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow)
        configuration.timeout = .init(connect: .seconds(5), read: .seconds(10))
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    public init() {}

    /// - Throws: `WebhookRejected` when the URL answers anything but 200.
    public func pem(at url: URL) async throws -> String {
        let response = try await Self.client.execute(HTTPClientRequest(url: url.absoluteString), timeout: .seconds(10))
        guard response.status == .ok else { throw WebhookRejected("the certificate URL answered \(response.status.code)") }
        return String(buffer: try await response.body.collect(upTo: 256 * 1024))
    }
}

extension PayPalCertificates {
    /// The certificates of a PEM bundle (such as the system's roots); blocks that are not
    /// certificates are skipped.
    /// - Throws: `ConfigError` when the file cannot be read or holds no certificate.
    public static func anchors(fromPEMFile path: String) throws -> [Certificate] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw ConfigError("PAYPAL_TRUST_ANCHORS: cannot read \(path)") }
        let marker = "-----BEGIN CERTIFICATE-----"
        let anchors = text.components(separatedBy: marker).dropFirst().compactMap { block in
            try? Certificate(pemEncoded: marker + block)
        }
        guard !anchors.isEmpty else { throw ConfigError("PAYPAL_TRUST_ANCHORS: no certificate in \(path)") }
        return anchors
    }
}
