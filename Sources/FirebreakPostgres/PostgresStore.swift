import FirebreakCore
import FirebreakStore
import Foundation
import Logging
import NIOCore
import NIOSSL
import PostgresNIO

/// The incident store on a PostgreSQL server, for a team working one incident from several
/// machines. The same schema ideas as ``SQLiteStore``: named migrations in a migrations table
/// (a newer schema is refused), gapless per-incident sequence numbers under one hash chain, and
/// events kept append-only by triggers.
///
/// Concurrency: a write locks its incident's row (`SELECT … FOR UPDATE`) before it reads the
/// record, so writers of one incident on different machines take turns, and each numbers its
/// events after the last committed one; writers of different incidents do not wait for each
/// other. New incidents are numbered under a transaction-scoped advisory lock. Reads run at
/// READ COMMITTED and a record and the events up to its `last_seq` are one committed view.
///
/// One store holds one connection (a command is one short session; a pool would keep retrying
/// in the background while the server is down, where a command should say so at once), used by
/// one operation at a time.
public final class PostgresStore: IncidentStore, @unchecked Sendable {
    let connection: PostgresConnection
    let url: PostgresURL
    private let turn = Turn()
    static let logger = Logger(label: "firebreak.postgres", factory: { _ in SwiftLogNoOpLogHandler() })

    public var location: String { url.description }

    private let loop: EventLoopTaskExecutor

    init(connection: PostgresConnection, url: PostgresURL) {
        self.connection = connection
        self.loop = EventLoopTaskExecutor(connection.eventLoop)
        self.url = url
    }

    deinit {
        let connection = self.connection
        Task { try? await connection.close() }
    }

    /// Connects and brings the schema up to date.
    public static func connect(_ url: PostgresURL) async throws(StoreError) -> PostgresStore {
        let connection: PostgresConnection
        do {
            connection = try await connectWithin(url, id: 1)
        } catch let error as StoreError {
            throw error
        } catch {
            throw translate(error, doing: "connect", url: url)
        }
        let store = PostgresStore(connection: connection, url: url)
        try await store.migrate()
        return store
    }

    /// Connects, giving up once the connect timeout has passed: a server stopped during the handshake
    /// (`pg_ctl stop -m immediate`) can leave postgres-nio's connect waiting for ever, and a command
    /// must say the server is unavailable instead. Futures on the connection's event loop, no task of
    /// the shared pool.
    static func connectWithin(_ url: PostgresURL, id: Int) async throws -> PostgresConnection {
        let configuration = try configuration(url)
        let seconds = Int64(url.connectTimeout ?? 10)
        let eventLoop = PostgresConnection.defaultEventLoopGroup.any()
        let promise = eventLoop.makePromise(of: PostgresConnection.self)
        let givenUp = GivenUp()  // touched only on the event loop
        let timeout = eventLoop.scheduleTask(in: .seconds(seconds + 1)) {
            givenUp.value = true
            promise.fail(StoreError.unavailable(server: url.description, reason: "it did not answer within \(seconds) s"))
        }
        PostgresConnection.connect(on: eventLoop, configuration: configuration, id: id, logger: logger).whenComplete { result in
            timeout.cancel()
            // A connection made after the timeout was given up on is closed again.
            if case .success(let late) = result, givenUp.value { let _: EventLoopFuture<Void> = late.close() }
            promise.completeWith(result)
        }
        return try await promise.futureResult.get()
    }

    /// Closes the connection.
    public func close() async {
        try? await connection.close()
    }

    static func configuration(_ url: PostgresURL) throws -> PostgresConnection.Configuration {
        var configuration: PostgresConnection.Configuration
        if url.isSocket {
            configuration = .init(unixSocketPath: url.socketPath, username: url.user, password: url.password, database: url.database)
        } else {
            let tls: PostgresConnection.Configuration.TLS
            var tlsConfiguration = TLSConfiguration.makeClientConfiguration()
            switch url.sslMode {
            case .disable:
                tls = .disable
            case .allow, .prefer:
                tlsConfiguration.certificateVerification = .none
                tls = .prefer(try NIOSSLContext(configuration: tlsConfiguration))
            case .require, .verifyCA, .verifyFull:
                tlsConfiguration.certificateVerification = url.sslMode == .require ? .none : url.sslMode == .verifyCA ? .noHostnameVerification : .fullVerification
                if let root = url.sslRootCert { tlsConfiguration.trustRoots = .file(root) }
                tls = .require(try NIOSSLContext(configuration: tlsConfiguration))
            }
            configuration = .init(host: url.host, port: url.port, username: url.user, password: url.password, database: url.database, tls: tls)
        }
        configuration.options.connectTimeout = .seconds(Int64(url.connectTimeout ?? 10))
        configuration.options.additionalStartupParameters = [("application_name", "firebreak")]
        return configuration
    }

    // MARK: One operation at a time on the connection

