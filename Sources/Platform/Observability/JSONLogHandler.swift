import Foundation
import Logging
import PluginKit
import Synchronization

/// Writes each log record as one JSON object per line, for log shippers: on standard output for
/// the server, on standard error for commands whose standard output is their result.
package struct JSONLogHandler: LogHandler {
    package var metadata: Logger.Metadata = [:]
    package var logLevel: Logger.Level
    private let label: String
    private let stream: FileHandle
    private static let output = Mutex<Void>(())

    package init(label: String, level: Logger.Level, stream: FileHandle = .standardOutput) {
        self.label = label
        self.logLevel = level
        self.stream = stream
    }

    package subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    package func log(event: LogEvent) {
        var record: [String: String] = [
            "ts": SystemClock().now().rfc3339, "level": event.level.rawValue, "logger": label, "message": event.message.description,
        ]
        for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 }) {
            record[key] = value.description
        }
        guard var line = try? Self.encoder.encode(record) else { return }
        line.append(0x0A)
        Self.output.withLock { _ in stream.write(line) }
    }

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()
}
