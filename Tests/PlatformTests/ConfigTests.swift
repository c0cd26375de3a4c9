import Platform
import Testing

@Suite struct ConfigTests {
    @Test func defaults() throws {
        let config = try PlatformConfig.fromEnvironment([:])
        #expect(config.host == "127.0.0.1" && config.port == 8080)
        #expect(config.baseURL == "http://127.0.0.1:8080")
        #expect(config.databaseURL == nil)
        #expect(config.maxBodyBytes == 1_048_576)
    }

    @Test func readsTheEnvironment() throws {
        let config = try PlatformConfig.fromEnvironment([
            "HOST": "0.0.0.0", "PORT": "9000", "BASE_URL": "https://tickets.example/", "DATABASE_URL": "postgres://db/x",
            "MAX_BODY_BYTES": "2048", "LOG_LEVEL": "debug",
        ])
        #expect(config.host == "0.0.0.0" && config.port == 9000)
        #expect(config.baseURL == "https://tickets.example")
        #expect(config.databaseURL == "postgres://db/x")
        #expect(config.maxBodyBytes == 2048)
        #expect(config.logLevel == .debug)
    }

    @Test func rejectsNonsense() throws {
        #expect(throws: ConfigError.self) { try PlatformConfig.fromEnvironment(["PORT": "eighty"]) }
        #expect(throws: ConfigError.self) { try PlatformConfig.fromEnvironment(["MAX_BODY_BYTES": "-1"]) }
        #expect(throws: ConfigError.self) { try PlatformConfig.fromEnvironment(["LOG_LEVEL": "loud"]) }
        #expect(throws: ConfigError.self) { try PlatformConfig.fromEnvironment(["WEBHOOK_RETENTION_DAYS": "2"]) }
        #expect(try PlatformConfig.fromEnvironment(["WEBHOOK_RETENTION_DAYS": "90"]).webhookRetentionDays == 90)
        #expect(throws: ConfigError.self) { try PlatformConfig.fromEnvironment(["MAIL_FROM": "tickets"]) }
        #expect(throws: ConfigError.self) { try PlatformConfig.fromEnvironment(["MAIL_FROM": "a@b.example\nBcc: x@y.example"]) }
        #expect(try PlatformConfig.fromEnvironment(["MAIL_FROM": "shop@tickets.example"]).mailFrom == "shop@tickets.example")
        #expect(try PlatformConfig.fromEnvironment([:]).mailFrom == "tickets@localhost")
    }
}

/// Under CI the PostgreSQL cases must run: a missing database is a failure, not a skip.
@Suite struct CIDatabaseTests {
    @Test func postgresIsConfiguredUnderCI() {
        if PlatformTesting.TestEngines.isCI {
            #expect(PlatformTesting.TestEngines.postgresURL != nil, "CI=true requires TEST_DATABASE_URL")
        }
        #expect(PlatformTesting.TestEngines.all.contains(.sqlite))
    }
}

import PlatformTesting