    /// Runs `body` with the connection to itself (a transaction must not interleave with another task's queries).
    func exclusive<T>(_ doing: String, _ body: (Session) async throws -> T) async throws(StoreError) -> T {
        await turn.take()
        defer { turn.give() }
        do {
            return try await body(Session(connection: connection, loop: loop))
        } catch let error as StoreError {
            throw error
        } catch {
            throw Self.translate(error, doing: doing, url: url)
        }
    }

    /// `BEGIN` … `COMMIT`, rolled back when `body` throws.
    func transaction<T>(_ connection: Session, _ begin: String = "BEGIN", _ body: () async throws -> T) async throws -> T {
        try await connection.guardedQuery(PostgresQuery(unsafeSQL: begin), logger: Self.logger)
        do {
            let value = try await body()
            try await connection.guardedQuery("COMMIT", logger: Self.logger)
            return value
        } catch {
            _ = try? await connection.guardedQuery("ROLLBACK", logger: Self.logger)
            throw error
        }
    }

    // MARK: Schema

    /// The schema, in order. Migrations keep their names and are never edited once shipped.
    static let migrations: [(identifier: String, statements: [String])] = [
        ("pg-v1-incidents-and-events", [
            """
            CREATE TABLE playbook (
                hash TEXT PRIMARY KEY,
                id TEXT NOT NULL,
                text BYTEA NOT NULL,
                compiled BYTEA
            )
            """,
            """
            CREATE TABLE incident (
                number BIGINT PRIMARY KEY CHECK (number > 0),
                playbook_id TEXT NOT NULL,
                playbook_hash TEXT NOT NULL REFERENCES playbook(hash),
                is_exercise BOOLEAN NOT NULL DEFAULT false,
                title BYTEA NOT NULL,
                severity TEXT NOT NULL,
                state TEXT NOT NULL,
                opened_at BIGINT NOT NULL,
                closed_at BIGINT,
                last_seq BIGINT NOT NULL,
                last_hash TEXT NOT NULL,
                snapshot BYTEA NOT NULL,
                scenario BYTEA
            )
            """,
            "CREATE INDEX incident_open ON incident (closed_at, is_exercise)",
            """
            CREATE TABLE event (
                incident BIGINT NOT NULL REFERENCES incident(number),
                seq BIGINT NOT NULL,
                at BIGINT NOT NULL,
                recorded_at BIGINT NOT NULL,
                actor BYTEA,
                role TEXT,
                outside_role BOOLEAN NOT NULL DEFAULT false,
                kind TEXT NOT NULL,
                data BYTEA NOT NULL,
                hash TEXT NOT NULL,
                PRIMARY KEY (incident, seq)
            )
            """,
            """
            CREATE FUNCTION firebreak_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION '%', TG_ARGV[0]; END $$
            """,
            "CREATE TRIGGER event_append_only_update BEFORE UPDATE ON event FOR EACH ROW EXECUTE FUNCTION firebreak_refuse('events are append-only')",
            "CREATE TRIGGER event_append_only_delete BEFORE DELETE ON event FOR EACH ROW EXECUTE FUNCTION firebreak_refuse('events are append-only')",
            "CREATE TRIGGER event_append_only_truncate BEFORE TRUNCATE ON event FOR EACH STATEMENT EXECUTE FUNCTION firebreak_refuse('events are append-only')",
            "CREATE TRIGGER playbook_immutable BEFORE UPDATE OR DELETE ON playbook FOR EACH ROW EXECUTE FUNCTION firebreak_refuse('stored playbooks are immutable')",
            // `status --watch` listens on this channel: the incident's number, at commit.
            """
            CREATE FUNCTION firebreak_notify() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN PERFORM pg_notify('firebreak', NEW.number::text); RETURN NULL; END $$
            """,
            "CREATE TRIGGER incident_changed AFTER INSERT OR UPDATE ON incident FOR EACH ROW EXECUTE FUNCTION firebreak_notify()",
        ]),
        // Recorded exercises are numbered in their own series, kept negative (EX-3 is -3; see IncidentID).
        ("pg-v2-exercise-series", [
            "ALTER TABLE incident DROP CONSTRAINT incident_number_check",
            "ALTER TABLE incident ADD CONSTRAINT incident_number_check CHECK (number <> 0 AND (number > 0 OR is_exercise))",
        ]),
    ]

    /// The triggers `verify` requires.
    static let requiredTriggers = ["event_append_only_delete", "event_append_only_truncate", "event_append_only_update"]

