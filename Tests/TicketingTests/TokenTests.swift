import Crypto
import Foundation
import Platform
import PlatformTesting
import Testing
@testable import Ticketing

@Suite struct TokenTests {
    static func claims(_ clock: ManualClock, exp minutes: Int64 = 60) -> TicketClaims {
        let now = clock.now().milliseconds / 1000
        return TicketClaims(sub: "tkt_01jabcdefghjkmnpqrstvwxyz0", evt: "evt_01jabcdefghjkmnpqrstvwxyz0", var: "var_01jabcdefghjkmnpqrstvwxyz0",
                            ver: 1, iat: now, exp: now + minutes * 60)
    }

    static func ring(_ database: any Database, _ clock: ManualClock, _ algorithm: TokenAlgorithm = .eddsa,
                     secret: String = "test-sealing-secret-0123456789", key: String? = nil) async throws -> TicketKeyRing {
        var config = TicketingConfig()
        config.algorithm = algorithm
        config.keySecret = secret
        config.signingKey = key
        return try await TicketKeyRing.open(database: database, clock: clock, config: config)
    }

    @Test(arguments: TestEngines.all, TokenAlgorithm.allCases)
    func everyAlgorithmSignsAndVerifies(engine: DatabaseEngine, algorithm: TokenAlgorithm) async throws {
        try await withTestDatabase(engine) { database in
            let clock = ManualClock()
            let ring = try await Self.ring(database, clock, algorithm)
            let claims = Self.claims(clock)
            let token = try await ring.sign(claims)
            let header = try #require(Data(base64URL: String(token.split(separator: ".")[0])))
            let fields = try #require(try JSONSerialization.jsonObject(with: header) as? [String: String])
            #expect(fields == ["alg": algorithm.rawValue, "kid": try #require(ring.signingKid)], "the header carries nothing else")
            #expect(await ring.check(token, now: clock.now()) == .valid(claims))
            // The IDs travel without their prefixes and come back with them.
            let payload = try #require(Data(base64URL: String(token.split(separator: ".")[1])))
            let wire = try #require(try JSONSerialization.jsonObject(with: payload) as? [String: Any])
            #expect(wire["sub"] as? String == "01jabcdefghjkmnpqrstvwxyz0" && wire["evt"] as? String == "01jabcdefghjkmnpqrstvwxyz0")
            if algorithm == .eddsa { #expect(try QRCode.symbol(for: token).version == 13) }

            // A ring opened again from the database (another server process) verifies it too.
            let other = try await Self.ring(database, clock, algorithm)
            #expect(await other.check(token, now: clock.now()) == .valid(claims))
            // Offline devices get public keys only; HS256 has none to give.
            #expect(ring.publicKeys.values.contains { $0.algorithm == algorithm } == algorithm.isAsymmetric)
            // Whatever signs tokens, an Ed25519 key signs offline bundles, and devices get its public part.
            let (kid, signature) = try ring.signBundle(Data("bundle".utf8))
            let published = try #require(ring.publicKeys[kid])
            #expect(published.algorithm == .eddsa)
            let raw = try #require(Data(base64URL: published.text))
            let bundleKey = try Curve25519.Signing.PublicKey(rawRepresentation: raw)
            #expect(bundleKey.isValidSignature(signature, for: Data("bundle".utf8)))
        }
    }

    @Test(arguments: TestEngines.all) func tamperedForeignAndOddTokensAreInvalid(engine: DatabaseEngine) async throws {
        try await withTestDatabase(engine) { database in
            let clock = ManualClock()
            let ring = try await Self.ring(database, clock)
            let token = try await ring.sign(Self.claims(clock))
            let parts = token.split(separator: ".").map(String.init)

            let payloadData = try #require(Data(base64URL: parts[1]))
            var payload = try #require(try JSONSerialization.jsonObject(with: payloadData) as? [String: Any])
            payload["sub"] = "tkt_01jzzzzzzzzzzzzzzzzzzzzzzz"
            let forged = parts[0] + "." + (try JSONSerialization.data(withJSONObject: payload)).base64URLText + "." + parts[2]
            #expect(await ring.check(forged, now: clock.now()) == .invalid("bad signature or claims"))

            // Another platform's key, with a kid this one does not know and with a kid it does.
            try await withTestDatabase(.sqlite) { otherDatabase in
                let stranger = try await Self.ring(otherDatabase, clock)
                let foreign = try await stranger.sign(Self.claims(clock))
                #expect(await ring.check(foreign, now: clock.now()) == .invalid("unknown signing key"))
                let foreignParts = foreign.split(separator: ".").map(String.init)
                let header = #"{"alg":"EdDSA","kid":"\#(ring.signingKid!)","typ":"JWT"}"#
                let relabelled = Data(header.utf8).base64URLText + "." + foreignParts[1] + "." + foreignParts[2]
                #expect(await ring.check(relabelled, now: clock.now()) == .invalid("bad signature or claims"))
            }

            let noneHeader = Data(#"{"alg":"none","kid":"\#(ring.signingKid!)"}"#.utf8).base64URLText
            #expect(await ring.check(noneHeader + "." + parts[1] + ".", now: clock.now()) == .invalid("algorithm does not match the key"))
            let hsHeader = Data(#"{"alg":"HS256","kid":"\#(ring.signingKid!)"}"#.utf8).base64URLText
            #expect(await ring.check(hsHeader + "." + parts[1] + "." + parts[2], now: clock.now()) == .invalid("algorithm does not match the key"))
            for odd in ["", "abc", "a.b.c", "....", String(repeating: "x", count: 5_000), "é.é.é"] {
                guard case .invalid = await ring.check(odd, now: clock.now()) else {
                    Issue.record("\(odd.prefix(20)) was not invalid")
                    continue
                }
            }
        }
    }

    @Test(arguments: TestEngines.all) func tokensAreJudgedByTheInjectedClock(engine: DatabaseEngine) async throws {
        try await withTestDatabase(engine) { database in
            let clock = ManualClock()
            let ring = try await Self.ring(database, clock)
            let claims = Self.claims(clock, exp: 60)
            let token = try await ring.sign(claims)
            #expect(await ring.check(token, now: clock.now().adding(minutes: 61)) == .expired(claims))
            #expect(await ring.check(token, now: clock.now().adding(minutes: -6)) == .notValidYet(claims))
            #expect(await ring.check(token, now: clock.now().adding(minutes: -4)) == .valid(claims), "five minutes of clock skew are allowed")
        }
    }

    @Test(arguments: TestEngines.all) func rotationSignsWithTheNewKeyAndOldTokensStillVerify(engine: DatabaseEngine) async throws {
        try await withTestDatabase(engine) { database in
            let clock = ManualClock()
            let ring = try await Self.ring(database, clock)
            let old = try await ring.sign(Self.claims(clock))
            let oldKid = try #require(ring.signingKid)
            // Another process rotates; this one learns of it within the refresh interval.
            let operatorRing = try await Self.ring(database, clock)
            let newKid = try await operatorRing.rotate()
            #expect(newKid != oldKid)
            clock.advance(minutes: 2)
            let fresh = try await ring.sign(Self.claims(clock))
            #expect(ring.signingKid == newKid)
            #expect(fresh.contains(".") && !fresh.hasPrefix(old.split(separator: ".")[0]))
            #expect(await ring.check(old, now: clock.now()) == .valid(Self.claims(ManualClock(clock.now().adding(minutes: -2)))))
            if case .valid = await operatorRing.check(fresh, now: clock.now()) {} else { Issue.record("the new key's token did not verify") }
        }
    }

    @Test(arguments: TestEngines.all)
    func storedKeysNeedTheirSealingSecretAndEnvironmentKeysVerifyAfterReplacement(engine: DatabaseEngine) async throws {
        try await withTestDatabase(engine) { database in
            let clock = ManualClock()
            _ = try await Self.ring(database, clock)
            await #expect(throws: TicketingConfigurationError.self) { _ = try await Self.ring(database, clock, secret: "another-secret-0123456789") }

            let seed = Data(repeating: 7, count: 32).base64EncodedString()
            let fromEnvironment = try await Self.ring(database, clock, key: seed)
            let token = try await fromEnvironment.sign(Self.claims(clock))
            let sameKeyAgain = try await Self.ring(database, clock, key: seed)
            #expect(sameKeyAgain.signingKid == fromEnvironment.signingKid, "an environment key keeps its kid across restarts")
            let replaced = try await Self.ring(database, clock, key: Data(repeating: 9, count: 32).base64EncodedString())
            #expect(replaced.signingKid != fromEnvironment.signingKid)
            #expect(await replaced.check(token, now: clock.now()) == .valid(Self.claims(clock)))
            await #expect(throws: TicketingConfigurationError.self) { _ = try await Self.ring(database, clock, key: "not base64 at all") }
        }
    }
}
