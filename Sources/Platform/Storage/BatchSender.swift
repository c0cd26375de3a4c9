/// A worker that sends a stored queue in leased batches (the mail outbox, outgoing webhooks).
package protocol BatchSender: Sendable {
    /// Leases one batch of due rows and sends it; returns how many rows it took (0: none due).
    func sendBatch() async -> Int
}

extension BatchSender {
    /// Sends due rows until none is due, or `limit` were tried; returns how many it tried.
    @discardableResult
    package func drain(limit: Int = 100_000) async -> Int {
        var count = 0
        while count < limit {
            let tried = await sendBatch()
            if tried == 0 { break }
            count += tried
        }
        return count
    }
}
