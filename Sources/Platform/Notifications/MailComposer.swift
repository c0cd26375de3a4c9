import Foundation
import Mustache
import PluginKit

/// Draws an inline image from the text an outbox row stored (a ticket token becomes its QR code).
package protocol InlineImageRenderer: Sendable {
    /// The `renderer` name rows refer to, such as "qr".
    var name: String { get }
    var contentType: String { get }
    func render(_ value: String) throws -> [UInt8]
}

struct MailTemplateError: Error, CustomStringConvertible {
    package let description: String
    init(_ description: String) { self.description = description }
}

/// Turns an outbox row into a `MailMessage`: the kind's Mustache templates
/// (`<kind>.subject`, `<kind>.html`, `<kind>.text` in `templates/email/`) over the row's model,
/// and its inline images rendered now. HTML templates escape every `{{value}}`; text and subject
/// templates declare `{{% CONTENT_TYPE: TEXT}}`.
package struct MailComposer: Sendable {
    let library: MustacheLibrary
    let renderers: [String: any InlineImageRenderer]

    package init(library: MustacheLibrary, renderers: [any InlineImageRenderer] = []) throws {
        for kind in MailKind.allCases {
            for part in ["subject", "html", "text"] where library.getTemplate(named: "\(kind.rawValue).\(part)") == nil {
                throw MailTemplateError("no template \(kind.rawValue).\(part).mustache")
            }
        }
        self.library = library
        self.renderers = Dictionary(([CalendarAttachment()] + renderers).map { ($0.name, $0) }, uniquingKeysWith: { _, last in last })
    }

    /// Loads `<directory>/*.mustache`.
    package static func load(directory: String, renderers: [any InlineImageRenderer] = []) async throws -> MailComposer {
        guard FileManager.default.fileExists(atPath: directory) else { throw MailTemplateError("no email templates at \(directory); set TEMPLATES_DIR") }
        return try MailComposer(library: try await MustacheLibrary(directory: directory), renderers: renderers)
    }

    /// `TEMPLATES_DIR`/email, else `./templates/email`, else the one in the source tree this was built from.
    package static func defaultDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        ProjectDirectory.locate("templates", variable: "TEMPLATES_DIR", environment: environment) + "/email"
    }

    package func compose(_ message: OutboxMessage) throws -> MailMessage {
        try compose(message.kind, to: message.recipient, content: message.content, idempotencyKey: message.idempotencyKey)
    }

    package func compose(_ kind: MailKind, to recipient: String, content: MailContent, idempotencyKey: String) throws -> MailMessage {
        guard let model = try JSONSerialization.jsonObject(with: Data(content.model.utf8)) as? [String: Any] else {
            throw MailTemplateError("the model of a \(kind.rawValue) message is not a JSON object")
        }
        func render(_ part: String) throws -> String {
            guard let text = library.render(model, withTemplate: "\(kind.rawValue).\(part)") else {
                throw MailTemplateError("no template \(kind.rawValue).\(part).mustache")
            }
            return text
        }
        let attachments = try content.images.map { image in
            guard let renderer = renderers[image.renderer] else { throw MailTemplateError("no inline image renderer '\(image.renderer)'") }
            // An empty content id: a file attached, not an image shown in the text.
            return MailAttachment(filename: image.filename, contentType: renderer.contentType, content: try renderer.render(image.value),
                                  contentID: image.contentID.isEmpty ? nil : image.contentID)
        }
        let subject = try render("subject").split(whereSeparator: \.isNewline).joined(separator: " ").trimmingCharacters(in: .whitespaces)
        return MailMessage(from: content.sender, to: [recipient], replyTo: content.replyTo, subject: subject,
                           html: try render("html"), text: try render("text"), tags: ["kind": kind.rawValue],
                           attachments: attachments, idempotencyKey: idempotencyKey)
    }
}
