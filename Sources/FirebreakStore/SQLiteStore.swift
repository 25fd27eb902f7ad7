import FirebreakCore
import Foundation
import GRDB
import GRDBSQLite
import Synchronization

/// The incident store on one SQLite file (GRDB), safe for several processes at once.
///
/// A file is opened as a `DatabasePool` (WAL): reads run on their own connections and never
/// queue behind a writer. `synchronous = FULL`: a command that reported success has its events on
/// disk, also after a crash or power loss. Every write is one `BEGIN IMMEDIATE` transaction
/// that appends the events and updates the incident's projection together; the write lock it
/// takes is what keeps two writers of one incident from interleaving.
///
/// The SQLite calls are short and local, so the async methods make them directly rather than
/// hopping to GRDB's queues.
public final class SQLiteStore: IncidentStore, Sendable {
    let writer: any DatabaseWriter
    public let path: String
    public var location: String { path }

    /// How long a write waits for another process before giving up with ``StoreError/busy(doing:)``.
    public static let busyTimeout: TimeInterval = 30

    /// A store over a connection made elsewhere (a `DatabaseQueue` in memory, for tests): the
    /// schema is brought up to date here.
    public init(writer: any DatabaseWriter, location: String = ":memory:") throws(StoreError) {
        self.writer = writer
        path = location
        do {
            try Self.migrate(writer, path: location)
        } catch {
            throw Self.translate(error, doing: "open the database", path: location)
        }
    }

    /// Opens the database file; `create` makes the file (owner-only) and its folders when missing.
    public init(path: String, create: Bool) throws(StoreError) {
        self.path = path
        let manager = FileManager.default
        if !manager.fileExists(atPath: path) {
            guard create else { throw .missingDatabase(path: path) }
            let folder = (path as NSString).deletingLastPathComponent
            do {
                if !folder.isEmpty && !manager.fileExists(atPath: folder) {
                    try manager.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
                }
            } catch {
                throw .cannotOpen(path: path, reason: "cannot create folder '\(folder)'")
            }
            let fd = Foundation.open(path, O_CREAT | O_EXCL | O_WRONLY, 0o600)
            if fd < 0 && errno != EEXIST { throw .cannotOpen(path: path, reason: String(cString: strerror(errno))) }
            if fd >= 0 { close(fd) }
        }
        if Self.isDirectory(path) { throw .cannotOpen(path: path, reason: "it is a folder") }
        if access(path, R_OK) != 0 { throw .cannotOpen(path: path, reason: "permission denied") }
        var configuration = Configuration()
        configuration.busyMode = .timeout(Self.busyTimeout)
        configuration.label = "firebreak"
        configuration.prepareDatabase { db in
            // Another program's database is refused before anything is written to it, WAL mode included.
            if try !Self.isFirebreakOrEmpty(db) { throw StoreError.foreignDatabase(path: path) }
            if db.configuration.readonly { return }
            // WAL is a property of the file: set once, when the file is new (or was made elsewhere without it).
            // Switching needs the file to itself, and SQLite answers "busy" at once rather than
            // wait (its busy timeout does not apply), so the first users of a new file wait here
            // (before the pool's own switch, which would fail at once).
            let deadline = ContinuousClock.now + .seconds(Self.busyTimeout)
            while try String.fetchOne(db, sql: "PRAGMA journal_mode") != "wal" {
                do {
                    _ = try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL")
                    break
                } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY && ContinuousClock.now < deadline {
                    usleep(5_000)
                }
            }
        }
        do {
            writer = try Self.open(path, configuration)
        } catch let error as StoreError {
            throw error
        } catch {
            throw Self.translate(error, doing: "open the database", path: path)
        }
    }

    /// The file as a pool, migrated; read-only where the file is, or as it is where its folder is.
    static func open(_ path: String, _ configuration: Configuration) throws -> any DatabaseWriter {
        var configuration = configuration
        do {
            var pool: DatabasePool
            do {
                pool = try DatabasePool(path: path, configuration: configuration)
                // The pool sets NORMAL when it sets up WAL; Firebreak promises FULL (see above).
                try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
            } catch let error as DatabaseError where error.resultCode == .SQLITE_READONLY && access(path, W_OK) != 0 {
                // A read-only file can still be read: every connection read-only, writes refused as read-only.
                configuration.readonly = true
                pool = try DatabasePool(path: path, configuration: configuration)
            }
            try migrateIfNeeded(pool, path: path)
            return pool
        } catch let error as DatabaseError
            where [.SQLITE_CANTOPEN, .SQLITE_READONLY].contains(error.resultCode) && isInReadOnlyFolderWithoutWAL(path)
        {
            // SQLite could not create the -wal and -shm it needs even to read. None exists, so no
            // process can have written here since the file was last closed cleanly (it could not
            // have made a -wal either): the file holds everything, and is read as it is, unchanged.
            configuration.readonly = true
            let escaped = path.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? path
            let queue = try DatabaseQueue(path: "file:\(escaped)?immutable=1", configuration: configuration)
            try migrateIfNeeded(queue, path: path)
            return queue
        }
    }

    /// Reads first: most commands find the schema current and need no write lock to learn it.
    /// Anything else, a failed read included (another process may be creating the schema this
    /// instant), is settled by `migrate`, with the write lock held.
    static func migrateIfNeeded(_ writer: any DatabaseWriter, path: String) throws {
        let applied = try? writer.read { db in try Self.migrator.appliedIdentifiers(db) }
        if applied != Set(Self.migrations.map(\.identifier)) { try Self.migrate(writer, path: path) }
    }

    /// A database in a folder this process cannot write, with no `-wal` or `-shm` beside it.
    static func isInReadOnlyFolderWithoutWAL(_ path: String) -> Bool {
        let folder = (path as NSString).deletingLastPathComponent
        return access(folder.isEmpty ? "." : folder, W_OK) != 0 && access(path + "-wal", F_OK) != 0 && access(path + "-shm", F_OK) != 0
    }

