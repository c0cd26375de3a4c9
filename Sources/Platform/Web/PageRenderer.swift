import Foundation
import HTTPTypes
import Hummingbird
import Mustache
import PluginKit

/// Server-rendered pages from `templates/web/*.mustache` and the files their pages load from
/// `templates/web/static/` (CSS, scripts), served at `/static/{name}`. Every `{{value}}` is
/// HTML-escaped, and every page is sent with headers that keep it out of caches, frames and
/// referrers (sign-in and order URLs carry tokens) and allow only this server's scripts and styles.
package struct PageRenderer: Sendable {
    let library: MustacheLibrary
    let assets: StaticAssets

    package init(library: MustacheLibrary, assets: StaticAssets) {
        self.library = library
        self.assets = assets
    }

    /// Reads every `<name>.mustache` of `directory` and every file of its `static/` folder.
    package static func load(directory: String) throws -> PageRenderer {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else {
            throw MailTemplateError("no page templates at \(directory); set TEMPLATES_DIR")
        }
        var library = MustacheLibrary()
        for name in names.sorted() where name.hasSuffix(".mustache") {
            let text = try String(contentsOfFile: directory + "/" + name, encoding: .utf8)
            try library.register(text, named: String(name.dropLast(".mustache".count)))
        }
        return PageRenderer(library: library, assets: try StaticAssets.load(directory: directory + "/static"))
    }

    /// `TEMPLATES_DIR`/web, else `./templates/web`, else the one in the source tree this was built from.
    package static func defaultDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        ProjectDirectory.locate("templates", variable: "TEMPLATES_DIR", environment: environment) + "/web"
    }

    package func render(_ page: String, _ model: [String: Any]) throws -> String {
        guard let html = library.render(model, withTemplate: page) else { throw MailTemplateError("no page template \(page).mustache") }
        return html
    }

    package func response(_ page: String, _ model: [String: Any], status: HTTPResponse.Status = .ok) throws -> Response {
        var response = Response(status: status, headers: Self.headers, body: .init(byteBuffer: ByteBuffer(string: try render(page, model))))
        response.headers[.contentType] = "text/html; charset=utf-8"
        return response
    }

    /// A 303 to `location` with the same protective headers.
    package static func redirect(to location: String) -> Response {
        var response = Response(status: .seeOther, headers: headers)
        response.headers[.location] = location
        return response
    }

    static let headers: HTTPFields = [
        .cacheControl: "no-store",
        // form-action also governs where a form's answer redirects: a checkout goes on to the provider's https page.
        .contentSecurityPolicy: "default-src 'none'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; "
            + "form-action 'self' https:; frame-ancestors 'none'; base-uri 'none'",
        HTTPField.Name("Referrer-Policy")!: "no-referrer",
        HTTPField.Name("X-Content-Type-Options")!: "nosniff",
    ]
}
