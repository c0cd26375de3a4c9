import Foundation
import Testing

/// The test virtualenv's Python (`scripts/test` creates it and sets PLATFORM_TEST_PYTHON), which
/// runs the official SDKs and decoders that check our wire formats.
package enum TestPython {
    /// Runs Python with `arguments` and returns its exit status and standard output; nil when no
    /// Python is configured, which only a developer's machine may allow (on CI it is a failure).
    /// The wait happens off Swift's cooperative threads: on two cores, two tests blocked in a wait
    /// for a script that calls back into a fake server here would leave that server no thread.
    /// `directory` is where it runs (a tool that writes a cache there, such as schemathesis, gets a scratch one).
    package static func run(_ arguments: [String], in directory: URL? = nil,
                            sourceLocation: SourceLocation = #_sourceLocation) async throws -> (status: Int32, output: Data)? {
        guard let python = ProcessInfo.processInfo.environment["PLATFORM_TEST_PYTHON"], !python.isEmpty else {
            #expect(!TestEngines.isCI, "CI must set PLATFORM_TEST_PYTHON (scripts/test does)", sourceLocation: sourceLocation)
            return nil
        }
        let outcome = try await ChildProcess.run(python, arguments, directory: directory?.path)
        // What it says on standard error (a traceback) shows in the test's output, as it would from a shell.
        if !outcome.stderr.isEmpty { FileHandle.standardError.write(outcome.stderr) }
        return (outcome.status, outcome.stdout)
    }
}