    static func isDirectory(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    /// Whether the file is empty of tables or holds Firebreak's schema (its first migration is recorded).
    static func isFirebreakOrEmpty(_ db: Database) throws -> Bool {
        let tables = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        if tables.isEmpty { return true }
        guard tables.contains("grdb_migrations") else { return false }
        let sql = "SELECT EXISTS (SELECT 1 FROM grdb_migrations WHERE identifier = ?)"
        if let recorded = try? Bool.fetchOne(db, sql: sql, arguments: [migrations[0].identifier]) { return recorded }
        // A table another process has just made can be missing for a moment from what this
        // connection knows of the schema; then Firebreak's tables decide.
        return Set(["playbook", "incident", "event"]).isSubset(of: tables)
    }

    /// Brings the schema up to date in one `BEGIN IMMEDIATE` transaction, deciding what to run only
    /// once the write lock is held: several processes may start on a new file at once, each having
    /// seen it unmigrated, and the later ones must find the work done rather than do it again.
    /// (GRDB's `migrate` reads what was applied before it takes the lock, so two processes both
    /// ran the first migration and one failed.) Applied migrations are recorded in GRDB's
    /// `grdb_migrations`, so ``migrator`` still tells what was applied.
    static func migrate(_ writer: any DatabaseWriter, path: String) throws {
        try writer.writeWithoutTransaction { db in
            try db.inTransaction(.immediate) {
                if try !isFirebreakOrEmpty(db) { throw StoreError.foreignDatabase(path: path) }
                try db.execute(sql: "CREATE TABLE IF NOT EXISTS grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY)")
                let applied = try String.fetchSet(db, sql: "SELECT identifier FROM grdb_migrations")
                if !applied.isSubset(of: migrations.map(\.identifier)) { throw StoreError.newerDatabase(path: path) }
                for migration in migrations where !applied.contains(migration.identifier) {
                    try migration.migrate(db)
                    try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES (?)", arguments: [migration.identifier])
                }
                return .commit
            }
        }
    }

    /// What has been applied to a file, in GRDB's terms; the migrations themselves are ``migrations``.
    static let migrator: DatabaseMigrator = {
        var migrator = DatabaseMigrator()
        for migration in migrations { migrator.registerMigration(migration.identifier, migrate: migration.migrate) }
        return migrator
    }()

    /// The schema, in order. Migrations keep their names and are never edited once shipped.
    static let migrations: [(identifier: String, migrate: @Sendable (Database) throws -> Void)] = [
        ("v1-incidents-and-events", { db in
            try db.execute(sql: """
                CREATE TABLE playbook (
                    hash TEXT PRIMARY KEY NOT NULL,
                    id TEXT NOT NULL,
                    text BLOB NOT NULL
                );
                CREATE TABLE incident (
                    number INTEGER PRIMARY KEY AUTOINCREMENT,
                    playbook_id TEXT NOT NULL,
                    playbook_hash TEXT NOT NULL REFERENCES playbook(hash),
                    is_exercise INTEGER NOT NULL DEFAULT 0,
                    title BLOB NOT NULL,
                    severity TEXT NOT NULL,
                    state TEXT NOT NULL,
                    opened_at INTEGER NOT NULL,
                    closed_at INTEGER,
                    last_seq INTEGER NOT NULL,
                    last_hash TEXT NOT NULL,
                    snapshot BLOB NOT NULL,
                    scenario BLOB
                );
                CREATE INDEX incident_open ON incident(closed_at, is_exercise);
                CREATE TABLE event (
                    incident INTEGER NOT NULL REFERENCES incident(number),
                    seq INTEGER NOT NULL,
                    at INTEGER NOT NULL,
                    recorded_at INTEGER NOT NULL,
                    actor BLOB,
                    role TEXT,
                    outside_role INTEGER NOT NULL DEFAULT 0,
                    kind TEXT NOT NULL,
                    data BLOB NOT NULL,
                    hash TEXT NOT NULL,
                    PRIMARY KEY (incident, seq)
                ) WITHOUT ROWID;
                CREATE TRIGGER event_append_only_update BEFORE UPDATE ON event
                BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
                CREATE TRIGGER event_append_only_delete BEFORE DELETE ON event
                BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
                CREATE TRIGGER playbook_immutable BEFORE UPDATE ON playbook
                BEGIN SELECT RAISE(ABORT, 'stored playbooks are immutable'); END;
                """)
        }),
        ("v2-compiled-playbook", { db in
            // A cache of the checked playbook beside its text, so reads need not parse YAML.
            // `verify` checks that it still matches the text.
            try db.execute(sql: "ALTER TABLE playbook ADD COLUMN compiled BLOB")
        }),
    ]

    // MARK: Errors

    static func translate(_ error: any Error, doing: String, path: String) -> StoreError {
        if let error = error as? StoreError { return error }
        guard let error = error as? DatabaseError else { return .failed(doing: doing, reason: "\(type(of: error))") }
        switch error.resultCode {
        case .SQLITE_BUSY, .SQLITE_LOCKED: return .busy(doing: doing)
        case .SQLITE_READONLY: return besideTheFile(path) ?? .readOnly(path: path)
        case .SQLITE_NOTADB, .SQLITE_CORRUPT: return .notADatabase(path: path)
        case .SQLITE_CANTOPEN: return besideTheFile(path) ?? .cannotOpen(path: path, reason: "SQLite cannot open it")
        case .SQLITE_FULL: return .failed(doing: doing, reason: "the disk is full")
        case .SQLITE_IOERR: return .failed(doing: doing, reason: "a disk I/O error")
        default:
            // The message of a DatabaseError can quote SQL; keep only the result code.
            return .failed(doing: doing, reason: "SQLite error \(error.extendedResultCode.rawValue)")
        }
    }

    /// What keeps a database from being used when the file itself is not to blame: in WAL mode
    /// SQLite needs `-wal` and `-shm` files beside it (to read as well as to write), so a folder
    /// it cannot create them in, or a `-shm` left read-only, stops it.
    static func besideTheFile(_ path: String) -> StoreError? {
        guard access(path, W_OK) == 0 else { return nil }  // the file is read-only: that is the message
        let folder = (path as NSString).deletingLastPathComponent
        for suffix in ["-shm", "-wal"] where access(path + suffix, F_OK) == 0 && access(path + suffix, W_OK) != 0 {
            return .cannotOpen(
                path: path,
                reason: "'\(path + suffix)' is read-only (left so by reading the database while the database was read-only); remove it while no firebreak is using the database")
        }
        if access(folder.isEmpty ? "." : folder, W_OK) != 0, access(path + "-shm", F_OK) != 0 || access(path + "-wal", F_OK) != 0 {
            return .cannotOpen(
                path: path,
                reason: "its folder '\(folder.isEmpty ? "." : folder)' is not writable, and SQLite must create '\((path as NSString).lastPathComponent)-wal' and '-shm' there to write (a read opens the file as it is)")
        }
        return nil
    }

    func wrap<T>(_ doing: String, _ body: () throws -> T) throws(StoreError) -> T {
        do {
            return try body()
        } catch {
            throw Self.translate(error, doing: doing, path: path)
        }
    }

    // MARK: Writing

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    static func encodeSnapshot(_ incident: Incident) throws -> Data { try encoder.encode(incident) }

    public func create(_ new: NewIncident, recordedAt: Int) async throws(StoreError) -> Int {
        try wrap("open the incident") {
            try writer.writeWithoutTransaction { db in
                var number = 0
                try db.inTransaction(.immediate) {
                    // SQLite says "full" when AUTOINCREMENT has no number left; that is not the disk.
                    let last = try DatabaseValue.fetchOne(db, sql: "SELECT seq FROM sqlite_sequence WHERE name = 'incident'")
                        .flatMap(Int64.fromDatabaseValue)
                    if last == Int64.max, !new.isExercise { throw StoreError.noNumbersLeft(last: Int(Int64.max)) }
                    try db.execute(
                        sql: "INSERT OR IGNORE INTO playbook (hash, id, text, compiled) VALUES (?, ?, ?, ?)",
                        arguments: [new.playbookHash, new.playbookID, Data(new.playbookText.utf8), new.compiledPlaybook])
                    let snapshot = try Self.encodeSnapshot(new.snapshot)
                    // A recorded exercise takes the next number of its own series, kept negative (EX-3 is -3);
                    // a real incident the next positive one (AUTOINCREMENT never counts the negative ones).
                    var exerciseNumber: Int64?
                    if new.isExercise {
                        let lowest = try DatabaseValue.fetchOne(db, sql: "SELECT MIN(number) FROM incident WHERE number < 0").flatMap(Int64.fromDatabaseValue) ?? 0
                        if lowest == Int64.min + 1 { throw StoreError.noNumbersLeft(last: Int(lowest)) }
                        exerciseNumber = lowest - 1
                    }
                    try db.execute(
                        sql: """
                            INSERT INTO incident (number, playbook_id, playbook_hash, is_exercise, title, severity, state, opened_at,
                                closed_at, last_seq, last_hash, snapshot, scenario)
                            VALUES (?, ?, ?, ?, ?, ?, '', ?, NULL, 0, ?, ?, ?)
                            """,
                        arguments: [exerciseNumber, new.playbookID, new.playbookHash, new.isExercise, Data(new.snapshot.title.utf8),
                                    new.snapshot.severity.rawValue, new.snapshot.openedAt, new.playbookHash, snapshot,
                                    new.scenarioText.map { Data($0.utf8) }])
                    number = Int(db.lastInsertedRowID)
                    let record = try Self.record(db, number)!
                    _ = try self.insert(new.events, after: record, snapshot: new.snapshot, stateName: nil, recordedAt: recordedAt, db)
                    return .commit
                }
                notifyLocal(number)
                return number
            }
        }
    }

    public func append<Refusal: Error>(
        to number: Int, _ decide: (IncidentRecord, StoredPlaybook) throws(Refusal) -> Decision
    ) async throws(AppendError<Refusal>) -> [StoredEvent] {
        try appendNow(to: number, decide)
    }

    /// The append, on the calling thread: GRDB's synchronous write (its async one wants a `Sendable` `decide`).
    func appendNow<Refusal: Error>(
        to number: Int, _ decide: (IncidentRecord, StoredPlaybook) throws(Refusal) -> Decision
    ) throws(AppendError<Refusal>) -> [StoredEvent] {
        var refusal: Refusal?
        do {
            return try writer.writeWithoutTransaction { db in
                var stored: [StoredEvent] = []
                try db.inTransaction(.immediate) {
                    guard let record = try Self.record(db, number) else { throw StoreError.noIncident(number: number) }
                    guard let row = try Row.fetchOne(db, sql: "SELECT text, compiled FROM playbook WHERE hash = ?", arguments: [record.playbookHash]),
                        let text = Data.fromDatabaseValue(row["text"] as DatabaseValue)
                    else {
                        throw StoreError.damaged(incident: number, what: "its playbook")
                    }
                    let compiled = Data.fromDatabaseValue(row["compiled"] as DatabaseValue)
                    let decision: Decision
                    do throws(Refusal) {
                        decision = try decide(record, StoredPlaybook(text: String(decoding: text, as: UTF8.self), compiled: compiled))
                    } catch {
                        refusal = error
                        return .rollback
                    }
                    if decision.events.isEmpty { return .rollback }
                    stored = try self.insert(
                        decision.events, after: record, snapshot: decision.snapshot, stateName: nil, recordedAt: decision.recordedAt, db)
                    return .commit
                }
                if let refusal { throw AppendError<Refusal>.decision(refusal) }
                if !stored.isEmpty { notifyLocal(number) }
                return stored
            }
        } catch let error as AppendError<Refusal> {
            throw error
        } catch let error as DatabaseError {
            // An event row already holds the next sequence number: rows were added behind Firebreak's back.
            if error.extendedResultCode == .SQLITE_CONSTRAINT_PRIMARYKEY { throw .store(.damagedLog(incident: number)) }
            throw .store(Self.translate(error, doing: "record on \(IncidentID.name(number))", path: path))
        } catch {
            throw .store(Self.translate(error, doing: "record on \(IncidentID.name(number))", path: path))
        }
    }

    /// Inserts events after `record`, chaining hashes, and updates the projection.
    func insert(_ events: [Event], after record: IncidentRecord, snapshot: Incident, stateName: String?, recordedAt: Int, _ db: Database) throws -> [StoredEvent] {
        let statement = try db.cachedStatement(sql: Self.insertEventSQL)
        var tip = HashChain.Tip(seq: record.lastSeq, hash: record.lastHash)
        var stored: [StoredEvent] = []
        stored.reserveCapacity(events.count)
        var state = record.state
        for event in events {
            let (item, data) = tip.append(event, incident: record.number, recordedAt: recordedAt)
            try Self.insertRow(statement.sqliteStatement, item, data: data, db)
            if case .entered(let name, _, _, _) = event.body { state = name }
            stored.append(item)
        }
        try db.execute(
            sql: "UPDATE incident SET state = ?, closed_at = ?, last_seq = ?, last_hash = ?, snapshot = ?, title = ?, severity = ? WHERE number = ?",
            arguments: [stateName ?? state, snapshot.closed?.at, tip.seq, tip.hash, try Self.encodeSnapshot(snapshot),
                        Data(snapshot.title.utf8), snapshot.severity.rawValue, record.number])
        return stored
    }

    static let insertEventSQL = """
        INSERT INTO event (incident, seq, at, recorded_at, actor, role, outside_role, kind, data, hash)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """

    public func importLogs(_ logs: [VerifiedLog], progress: @Sendable (Int) -> Void) async throws(StoreError) {
        try wrap("copy incidents into the database") {
            try writer.writeWithoutTransaction { db in
                try db.inTransaction(.immediate) {
                    // Decided with the write lock held: no incident can be opened between the check and the copy.
                    var taken: [Int] = []
                    for log in logs {
                        let exists = try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM incident WHERE number = ?)", arguments: [log.record.number])
                        if exists == true { taken.append(log.record.number) }
                    }
                    if !taken.isEmpty { throw StoreError.numbersTaken(taken.sorted()) }
                    let statement = try db.cachedStatement(sql: Self.insertEventSQL)
                    for (index, log) in logs.enumerated() {
                        let record = log.record
                        try db.execute(
                            sql: "INSERT OR IGNORE INTO playbook (hash, id, text, compiled) VALUES (?, ?, ?, ?)",
                            arguments: [record.playbookHash, record.playbookID, Data(log.playbook.text.utf8), log.playbook.compiled])
                        try db.execute(
                            sql: """
                                INSERT INTO incident (number, playbook_id, playbook_hash, is_exercise, title, severity, state, opened_at,
                                    closed_at, last_seq, last_hash, snapshot, scenario)
                                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                                """,
                            arguments: [record.number, record.playbookID, record.playbookHash, record.isExercise, Data(record.title.utf8),
                                        record.severity.rawValue, record.state, record.openedAt, record.closedAt, record.lastSeq, record.lastHash,
                                        try Self.encodeSnapshot(record.snapshot), record.scenarioText.map { Data($0.utf8) }])
                        for event in log.events { try Self.insertRow(statement.sqliteStatement, event, data: event.data, db) }
                        progress(index + 1)
                    }
                    return .commit
                }
            }
        }
        notifyLocal(nil)
    }