    /// Brings the schema up to date under a transaction-scoped advisory lock, deciding what to run
    /// only once the lock is held: several machines may start on a new database at once. A
    /// database with other tables named like Firebreak's but no migrations table is refused.
    func migrate() async throws(StoreError) {
        try await exclusive("prepare the database") { connection in
            // Most commands find the schema current: one read, no lock.
            if let applied = try? await Self.applied(connection), applied == Set(Self.migrations.map(\.identifier)) { return }
            try await transaction(connection) {
                try await connection.guardedQuery("SELECT pg_advisory_xact_lock(7460113)", logger: Self.logger)
                let tables = try await connection.guardedQuery(
                    "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()", logger: Self.logger
                ).collect().map { try $0.makeRandomAccess()[0].decode(String.self) }
                if !tables.contains("firebreak_migrations") {
                    if !Set(tables).isDisjoint(with: ["playbook", "incident", "event"]) { throw StoreError.foreignDatabase(path: url.description) }
                    try await connection.guardedQuery(
                        "CREATE TABLE firebreak_migrations (identifier TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
                        logger: Self.logger)
                }
                let applied = try await Self.applied(connection)
                if !applied.isSubset(of: Self.migrations.map(\.identifier)) { throw StoreError.newerDatabase(path: url.description) }
                for migration in Self.migrations where !applied.contains(migration.identifier) {
                    for statement in migration.statements { try await connection.guardedQuery(PostgresQuery(unsafeSQL: statement), logger: Self.logger) }
                    try await connection.guardedQuery("INSERT INTO firebreak_migrations (identifier) VALUES (\(migration.identifier))", logger: Self.logger)
                }
            }
        }
    }

    static func applied(_ connection: Session) async throws -> Set<String> {
        Set(try await connection.guardedQuery("SELECT identifier FROM firebreak_migrations", logger: logger).collect().map {
            try $0.makeRandomAccess()[0].decode(String.self)
        })
    }

    // MARK: Errors

    static func translate(_ error: any Error, doing: String, url: PostgresURL) -> StoreError {
        if let error = error as? StoreError { return error }
        if let error = error as? PSQLError {
            switch error.code {
            case .server:
                let state = error.serverInfo?[.sqlState] ?? ""
                switch state {
                case "28P01", "28000": return .cannotOpen(path: url.description, reason: "the server refused the login of '\(url.user)' (password or pg_hba.conf)")
                case "3D000": return .cannotOpen(path: url.description, reason: "the database '\(url.database)' does not exist on the server; create it first (see docs/postgres.md)")
                case "42501": return .failed(doing: doing, reason: "the role '\(url.user)' lacks a privilege for it")
                case "40001", "40P01", "55P03": return .busy(doing: doing)
                case "53300": return .unavailable(server: url.description, reason: "it has no connection left")
                case "57P01", "57P02", "57P03": return .unavailable(server: url.description, reason: "it is shutting down or starting up")
                case "P0001": return .failed(doing: doing, reason: "the database refused it: \(error.serverInfo?[.message] ?? "a trigger")")
                case "23505": return .failed(doing: doing, reason: "a row with that key exists already")
                case let state where state.hasPrefix("53"): return .failed(doing: doing, reason: "the server is out of resources (SQLSTATE \(state))")
                default: return .failed(doing: doing, reason: "PostgreSQL error \(state)")
                }
            case .connectionError:
                return .unavailable(server: url.description, reason: "it cannot be reached")
            case .serverClosedConnection, .uncleanShutdown, .clientClosedConnection:
                return .unavailable(server: url.description, reason: "the connection was lost")
            case .sslUnsupported:
                return .cannotOpen(path: url.description, reason: "the server does not offer SSL, which sslmode=\(url.sslMode.rawValue) requires")
            case .authMechanismRequiresPassword:
                return .cannotOpen(path: url.description, reason: "the server asks for a password: set PGPASSWORD or add it to ~/.pgpass")
            case .unsupportedAuthMechanism, .saslError:
                return .cannotOpen(path: url.description, reason: "the login failed (\(error.code))")
            default:
                return .failed(doing: doing, reason: "\(error.code)")
            }
        }
        if error is ConnectionLost { return .unavailable(server: url.description, reason: "the connection was lost") }
        if error is NIOConnectionError || error is ChannelError || error is IOError {
            return .unavailable(server: url.description, reason: "it cannot be reached")
        }
        if error is NIOSSLError { return .cannotOpen(path: url.description, reason: "the TLS handshake failed") }
        return .failed(doing: doing, reason: "\(type(of: error))")
    }

    // MARK: Writing

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    static func bytes(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }
    static func bytes(_ data: Data) -> ByteBuffer { ByteBuffer(bytes: data) }

    /// A nullable column: `.some(nil)` for NULL, `nil` when the value cannot be read.
    static func nullable<T: PostgresDecodable>(_ cell: PostgresCell, _ type: T.Type) -> T?? where T == T._DecodableType {
        do { return .some(try cell.decode(T?.self)) } catch { return nil }
    }

