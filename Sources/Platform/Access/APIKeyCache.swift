import PluginKit
import Synchronization

/// Resolves API keys, remembering recently resolved ones so that a busy door device is not a
/// database read per scan. An entry lives `ttlMilliseconds`: a key revoked by another server
/// process stops working within that time; one revoked through this process's routes stops at
/// once (`forget`), and so do the keys of an organizer suspended through them.
package final class APIKeyCache: Sendable {
    package static let ttlMilliseconds: Int64 = 5_000
    /// Beyond this many keys the cache starts over, so random bearer strings cannot grow it.
    static let capacity = 10_000
    let database: any Database
    let clock: any WallClock
    private let entries = Mutex<[String: (key: StoredAPIKey, until: Int64)]>([:])

    init(database: any Database, clock: any WallClock) {
        self.database = database
        self.clock = clock
    }

    /// The active key whose secret this is, or nil.
    func key(secret: String) async throws -> StoredAPIKey? {
        let secretHash = SecretToken.hash(secret)
        let now = clock.now().milliseconds
        if let cached = entries.withLock({ $0[secretHash] }), cached.until > now { return cached.key }
        // Unknown keys are not cached: a key created a moment ago must work on its first request.
        guard let key = try await database.read({ sql in try await APIKeyRepository(sql).findActive(secretHash: secretHash) }) else {
            return nil
        }
        entries.withLock { entries in
            if entries.count >= Self.capacity { entries.removeAll(keepingCapacity: true) }
            entries[secretHash] = (key, now + Self.ttlMilliseconds)
        }
        return key
    }

    /// Drops a revoked key.
    package func forget(_ id: APIKeyID) {
        entries.withLock { entries in entries = entries.filter { $0.value.key.id != id } }
    }

    /// Drops every key of a suspended organizer, its devices' too.
    package func forget(organizer: OrganizerID) {
        entries.withLock { entries in entries = entries.filter { $0.value.key.scope.tenant != organizer } }
    }
}
