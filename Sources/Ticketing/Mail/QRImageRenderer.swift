import Platform

/// Lets the mail composer draw a ticket's QR code from the token an outbox row stored.
package struct QRImageRenderer: InlineImageRenderer {
    package let name = "qr"
    package let contentType = "image/png"
    let modulePixels: Int

    package init(modulePixels: Int) { self.modulePixels = modulePixels }

    package func render(_ value: String) throws -> [UInt8] { try QRCode.png(for: value, scale: modulePixels) }
}
