import Platform
import PlatformTesting
import SQLKit
import Testing

/// Each property holds the name of the column it was read from, so two strategies agree exactly
/// when they decode equal values.
private struct Names: Decodable, Equatable {
    let id: String
    let organizerId: String
    let createdAt: String
    let providerPaymentId: String?
    let organizerID: String
    let urlPath: String
    let URLPath: String
    let htmlBody2: String
    let isOK: String
    let missing: String?
}

@Suite struct SnakeCaseColumnsTests {
    /// Every column a conversion of the names above could give, each holding its own name.
    private static let columns = [
        "id", "organizer_id", "created_at", "provider_payment_id", "organizer_iD", "organizer_i_d", "url_path", "u_r_l_path",
        "html_body2", "is_oK", "is_o_k", "is_ok", "uRL_path", "URL_path", "u_rl_path", "u_rL_path",
    ]

    @Test(arguments: TestEngines.all)
    func readsTheColumnsSQLKitsOwnConversionReads(_ engine: DatabaseEngine) async throws {
        try await withTestDatabase(engine) { database in
            let select = Self.columns.map { "'\($0)' AS \"\($0)\"" }.joined(separator: ", ")
            let (cached, sqlkit) = try await database.read { sql in
                let rows = try await sql.raw(SQLQueryString("SELECT \(unsafeRaw: select)")).all()
                return (try rows[0].decode(model: Names.self, keyDecodingStrategy: .snakeCaseColumns),
                        try rows[0].decode(model: Names.self, keyDecodingStrategy: .convertFromSnakeCase))
            }
            #expect(cached == sqlkit)
            #expect(cached.organizerId == "organizer_id" && cached.providerPaymentId == "provider_payment_id" && cached.missing == nil)
            // Twice more from the cache, as the first read filled it.
            let again = try await database.read { sql in
                try await sql.raw(SQLQueryString("SELECT \(unsafeRaw: select)")).all()[0].decode(model: Names.self, keyDecodingStrategy: .snakeCaseColumns)
            }
            #expect(again == sqlkit)
        }
    }
}