    public func create(_ new: NewIncident, recordedAt: Int) async throws(StoreError) -> Int {
        try await exclusive("open the incident") { connection in
            try await transaction(connection) {
                try await connection.guardedQuery("SELECT pg_advisory_xact_lock(7460114)", logger: Self.logger)
                let text = Self.bytes(new.playbookText)
                let compiled = new.compiledPlaybook.map(Self.bytes)
                try await connection.guardedQuery(
                    "INSERT INTO playbook (hash, id, text, compiled) VALUES (\(new.playbookHash), \(new.playbookID), \(text), \(compiled)) ON CONFLICT (hash) DO NOTHING",
                    logger: Self.logger)
                // A recorded exercise takes the next number of its own series, kept negative (EX-3 is -3).
                let next = try await connection.guardedQuery(
                    new.isExercise
                        ? "SELECT COALESCE(MIN(number), 0) - 1 FROM incident WHERE number < 0 AND number > -9223372036854775807"
                        : "SELECT COALESCE(MAX(number), 0) + 1 FROM incident WHERE number > 0 AND number < 9223372036854775807",
                    logger: Self.logger
                ).collect()
                let number = try next[0].makeRandomAccess()[0].decode(Int.self)
                if number == Int.max || number == Int.min + 1 { throw StoreError.noNumbersLeft(last: number) }
                let snapshot = Self.bytes(try Self.encoder.encode(new.snapshot))
                let title = Self.bytes(new.snapshot.title)
                let scenario = new.scenarioText.map(Self.bytes)
                try await connection.guardedQuery(
                    """
                    INSERT INTO incident (number, playbook_id, playbook_hash, is_exercise, title, severity, state, opened_at, closed_at,
                        last_seq, last_hash, snapshot, scenario)
                    VALUES (\(number), \(new.playbookID), \(new.playbookHash), \(new.isExercise), \(title), \(new.snapshot.severity.rawValue), '',
                        \(new.snapshot.openedAt), NULL, 0, \(new.playbookHash), \(snapshot), \(scenario))
                    """, logger: Self.logger)
                let record = IncidentRecord(
                    number: number, playbookID: new.playbookID, playbookHash: new.playbookHash, isExercise: new.isExercise,
                    title: new.snapshot.title, severity: new.snapshot.severity, state: "", openedAt: new.snapshot.openedAt, closedAt: nil,
                    lastSeq: 0, lastHash: new.playbookHash, snapshot: new.snapshot, scenarioText: new.scenarioText)
                _ = try await Self.insert(new.events, after: record, snapshot: new.snapshot, recordedAt: recordedAt, connection)
                return number
            }
        }
    }

