import PluginKit

/// The kernel's kinds of ID; plugins know orders and refunds (PluginKit), modules add their own.
public enum OrganizerKind: IDKind { public static let prefix = "org", noun = "organizer" }
public enum EventKind: IDKind { public static let prefix = "evt", noun = "event" }
public enum VariantKind: IDKind { public static let prefix = "var", noun = "variant" }
public enum APIKeyKind: IDKind { public static let prefix = "key", noun = "API key" }
public enum WebhookKind: IDKind { public static let prefix = "whk", noun = "webhook" }
public enum MessageKind: IDKind { public static let prefix = "msg", noun = "message" }

public typealias OrganizerID = TypedID<OrganizerKind>
public typealias EventID = TypedID<EventKind>
public typealias VariantID = TypedID<VariantKind>
public typealias APIKeyID = TypedID<APIKeyKind>
public typealias WebhookID = TypedID<WebhookKind>
public typealias MessageID = TypedID<MessageKind>
