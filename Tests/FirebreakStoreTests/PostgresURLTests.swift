import FirebreakPostgres
import FirebreakStore
import FirebreakTestSupport
import Foundation
import Testing

@Suite struct PostgresURLTests {
    @Test func libpqURLFormAndDefaults() throws {
        let url = try PostgresURL("postgresql://anna:p%40ss@db.example.org:6543/incidents?sslmode=require", environment: [:])
        #expect(url.user == "anna")
        #expect(url.password == "p@ss")
        #expect(url.host == "db.example.org")
        #expect(url.port == 6543)
        #expect(url.database == "incidents")
        #expect(url.sslMode == .require)
        #expect(url.description == "postgresql://anna@db.example.org:6543/incidents?sslmode=require")
        let bare = try PostgresURL("postgres://", environment: ["PGHOST": "10.0.0.9", "PGUSER": "sem", "PGPORT": "5499", "HOME": "/nonexistent"])
        #expect(bare.host == "10.0.0.9")
        #expect(bare.user == "sem")
        #expect(bare.port == 5499)
        #expect(bare.database == "sem")
        #expect(bare.sslMode == .prefer)
        #expect(bare.password == nil)
        let socket = try PostgresURL("postgresql://fb@%2Ftmp%2Fpg/x", environment: [:])
        #expect(socket.isSocket)
        #expect(socket.socketPath == "/tmp/pg/.s.PGSQL.5432")
    }

    @Test func thePasswordComesFromPGPASSWORDOrAPrivatePgpass() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        #expect(try PostgresURL("postgresql://anna@h/db", environment: ["PGPASSWORD": "env"]).password == "env")
        let pgpass = folder.path(".pgpass")
        try "# comment\nother:*:*:*:no\nh:5432:db:anna:from\\:file\n*:*:*:*:fallback\n".write(toFile: pgpass, atomically: true, encoding: .utf8)
        chmod(pgpass, 0o600)
        #expect(try PostgresURL("postgresql://anna@h/db", environment: ["HOME": folder.url.path]).password == "from:file")
        #expect(try PostgresURL("postgresql://sem@h/db", environment: ["HOME": folder.url.path]).password == "fallback")
        // Like libpq, a .pgpass others can read is ignored.
        chmod(pgpass, 0o644)
        #expect(try PostgresURL("postgresql://anna@h/db", environment: ["HOME": folder.url.path]).password == nil)
    }

    @Test func badURLsAreRefusedWithoutThePassword() {
        #expect(throws: StoreError.cannotOpen(path: "postgresql://a:***@h:99999/db", reason: "the port '99999' is not a number from 1 to 65535")) {
            try PostgresURL("postgresql://a:secret@h:99999/db", environment: [:])
        }
        #expect(throws: StoreError.cannotOpen(path: "postgresql://h/db?password=***&options=x", reason: "the parameter 'options' is not supported; supported are sslmode, sslrootcert, host, port, user, password, dbname, connect_timeout")) {
            try PostgresURL("postgresql://h/db?password=secret&options=x", environment: [:])
        }
    }
}
