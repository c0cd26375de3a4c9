import PluginKit
import SQLKit

/// Organizers, their events and ticket variants: the use cases behind the admin and organizer API
/// and the demo seed. Every read and write of an organizer's data is scoped by its ID.
package struct Catalog: Sendable {
    package let database: any Database
    package let clock: any WallClock

    package init(database: any Database, clock: any WallClock) {
        self.database = database
        self.clock = clock
    }

    // MARK: Organizers

    package func createOrganizer(name: String, slug: String, email: String, feeBasisPoints: Int?, mailSenderName: String? = nil,
                                mailReplyTo: String? = nil) async throws -> (Organizer, IssuedAPIKey) {
        try Organizer.validate(name: name, slug: slug, email: email, feeBasisPoints: feeBasisPoints)
        try Organizer.validate(mailSenderName: mailSenderName, mailReplyTo: mailReplyTo)
        let now = clock.now()
        let organizer = Organizer(id: .generate(at: now), name: name, slug: slug, email: email, feeBasisPoints: feeBasisPoints,
                                  mailSenderName: mailSenderName, mailReplyTo: mailReplyTo, createdAt: now)
        return try await database.transaction { sql in
            guard try await OrganizerRepository(sql).insert(organizer) else {
                throw ValidationFailure(field: "slug", "is already taken")
            }
            let key = try await APIKeys.issue(scope: .organizer(organizer.id), label: "first key", on: sql, at: now)
            try await AuditTrail.record("organizer.created", organizer: organizer.id, subject: organizer.id.rawValue,
                                        changes: .between(nil as OrganizerBody?, OrganizerBody(organizer)), at: now, on: sql)
            try await Self.auditKey(key, label: "first key", at: now, on: sql)
            return (organizer, key)
        }
    }

    /// Sets or clears (`.some(nil)`) the organizer's sender name, reply-to and own payout hold;
    /// absent ones stay.
    /// - Throws: `PlatformError.notFound`, `ValidationFailure` naming the field.
    /// `also` runs last in the same transaction (the payout method, set by its own use case).
    package func updateOrganizer(_ id: OrganizerID, senderName: String??, replyTo: String??, payoutHold: PayoutHold??,
                         feeBasisPoints: Int?? = nil,
                         also: @escaping @Sendable (Organizer, any SQLDatabase) async throws -> Void = { _, _ in }) async throws -> Organizer {
        let now = clock.now()
        return try await database.transaction { sql in
            let organizers = OrganizerRepository(sql)
            guard var organizer = try await organizers.findTenant(id) else { throw PlatformError.notFound("organizer") }
            let before = organizer
            if let senderName { organizer.mailSenderName = senderName }
            if let replyTo { organizer.mailReplyTo = replyTo }
            try Organizer.validate(mailSenderName: organizer.mailSenderName, mailReplyTo: organizer.mailReplyTo)
            try await organizers.updateMail(organizer)
            if let feeBasisPoints {
                try Organizer.validate(name: organizer.name, slug: organizer.slug, email: organizer.email, feeBasisPoints: feeBasisPoints)
                organizer.feeBasisPoints = feeBasisPoints
                try await organizers.updateFee(id, to: feeBasisPoints)
            }
            if let payoutHold {
                try payoutHold?.validate()
                organizer.payoutHold = payoutHold
                try await organizers.updatePayoutHold(id, to: payoutHold)
            }
            try await AuditTrail.record("organizer.updated", organizer: id, subject: id.rawValue,
                                        changes: .between(OrganizerBody(before), OrganizerBody(organizer)), at: now, on: sql)
            try await also(organizer, sql)
            return organizer
        }
    }

    package func organizers(after: OrganizerID?, limit: Int) async throws -> [Organizer] {
        try await database.read { sql in try await OrganizerRepository(sql).list(after: after, limit: limit) }
    }

    /// Suspends an organizer (`suspended` true) or reinstates it: while suspended its events leave
    /// the shop, its API keys, devices and members stop working (within the key cache's minute in
    /// other processes) and payouts wait; paid orders keep their tickets.
    /// - Throws: `PlatformError.notFound`.
    package func setSuspended(_ id: OrganizerID, _ suspended: Bool) async throws -> Organizer {
        let now = clock.now()
        return try await database.transaction { sql in
            let organizers = OrganizerRepository(sql)
            guard var organizer = try await organizers.findTenant(id) else { throw PlatformError.notFound("organizer") }
            guard (organizer.suspendedAt != nil) != suspended else { return organizer }
            organizer.suspendedAt = suspended ? now : nil
            try await organizers.setSuspended(id, at: organizer.suspendedAt)
            try await AuditTrail.record(suspended ? "organizer.suspended" : "organizer.reinstated", organizer: id, subject: id.rawValue,
                                        changes: .fields(["suspended_at": (suspended ? nil : now.rfc3339, suspended ? now.rfc3339 : nil)]),
                                        at: now, on: sql)
            return organizer
        }
    }

    /// The organizer's keys that work, oldest first (never device keys).
    package func organizerKeys(_ id: OrganizerID) async throws -> [StoredAPIKey] {
        try await database.read { sql in try await APIKeyRepository(sql).list(scope: .organizer(id)) }
    }

    /// Revokes one of the organizer's keys; false when it has no such working key. The caller tells
    /// its process's key cache (`APIKeyCache.forget`).
    package func revokeKey(_ key: APIKeyID, organizer: OrganizerID) async throws -> Bool {
        let now = clock.now()
        return try await database.transaction { sql in
            guard try await APIKeyRepository(sql).revoke(key, scope: .organizer(organizer), at: now) else { return false }
            try await AuditTrail.record("api_key.revoked", organizer: organizer, subject: key.rawValue,
                                        changes: .fields(["revoked_at": (nil, now.rfc3339)]), at: now, on: sql)
            return true
        }
    }

    package func issueKey(organizer id: OrganizerID, label: String) async throws -> IssuedAPIKey {
        let now = clock.now()
        return try await database.transaction { sql in
            guard try await OrganizerRepository(sql).findTenant(id) != nil else { throw PlatformError.notFound("organizer") }
            let key = try await APIKeys.issue(scope: .organizer(id), label: label, on: sql, at: now)
            try await Self.auditKey(key, label: label, at: now, on: sql)
            return key
        }
    }

    /// An issued key is audited by its id, scope and label; never its secret.
    static func auditKey(_ key: IssuedAPIKey, label: String, at time: Timestamp, on sql: any SQLDatabase) async throws {
        try await AuditTrail.record("api_key.created", organizer: key.scope.tenant, subject: key.id.rawValue,
                                    changes: .fields(["scope": (nil, key.scope.rawValue), "label": (nil, label), "key_id": (nil, key.id.rawValue)]),
                                    at: time, on: sql)
    }

    // MARK: Events

    package func createEvent(_ input: NewEvent, organizer: OrganizerID) async throws -> Event {
        let now = clock.now()
        var event = Event(
            id: .generate(at: now), organizerID: organizer, title: input.title, venue: input.venue, startsAt: input.startsAt,
            endsAt: input.endsAt, timezone: input.timezone, currency: input.currency, status: input.status ?? .draft,
            reservationMinutes: input.reservationMinutes ?? Event.defaultReservationMinutes,
            redirectOrigins: input.redirectOrigins ?? [], createdAt: now, updatedAt: now)
        event.slug = input.slug
        try event.validate()
        guard event.status != .cancelled else { throw ValidationFailure(field: "status", "a new event is draft or live") }
        try await database.transaction { [event] sql in
            try await Self.checkSlugFree(event, on: sql)
            try await EventRepository(sql).insert(event)
            try await AuditTrail.record("event.created", organizer: organizer, subject: event.id.rawValue, event: event.id,
                                        changes: .between(nil as EventBody?, EventBody(event)), at: now, on: sql)
        }
        return event
    }

    /// - Throws: `ValidationFailure` on `slug` when another event of the organizer has it.
    static func checkSlugFree(_ event: Event, on sql: any SQLDatabase) async throws {
        guard let slug = event.slug, let other = try await EventRepository(sql).find(slug: slug, organizer: event.organizerID),
              other.id != event.id else { return }
        throw ValidationFailure(field: "slug", "is already the slug of another of your events")
    }

    package func events(organizer: OrganizerID, after: EventID?, limit: Int) async throws -> [Event] {
        try await database.read { sql in try await EventRepository(sql).list(organizer: organizer, after: after, limit: limit) }
    }

    package func event(_ id: EventID, organizer: OrganizerID) async throws -> (Event, [TicketVariant]) {
        try await database.read { sql in
            guard let event = try await EventRepository(sql).find(id, organizer: organizer) else { throw PlatformError.notFound("event") }
            return (event, try await VariantRepository(sql).list(event: id))
        }
    }

    /// The edited event with its variants, read in the same transaction.
    package func updateEvent(_ id: EventID, organizer: OrganizerID, changes: EventChanges) async throws -> (Event, [TicketVariant]) {
        let now = clock.now()
        return try await database.transaction { sql in
            let events = EventRepository(sql)
            guard var event = try await events.find(id, organizer: organizer) else { throw PlatformError.notFound("event") }
            let before = event
            if let status = changes.status, !event.status.canBecome(status) {
                throw ValidationFailure(field: "status", "a \(event.status.rawValue) event cannot become \(status.rawValue)")
            }
            if let currency = changes.currency, currency != event.currency,
               try await VariantRepository(sql).committedSeats(event: id) > 0 {
                throw ValidationFailure(field: "currency", "cannot change once tickets are sold or reserved")
            }
            event.title = changes.title ?? event.title
            event.venue = patched(event.venue, with: changes.venue)
            event.startsAt = changes.startsAt ?? event.startsAt
            event.endsAt = patched(event.endsAt, with: changes.endsAt)
            event.timezone = changes.timezone ?? event.timezone
            event.currency = changes.currency ?? event.currency
            event.status = changes.status ?? event.status
            event.reservationMinutes = changes.reservationMinutes ?? event.reservationMinutes
            event.redirectOrigins = changes.redirectOrigins ?? event.redirectOrigins
            if let slug = changes.slug { event.slug = slug }
            event.updatedAt = now
            try event.validate()
            try await Self.checkSlugFree(event, on: sql)
            try await events.update(event)
            try await AuditTrail.record("event.updated", organizer: organizer, subject: id.rawValue, event: id,
                                        changes: .between(EventBody(before), EventBody(event)), at: now, on: sql)
            return (event, try await VariantRepository(sql).list(event: id))
        }
    }

    // MARK: Variants

    /// The new variant and the currency its price is in (the event's).
    package func createVariant(_ input: NewVariant, event eventID: EventID, organizer: OrganizerID) async throws -> (TicketVariant, Currency) {
        let now = clock.now()
        let variant = TicketVariant(
            id: .generate(at: now), organizerID: organizer, eventID: eventID, name: input.name, price: input.price,
            quota: input.quota, maxPerOrder: input.maxPerOrder, salesStart: input.salesStart, salesEnd: input.salesEnd,
            status: input.status ?? .draft, sold: 0, reserved: 0, createdAt: now, updatedAt: now)
        try variant.validate()
        return try await database.transaction { sql in
            guard let event = try await EventRepository(sql).find(eventID, organizer: organizer) else {
                throw PlatformError.notFound("event")
            }
            guard event.status != .cancelled else { throw PlatformError.conflict("the event is cancelled") }
            try await VariantRepository(sql).insert(variant)
            try await AuditTrail.record("variant.created", organizer: organizer, subject: variant.id.rawValue, event: eventID,
                                        changes: .between(nil as VariantBody?, VariantBody(variant, currency: event.currency)), at: now, on: sql)
            return (variant, event.currency)
        }
    }

    /// The edited variant and the currency its price is in.
    package func updateVariant(_ id: VariantID, organizer: OrganizerID, changes: VariantChanges) async throws -> (TicketVariant, Currency) {
        let now = clock.now()
        return try await database.transaction { sql in
            let variants = VariantRepository(sql)
            guard var variant = try await variants.find(id, organizer: organizer) else { throw PlatformError.notFound("variant") }
            let before = variant
            variant.name = changes.name ?? variant.name
            variant.price = changes.price ?? variant.price
            variant.quota = changes.quota ?? variant.quota
            variant.maxPerOrder = patched(variant.maxPerOrder, with: changes.maxPerOrder)
            variant.salesStart = patched(variant.salesStart, with: changes.salesStart)
            variant.salesEnd = patched(variant.salesEnd, with: changes.salesEnd)
            variant.status = changes.status ?? variant.status
            variant.updatedAt = now
            try variant.validate()
            guard try await variants.update(variant) else {
                throw ValidationFailure(field: "quota", "must not be below the seats already sold or reserved")
            }
            guard let event = try await EventRepository(sql).find(variant.eventID, organizer: organizer) else {
                throw PlatformError.notFound("event")
            }
            try await AuditTrail.record("variant.updated", organizer: organizer, subject: id.rawValue, event: variant.eventID,
                                        changes: .between(VariantBody(before, currency: event.currency), VariantBody(variant, currency: event.currency)),
                                        at: now, on: sql)
            return (variant, event.currency)
        }
    }

    // MARK: Buyers

    /// A live event with the variants buyers may see; anything else is not found.
    /// A live event as its shop page shows it: its organizer, and its public variants in the order
    /// they were made. With `organizerSlug` (the readable address), the event must be that organizer's.
    /// - Throws: `PlatformError.notFound` when no such live event is found.
    package func shopEvent(_ id: EventID, organizerSlug: String? = nil) async throws -> (Organizer, Event, [TicketVariant]) {
        try await database.read { sql in
            guard let (event, variants) = try await EventRepository(sql).findLiveWithVariants(id),
                  let organizer = try await OrganizerRepository(sql).find(event.organizerID),
                  organizerSlug.map({ $0 == organizer.slug }) ?? true else { throw PlatformError.notFound("event") }
            return (organizer, event, variants.filter { $0.status.isPublic })
        }
    }

    /// The same for the readable address: the organizer's slug and the event's own slug.
    /// - Throws: `PlatformError.notFound` when no such live event is found.
    package func shopEvent(organizerSlug: String, eventSlug: String) async throws -> (Organizer, Event, [TicketVariant]) {
        let id: EventID = try await database.read { sql in
            guard let organizer = try await OrganizerRepository(sql).find(slug: organizerSlug),
                  let event = try await EventRepository(sql).find(slug: eventSlug, organizer: organizer.id) else { throw PlatformError.notFound("event") }
            return event.id
        }
        return try await shopEvent(id, organizerSlug: organizerSlug)
    }

    package func publicEvent(_ id: EventID) async throws -> (Event, [TicketVariant]) {
        try await database.read { sql in
            guard let (event, variants) = try await EventRepository(sql).findLiveWithVariants(id) else { throw PlatformError.notFound("event") }
            return (event, variants.filter { $0.status.isPublic })
        }
    }
}
