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

/// One reader for every setting: empty variables are unset, and a value that cannot be used names itself.
@Suite struct SettingsTests {
    @Test func emptyIsUnsetAndBadValuesNameTheVariable() throws {
        let settings = Settings(environment: ["A": "", "LIST": " x, ,y ", "FLAG": "Yes", "BAD_FLAG": "perhaps", "N": "12", "BASE": "https://a.example//"])
        #expect(settings.string("A") == nil && settings.string("MISSING") == nil)
        #expect(settings.list("LIST") == ["x", "y"] && settings.list("A") == [])
        #expect(try settings.flag("FLAG") == true && settings.flag("A") == nil)
        #expect(throws: ConfigError("BAD_FLAG must be true or false")) { try settings.flag("BAD_FLAG") }
        #expect(try settings.integer("N", default: 1, in: 1...20) == 12 && settings.integer("A", default: 7, in: 1...20) == 7)
        #expect(throws: ConfigError("N must be a whole number from 1 to 10")) { try settings.integer("N", default: 1, in: 1...10) }
        #expect(settings.url("BASE") == "https://a.example")
        #expect(throws: ConfigError.self) { try PlatformConfig.fromEnvironment(["TRUST_FORWARDED_FOR": "perhaps"]) }
        #expect(try PlatformConfig.fromEnvironment(["TRUST_FORWARDED_FOR": "YES"]).trustForwardedFor)
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