    public func append<Refusal: Error>(
        to number: Int, _ decide: (IncidentRecord, StoredPlaybook) throws(Refusal) -> Decision
    ) async throws(AppendError<Refusal>) -> [StoredEvent] {
        var refusal: Refusal?
        let stored: [StoredEvent]
        do {
            stored = try await exclusive("record on \(IncidentID.name(number))") { connection in
                do {
                    return try await transaction(connection) {
                        // The row lock: another writer of this incident waits here until this one commits.
                        let rows = try await connection.guardedQuery(
                            "SELECT \(unescaped: Self.incidentColumns) FROM incident WHERE number = \(number) FOR UPDATE", logger: Self.logger
                        ).collect()
                        guard let row = rows.first else { throw StoreError.noIncident(number: number) }
                        let record = try Self.record(row)
                        guard let playbook = try await Self.playbook(connection, hash: record.playbookHash) else {
                            throw StoreError.damaged(incident: number, what: "its playbook")
                        }
                        let decision: Decision
                        do throws(Refusal) {
                            decision = try decide(record, playbook)
                        } catch {
                            refusal = error
                            throw CancellationError()
                        }
                        if decision.events.isEmpty { return [] }
                        return try await Self.insert(decision.events, after: record, snapshot: decision.snapshot, recordedAt: decision.recordedAt, connection)
                    }
                } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" {
                    // An event row already holds the next sequence number: rows were added behind Firebreak's back.
                    throw StoreError.damagedLog(incident: number)
                } catch where refusal != nil {
                    return []
                }
            }
        } catch {
            throw .store(error)
        }
        if let refusal { throw .decision(refusal) }
        return stored
    }

    /// Inserts events after `record` in one statement (arrays, unnested by the server), chaining
    /// hashes with ``HashChain/Tip``, and updates the projection.
    static func insert(_ events: [Event], after record: IncidentRecord, snapshot: Incident, recordedAt: Int, _ connection: Session) async throws -> [StoredEvent] {
        var tip = HashChain.Tip(seq: record.lastSeq, hash: record.lastHash)
        var stored: [StoredEvent] = []
        stored.reserveCapacity(events.count)
        var datas: [String] = []
        var state = record.state
        for event in events {
            let (item, data) = tip.append(event, incident: record.number, recordedAt: recordedAt)
            datas.append(data)
            if case .entered(let name, _, _, _) = event.body { state = name }
            stored.append(item)
        }
        try await insertRows(stored, datas: datas, connection)
        let encoded = bytes(try encoder.encode(snapshot))
        try await connection.guardedQuery(
            """
            UPDATE incident SET state = \(state), closed_at = \(snapshot.closed?.at), last_seq = \(tip.seq), last_hash = \(tip.hash),
                snapshot = \(encoded), title = \(bytes(snapshot.title)), severity = \(snapshot.severity.rawValue)
            WHERE number = \(record.number)
            """, logger: logger)
        return stored
    }

    /// Inserts numbered and hashed events of one incident in one statement (arrays, unnested by
    /// the server); `datas` are their `data` columns, as hashed.
    static func insertRows(_ events: [StoredEvent], datas: [String], _ connection: Session) async throws {
        guard let first = events.first else { return }
        var seqs: [Int] = [], ats: [Int] = [], recordedAts: [Int] = [], actors: [ByteBuffer] = [], hasActor: [Bool] = []
        var roles: [String] = [], hasRole: [Bool] = [], outside: [Bool] = [], kinds: [String] = [], dataBytes: [ByteBuffer] = [], hashes: [String] = []
        for (item, data) in zip(events, datas) {
            let event = item.event
            seqs.append(item.seq)
            ats.append(event.at)
            recordedAts.append(item.recordedAt)
            actors.append(bytes(event.actor ?? ""))
            hasActor.append(event.actor != nil)
            roles.append(event.role ?? "")
            hasRole.append(event.role != nil)
            outside.append(event.outsideRole)
            kinds.append(event.kind.rawValue)
            dataBytes.append(bytes(data))
            hashes.append(item.hash)
        }
        try await connection.guardedQuery(
            """
            INSERT INTO event (incident, seq, at, recorded_at, actor, role, outside_role, kind, data, hash)
            SELECT \(first.incident), s, a, ra, CASE WHEN ha THEN ac END, CASE WHEN hr THEN r END, o, k, d, h
            FROM unnest(\(seqs)::bigint[], \(ats)::bigint[], \(recordedAts)::bigint[], \(actors)::bytea[], \(hasActor)::boolean[],
                \(roles)::text[], \(hasRole)::boolean[], \(outside)::boolean[], \(kinds)::text[], \(dataBytes)::bytea[], \(hashes)::text[])
                AS t(s, a, ra, ac, ha, r, hr, o, k, d, h)
            """, logger: logger)
    }

    /// Events imported per statement: a long log goes in several, each of bounded size.
    static let importBatch = 2_000

    public func importLogs(_ logs: [VerifiedLog], progress: @Sendable (Int) -> Void) async throws(StoreError) {
        try await exclusive("copy incidents into the database") { connection in
            try await transaction(connection) {
                // The numbering lock of `create`: no incident can be opened between the check and the copy.
                try await connection.guardedQuery("SELECT pg_advisory_xact_lock(7460114)", logger: Self.logger)
                let numbers = logs.map(\.record.number)
                let taken = try await connection.guardedQuery("SELECT number FROM incident WHERE number = ANY(\(numbers)::bigint[]) ORDER BY number", logger: Self.logger)
                    .collect().map { try $0.makeRandomAccess()[0].decode(Int.self) }
                if !taken.isEmpty { throw StoreError.numbersTaken(taken) }
                for (index, log) in logs.enumerated() {
                    let record = log.record
                    let text = Self.bytes(log.playbook.text)
                    let compiled = log.playbook.compiled.map(Self.bytes)
                    try await connection.guardedQuery(
                        "INSERT INTO playbook (hash, id, text, compiled) VALUES (\(record.playbookHash), \(record.playbookID), \(text), \(compiled)) ON CONFLICT (hash) DO NOTHING",
                        logger: Self.logger)
                    let snapshot = Self.bytes(try Self.encoder.encode(record.snapshot))
                    let scenario = record.scenarioText.map(Self.bytes)
                    try await connection.guardedQuery(
                        """
                        INSERT INTO incident (number, playbook_id, playbook_hash, is_exercise, title, severity, state, opened_at, closed_at,
                            last_seq, last_hash, snapshot, scenario)
                        VALUES (\(record.number), \(record.playbookID), \(record.playbookHash), \(record.isExercise), \(Self.bytes(record.title)),
                            \(record.severity.rawValue), \(record.state), \(record.openedAt), \(record.closedAt), \(record.lastSeq), \(record.lastHash),
                            \(snapshot), \(scenario))
                        """, logger: Self.logger)
                    var start = 0
                    while start < log.events.count {
                        let batch = Array(log.events[start..<min(start + Self.importBatch, log.events.count)])
                        try await Self.insertRows(batch, datas: batch.map(\.data), connection)
                        start += Self.importBatch
                    }
                    progress(index + 1)
                }
            }
        }
    }

    // MARK: Watching

    /// The channel the `incident_changed` trigger notifies, with the incident's number.
    static let channel = "firebreak"

    /// `LISTEN firebreak` on a connection of its own (the store's connection runs one query at a
    /// time; a listening one must stay free for notifications). The trigger on `incident` sends
    /// the incident's number when its transaction commits, from any machine.
    public func changes() async throws(StoreError) -> AsyncStream<StoreChange> {
        let listener: PostgresConnection
        do {
            listener = try await Self.connectWithin(url, id: 2)
        } catch {
            throw Self.translate(error, doing: "watch the database", url: url)
        }
        let (stream, continuation) = AsyncStream<StoreChange>.makeStream(bufferingPolicy: .bufferingNewest(256))
        let (started, ready) = AsyncStream<StoreError?>.makeStream()
        let url = self.url
        let task = Task {
            do {
                try await listener.listen(on: Self.channel) { notifications in
                    ready.yield(nil)
                    for try await notification in notifications {
                        continuation.yield(.changed(incident: Int(notification.payload)))
                    }
                }
                if !Task.isCancelled { continuation.yield(.failed(.unavailable(server: url.description, reason: "the connection was lost"))) }
            } catch {
                let failure = Self.translate(error, doing: "watch the database", url: url)
                ready.yield(failure)
                if !Task.isCancelled { continuation.yield(.failed(failure)) }
            }
            continuation.finish()
            try? await listener.close()
        }
        continuation.onTermination = { _ in
            task.cancel()
            Task { try? await listener.close() }
        }
        // Listening before returning: a change committed after this call is never missed.
        for await failure in started {
            if let failure {
                task.cancel()
                throw failure
            }
            break
        }
        return stream
    }

    // MARK: Reading

    static let incidentColumns = """
        number, playbook_id, playbook_hash, is_exercise, title, severity, state, opened_at, closed_at, last_seq, last_hash, snapshot, scenario
        """
    static func record(_ row: PostgresRow) throws -> IncidentRecord {
        let row = row.makeRandomAccess()
        guard let number = try? row[0].decode(Int.self) else { throw StoreError.damaged(incident: nil, what: "an incident's number") }
        func column<T: PostgresDecodable>(_ index: Int, _ name: String, as: T.Type = T.self) throws -> T {
            guard let value = try? row[index].decode(T.self) else { throw StoreError.damaged(incident: number, what: "its stored '\(name)'") }
            return value
        }
        let snapshotBytes: ByteBuffer = try column(11, "snapshot")
        let snapshot: Incident
        do {
            snapshot = try Incident(storedJSON: snapshotBytes.readableBytesView)
        } catch {
            throw StoreError.damaged(incident: number, what: "its stored state")
        }
        let severityText: String = try column(5, "severity")
        guard let severity = IncidentSeverity(rawValue: severityText) else { throw StoreError.damaged(incident: number, what: "its stored 'severity'") }
        let title: ByteBuffer = try column(4, "title")
        let scenario: ByteBuffer? = try column(12, "scenario")
        return IncidentRecord(
            number: number, playbookID: try column(1, "playbook_id"), playbookHash: try column(2, "playbook_hash"),
            isExercise: try column(3, "is_exercise"), title: String(buffer: title), severity: severity, state: try column(6, "state"),
            openedAt: try column(7, "opened_at"), closedAt: try column(8, "closed_at"), lastSeq: try column(9, "last_seq"),
            lastHash: try column(10, "last_hash"), snapshot: snapshot, scenarioText: scenario.map { String(buffer: $0) })
    }

    public func incident(_ number: Int) async throws(StoreError) -> IncidentRecord? {
        try await exclusive("read \(IncidentID.name(number))") { connection in
            let rows = try await connection.guardedQuery("SELECT \(unescaped: Self.incidentColumns) FROM incident WHERE number = \(number)", logger: Self.logger).collect()
            return try rows.first.map(Self.record)
        }
    }

    static func playbook(_ connection: Session, hash: String) async throws -> StoredPlaybook? {
        let rows = try await connection.guardedQuery("SELECT text, compiled FROM playbook WHERE hash = \(hash)", logger: logger).collect()
        guard let row = rows.first?.makeRandomAccess() else { return nil }
        guard let text = try? row[0].decode(ByteBuffer.self), let compiled = nullable(row[1], ByteBuffer.self) else {
            throw StoreError.damaged(incident: nil, what: "the text of playbook \(hash.prefix(12))")
        }
        return StoredPlaybook(text: String(buffer: text), compiled: compiled.map { Data($0.readableBytesView) })
    }

    public func playbook(hash: String) async throws(StoreError) -> StoredPlaybook? {
        try await exclusive("read a stored playbook") { connection in try await Self.playbook(connection, hash: hash) }
    }

    static let eventColumns = "incident, seq, at, recorded_at, actor, role, outside_role, kind, data, hash"

    /// An event row, decoded without trusting it; with its `data` as stored.
    static func storedEvent(_ row: PostgresRow) throws -> (StoredEvent, data: String) {
        let row = row.makeRandomAccess()
        guard let incident = try? row[0].decode(Int.self), let seq = try? row[1].decode(Int.self) else {
            throw StoreError.damaged(incident: nil, what: "an event's number")
        }
        guard let at = try? row[2].decode(Int.self), let recordedAt = try? row[3].decode(Int.self),
            let actor = nullable(row[4], ByteBuffer.self), let role = nullable(row[5], String.self),
            let outsideRole = try? row[6].decode(Bool.self), let kindText = try? row[7].decode(String.self),
            let dataBytes = try? row[8].decode(ByteBuffer.self), let hash = try? row[9].decode(String.self),
            let kind = Event.Kind(rawValue: kindText),
            case let data = String(buffer: dataBytes),
            let stored = StoredEvent(
                incident: incident, seq: seq, at: at, recordedAt: recordedAt, actor: actor.map { String(buffer: $0) }, role: role,
                outsideRole: outsideRole, kind: kind, data: data, hash: hash)
        else { throw StoreError.corruptEvent(incident: incident, seq: seq) }
        return (stored, data)
    }

    public func events(of number: Int, after: Int, through last: Int?, limit: Int) async throws(StoreError) -> [StoredEvent] {
        try await page(of: number, after: after, through: last, limit: limit, kinds: nil)
    }

    public func events(of number: Int, after: Int, through last: Int?, limit: Int, kinds: Set<Event.Kind>) async throws(StoreError) -> [StoredEvent] {
        try await page(of: number, after: after, through: last, limit: limit, kinds: kinds)
    }

    /// One page of events, of `kinds` only when given (bound as a text array, with a flag for all kinds).
    func page(of number: Int, after: Int, through last: Int?, limit: Int, kinds: Set<Event.Kind>?) async throws(StoreError) -> [StoredEvent] {
        let all = kinds == nil
        let names = kinds.map { $0.map(\.rawValue).sorted() } ?? []
        return try await exclusive("read the events of \(IncidentID.name(number))") { connection in
            let rows = try await connection.guardedQuery(
                """
                SELECT \(unescaped: Self.eventColumns) FROM event WHERE incident = \(number) AND seq > \(after) AND seq <= \(last ?? Int.max)
                AND (\(all) OR kind = ANY(\(names))) ORDER BY seq LIMIT \(limit)
                """, logger: Self.logger)
            var page: [StoredEvent] = []
            for try await row in rows { page.append(try Self.storedEvent(row).0) }
            return page
        }
    }

    public func incidentNumbers() async throws(StoreError) -> [Int] {
        try await exclusive("list incidents") { connection in
            try await connection.guardedQuery("SELECT number FROM incident ORDER BY number < 0, abs(number)", logger: Self.logger).collect().map {
                try $0.makeRandomAccess()[0].decode(Int.self)
            }
        }
    }

    public func list(includeClosed: Bool, exercises: Bool) async throws(StoreError) -> [IncidentSummary] {
        try await exclusive("list incidents") { connection in
            let rows = try await connection.guardedQuery(
                """
                SELECT number, playbook_id, is_exercise, title, severity, state, opened_at, closed_at,
                    CASE WHEN closed_at IS NULL THEN NULL ELSE snapshot END FROM incident
                WHERE (\(includeClosed) OR closed_at IS NULL) AND (\(exercises) OR NOT is_exercise) ORDER BY number < 0, abs(number)
                """, logger: Self.logger)
            var result: [IncidentSummary] = []
            for try await row in rows {
                let row = row.makeRandomAccess()
                guard let number = try? row[0].decode(Int.self) else { throw StoreError.damaged(incident: nil, what: "an incident's number") }
                func column<T: PostgresDecodable>(_ index: Int, _ name: String, as: T.Type = T.self) throws -> T {
                    guard let value = try? row[index].decode(T.self) else { throw StoreError.damaged(incident: number, what: "its stored '\(name)'") }
                    return value
                }
                let severityText: String = try column(4, "severity")
                guard let severity = IncidentSeverity(rawValue: severityText) else { throw StoreError.damaged(incident: number, what: "its stored 'severity'") }
                let title: ByteBuffer = try column(3, "title")
                result.append(IncidentSummary(
                    number: number, playbookID: try column(1, "playbook_id"), isExercise: try column(2, "is_exercise"), title: String(buffer: title),
                    severity: severity, state: try column(5, "state"), openedAt: try column(6, "opened_at"), closedAt: try column(7, "closed_at"),
                    forcedClose: Self.forcedClose(row[8])))
            }
            return result
        }
    }

    /// Whether a `list` row's snapshot column (NULL for an open incident) says force-closed.
    static func forcedClose(_ cell: PostgresCell) -> Bool {
        guard let snapshot = try? cell.decode(ByteBuffer?.self) else { return false }
        return IncidentSummary.isForceClosed(snapshot: Data(snapshot.readableBytesView))
    }

    // MARK: Verifying

    public func verify<Inspector: LogInspector>(_ number: Int?, inspector: inout Inspector) async throws(StoreError) -> VerifyReport {
        try await exclusive("verify the database") { connection in
            // One snapshot of the whole database, however many writers commit meanwhile.
            try await transaction(connection, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY") {
                var report = VerifyReport()
                let triggers = try await connection.guardedQuery(
                    "SELECT tgname FROM pg_trigger WHERE tgrelid = 'event'::regclass AND NOT tgisinternal AND tgenabled <> 'D'", logger: Self.logger
                ).collect().map { try $0.makeRandomAccess()[0].decode(String.self) }
                for name in Self.requiredTriggers where !triggers.contains(name) {
                    report.problems.append("the trigger '\(name)' that keeps events append-only is missing or disabled")
                }
                let rows = try await connection.guardedQuery(
                    "SELECT \(unescaped: Self.incidentColumns) FROM incident WHERE \(number == nil) OR number = \(number ?? 0) ORDER BY number < 0, abs(number)",
                    logger: Self.logger
                ).collect()
                if let number, rows.isEmpty { throw StoreError.noIncident(number: number) }
                // Each stored playbook is read and hashed once, however many incidents were opened from it.
                var playbooks: [String: (stored: StoredPlaybook?, problem: String?)] = [:]
                for fullRow in rows {
                    let row = fullRow.makeRandomAccess()
                    report.checkedIncidents += 1
                    guard let incident = try? row[0].decode(Int.self) else {
                        report.problems.append("an incident's number cannot be read")
                        continue
                    }
                    guard let playbookHash = try? row[2].decode(String.self), let lastSeq = try? row[9].decode(Int.self),
                        let lastHash = try? row[10].decode(String.self)
                    else {
                        report.problems.append("\(IncidentID.name(incident)): its stored 'playbook_hash', 'last_seq' or 'last_hash' cannot be read")
                        continue
                    }
                    let playbook: (stored: StoredPlaybook?, problem: String?)
                    if let known = playbooks[playbookHash] {
                        playbook = known
                    } else if let stored = try? await Self.playbook(connection, hash: playbookHash) {
                        playbook = (stored, HashChain.sha256(stored.text) != playbookHash ? "the stored playbook text does not match its hash" : nil)
                    } else {
                        playbook = (nil, "its playbook text is missing")
                    }
                    playbooks[playbookHash] = playbook
                    if let problem = playbook.problem { report.problems.append("\(IncidentID.name(incident)): \(problem)") }
                    let record: Result<IncidentRecord, StoreError>
                    do { record = .success(try Self.record(fullRow)) } catch let error as StoreError { record = .failure(error) } catch {
                        record = .failure(.damaged(incident: incident, what: "its stored state"))
                    }
                    inspector.begin(record, playbook: playbook.stored)
                    var check = HashChain.Check(incident: incident, playbookHash: playbookHash)
                    let events = try await connection.guardedQuery(
                        "SELECT \(unescaped: Self.eventColumns) FROM event WHERE incident = \(incident) ORDER BY seq", logger: Self.logger)
                    for try await eventRow in events {
                        report.checkedEvents += 1
                        if check.failed { continue }
                        let decoded = try? Self.storedEvent(eventRow)
                        check.next(seq: try? eventRow.makeRandomAccess()[1].decode(Int.self), event: decoded?.0, data: decoded?.data)
                        if !check.failed, let event = decoded?.0 { inspector.next(event) }
                    }
                    check.finish(lastSeq: lastSeq, lastHash: lastHash)
                    report.problems += check.problems
                    report.problems += inspector.finish(chainIntact: !check.failed)
                }
                return report
            }
        }
    }
}

