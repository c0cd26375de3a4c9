import ArgumentParser
import Foundation
import Platform
import Ticketing

struct Keys: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Ticket signing keys.", subcommands: [Rotate.self, Export.self])

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a new signing key; it signs new tickets (running servers switch within a minute), old tickets keep verifying.")

        func run() async throws {
            try await Runtime.run { runtime in
                let keys = try await runtime.assembly.ticketKeys(database: runtime.database, clock: SystemClock())
                let kid = try await keys.rotate()
                print("new \(try runtime.assembly.ticketing().algorithm.rawValue) signing key \(kid); \(keys.publicKeys.count) public keys verify")
            }
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the public verification keys as JSON: the trust file for `platform checkin verify --trust`.")

        func run() async throws {
            let published = try await Runtime.run { runtime in try await runtime.assembly.ticketKeys(database: runtime.database, clock: SystemClock()).publicKeys }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(published), as: UTF8.self))
        }
    }
}

struct Checkin: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Offline check-in tools.", subcommands: [Verify.self])

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Decide admit or deny for a token from an offline bundle alone, as a door device would.")

        @Option(help: "The bundle from GET /api/v1/events/{id}/checkin/bundle.") var bundle: String
        @Option(help: "Trusted public keys (from `platform keys export`); without it the bundle's own keys are used.") var trust: String?
        @Option(help: "Decide as of this RFC 3339 time, as a device whose clock says so would (default: now).") var at: String?
        @Argument(help: "The ticket token (what the QR code holds).") var token: String

        func run() async throws {
            guard let data = FileManager.default.contents(atPath: bundle) else { throw ValidationError("cannot read \(bundle)") }
            var trusted: [String: PublicKeyText]?
            if let trust {
                guard let text = FileManager.default.contents(atPath: trust) else { throw ValidationError("cannot read \(trust)") }
                trusted = try JSONDecoder().decode([String: PublicKeyText].self, from: text)
            }
            let verifier: OfflineVerifier
            do {
                verifier = try await OfflineVerifier(bundleJSON: data, trusting: trusted)
            } catch let failure as OfflineBundle.Failure {
                FileHandle.standardError.write(Data("rejected: \(failure)\n".utf8))
                throw ExitCode(2)
            }
            var now = SystemClock().now()
            if let at {
                guard let time = Timestamp(rfc3339: at) else { throw ValidationError("--at must be an RFC 3339 time") }
                now = time
            }
            let decision = await verifier.decide(token, now: now)
            print(String(decoding: try JSONCoding.encoder.encode(decision), as: UTF8.self))
            if decision.result != .admitted { throw ExitCode(1) }
        }
    }
}
