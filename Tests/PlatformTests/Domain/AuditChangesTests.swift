import Foundation
import Platform
import Testing

@Suite struct AuditChangesTests {
    static func object(_ changes: AuditChanges) -> [String: [String: AnyHashable]] {
        (try? JSONSerialization.jsonObject(with: Data(changes.json.utf8))) as? [String: [String: AnyHashable]] ?? ["unreadable": [:]]
    }

    @Test func fieldsLeaveOutAbsentSidesAndKeepOthers() {
        let none: String? = nil
        let some: String? = "acct_2"
        let changes = AuditChanges.fields(["account": (none, some), "status": ("pending", "paid"), "amount": (nil, Int64(1_500))])
        #expect(Self.object(changes) == ["account": ["to": "acct_2"], "status": ["from": "pending", "to": "paid"], "amount": ["to": 1_500]])
    }

    @Test func fieldsAreWrittenAsSortedCompactJSON() {
        let changes = AuditChanges.fields(["inside": (false, true), "admitted_by": (nil, "key_1/\"door\"\n"), "seats": (Int(2), Int64(3)),
                                           "api_key": (nil, "k_secret")])
        #expect(changes.json == #"{"admitted_by":{"to":"key_1/\"door\"\n"},"inside":{"from":false,"to":true},"seats":{"from":2,"to":3}}"#)
        // A value of another type is still kept, through the general writer.
        #expect(Self.object(.fields(["ratio": (nil, 0.5), "status": ("a", "b")])) == ["ratio": ["to": 0.5], "status": ["from": "a", "to": "b"]])
    }

    @Test func aDiffNamesOnlyWhatChangedAndNeverASecret() {
        struct Body: Encodable { let title: String, venue: String?, secret: String, accessToken: String, updatedAt: Int, keyId: String }
        let before = Body(title: "A", venue: nil, secret: "s1", accessToken: "t1", updatedAt: 1, keyId: "key_1")
        let after = Body(title: "B", venue: "Hall", secret: "s2", accessToken: "t2", updatedAt: 2, keyId: "key_1")
        #expect(Self.object(.between(before, after)) == ["title": ["from": "A", "to": "B"], "venue": ["to": "Hall"]])
        #expect(Set(Self.object(.between(nil as Body?, after)).keys) == ["title", "venue", "key_id"])
    }

    @Test func anEndpointURLIsShownWithoutItsPathOrQuery() {
        let shown = WebhookEndpoint.shown("https://hooks.slack.example:8443/services/T0/B0/SECRET?token=x")
        #expect(shown.hasPrefix("https://hooks.slack.example:8443/…#") && !shown.contains("SECRET") && !shown.contains("token"))
        #expect(shown != WebhookEndpoint.shown("https://hooks.slack.example:8443/services/T0/B0/OTHER"))
    }
}
