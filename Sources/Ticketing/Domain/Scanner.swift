import Platform

/// Who scans: an organizer key (any event of the organizer) or a device key (one event).
package struct Scanner: Sendable, Hashable {
    package let organizer: OrganizerID
    /// The key id, recorded as the scanning device.
    package let device: String
    /// The only event a device key may admit to.
    package let event: EventID?

    package init(organizer: OrganizerID, device: String, event: EventID?) {
        self.organizer = organizer
        self.device = device
        self.event = event
    }
}
