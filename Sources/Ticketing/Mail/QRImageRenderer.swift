import Platform

/// Lets the mail composer draw a ticket's QR code from the token an outbox row stored.
public struct QRImageRenderer: InlineImageRenderer {
    public let name = "qr"
    public let contentType = "image/png"
    let modulePixels: Int

    public init(modulePixels: Int) { self.modulePixels = modulePixels }

    public func render(_ value: String) throws -> [UInt8] { try QRCode.png(for: value, scale: modulePixels) }
}
