import Crypto
import Foundation
import JWTKit
import Logging
import Platform
import SQLKit
import Synchronization

/// The platform's ticket keys: the newest key of the configured algorithm signs, every stored key
/// verifies. Keys live in the database (private parts sealed) so that every server process signs
/// and verifies alike; a rotation elsewhere is picked up on the next refresh.
package final class TicketKeyRing: Sendable {
    package static let refreshInterval: Int64 = 60_000
    let database: any Database
    let clock: any WallClock
    let algorithm: TokenAlgorithm
    let sealer: KeySealer
    let environmentKey: KeyMaterial?
    private let keys = JWTKeyCollection()
    private let state = Mutex<State>(State())

    struct State {
        var algorithms: [String: TokenAlgorithm] = [:]
        var publicKeys: [String: PublicKeyText] = [:]
        var signingKid: String?
        /// Signs offline bundles: the newest Ed25519 key.
        var bundleKey: (kid: String, key: Curve25519.Signing.PrivateKey)?
        var loadedAt: Int64 = .min
    }

    init(database: any Database, clock: any WallClock, algorithm: TokenAlgorithm, sealer: KeySealer, environmentKey: KeyMaterial?) {
        self.database = database
        self.clock = clock
        self.algorithm = algorithm
        self.sealer = sealer
        self.environmentKey = environmentKey
    }

    /// Loads the stored keys, creating a signing key (and an Ed25519 bundle key) when there is none.
    package static func open(database: any Database, clock: any WallClock, config: TicketingConfig) async throws -> TicketKeyRing {
        let environmentKey = try config.signingKey.map { try KeyMaterial(config.algorithm, environmentText: $0) }
        let ring = TicketKeyRing(database: database, clock: clock, algorithm: config.algorithm,
                                 sealer: KeySealer(secret: try config.resolvedKeySecret()), environmentKey: environmentKey)
        try await ring.ensureKeys()
        return ring
    }

    /// Adds a new signing key of the configured algorithm; tokens signed before keep verifying.
    @discardableResult
    package func rotate() async throws -> String {
        guard environmentKey == nil else {
            throw TicketingConfigurationError("the signing key comes from TICKET_SIGNING_KEY: rotate by changing it")
        }
        let kid = try await store(try KeyMaterial.generate(algorithm))
        try await refresh()
        return kid
    }

    private func ensureKeys() async throws {
        let stored = try await database.read { sql in try await SigningKeyRepository(sql).all() }
        if let environmentKey {
            if !stored.contains(where: { $0.kid == environmentKey.derivedKid }) { try await storePublic(environmentKey) }
        } else if !stored.contains(where: { $0.algorithm == algorithm && $0.sealedPrivateKey != nil }) {
            try await store(try KeyMaterial.generate(algorithm))
        }
        let signsWithEd25519 = (environmentKey?.algorithm ?? algorithm) == .eddsa
        if !signsWithEd25519 && !stored.contains(where: { $0.algorithm == .eddsa && $0.sealedPrivateKey != nil }) {
            try await store(try KeyMaterial.generate(.eddsa))
        }
        try await refresh()
    }

    @discardableResult
    private func store(_ material: KeyMaterial) async throws -> String {
        let sealed = try sealer.seal(material.privateBytes)
        let now = clock.now()
        return try await database.transaction { sql in
            let keys = SigningKeyRepository(sql)
            let stored = try await keys.all()
            // Every token carries the kid, so it is short; a clash with a stored kid draws again.
            var kid = Self.newKid()
            while stored.contains(where: { $0.kid == kid }) { kid = Self.newKid() }
            // The newest key signs: a key made in the same millisecond as the last one still sorts after it.
            let latest = stored.last?.createdAt.milliseconds ?? .min
            try await keys.insert(StoredSigningKey(kid: kid, algorithm: material.algorithm, publicKey: material.publicKey?.text,
                                                   sealedPrivateKey: sealed,
                                                   createdAt: Timestamp(milliseconds: max(now.milliseconds, latest + 1))))
            return kid
        }
    }

    /// An environment key keeps only its public part in the database, so its tokens verify after it is replaced.
    private func storePublic(_ material: KeyMaterial) async throws {
        guard let publicKey = material.publicKey else { return }
        let key = StoredSigningKey(kid: material.derivedKid, algorithm: material.algorithm, publicKey: publicKey.text,
                                   sealedPrivateKey: nil, createdAt: clock.now())
        try await database.transaction { sql in try await SigningKeyRepository(sql).insert(key) }
    }

    /// Re-reads the stored keys and adds the ones not known yet.
    package func refresh() async throws {
        try await database.read { sql in try await self.refresh(using: sql) }
    }

    /// Reads the keys through `sql`: inside a transaction, the caller's own connection.
    func refresh(using sql: any SQLDatabase) async throws {
        let stored = try await SigningKeyRepository(sql).all()
        let known = state.withLock { $0.algorithms }
        var added: [String: TokenAlgorithm] = [:]
        var published: [String: PublicKeyText] = [:]
        var signing: String?
        var bundle: (String, Curve25519.Signing.PrivateKey)?
        for key in stored {
            let material = try key.sealedPrivateKey.map { try KeyMaterial(key.algorithm, privateBytes: try sealer.open($0)) }
            if known[key.kid] == nil {
                if let material { try await material.add(to: keys, kid: key.kid) }
                else if let text = key.publicKey { try await PublicKeyText(algorithm: key.algorithm, text: text).add(to: keys, kid: key.kid) }
                else { continue }
                added[key.kid] = key.algorithm
            }
            if let text = key.publicKey { published[key.kid] = PublicKeyText(algorithm: key.algorithm, text: text) }
            if key.algorithm == algorithm, material != nil { signing = key.kid }
            if case let .eddsa(privateKey)? = material { bundle = (key.kid, privateKey) }
        }
        if let environmentKey {
            let kid = environmentKey.derivedKid
            if known[kid] == nil {
                try await environmentKey.add(to: keys, kid: kid)
                added[kid] = environmentKey.algorithm
            }
            if let publicKey = environmentKey.publicKey { published[kid] = publicKey }
            signing = kid
            if case let .eddsa(privateKey) = environmentKey { bundle = (kid, privateKey) }
        }
        let now = clock.now().milliseconds
        state.withLock { state in
            state.algorithms.merge(added) { old, _ in old }
            state.publicKeys = published
            state.signingKid = signing
            state.bundleKey = bundle
            state.loadedAt = now
        }
    }

    /// Signs with the newest key. `sql` is the transaction the token is issued in: a due refresh
    /// reads through it rather than waiting for a second pool connection while holding the first.
    package func sign(_ claims: TicketClaims, on sql: (any SQLDatabase)? = nil) async throws -> String {
        let loadedAt = state.withLock { $0.loadedAt }
        if clock.now().milliseconds - loadedAt >= Self.refreshInterval {
            // A failed refresh keeps the keys known so far; the next signature tries again.
            if let sql { try? await refresh(using: sql) } else { try? await refresh() }
        }
        guard let kid = state.withLock({ $0.signingKid }) else { throw TicketingConfigurationError("no ticket signing key") }
        return try await CompactJWS.sign(claims, kid: kid, with: keys.getKey(for: JWKIdentifier(string: kid)))
    }

    /// Verifies with every known key; a kid it does not know makes it look in the database first.
    package func check(_ token: String, now: Timestamp) async -> TokenCheck {
        let result = await verifier.check(token, now: now)
        if case .invalid("unknown signing key") = result {
            let loadedAt = state.withLock { $0.loadedAt }
            if clock.now().milliseconds - loadedAt >= 5_000 {
                try? await refresh()
                return await verifier.check(token, now: now)
            }
        }
        return result
    }

    var verifier: TokenVerifier { TokenVerifier(keys: keys, algorithms: state.withLock { $0.algorithms }) }

    /// The public keys an offline device verifies tokens with.
    package var publicKeys: [String: PublicKeyText] { state.withLock { $0.publicKeys } }

    package var signingKid: String? { state.withLock { $0.signingKid } }

    func signBundle(_ payload: Data) throws -> (kid: String, signature: Data) {
        guard let (kid, key) = state.withLock({ $0.bundleKey }) else { throw TicketingConfigurationError("no Ed25519 bundle key") }
        return (kid, try key.signature(for: payload))
    }

    private static func newKid() -> String {
        var rng = SystemRandomNumberGenerator()
        let alphabet = Array("0123456789abcdefghjkmnpqrstvwxyz")
        return "k" + String((0..<5).map { _ in alphabet[Int(rng.next() % 32)] })
    }
}
