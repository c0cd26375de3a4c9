import Platform
import Synchronization

/// A mailer whose answers a test writes in advance, and which, like a provider with an
/// idempotency window, delivers each idempotency key at most once.
package final class ScriptedMailer: Mailer {
    package let name = "scripted"
    private let state = Mutex(State())

    struct State {
        var script: [Result<Void, MailError>] = []
        var deliveries: [String: Int] = [:]
        var ids: [String: String] = [:]
        var calls: [String] = []
        var messages: [MailMessage] = []
    }

    package init() {}

    /// The next sends (any message) answer these, in order; after them every send succeeds.
    package func fail(with errors: [MailError]) {
        state.withLock { $0.script += errors.map { .failure($0) } }
    }

    /// The provider already accepted this key (a worker crashed before recording it).
    package func alreadyAccepted(_ key: String) {
        state.withLock { state in
            state.deliveries[key, default: 0] += 1
            state.ids[key] = "scripted-\(key)"
        }
    }

    package func send(_ message: MailMessage) async throws(MailError) -> MailReceipt {
        let result: Result<MailReceipt, MailError> = state.withLock { state in
            state.calls.append(message.idempotencyKey)
            if !state.script.isEmpty, case let .failure(error) = state.script.removeFirst() { return .failure(error) }
            if let id = state.ids[message.idempotencyKey] { return .success(MailReceipt(messageID: id)) }
            let id = "scripted-\(message.idempotencyKey)"
            state.ids[message.idempotencyKey] = id
            state.deliveries[message.idempotencyKey, default: 0] += 1
            state.messages.append(message)
            return .success(MailReceipt(messageID: id))
        }
        return try result.get()
    }

    /// How many times each key was delivered (never more than once).
    package var deliveries: [String: Int] { state.withLock { $0.deliveries } }
    /// Every send, in order, by idempotency key.
    package var calls: [String] { state.withLock { $0.calls } }
    package var messages: [MailMessage] { state.withLock { $0.messages } }
}
