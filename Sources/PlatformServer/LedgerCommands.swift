import ArgumentParser
import Foundation
import Platform

struct LedgerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ledger", abstract: "The ledger of the platform's money.",
                                                    subcommands: [Verify.self])

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check the ledger's invariants on the database: exit 0 when they hold, 1 with every discrepancy on standard error.")

        func run() async throws {
            let found = try await Runtime.run { runtime in try await runtime.database.read { sql in try await LedgerInvariants.check(on: sql) } }
            guard !found.isEmpty else {
                print("the ledger is consistent")
                return
            }
            FileHandle.standardError.write(Data((["\(found.count) \(found.count == 1 ? "discrepancy" : "discrepancies"):"] + found).joined(separator: "\n").appending("\n").utf8))
            throw ExitCode.failure
        }
    }
}