    // MARK: Watching

    /// Watchers of a store without a file (in memory): told by this store's own writes.
    private let localWatchers = Mutex<[UUID: AsyncStream<StoreChange>.Continuation]>([:])

    /// How often a file's data version is read for ``changes()``.
    public static let pollInterval: Duration = .milliseconds(100)

    /// A file is watched through `PRAGMA data_version` on a connection of its own, read every
    /// ``pollInterval``: it changes whenever another connection (of this process or another) commits.
    /// A store in memory has no other writer: its own writes tell its watchers.
    public func changes() async throws(StoreError) -> AsyncStream<StoreChange> {
        let (stream, continuation) = AsyncStream<StoreChange>.makeStream(bufferingPolicy: .bufferingNewest(64))
        guard path != ":memory:", FileManager.default.fileExists(atPath: path) else {
            let id = UUID()
            localWatchers.withLock { $0[id] = continuation }
            continuation.onTermination = { [weak self] _ in _ = self?.localWatchers.withLock { $0.removeValue(forKey: id) } }
            return stream
        }
        let watcher: DatabaseQueue
        let first: Int?
        do {
            var configuration = Configuration()
            configuration.readonly = true
            configuration.busyMode = .timeout(Self.busyTimeout)
            configuration.label = "firebreak-watch"
            watcher = try DatabaseQueue(path: path, configuration: configuration)
            // Read before returning: a write committed after this call is always told.
            first = try watcher.inDatabase { db in try Int.fetchOne(db, sql: "PRAGMA data_version") }
        } catch {
            throw Self.translate(error, doing: "watch the database", path: path)
        }
        let path = self.path
        let task = Task {
            var last = first
            while !Task.isCancelled {
                try? await Task.sleep(for: Self.pollInterval)
                do {
                    let version = try watcher.inDatabase { db in try Int.fetchOne(db, sql: "PRAGMA data_version") }
                    if let last, version != last { continuation.yield(.changed(incident: nil)) }
                    last = version
                } catch {
                    continuation.yield(.failed(Self.translate(error, doing: "watch the database", path: path)))
                    continuation.finish()
                    return
                }
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    func notifyLocal(_ number: Int?) {
        localWatchers.withLock { watchers in
            for continuation in watchers.values { continuation.yield(.changed(incident: number)) }
        }
    }

    /// The hot path of appending: binds one event row with the SQLite C API (values are bound,
    /// never spliced into SQL) and steps the prepared statement.
    static func insertRow(_ statement: SQLiteStatement, _ item: StoredEvent, data: String, _ db: Database) throws {
        let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
        sqlite3_reset(statement)
        sqlite3_bind_int64(statement, 1, Int64(item.incident))
        sqlite3_bind_int64(statement, 2, Int64(item.seq))
        sqlite3_bind_int64(statement, 3, Int64(item.event.at))
        sqlite3_bind_int64(statement, 4, Int64(item.recordedAt))
        func blob(_ index: Int32, _ text: String?) {
            guard var text else { sqlite3_bind_null(statement, index); return }
            _ = text.withUTF8 { buffer in
                if let base = buffer.baseAddress, buffer.count > 0 {
                    sqlite3_bind_blob(statement, index, base, Int32(buffer.count), transient)
                } else {
                    sqlite3_bind_zeroblob(statement, index, 0)  // an empty text stays an empty BLOB, not NULL
                }
            }
        }
        func textColumn(_ index: Int32, _ text: String?) {
            guard var text else { sqlite3_bind_null(statement, index); return }
            _ = text.withUTF8 { buffer in
                buffer.withMemoryRebound(to: CChar.self) { sqlite3_bind_text(statement, index, $0.baseAddress, Int32($0.count), transient) }
            }
        }
        blob(5, item.event.actor)
        textColumn(6, item.event.role)
        sqlite3_bind_int64(statement, 7, item.event.outsideRole ? 1 : 0)
        textColumn(8, item.event.kind.rawValue)
        blob(9, data)
        textColumn(10, item.hash)
        let code = sqlite3_step(statement)
        sqlite3_reset(statement)
        guard code == SQLITE_DONE else {
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: "could not append an event")
        }
    }

    // MARK: Reading

    static func record(_ db: Database, _ number: Int) throws -> IncidentRecord? {
        try Row.fetchOne(db, sql: "SELECT \(recordColumns) FROM incident WHERE number = ?", arguments: [number]).map(record)
    }

    /// The columns ``record(_:)`` reads, in its order (read by place: finding a column by its name costs more than
    /// reading it).
    static let recordColumns =
        "number, playbook_id, playbook_hash, is_exercise, title, severity, state, opened_at, closed_at, last_seq, last_hash, snapshot, scenario"

    /// Reads a column without trusting it: GRDB's subscript traps on a value of the wrong type.
    static func column<T: DatabaseValueConvertible>(_ row: Row, _ name: String, _ number: Int?, as type: T.Type = T.self) throws -> T {
        guard let value = T.fromDatabaseValue(row[name] as DatabaseValue) else {
            throw StoreError.damaged(incident: number, what: "its stored '\(name)'")
        }
        return value
    }

    /// A column by its index in the statement (no lookup by name: `list` reads 10,000 rows), named for messages.
    static func column<T: DatabaseValueConvertible>(_ row: Row, at index: Int, _ name: String, _ number: Int?, as type: T.Type = T.self) throws -> T {
        guard let value = T.fromDatabaseValue(row[index] as DatabaseValue) else {
            throw StoreError.damaged(incident: number, what: "its stored '\(name)'")
        }
        return value
    }

    static func optionalColumn<T: DatabaseValueConvertible>(_ row: Row, at index: Int, _ name: String, _ number: Int?) throws -> T? {
        let value = row[index] as DatabaseValue
        if value.isNull { return nil }
        guard let converted = T.fromDatabaseValue(value) else { throw StoreError.damaged(incident: number, what: "its stored '\(name)'") }
        return converted
    }

    static func optionalColumn<T: DatabaseValueConvertible>(_ row: Row, _ name: String, _ number: Int?) throws -> T? {
        let value = row[name] as DatabaseValue
        if value.isNull { return nil }
        guard let converted = T.fromDatabaseValue(value) else { throw StoreError.damaged(incident: number, what: "its stored '\(name)'") }
        return converted
    }

    /// An incident's row, selected as ``recordColumns``.
    static func record(_ row: Row) throws -> IncidentRecord {
        guard let number = Int.fromDatabaseValue(row[0] as DatabaseValue) else {
            throw StoreError.damaged(incident: nil, what: "an incident's number")
        }
        let snapshotData: Data = try column(row, at: 11, "snapshot", number)
        let snapshot: Incident
        do {
            snapshot = try Incident(storedJSON: snapshotData)
        } catch {
            throw StoreError.damaged(incident: number, what: "its stored state")
        }
        let title: Data = try column(row, at: 4, "title", number)
        let scenario: Data? = try optionalColumn(row, at: 12, "scenario", number)
        let severityText: String = try column(row, at: 5, "severity", number)
        guard let severity = IncidentSeverity(rawValue: severityText) else { throw StoreError.damaged(incident: number, what: "its stored 'severity'") }
        return IncidentRecord(
            number: number, playbookID: try column(row, at: 1, "playbook_id", number), playbookHash: try column(row, at: 2, "playbook_hash", number),
            isExercise: try column(row, at: 3, "is_exercise", number), title: String(decoding: title, as: UTF8.self), severity: severity,
            state: try column(row, at: 6, "state", number), openedAt: try column(row, at: 7, "opened_at", number),
            closedAt: try optionalColumn(row, at: 8, "closed_at", number), lastSeq: try column(row, at: 9, "last_seq", number),
            lastHash: try column(row, at: 10, "last_hash", number), snapshot: snapshot, scenarioText: scenario.map { String(decoding: $0, as: UTF8.self) })
    }

    public func incident(_ number: Int) async throws(StoreError) -> IncidentRecord? {
        try wrap("read \(IncidentID.name(number))") { try writer.read { db in try Self.record(db, number) } }
    }

    public func playbook(hash: String) async throws(StoreError) -> StoredPlaybook? {
        try wrap("read a stored playbook") {
            try writer.read { db in
                guard let row = try Row.fetchOne(db, sql: "SELECT text, compiled FROM playbook WHERE hash = ?", arguments: [hash]) else { return nil }
                guard let text = Data.fromDatabaseValue(row["text"] as DatabaseValue) else {
                    throw StoreError.damaged(incident: nil, what: "the text of playbook \(hash.prefix(12))")
                }
                let compiled = row["compiled"] as DatabaseValue
                return StoredPlaybook(text: String(decoding: text, as: UTF8.self), compiled: compiled.isNull ? nil : Data.fromDatabaseValue(compiled))
            }
        }
    }

    static func storedEvent(_ row: Row) throws -> StoredEvent { try storedEventAndData(row).event }

    /// An event row and its `data` exactly as stored (what the hash covers).
    static func storedEventAndData(_ row: Row) throws -> (event: StoredEvent, data: String) {
        try storedEventAndData { row[Int($0)] }
    }

    /// The current row of a statement selecting ``eventColumns``, read as ``storedEventAndData(_:)`` reads a row (GRDB
    /// reads a row's values with `DatabaseValue(sqliteStatement:index:)`).
    static func storedEventAndData(_ statement: SQLiteStatement) throws -> (event: StoredEvent, data: String) {
        try storedEventAndData { DatabaseValue(sqliteStatement: statement, index: $0) }
    }

    /// An event from the values of ``eventColumns``, by their index.
    static func storedEventAndData(_ column: (Int32) -> DatabaseValue) throws -> (event: StoredEvent, data: String) {
        func value<T: DatabaseValueConvertible>(_ index: Int32) -> T? { T.fromDatabaseValue(column(index)) }
        func optional<T: DatabaseValueConvertible>(_ index: Int32) -> T?? {
            let value = column(index)
            return value.isNull ? .some(nil) : T.fromDatabaseValue(value).map { .some($0) }
        }
        guard let incident: Int = value(0), let seq: Int = value(1) else { throw StoreError.damaged(incident: nil, what: "an event's number") }
        guard let at: Int = value(2), let recordedAt: Int = value(3), let actor: Data? = optional(4), let role: String? = optional(5),
            let outsideRole: Bool = value(6), let kindText: String = value(7), let data: Data = value(8), let hash: String = value(9),
            let kind = Event.Kind(rawValue: kindText)
        else { throw StoreError.corruptEvent(incident: incident, seq: seq) }
        let text = String(decoding: data, as: UTF8.self)
        guard
            let stored = StoredEvent(
                incident: incident, seq: seq, at: at, recordedAt: recordedAt, actor: actor.map { String(decoding: $0, as: UTF8.self) }, role: role,
                outsideRole: outsideRole, kind: kind, data: text, hash: hash)
        else { throw StoreError.corruptEvent(incident: incident, seq: seq) }
        return (stored, text)
    }

    static let eventColumns = "incident, seq, at, recorded_at, actor, role, outside_role, kind, data, hash"

    /// The current row of a statement selecting ``eventColumns`` from a database whose text is UTF-8, as SQLite holds
    /// it, when every column has the type the store writes (integers, actor and data as BLOBs, role, kind and hash as
    /// TEXT, actor and role possibly NULL, a role without NUL bytes); nil otherwise, and ``storedEventAndData(_:)``
    /// reads the row. A NUL in the kind or the hash is left to what reads them: no kind is spelled with one, and no
    /// digest's hex has one, so such a row goes to ``storedEventAndData(_:)`` as well.
    /// `incident`: the incident the statement selects the events of (the one value a row that matches can hold there:
    /// an integer column's value equal to it is that integer), which is not read again.
    static func columns(_ statement: SQLiteStatement, incident: Int) -> HashChain.Columns? {
        // Each column's value is fetched once and read with the value's own accessors: the sqlite3_column_ functions
        // take the connection's lock and check for errors on every call. The connection is this thread's for the
        // whole read, and the values stay valid until the statement steps on.
        @inline(__always) func value(_ i: Int32) -> OpaquePointer? { sqlite3_column_value(statement, i) }
        @inline(__always) func int(_ i: Int32) -> Int? {
            let v = value(i)
            return sqlite3_value_type(v) == SQLITE_INTEGER ? Int(sqlite3_value_int64(v)) : nil
        }
        @inline(__always) func blob(_ v: OpaquePointer?) -> UnsafeRawBufferPointer? {
            guard sqlite3_value_type(v) == SQLITE_BLOB else { return nil }
            let base = sqlite3_value_blob(v)
            return UnsafeRawBufferPointer(start: base, count: base == nil ? 0 : Int(sqlite3_value_bytes(v)))
        }
        // Text's bytes as stored (UTF-8, as the caller made sure): `sqlite3_value_text` would first copy text that is not
        // followed by a NUL in the page (most of it) to add one.
        @inline(__always) func text(_ v: OpaquePointer?) -> UnsafeRawBufferPointer? {
            guard sqlite3_value_type(v) == SQLITE_TEXT else { return nil }
            let base = sqlite3_value_blob(v)
            return UnsafeRawBufferPointer(start: base, count: base == nil ? 0 : Int(sqlite3_value_bytes(v)))
        }
        guard let seq = int(1), let at = int(2), let recordedAt = int(3), let outside = int(6),
            let kind = text(value(7)), let data = blob(value(8)), let hash = text(value(9))
        else { return nil }
        let actorValue = value(4)
        let roleValue = value(5)
        let actor = sqlite3_value_type(actorValue) == SQLITE_NULL ? nil : blob(actorValue)
        // GRDB reads TEXT up to its first NUL byte, and a role is looked up as it is read: a role with one is left to GRDB.
        let role = sqlite3_value_type(roleValue) == SQLITE_NULL ? nil : text(roleValue).flatMap { $0.contains(0) ? nil : $0 }
        guard actor != nil || sqlite3_value_type(actorValue) == SQLITE_NULL, role != nil || sqlite3_value_type(roleValue) == SQLITE_NULL else {
            return nil
        }
        return HashChain.Columns(
            incident: incident, seq: seq, at: at, recordedAt: recordedAt, actor: actor, role: role, outsideRole: outside != 0, kind: kind, data: data,
            hash: hash)
    }

    /// Whether a column of the statement's current row that holds bytes (actor, role, kind, data, hash, read as
    /// ``eventColumns``) is TEXT with a NUL byte in it: such a row cannot be read as stored.
    static func hasTextWithNUL(_ statement: SQLiteStatement) -> Bool {
        for i: Int32 in [4, 5, 7, 8, 9] where sqlite3_column_type(statement, i) == SQLITE_TEXT {
            if let base = sqlite3_column_text(statement, i), memchr(base, 0, Int(sqlite3_column_bytes(statement, i))) != nil { return true }
        }
        return false
    }

    /// The event of a row read by ``columns(_:)``, as ``storedEventAndData(_:)`` reads it; nil when it does not decode.
    static func storedEvent(_ row: HashChain.Columns) -> StoredEvent? {
        guard let kind = Event.Kind(utf8: row.kind) else { return nil }
        return StoredEvent(
            incident: row.incident, seq: row.seq, at: row.at, recordedAt: row.recordedAt, actor: row.actor.map { String(decoding: $0, as: UTF8.self) },
            role: row.role.map { String(decoding: $0, as: UTF8.self) }, outsideRole: row.outsideRole, kind: kind, utf8: row.data,
            hash: String(decoding: row.hash, as: UTF8.self))
    }

    public func events(of number: Int, after: Int, through last: Int?, limit: Int) async throws(StoreError) -> [StoredEvent] {
        try page(of: number, after: after, through: last, limit: limit, kinds: nil)
    }

    public func events(of number: Int, after: Int, through last: Int?, limit: Int, kinds: Set<Event.Kind>) async throws(StoreError) -> [StoredEvent] {
        try page(of: number, after: after, through: last, limit: limit, kinds: kinds)
    }

    /// One page of events, of `kinds` only when given. The kinds are the enumeration's own raw values, bound as
    /// arguments (never spliced into the text).
    func page(of number: Int, after: Int, through last: Int?, limit: Int, kinds: Set<Event.Kind>?) throws(StoreError) -> [StoredEvent] {
        let names = kinds.map { $0.map(\.rawValue).sorted() } ?? []
        let filter = kinds == nil ? "" : " AND kind IN (\(names.map { _ in "?" }.joined(separator: ", ")))"
        let arguments: StatementArguments = StatementArguments([number, after, last ?? Int.max] as [any DatabaseValueConvertible] + names + [limit])
        return try wrap("read the events of \(IncidentID.name(number))") {
            try writer.read { db in
                let rows = try Row.fetchCursor(
                    db, sql: "SELECT \(Self.eventColumns) FROM event WHERE incident = ? AND seq > ? AND seq <= ?\(filter) ORDER BY seq LIMIT ?",
                    arguments: arguments)
                var page: [StoredEvent] = []
                while let row = try rows.next() { page.append(try Self.storedEvent(row)) }
                return page
            }
        }
    }

    public func incidentNumbers() async throws(StoreError) -> [Int] {
        try wrap("list incidents") { try writer.read { db in try Int.fetchAll(db, sql: "SELECT number FROM incident ORDER BY number < 0, abs(number)") } }
    }

    /// The incidents' headers, without their snapshots (which `list` does not show).
    public func list(includeClosed: Bool, exercises: Bool) async throws(StoreError) -> [IncidentSummary] {
        try wrap("list incidents") {
            try writer.read { db in
                var conditions: [String] = []
                if !includeClosed { conditions.append("closed_at IS NULL") }
                if !exercises { conditions.append("is_exercise = 0") }
                let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
                let sql = """
                    SELECT number, playbook_id, is_exercise, title, severity, state, opened_at, closed_at,
                        CASE WHEN closed_at IS NULL THEN NULL ELSE snapshot END
                    FROM incident \(filter) ORDER BY number < 0, abs(number)
                    """
                var summaries: [IncidentSummary] = []
                let rows = try Row.fetchCursor(db, sql: sql)
                while let row = try rows.next() { summaries.append(try Self.summary(row)) }
                return summaries
            }
        }
    }

    /// A row of `list`'s SELECT: number, playbook_id, is_exercise, title, severity, state, opened_at, closed_at, and
    /// the snapshot of a closed incident (to tell a forced close).
    static func summary(_ row: Row) throws -> IncidentSummary {
        guard let number = Int.fromDatabaseValue(row[0] as DatabaseValue) else {
            throw StoreError.damaged(incident: nil, what: "an incident's number")
        }
        let title: Data = try column(row, at: 3, "title", number)
        let severityText: String = try column(row, at: 4, "severity", number)
        guard let severity = IncidentSeverity(rawValue: severityText) else { throw StoreError.damaged(incident: number, what: "its stored 'severity'") }
        return IncidentSummary(
            number: number, playbookID: try column(row, at: 1, "playbook_id", number), isExercise: try column(row, at: 2, "is_exercise", number),
            title: String(decoding: title, as: UTF8.self), severity: severity, state: try column(row, at: 5, "state", number),
            openedAt: try column(row, at: 6, "opened_at", number), closedAt: try optionalColumn(row, at: 7, "closed_at", number),
            forcedClose: row.count > 8 && (Data.fromDatabaseValue(row[8] as DatabaseValue)).map { IncidentSummary.isForceClosed(snapshot: $0) } ?? false)
    }

    // MARK: Verifying

    public func verify<Inspector: LogInspector>(_ number: Int?, inspector: inout Inspector) async throws(StoreError) -> VerifyReport {
        // The whole file's own check belongs to a whole-database verify (one incident's costs what its log costs). It runs
        // on a connection of its own, beside the pass over the incidents.
        async let integrity = number == nil ? integrityCheck() : .success(["ok"])
        var report: VerifyReport
        if let number {
            let one = try pass(.one(number), wholeFile: true, inspector: &inspector)
            report = one.report
            report.problems += one.problems.flatMap(\.problems)
        } else {
            do {
                report = try passes(inspector: inspector)
            } catch {
                // A page the pass cannot read: what SQLite's own check says of the file is the report, if it found it.
                guard case .notADatabase = error, case .success(let checked) = await integrity, checked != ["ok"] else { throw error }
                report = VerifyReport()
                report.problems = [Self.integrityProblem(checked), "the incidents could not all be read: the file is damaged where SQLite's check says"]
                return report
            }
        }
        let checked = try await integrity.get()
        if checked != ["ok"] { report.problems.insert(Self.integrityProblem(checked), at: 0) }
        return report
    }

    /// The one line a failed integrity check gives the report: the first three of its lines.
    static func integrityProblem(_ checked: [String]) -> String {
        "SQLite integrity check failed: \(checked.prefix(3).joined(separator: "; "))"
    }

    /// Which incidents a pass reads: one, or those numbered from `from` up to `before` (nil: no bound on that side). It
    /// reads the event rows of the same numbers, and those beyond its last incident as far as it has no bound: every
    /// event row is read by the pass of its incident column's value (an integer or not) or by none.
    enum Share {
        case one(Int)
        case numbers(from: Int?, before: Int?)

        static let all = Share.numbers(from: nil, before: nil)
    }

    /// The pass over every incident, in parts by ranges of their numbers, read two at a time on connections of their
    /// own (so both cores stay busy to the end), each part one read (so each incident's record and log are read
    /// together); the problems as one pass would list them.
    func passes<Inspector: LogInspector>(inspector: Inspector) throws(StoreError) -> VerifyReport {
        let bounds = try wrap("verify the database") {
            try writer.read { db in try Row.fetchOne(db, sql: "SELECT min(number), max(number) FROM incident") }
        }
        let shares: [Share]
        if writer is DatabasePool, let bounds, let low = Int.fromDatabaseValue(bounds[0] as DatabaseValue),
            let high = Int.fromDatabaseValue(bounds[1] as DatabaseValue), low < high
        {
            let parts = Int128(8)
            let span = Int128(high) - Int128(low) + 1
            // Where each part after the first starts; the first reaches down and the last up without a bound.
            var starts: [Int] = []
            for k in 1..<parts {
                let start = Int(Int128(low) + span * k / parts)
                if start > low, start != starts.last { starts.append(start) }
            }
            shares = (0...starts.count).map { k in .numbers(from: k == 0 ? nil : starts[k - 1], before: k == starts.count ? nil : starts[k]) }
        } else {
            shares = [.all]
        }
        let count = shares.count
        var inspectors = [Inspector](repeating: inspector, count: count)
        var parts = [Result<Part, StoreError>?](repeating: nil, count: count)
        inspectors.withUnsafeMutableBufferPointer { inspectors in
            parts.withUnsafeMutableBufferPointer { parts in
                // Each part touches only its own slot of either buffer.
                nonisolated(unsafe) let inspectors = inspectors
                nonisolated(unsafe) let parts = parts
                DispatchQueue.concurrentPerform(iterations: count) { k in
                    parts[k] = Result { () throws(StoreError) in try pass(shares[k], wholeFile: k == 0, inspector: &inspectors[k]) }
                }
            }
        }
        var report = VerifyReport()
        var problems: [(number: Int, problems: [String])] = []
        var strays = 0
        for part in parts {
            guard let part else { continue }
            let (partReport, partProblems, partStrays) = try part.get()
            report.checkedIncidents += partReport.checkedIncidents
            report.checkedEvents += partReport.checkedEvents
            report.problems += partReport.problems
            problems += partProblems
            strays += partStrays
        }
        problems.sort { IncidentID.areInOrder($0.number, $1.number) }
        report.problems += problems.flatMap(\.problems)
        if strays > 0 { report.problems.append("\(strays) event\(strays == 1 ? " is" : "s are") stored under an incident that is not a number") }
        return report
    }

    /// SQLite's `PRAGMA integrity_check` of the whole file: `["ok"]`, or what is wrong.
    func integrityCheck() async -> Result<[String], StoreError> {
        do {
            return .success(
                try await writer.read { db in
                    // The check can stop at damage it cannot read past, after naming what it found: that is kept. A row
                    // can hold several lines (the first names the database): each is one line of the report.
                    var lines: [String] = []
                    let cursor = try String.fetchCursor(db, sql: "PRAGMA integrity_check")
                    do {
                        while let row = try cursor.next() { lines += row.split(separator: "\n").map(String.init) }
                    } catch let error as DatabaseError where error.resultCode == .SQLITE_CORRUPT && !lines.isEmpty && lines != ["ok"] {
                        lines.append("it stopped at damage it cannot read past")
                    }
                    return lines
                })
        } catch {
            return .failure(Self.translate(error, doing: "verify the database", path: path))
        }
    }

    /// What a pass found: the counts, with `wholeFile` the problems of the whole file; each incident's problems by its
    /// number, in the pass's order; and how many event rows it read whose incident is not a number.
    typealias Part = (report: VerifyReport, problems: [(number: Int, problems: [String])], strays: Int)

    /// ``verify(_:inspector:)`` but the integrity check, in one read: one snapshot of the incidents and their logs.
    func pass<Inspector: LogInspector>(
        _ share: Share, wholeFile: Bool, inspector: inout Inspector
    ) throws(StoreError) -> Part {
        try wrap("verify the database") {
            try writer.read { db in
                var report = VerifyReport()
                var problems: [(number: Int, problems: [String])] = []
                var strays = 0
                if wholeFile {
                    let triggers = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name")
                    for name in ["event_append_only_delete", "event_append_only_update"] where !triggers.contains(name) {
                        report.problems.append("the trigger '\(name)' that keeps events append-only is missing")
                    }
                }
                // The incidents in order of their numbers, and their events in one scan in the same order (the event
                // table's own), each incident's taken as the scan reaches it.
                let rows: [Row]
                let eventsSQL: String
                let arguments: StatementArguments
                switch share {
                case .one(let number):
                    rows = try Row.fetchAll(db, sql: "SELECT \(Self.recordColumns) FROM incident WHERE number = ?", arguments: [number])
                    if rows.isEmpty { throw StoreError.noIncident(number: number) }
                    eventsSQL = "SELECT \(Self.eventColumns) FROM event WHERE incident = ? ORDER BY seq"
                    arguments = [number]
                case .numbers(let from, let before):
                    arguments = StatementArguments([from, before].compactMap { $0 })
                    func filter(_ column: String) -> String {
                        let bounds = [from.map { _ in "\(column) >= ?" }, before.map { _ in "\(column) < ?" }].compactMap { $0 }
                        return bounds.isEmpty ? "" : " WHERE " + bounds.joined(separator: " AND ")
                    }
                    rows = try Row.fetchAll(db, sql: "SELECT \(Self.recordColumns) FROM incident\(filter("number")) ORDER BY number", arguments: arguments)
                    eventsSQL = "SELECT \(Self.eventColumns) FROM event\(filter("incident")) ORDER BY incident, seq"
                }
                // Text is read as its stored bytes only where they are UTF-8 (a database may have been made UTF-16).
                let isUTF8 = try String.fetchOne(db, sql: "PRAGMA encoding") == "UTF-8"
                // The scan is stepped here, a million rows, each read from the statement where it stands: GRDB's cursor
                // costs a few reference counts a row, and a SELECT in a read transaction needs nothing else of it.
                let events = try db.makeStatement(sql: eventsSQL)
                try events.setArguments(arguments)
                let statement = events.sqliteStatement
                defer {
                    sqlite3_reset(statement)
                    // The statement is finalized with `events`: kept to here, past every use of its pointer.
                    withExtendedLifetime(events) {}
                }
                var hasRow = false
                func step() throws {
                    let code = sqlite3_step(statement)
                    guard code == SQLITE_ROW || code == SQLITE_DONE else {
                        throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection)), sql: eventsSQL)
                    }
                    hasRow = code == SQLITE_ROW
                }
                try step()
                /// The incident of the scan's current row, when it is an integer: a row of no incident in the pass otherwise.
                func incidentOfRow() -> Int? {
                    let value = sqlite3_column_value(statement, 0)
                    return sqlite3_value_type(value) == SQLITE_INTEGER ? Int(sqlite3_value_int64(value)) : nil
                }
                /// Passes over the event rows before incident `number`'s (or all that are left), which are no incident's
                /// (the number of an incident whose row is gone, or not a number at all), and names them.
                func skipRows(before number: Int?) throws {
                    var gone: (number: Int, count: Int)?
                    func name() {
                        guard let found = gone else { return }
                        problems.append((found.number, [
                            "\(IncidentID.name(found.number)): \(found.count) event\(found.count == 1 ? " is" : "s are") stored for it, but it has no incident row (deleted, or never made)"
                        ]))
                        gone = nil
                    }
                    while hasRow {
                        let found = incidentOfRow()
                        if let found, let number, found >= number { break }
                        if let found {
                            if found != gone?.number { name() }
                            gone = (found, (gone?.count ?? 0) + 1)
                        } else {
                            strays += 1
                        }
                        try step()
                    }
                    name()
                }
                // Each stored playbook is read and hashed once, however many incidents were opened from it.
                var playbooks: [String: (stored: StoredPlaybook?, problem: String?)] = [:]
                for row in rows {
                    report.checkedIncidents += 1
                    // The number is the row's id, always an integer.
                    guard let incidentNumber = Int.fromDatabaseValue(row[0] as DatabaseValue) else { continue }
                    try skipRows(before: incidentNumber)
                    var found: [String] = []
                    defer { if !found.isEmpty { problems.append((incidentNumber, found)) } }
                    guard let playbookHash = String.fromDatabaseValue(row[2] as DatabaseValue),
                        let lastSeq = Int.fromDatabaseValue(row[9] as DatabaseValue),
                        let lastHash = String.fromDatabaseValue(row[10] as DatabaseValue)
                    else {
                        found.append("\(IncidentID.name(incidentNumber)): its stored 'playbook_hash', 'last_seq' or 'last_hash' cannot be read")
                        while hasRow, incidentOfRow() == incidentNumber { try step() }
                        continue
                    }
                    let playbook: (stored: StoredPlaybook?, problem: String?)
                    if let known = playbooks[playbookHash] {
                        playbook = known
                    } else if let stored = try Row.fetchOne(db, sql: "SELECT text, compiled FROM playbook WHERE hash = ?", arguments: [playbookHash]) {
                        if let text = Data.fromDatabaseValue(stored["text"] as DatabaseValue).map({ String(decoding: $0, as: UTF8.self) }) {
                            let compiled = stored["compiled"] as DatabaseValue
                            playbook = (StoredPlaybook(text: text, compiled: compiled.isNull ? nil : Data.fromDatabaseValue(compiled)),
                                        HashChain.sha256(text) != playbookHash ? "the stored playbook text does not match its hash" : nil)
                        } else {
                            playbook = (nil, "the stored playbook text does not match its hash")
                        }
                    } else {
                        playbook = (nil, "its playbook text is missing")
                    }
                    playbooks[playbookHash] = playbook
                    if let problem = playbook.problem { found.append("\(IncidentID.name(incidentNumber)): \(problem)") }
                    let record: Result<IncidentRecord, StoreError>
                    do { record = .success(try Self.record(row)) } catch let error as StoreError { record = .failure(error) } catch {
                        record = .failure(.damaged(incident: incidentNumber, what: "its stored state"))
                    }
                    inspector.begin(record, playbook: playbook.stored)
                    var check = HashChain.Check(incident: incidentNumber, playbookHash: playbookHash)
                    /// One event row of the incident.
                    func take() {
                        report.checkedEvents += 1
                        if check.failed { return }
                        // Read as SQLite holds it, hashed without making strings of it; anything unusual is read as GRDB
                        // reads it, and the check decides on that.
                        if isUTF8, let columns = Self.columns(statement, incident: incidentNumber) {
                            if inspector.next(bytes: columns, ifLinked: { check.nextLink(columns) }) { return }
                            if let event = Self.storedEvent(columns), check.nextLink(columns) {
                                inspector.next(event)
                                return
                            }
                        }
                        // GRDB reads TEXT up to its first NUL byte, so a NUL written into a text column would go unseen.
                        let read = Self.hasTextWithNUL(statement) ? nil : try? Self.storedEventAndData(statement)
                        let event = read?.event
                        // An event that does not decode has no data to hash: the check names it as unreadable.
                        check.next(seq: Int.fromDatabaseValue(DatabaseValue(sqliteStatement: statement, index: 1)), event: event, data: read?.data)
                        if !check.failed, let event { inspector.next(event) }
                    }
                    while hasRow, incidentOfRow() == incidentNumber {
                        take()
                        try step()
                    }
                    check.finish(lastSeq: lastSeq, lastHash: lastHash)
                    found += check.problems
                    found += inspector.finish(chainIntact: !check.failed)
                }
                try skipRows(before: nil)
                return (report, problems, strays)
            }
        }
    }
}
