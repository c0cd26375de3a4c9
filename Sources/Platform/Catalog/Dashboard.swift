import PluginKit

/// What an organizer's dashboard shows: first what needs attention, then each event's seats sold
/// of its capacity, gross, fee and net per currency (from the ledger, after refunds and disputes),
/// and seats sold per day.
package struct Dashboard: Sendable {
    /// Seats sold per day over this many days, for the chart.
    package static let chartDays = 30
    /// An event counts as about to sell out from this share of its seats sold (per mille).
    static let sellingOutPerMille: Int64 = 900

    package struct EventFigures: Sendable {
        package let event: Event
        package let sold: Int64
        package let capacity: Int64
        /// Per currency, in minor units.
        package let gross: [Money]
        package let fee: [Money]
        package let net: [Money]
        /// Seats sold on each of the last `chartDays` UTC days, oldest first.
        package let seatsByDay: [Int64]
        package var sellingOut: Bool { capacity > 0 && sold < capacity && sold * 1000 >= capacity * Dashboard.sellingOutPerMille }
    }

    package let ordersInReview: Int
    package let failedRefunds: Int
    package let openDisputes: Int
    package let events: [EventFigures]
    static let boxOfficeGross = "box_office_gross"
    /// The first day of the chart (midnight UTC).
    package let chartStart: Timestamp

    /// - Throws: what the database throws.
    package static func load(organizer: OrganizerID, catalog: Catalog) async throws -> Dashboard {
        let today = catalog.clock.now().milliseconds / 86_400_000
        let firstDay = today - Int64(chartDays) + 1
        return try await catalog.database.read { sql in
            let repository = DashboardRepository(sql: sql)
            let events = try await EventRepository(sql).list(organizer: organizer, after: nil, limit: 500)
            // The money taken at the box office joins the ledger's sums as a net of its own kind.
            let totals = try await repository.transferTotals(organizer: organizer) + repository.boxOfficeSales(organizer: organizer).map {
                DashboardRepository.KindTotal(eventId: $0.eventId, currency: $0.currency, kind: Self.boxOfficeGross, amount: $0.amount)
            }
            let seats = Dictionary(uniqueKeysWithValues: try await repository.seats(organizer: organizer).map { ($0.eventId, $0) })
            let days = try await repository.seatsByDay(organizer: organizer, from: Timestamp(milliseconds: firstDay * 86_400_000))
            let attention = try await repository.attention(organizer: organizer)
            let figures = events.reversed().map { event in
                let mine = totals.filter { $0.eventId == event.id.rawValue }
                func sum(_ signs: [TransferKind: Int64], boxOffice: Int64) -> [Money] {
                    Dictionary(grouping: mine, by: \.currency).sorted { $0.key < $1.key }.compactMap { code, rows in
                        guard let currency = Currency(code: code) else { return nil }
                        let total = rows.reduce(Int64(0)) { sum, row in
                            let sign = row.kind == Self.boxOfficeGross ? boxOffice : TransferKind(rawValue: row.kind).flatMap { signs[$0] } ?? 0
                            return sum + sign * row.amount
                        }
                        return Money(minorUnits: total, currency: currency)
                    }
                }
                let fee = sum(DashboardRepository.feeSigns, boxOffice: 0), net = sum(DashboardRepository.netSigns, boxOffice: 1)
                let gross = zip(fee, net).map { Money(minorUnits: $0.minorUnits + $1.minorUnits, currency: $0.currency) }
                var perDay = [Int64](repeating: 0, count: chartDays)
                for day in days where day.eventId == event.id.rawValue && day.day >= firstDay && day.day <= today {
                    perDay[Int(day.day - firstDay)] += day.seats
                }
                let seated = seats[event.id.rawValue]
                return EventFigures(event: event, sold: seated?.sold ?? 0, capacity: seated?.quota ?? 0, gross: gross, fee: fee, net: net,
                                    seatsByDay: perDay)
            }
            return Dashboard(ordersInReview: attention.review, failedRefunds: attention.failedRefunds, openDisputes: attention.openDisputes,
                             events: figures, chartStart: Timestamp(milliseconds: firstDay * 86_400_000))
        }
    }
}
