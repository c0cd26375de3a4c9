import Foundation
import Testing

/// The test virtualenv's Python (`scripts/test` creates it and sets PLATFORM_TEST_PYTHON), which
/// runs the official SDKs and decoders that check our wire formats.
public enum TestPython {
    /// Runs Python with `arguments` and returns its exit status and standard output; nil when no
    /// Python is configured, which only a developer's machine may allow (on CI it is a failure).
    public static func run(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> (status: Int32, output: Data)? {
        guard let python = ProcessInfo.processInfo.environment["PLATFORM_TEST_PYTHON"], !python.isEmpty else {
            #expect(!TestEngines.isCI, "CI must set PLATFORM_TEST_PYTHON (scripts/test does)", sourceLocation: sourceLocation)
            return nil
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, data)
    }
}