/// Whether a connect was given up on; read and written only on one event loop.
final class GivenUp: @unchecked Sendable {
    var value = false
}

/// The connection closed under a query (the server stopped, the network went).
struct ConnectionLost: Error {}

/// The store's connection as its operations use it.
///
/// Each query starts on the connection's event loop, after a check there that the connection is
/// still open: postgres-nio (1.33) hands a query written to a channel already closed to nobody, so it
/// never completes, and a `ROLLBACK` after the server went away would wait for ever, and the command
/// with it. On the event loop the check and the write happen in one go, with no close between them;
/// a close after the write fails the query as it should.
struct Session: Sendable {
    let connection: PostgresConnection
    let loop: EventLoopTaskExecutor

    @discardableResult
    func guardedQuery(_ query: PostgresQuery, logger: Logger) async throws -> PostgresRowSequence {
        let connection = self.connection
        return try await withTaskExecutorPreference(loop) {
            connection.eventLoop.preconditionInEventLoop()
            if connection.isClosed { throw ConnectionLost() }
            return try await connection.query(query, logger: logger)
        }
    }
}

/// An event loop as a task executor: code that prefers it runs on the loop's thread (which also
/// never waits for a thread of the shared pool).
final class EventLoopTaskExecutor: TaskExecutor, @unchecked Sendable {
    let loop: any EventLoop

    init(_ loop: any EventLoop) { self.loop = loop }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}

/// A first-come, first-served turn on the connection, for async callers.
final class Turn: @unchecked Sendable {
    private let lock = NSLock()
    private var taken = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    func take() async {
        let got = lock.withLock { () -> Bool in
            if taken { return false }
            taken = true
            return true
        }
        if got { return }
        await withCheckedContinuation { continuation in
            let now = lock.withLock { () -> Bool in
                if !taken {
                    taken = true
                    return true
                }
                waiting.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
    }

    func give() {
        let next = lock.withLock { () -> CheckedContinuation<Void, Never>? in
            if waiting.isEmpty {
                taken = false
                return nil
            }
            return waiting.removeFirst()
        }
        next?.resume()
    }
}
