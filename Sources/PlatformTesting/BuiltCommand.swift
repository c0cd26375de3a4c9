import Foundation
import Testing

/// Runs an executable this package built (`platform`), as an operator would, and collects what it printed.
package enum BuiltCommand {
    package struct Outcome: Sendable {
        package let status: Int32
        package let stdout: String
        package let stderr: String
        /// Standard output as a JSON object (empty when it is not one).
        package var json: [String: Any] { ((try? JSONSerialization.jsonObject(with: Data(stdout.utf8))) as? [String: Any]) ?? [:] }
    }

    /// The built executable's path, beside the test bundle.
    package static func path(_ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(name).path
        let built = FileManager.default.isExecutableFile(atPath: beside)
            ? beside
            : Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent(name).path
        try #require(FileManager.default.isExecutableFile(atPath: built), "build the \(name) executable first (swift build --build-tests)",
                     sourceLocation: sourceLocation)
        return built
    }

    /// Runs it with `arguments`, and `environment` instead of this process's when given.
    package static func run(_ binary: String, _ arguments: [String], environment: [String: String]? = nil) async throws -> Outcome {
        let outcome = try await ChildProcess.run(binary, arguments, environment: environment)
        return Outcome(status: outcome.status, stdout: String(decoding: outcome.stdout, as: UTF8.self),
                       stderr: String(decoding: outcome.stderr, as: UTF8.self))
    }

    /// Starts it and returns at once, for a test that stops it (`kill -9`) midway; its output is discarded.
    package static func start(_ binary: String, _ arguments: [String], environment: [String: String]) throws -> ChildProcess {
        try ChildProcess.spawn(binary, arguments, environment: environment)
    }
}
