// Writes scripts/timezones.json: the time zones the server takes for an event (Event.validate:
// Foundation knows the identifier, and it has a slash or is UTC), for scripts/openapi-contract.py.
// Run from the repository's root: swift scripts/timezones.swift > scripts/timezones.json
import Foundation

let zones = Set(TimeZone.knownTimeZoneIdentifiers.filter { TimeZone(identifier: $0) != nil && ($0.contains("/") || $0 == "UTC") } + ["UTC"])
let data = try JSONSerialization.data(withJSONObject: zones.sorted(), options: [.prettyPrinted])
print(String(decoding: data, as: UTF8.self))
