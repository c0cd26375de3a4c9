import ArgumentParser
import Foundation
import Platform

struct PayoutsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "payouts", abstract: "Pay organizers their available balances.",
                                                    subcommands: [Run.self])

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Pay each organizer its available balance (at least PAYOUT_MINIMUM) per currency; safe to run again or at once from two places.")

        @Option(help: "Only this currency (ISO 4217).") var currency: String?
        @Option(help: "Only this organizer (org_…).") var organizer: String?
        @Flag(help: "Print what a run would pay; write and send nothing.") var dryRun = false

        func validate() throws {
            if let currency, Currency(code: currency.uppercased()) == nil { throw ValidationError("--currency must be an ISO 4217 code such as EUR") }
            if let organizer, OrganizerID(organizer) == nil { throw ValidationError("--organizer must be an organizer id (org_…)") }
        }

        func run() async throws {
            let request = PayoutRunRequest(currency: currency?.uppercased(), organizer: organizer.flatMap(OrganizerID.init), dryRun: dryRun)
            let bar = ProgressBar(label: "payouts")
            let report = try await Runtime.run { runtime in
                let platform = try await runtime.platform()
                // The audit log attributes the run to an operator at the terminal.
                return try await AuditScope.acting(as: .commandLine) {
                    try await platform.payouts.run(request) { done, total in bar.show(done, of: total) }
                }
            }
            bar.finish()
            for line in report.payouts {
                let amount = line.amount.description
                print([line.payoutID?.rawValue ?? "(dry run)", line.organizerID.rawValue, amount, line.provider, line.status, line.error ?? ""]
                    .joined(separator: "\t").trimmingCharacters(in: .whitespaces))
            }
            for skipped in report.skipped {
                print(["skipped", skipped.organizerID.rawValue, skipped.amount.description, skipped.reason].joined(separator: "\t"))
            }
            let total = report.payouts.reduce(into: [String: Int64]()) { $0[$1.amount.currency.code, default: 0] += $1.amount.minorUnits }
            let sums = total.keys.sorted().map { Money(minorUnits: total[$0] ?? 0, currency: Currency(code: $0) ?? .eur).description }
            print("\(report.payouts.count) \(dryRun ? "payouts planned" : "payouts") (\(sums.isEmpty ? "nothing" : sums.joined(separator: ", "))), "
                  + "\(report.skipped.count) skipped")
            let waiting = report.payouts.filter { $0.status == "sending" }.count
            if waiting > 0 { FileHandle.standardError.write(Data("\(waiting) payouts could not be sent now; the next run sends them again\n".utf8)) }
        }
    }
}

/// A bar with counts and rate on standard error, redrawn in place when it is a terminal.
final class ProgressBar: @unchecked Sendable {
    let label: String
    let started = Date()
    let terminal = isatty(STDERR_FILENO) == 1
    private let lock = NSLock()
    private var last = Date.distantPast

    init(label: String) { self.label = label }

    func show(_ done: Int, of total: Int) {
        lock.lock()
        defer { lock.unlock() }
        guard terminal, total > 0, done == total || Date().timeIntervalSince(last) > 0.1 else { return }
        last = Date()
        let width = 30
        let filled = width * done / total
        let rate = Double(done) / max(Date().timeIntervalSince(started), 0.001)
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        FileHandle.standardError.write(Data("\r\(label) [\(bar)] \(done)/\(total) \(Int(rate))/s".utf8))
    }

    func finish() {
        if terminal, last != .distantPast { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
