import Platform

struct BlockBody: Encodable {
    let ticketId: String
    let blocked: Bool
    let reason: String?
}

struct DeviceBody: Encodable {
    let id: String
    let eventId: String
    let name: String
    let prefix: String
    /// Shown once, when the device is created.
    let key: String?
}
