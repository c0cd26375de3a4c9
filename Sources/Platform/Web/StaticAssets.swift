import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import PluginKit

/// The style sheets and scripts of the pages (`templates/web/static/`), read once at start and served
/// from memory at `/static/{name}` with an ETag of their content. No build step: what is in the
/// folder is what browsers get.
package struct StaticAssets: Sendable {
    struct Asset: Sendable {
        let bytes: ByteBuffer
        let contentType: String
        let etag: String
    }

    let files: [String: Asset]

    static let contentTypes = [
        "css": "text/css; charset=utf-8", "js": "text/javascript; charset=utf-8", "svg": "image/svg+xml", "png": "image/png",
    ]

    /// Every file of `directory` whose extension is in `contentTypes`; none when there is no such folder.
    static func load(directory: String) throws -> StaticAssets {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        var files: [String: Asset] = [:]
        for name in names.sorted() {
            guard let type = contentTypes[(name as NSString).pathExtension] else { continue }
            let data = try Data(contentsOf: URL(fileURLWithPath: directory + "/" + name))
            files[name] = Asset(bytes: ByteBuffer(bytes: data), contentType: type,
                                etag: "\"" + SHA256.hash(data: data).prefix(12).hexString + "\"")
        }
        return StaticAssets(files: files)
    }

    /// The file, or 304 when the browser holds this version; 404 for any other name.
    func response(_ name: String, request: Request) throws -> Response {
        guard let asset = files[name] else { throw Problem.notFound("file") }
        var headers: HTTPFields = [
            .contentType: asset.contentType, .eTag: asset.etag, .cacheControl: "public, max-age=300",
            HTTPField.Name("X-Content-Type-Options")!: "nosniff",
        ]
        if request.headers[.ifNoneMatch] == asset.etag {
            headers[.contentType] = nil
            return Response(status: .notModified, headers: headers)
        }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: asset.bytes))
    }
}
