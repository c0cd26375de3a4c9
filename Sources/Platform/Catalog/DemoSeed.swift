import PluginKit
import SQLKit

/// Seeds "Demo Events" with one live event and three live variants, and a credit pack when the
/// platform has none. Running it again changes no data; it only replaces the two demo keys, since a
/// key's secret can be shown only when it is made.
package struct DemoSeed: Sendable {
    package static let slug = "demo-events"
    static let keyLabel = "demo"

    package struct Result: Sendable {
        package let organizer: Organizer
        package let event: Event
        package let variants: [TicketVariant]
        package let adminKey: IssuedAPIKey
        package let organizerKey: IssuedAPIKey
        /// The credit pack on sale (the demo's own, made on the first run when no pack exists).
        package let creditPack: CreditPack?
    }

    let catalog: Catalog
    package init(catalog: Catalog) { self.catalog = catalog }

    package func run() async throws -> Result {
        let database = catalog.database
        let existing = try await database.read { sql in try await OrganizerRepository(sql).find(slug: Self.slug) }
        let organizer: Organizer
        if let existing {
            organizer = existing
        } else {
            organizer = try await catalog.createOrganizer(
                name: "Demo Events", slug: Self.slug, email: "hello@demo-events.example", feeBasisPoints: nil).0
        }

        var event = try await catalog.events(organizer: organizer.id, after: nil, limit: 1).first
        if event == nil {
            let startsAt = catalog.clock.now().adding(minutes: 30 * 24 * 60)
            let created = try await catalog.createEvent(NewEvent(
                title: "Swift Summer Concert", venue: "Open Air Stage, Berlin", startsAt: startsAt,
                endsAt: startsAt.adding(minutes: 180), timezone: "Europe/Berlin", currency: .eur, status: .live), organizer: organizer.id)
            for (name, price, quota) in [("Early Bird", Int64(2_500), Int64(100)), ("Regular", 2_900, 400), ("VIP", 8_900, 50)] {
                _ = try await catalog.createVariant(NewVariant(name: name, price: price, quota: quota, maxPerOrder: 10, status: .live),
                                                    event: created.id, organizer: organizer.id)
            }
            event = created
        }
        let (seeded, variants) = try await catalog.event(event!.id, organizer: organizer.id)

        let now = catalog.clock.now()
        let pack: CreditPack? = try await database.transaction { sql in
            let packs = CreditPackRepository(sql)
            if let first = try await packs.list(activeOnly: true).first { return first }
            guard try await packs.list(activeOnly: false).isEmpty else { return nil }
            let pack = CreditPack(id: .generate(at: now), name: "Demo credit", price: Money(minorUnits: 4_500, currency: .eur), credit: 5_000,
                                  active: true, expiresDays: 365, createdAt: now, updatedAt: now)
            try await packs.insert(pack)
            return pack
        }
        let (adminKey, organizerKey) = try await database.transaction { sql in
            let keys = APIKeyRepository(sql)
            try await keys.revoke(label: Self.keyLabel, scope: .admin, at: now)
            try await keys.revoke(label: Self.keyLabel, scope: .organizer(organizer.id), at: now)
            return (try await APIKeys.issue(scope: .admin, label: Self.keyLabel, on: sql, at: now),
                    try await APIKeys.issue(scope: .organizer(organizer.id), label: Self.keyLabel, on: sql, at: now))
        }
        return Result(organizer: organizer, event: seeded, variants: variants, adminKey: adminKey, organizerKey: organizerKey, creditPack: pack)
    }
}
