import Foundation
import Platform

/// CPU seconds (user and system) spent so far by this process and by every process named
/// `postgres` on this machine (run no other cluster beside a measurement), read from /proc.
/// Throughput moves with a shared machine's load; CPU per operation moves much less, so A/B
/// comparisons quote both.
struct CPUTime {
    let platform: Double
    let postgres: Double

    static func now() -> CPUTime {
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        var platform = 0.0, postgres = 0.0
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] where entry.allSatisfy(\.isNumber) {
            guard let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")"), let open = stat.firstIndex(of: "(") else { continue }
            let name = stat[stat.index(after: open)..<close]
            // After the name: state is field 3; utime, stime, cutime, cstime are fields 14 to 17.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 15 else { continue }
            let own = (Double(fields[11]) ?? 0) + (Double(fields[12]) ?? 0)
            let reaped = (Double(fields[13]) ?? 0) + (Double(fields[14]) ?? 0)
            if Int32(entry) == getpid() {
                platform += own / ticks
            } else if name == "postgres" {
                // The postmaster's reaped children hold the CPU of backends that ended meanwhile.
                postgres += (own + reaped) / ticks
            }
        }
        return CPUTime(platform: platform, postgres: postgres)
    }

    /// "CPU per webhook: platform 3.10 ms, PostgreSQL 2.40 ms" since `start`, over `count` operations;
    /// `clients` when this process also ran the load's clients, whose CPU is then in the first figure.
    /// On SQLite there is no PostgreSQL figure.
    func per(_ what: String, since start: CPUTime, count: Int, engine: DatabaseEngine, clients: Bool = false) -> String {
        let n = Double(max(count, 1))
        let own = String(format: "CPU per %@: platform%@ %.2f ms", what, clients ? " with its load clients" : "", (platform - start.platform) * 1000 / n)
        guard engine == .postgres else { return own }
        return own + String(format: ", PostgreSQL %.2f ms", (postgres - start.postgres) * 1000 / n)
    }
}
