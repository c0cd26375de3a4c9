import Foundation
import Platform

/// What a scan found. Exit scans answer `exited` or `not_inside`.
package enum ScanResult: String, Sendable, Codable, CaseIterable {
    case admitted
    case alreadyAdmitted = "already_admitted"
    case exited
    case notInside = "not_inside"
    case blocked
    case refunded
    case cancelled
    case wrongEvent = "wrong_event"
    case notValidYet = "not_valid_yet"
    case expired
    case invalid
}

package enum ScanDirection: String, Sendable, Codable, CaseIterable {
    case entry, exit
}

/// The ticket as a door device sees it.
package struct ScannedTicket: Sendable, Codable, Hashable {
    package let id: String
    package let eventId: String
    package let variantId: String
    package let orderId: String
    package let seat: Int64
    package let status: TicketStatus

    init(_ ticket: Ticket) {
        id = ticket.id.rawValue
        eventId = ticket.eventID.rawValue
        variantId = ticket.variantID.rawValue
        orderId = ticket.orderID.rawValue
        seat = ticket.seat
        status = ticket.status
    }
}

/// The answer to one scan, stored with the scan so that a retried nonce gets it back unchanged.
package struct ScanAnswer: Sendable, Codable, Hashable {
    package var result: ScanResult
    package var ticket: ScannedTicket?
    package var firstAdmittedAt: String?
    package var firstAdmittedBy: String?
    /// The name of that device ("Door 2"), for the door to say; nil for a device gone or a ticket not admitted.
    package var firstAdmittedByName: String?
    /// Why a ticket is blocked, or why a token is invalid.
    package var reason: String?
    package var scanId: String
    package var scannedAt: String
    /// For an uploaded offline scan: the other device that admitted the same ticket.
    package var conflict: SyncConflict?

    init(result: ScanResult, ticket: Ticket? = nil, reason: String? = nil, scanID: ScanID, at time: Timestamp) {
        self.result = result
        self.ticket = ticket.map(ScannedTicket.init)
        if result == .alreadyAdmitted || result == .admitted, let ticket {
            firstAdmittedAt = ticket.admittedAt?.rfc3339
            firstAdmittedBy = ticket.admittedBy
        }
        self.reason = reason
        scanId = scanID.rawValue
        scannedAt = time.rfc3339
    }
}

extension ScanAnswer {
    /// An answer as it was stored with its scan.
    init(json: String) throws {
        self = try JSONCoding.decoder.decode(ScanAnswer.self, from: Data(json.utf8))
    }
}

/// A ticket admitted by two devices: the earlier admission stands.
package struct SyncConflict: Sendable, Codable, Hashable {
    package let ticketId: String
    package let firstDevice: String
    package let firstAt: String
    package let laterDevice: String
    package let laterAt: String
}
