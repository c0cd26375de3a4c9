import Foundation
import PluginKit

/// The mailer with no configuration: each message becomes a complete `.eml` file in a directory
/// (`./data/outbox` by default) that a mail client opens as it would have arrived. A message's
/// file is named after its idempotency key, so a retry finds it there and writes nothing again.
package struct FileMailer: Mailer {
    package let name = "file"
    package let directory: URL
    let clock: any WallClock

    package init(directory: URL, clock: any WallClock = SystemClock()) {
        self.directory = directory
        self.clock = clock
    }

    package func send(_ message: MailMessage) async throws(MailError) -> MailReceipt {
        let stem = message.idempotencyKey.mailIdentifier(maxLength: 200)
        let file = directory.appendingPathComponent(stem + ".eml")
        if FileManager.default.fileExists(atPath: file.path) { return MailReceipt(messageID: stem) }
        let text = MIMEMessage.render(message, date: clock.now(), messageID: stem + "@outbox.local")
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            // Written under another name and renamed, so a crash never leaves half a message under the real one.
            let partial = directory.appendingPathComponent(".\(stem).\(UUID().uuidString).partial")
            try Data(text.utf8).write(to: partial)
            if rename(partial.path, file.path) != 0 { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        } catch {
            throw .retryable("cannot write \(file.path): \(error)")
        }
        return MailReceipt(messageID: stem)
    }
}
