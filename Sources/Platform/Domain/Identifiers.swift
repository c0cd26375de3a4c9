import PluginKit

/// The kernel's kinds of ID; plugins know orders and refunds (PluginKit), modules add their own.
package enum OrganizerKind: IDKind { package static let prefix = "org", noun = "organizer" }
package enum EventKind: IDKind { package static let prefix = "evt", noun = "event" }
package enum VariantKind: IDKind { package static let prefix = "var", noun = "variant" }
package enum APIKeyKind: IDKind { package static let prefix = "key", noun = "API key" }
package enum WebhookKind: IDKind { package static let prefix = "whk", noun = "webhook" }
package enum MessageKind: IDKind { package static let prefix = "msg", noun = "message" }

package typealias OrganizerID = TypedID<OrganizerKind>
package typealias EventID = TypedID<EventKind>
package typealias VariantID = TypedID<VariantKind>
package typealias APIKeyID = TypedID<APIKeyKind>
package typealias WebhookID = TypedID<WebhookKind>
package typealias MessageID = TypedID<MessageKind>

package enum PayoutKind: IDKind { package static let prefix = "po", noun = "payout" }
package typealias PayoutID = TypedID<PayoutKind>
package enum PayoutMethodChangeKind: IDKind { package static let prefix = "pmc", noun = "payout method change" }
package typealias PayoutMethodChangeID = TypedID<PayoutMethodChangeKind>
package enum AuditEntryKind: IDKind { package static let prefix = "aud", noun = "audit entry" }
package typealias AuditEntryID = TypedID<AuditEntryKind>
package enum WebhookEndpointKind: IDKind { package static let prefix = "we", noun = "webhook endpoint" }
package typealias WebhookEndpointID = TypedID<WebhookEndpointKind>
package enum WebhookEventKind: IDKind { package static let prefix = "wev", noun = "webhook event" }
package typealias WebhookEventID = TypedID<WebhookEventKind>
package enum WebhookDeliveryKind: IDKind { package static let prefix = "wdl", noun = "webhook delivery" }
package typealias WebhookDeliveryID = TypedID<WebhookDeliveryKind>
package enum WalletKind: IDKind { package static let prefix = "wal", noun = "wallet" }
package typealias WalletID = TypedID<WalletKind>
package enum CreditPackKind: IDKind { package static let prefix = "cpk", noun = "credit pack" }
package typealias CreditPackID = TypedID<CreditPackKind>
package enum CreditGrantKind: IDKind { package static let prefix = "crg", noun = "credit grant" }
package typealias CreditGrantID = TypedID<CreditGrantKind>
