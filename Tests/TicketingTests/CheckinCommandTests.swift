import Foundation
import Platform
import PlatformTesting
import Testing
@testable import Ticketing

/// `platform checkin verify`, run as the built executable a door operator would run.
@Suite struct CheckinCommandTests {
    @Test func theCommandAdmitsFromABundleAloneAndRejectsATamperedOne() async throws {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("platform").path
        let built = FileManager.default.isExecutableFile(atPath: binary)
            ? binary
            : Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("platform").path
        try #require(FileManager.default.isExecutableFile(atPath: built), "build the platform executable first (swift build --build-tests)")
        try await TicketingHarness.run(.sqlite) { h in
            let order = try await h.paidOrder(quantity: 2)
            _ = try await h.client.post("/api/v1/orders/\(order.id)/refunds", key: h.organizerKey, json: #"{"tickets":["\#(order.ticketIDs[1])"]}"#)
            let data = try await OfflineTests.bundle(h, key: h.organizerKey)
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("verify-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let file = directory.appendingPathComponent("bundle.json")
            try data.write(to: file)
            let at = h.clock.now().rfc3339

            let admitted = try await Self.run(built, ["checkin", "verify", "--bundle", file.path, "--at", at, order.tokens[0]])
            #expect(admitted.status == 0, "\(admitted.stderr)")
            #expect(admitted.json["result"] as? String == "admitted")
            let refunded = try await Self.run(built, ["checkin", "verify", "--bundle", file.path, "--at", at, order.tokens[1]])
            #expect(refunded.status == 1 && refunded.json["result"] as? String == "refunded")

            let text = String(decoding: data, as: UTF8.self)
            let tampered = text.replacingOccurrences(of: #"\"status\":\"refunded\""#, with: #"\"status\":\"valid\""#)
            #expect(tampered != text, "the bundle's payload names the refunded ticket")
            try Data(tampered.utf8).write(to: file)
            let rejected = try await Self.run(built, ["checkin", "verify", "--bundle", file.path, "--at", at, order.tokens[1]])
            #expect(rejected.status == 2 && rejected.stderr.contains("rejected"))
        }
    }

    struct Outcome {
        let status: Int32
        let stdout: String
        let stderr: String
        var json: [String: Any] { ((try? JSONSerialization.jsonObject(with: Data(stdout.utf8))) as? [String: Any]) ?? [:] }
    }

    static func run(_ binary: String, _ arguments: [String]) async throws -> Outcome {
        try await withCheckedThrowingContinuation { continuation in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = arguments
            let out = Pipe(), err = Pipe()
            process.standardOutput = out
            process.standardError = err
            process.terminationHandler = { process in
                let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                continuation.resume(returning: Outcome(status: process.terminationStatus, stdout: stdout, stderr: stderr))
            }
            do { try process.run() } catch { continuation.resume(throwing: error) }
        }
    }
}
