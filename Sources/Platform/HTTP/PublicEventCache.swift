import NIOCore
import PluginKit
import Synchronization

/// The encoded answers of `GET /api/v1/public/events/{id}`: each kept for `lifetime` milliseconds of
/// the injected clock, and refilled at once after this process wrote anything it shows
/// (`CatalogChanges`). The answer tells other caches `max-age=5`, so no reader is promised fresher
/// availability than this keeps. Only found events are kept, and at most `capacity` of them: ids
/// that answer 404 keep nothing. Readers that arrive while an answer is being filled wait for that
/// fill rather than each reading the database. A fill read under way for an older count is not
/// joined: a reader that saw a newer count starts its own.
package final class PublicEventCache: Sendable {
    private enum Slot {
        case kept(ByteBuffer, changes: Int, filledAt: Int64)
        /// `token` tells this fill from a later one of the same event.
        case filling(Task<ByteBuffer, any Error>, changes: Int, startedAt: Int64, token: Int)
    }

    private let slots = Mutex<(slots: [EventID: Slot], fills: Int)>(([:], 0))
    private let clock: any WallClock
    private let changes: @Sendable () -> Int
    /// Milliseconds.
    package let lifetime: Int64
    package let capacity: Int

    /// `changes` is `CatalogChanges.current` but in tests, which cannot stop other tests' writes.
    package init(clock: any WallClock, lifetime: Int64 = 1_000, capacity: Int = 1_024,
                 changes: @escaping @Sendable () -> Int = { CatalogChanges.current }) {
        self.clock = clock
        self.lifetime = lifetime
        self.capacity = capacity
        self.changes = changes
    }

    /// The kept answer for `id`, or the one `fill` makes (or a fill already under way for the same
    /// state of the catalog makes), which is then kept.
    /// - Throws: what `fill` throws; nothing is kept then.
    package func answer(_ id: EventID, fill: @escaping @Sendable () async throws -> ByteBuffer) async throws -> ByteBuffer {
        // Read before the rows are: a write noted meanwhile leaves the new entry stale at once.
        let changes = self.changes()
        let now = clock.now().milliseconds
        // The count only grows: what was read at a later count is at least as fresh as this reader needs.
        let lifetime = self.lifetime
        func fresh(_ kept: Int, _ filledAt: Int64) -> Bool { kept >= changes && (0..<lifetime).contains(now - filledAt) }
        enum Found { case kept(ByteBuffer), filling(Task<ByteBuffer, any Error>, token: Int) }
        let found: Found = slots.withLock { state in
            switch state.slots[id] {
            case let .kept(body, kept, filledAt) where fresh(kept, filledAt):
                return .kept(body)
            case let .filling(task, filling, _, token) where filling >= changes:
                return .filling(task, token: token)
            default:
                if state.slots.count >= capacity, state.slots[id] == nil {
                    // Fills under way stay, so their readers still share them.
                    state.slots = state.slots.filter {
                        if case let .kept(_, kept, filledAt) = $0.value { fresh(kept, filledAt) } else { true }
                    }
                    if state.slots.count >= capacity {
                        state.slots = state.slots.filter { if case .filling = $0.value { true } else { false } }
                    }
                }
                state.fills &+= 1
                let task = Task { try await fill() }
                state.slots[id] = .filling(task, changes: changes, startedAt: now, token: state.fills)
                return .filling(task, token: state.fills)
            }
        }
        switch found {
        case let .kept(body):
            return body
        case let .filling(task, token):
            do {
                let body = try await task.value
                settle(id, token: token, with: body)
                return body
            } catch {
                settle(id, token: token, with: nil)
                throw error
            }
        }
    }

    /// Keeps what the fill `token` gave (nil: it failed, keep nothing), unless a later fill took its place.
    private func settle(_ id: EventID, token: Int, with body: ByteBuffer?) {
        slots.withLock { state in
            guard case let .filling(_, changes, startedAt, current) = state.slots[id], current == token else { return }
            state.slots[id] = body.map { .kept($0, changes: changes, filledAt: startedAt) }
        }
    }
}
