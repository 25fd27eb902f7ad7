import BenchmarkFixtures
import FirebreakApp
import FirebreakCore
import FirebreakStore
import Foundation
import PostgresNIO

// The in-process half of scripts/postgres.sh: appending 100,000 events to one incident through
// Firebreak's PostgreSQL store, beside plain postgres-nio writing the same rows into the same
// `event` table. `postgres-bench HOST PORT USER [RUNS]`, on a server the script started.
//
// Every measured write goes into a database of its own, made for it and dropped after it, so no
// run finds a table another run filled. Each database gets its schema from the store itself and
// an incident opened with its first 3 events; then, timed:
//   store   `append(to:)` with the other 99,997 events in one call: one transaction that locks and
//           reads the incident, numbers and hashes the events, inserts them, updates the projection;
//   unnest  the same rows, numbered and hashed beforehand, in one INSERT … SELECT FROM unnest(arrays)
//           in one transaction (the statement the store sends, without the store's work around it);
//   copy    the same rows through `COPY event FROM STDIN` (text format) in one transaction;
//   rows    the same rows as 99,997 INSERT … VALUES statements in one transaction (measured once:
//           one round trip to the server each).
// For context: 1,000 `append(to:)` calls of one event each (a transaction each, as 1,000 commands
// of one note would write), on the shipped playbook `offensive-post` and on the generated one,
// beside 1,000 single-row INSERTs, each its own transaction.
//
// The client encodes its rows inside the timed part on every side (as the SQLite benchmark binds
// them inside); what is precomputed is only what the store computes itself (numbers, hashes, JSON).

let arguments = CommandLine.arguments
guard arguments.count >= 4, let port = Int(arguments[2]), arguments.count < 6 else {
    FileHandle.standardError.write(Data("usage: postgres-bench HOST PORT USER [RUNS]\n".utf8))
    exit(64)
}
let host = arguments[1]
let user = arguments[3]
let runs = arguments.count == 5 ? Int(arguments[4]) ?? 5 : 5
let total = 100_000
let logger = Logger(label: "postgres-bench")

func url(_ database: String) -> String { "postgresql://\(user)@\(host):\(port)/\(database)?sslmode=disable" }

func connect(_ database: String) async throws -> PostgresConnection {
    try await PostgresConnection.connect(
        configuration: .init(host: host, port: port, username: user, password: nil, database: database, tls: .disable), id: 1, logger: logger)
}

let maintenance = try await connect("postgres")
/// A fresh database; its name.
func newDatabase() async throws -> String {
    let name = "fb_bench_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
    try await maintenance.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: logger)
    return name
}
func dropDatabase(_ name: String) async throws {
    try await maintenance.query(PostgresQuery(unsafeSQL: "DROP DATABASE \(name) WITH (FORCE)"), logger: logger)
}

let bigText = BenchmarkFixtures.chainPlaybook(states: 1_000)
let playbook = BenchmarkFixtures.load(bigText)
let engine = Engine(playbook: playbook)
let (_, events) = BenchmarkFixtures.events(count: total, playbook: playbook)
let opened = Array(events.prefix(3))
let rest = Array(events.dropFirst(3))
guard let snapshot = engine.replay(opened) else { fatalError("the fixture's first events do not fold") }

/// A database with the store's schema and one incident opened with the first 3 events: the store, and the incident's record.
func prepared() async throws -> (database: String, store: any IncidentStore, record: IncidentRecord) {
    let database = try await newDatabase()
    let store = try await Workspace.store(url(database), create: false, environment: ProcessInfo.processInfo.environment)
    let number = try await store.create(
        NewIncident(playbookID: "big", playbookText: bigText, playbookHash: HashChain.sha256(bigText), isExercise: false, events: opened, snapshot: snapshot),
        recordedAt: 0)
    guard let record = try await store.incident(number) else { fatalError("the incident just opened is not there") }
    return (database, store, record)
}

/// The rows the store writes after `record`: numbered and hashed as it does.
func rows(_ events: [Event], after record: IncidentRecord) -> [(event: StoredEvent, data: String)] {
    var tip = HashChain.Tip(seq: record.lastSeq, hash: record.lastHash)
    return events.map { tip.append($0, incident: record.number, recordedAt: 1) }
}

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

// MARK: The sides

func storeAppend() async throws -> Double {
    let (database, store, record) = try await prepared()
    let clock = ContinuousClock()
    let start = clock.now
    let stored = try await store.append(to: record.number) { _, _ in Decision(events: rest, snapshot: snapshot, recordedAt: 1) }
    let elapsed = clock.now - start
    guard stored.count == rest.count else { fatalError("the store appended \(stored.count) events") }
    try await dropDatabase(database)
    return seconds(elapsed)
}

func plain(_ write: (PostgresConnection, [(event: StoredEvent, data: String)]) async throws -> Void) async throws -> Double {
    let (database, _, record) = try await prepared()
    let prepared = rows(rest, after: record)
    let connection = try await connect(database)
    let clock = ContinuousClock()
    let start = clock.now
    try await connection.query("BEGIN", logger: logger)
    try await write(connection, prepared)
    try await connection.query("COMMIT", logger: logger)
    let elapsed = clock.now - start
    let count = try await connection.query("SELECT count(*) FROM event", logger: logger).collect()[0].decode(Int.self)
    guard count == total else { fatalError("the plain insert left \(count) events") }
    let _: Void = try await connection.close()
    try await dropDatabase(database)
    return seconds(elapsed)
}

func bytes(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }

func unnest(_ connection: PostgresConnection, _ rows: [(event: StoredEvent, data: String)]) async throws {
    // postgres-nio binds no arrays with NULLs: a flag beside each nullable column, as the store does.
    var seqs: [Int] = [], ats: [Int] = [], recordedAts: [Int] = [], actors: [ByteBuffer] = [], hasActor: [Bool] = []
    var roles: [String] = [], hasRole: [Bool] = [], outside: [Bool] = [], kinds: [String] = [], datas: [ByteBuffer] = [], hashes: [String] = []
    for (item, data) in rows {
        seqs.append(item.seq)
        ats.append(item.event.at)
        recordedAts.append(item.recordedAt)
        actors.append(bytes(item.event.actor ?? ""))
        hasActor.append(item.event.actor != nil)
        roles.append(item.event.role ?? "")
        hasRole.append(item.event.role != nil)
        outside.append(item.event.outsideRole)
        kinds.append(item.event.kind.rawValue)
        datas.append(bytes(data))
        hashes.append(item.hash)
    }
    try await connection.query(
        """
        INSERT INTO event (incident, seq, at, recorded_at, actor, role, outside_role, kind, data, hash)
        SELECT \(rows[0].event.incident), s, a, ra, CASE WHEN ha THEN ac END, CASE WHEN hr THEN r END, o, k, d, h
        FROM unnest(\(seqs)::bigint[], \(ats)::bigint[], \(recordedAts)::bigint[], \(actors)::bytea[], \(hasActor)::boolean[],
            \(roles)::text[], \(hasRole)::boolean[], \(outside)::boolean[], \(kinds)::text[], \(datas)::bytea[], \(hashes)::text[])
            AS t(s, a, ra, ac, ha, r, hr, o, k, d, h)
        """, logger: logger)
}

/// COPY's text format: a field with its backslashes, tabs and line breaks escaped.
func appendText(_ text: String, to buffer: inout ByteBuffer) {
    for byte in text.utf8 {
        switch byte {
        case UInt8(ascii: "\\"): buffer.writeStaticString("\\\\")
        case UInt8(ascii: "\t"): buffer.writeStaticString("\\t")
        case UInt8(ascii: "\n"): buffer.writeStaticString("\\n")
        case UInt8(ascii: "\r"): buffer.writeStaticString("\\r")
        default: buffer.writeInteger(byte)
        }
    }
}
let hexDigits = Array("0123456789abcdef".utf8)
/// A `bytea` field in COPY's text format: `\\x` and hex digits.
func appendBytea(_ text: String, to buffer: inout ByteBuffer) {
    buffer.writeStaticString("\\\\x")
    for byte in text.utf8 {
        buffer.writeInteger(hexDigits[Int(byte >> 4)])
        buffer.writeInteger(hexDigits[Int(byte & 0xf)])
    }
}

func copy(_ connection: PostgresConnection, _ rows: [(event: StoredEvent, data: String)]) async throws {
    try await connection.copyFrom(
        table: "event", columns: ["incident", "seq", "at", "recorded_at", "actor", "role", "outside_role", "kind", "data", "hash"], logger: logger
    ) { writer in
        var buffer = ByteBuffer()
        for (item, data) in rows {
            buffer.writeString("\(item.incident)\t\(item.seq)\t\(item.event.at)\t\(item.recordedAt)\t")
            if let actor = item.event.actor { appendBytea(actor, to: &buffer) } else { buffer.writeStaticString("\\N") }
            buffer.writeStaticString("\t")
            if let role = item.event.role { appendText(role, to: &buffer) } else { buffer.writeStaticString("\\N") }
            buffer.writeStaticString(item.event.outsideRole ? "\tt\t" : "\tf\t")
            appendText(item.event.kind.rawValue, to: &buffer)
            buffer.writeStaticString("\t")
            appendBytea(data, to: &buffer)
            buffer.writeStaticString("\t")
            appendText(item.hash, to: &buffer)
            buffer.writeStaticString("\n")
            if buffer.readableBytes > 1 << 20 {
                try await writer.write(buffer)
                buffer.clear()
            }
        }
        if buffer.readableBytes > 0 { try await writer.write(buffer) }
    }
}

func insertRow(_ connection: PostgresConnection, _ item: StoredEvent, _ data: String) async throws {
    try await connection.query(
        """
        INSERT INTO event (incident, seq, at, recorded_at, actor, role, outside_role, kind, data, hash)
        VALUES (\(item.incident), \(item.seq), \(item.event.at), \(item.recordedAt), \(item.event.actor.map(bytes)), \(item.event.role),
            \(item.event.outsideRole), \(item.event.kind.rawValue), \(bytes(data)), \(item.hash))
        """, logger: logger)
}

func rowByRow(_ connection: PostgresConnection, _ rows: [(event: StoredEvent, data: String)]) async throws {
    for (item, data) in rows { try await insertRow(connection, item, data) }
}

// MARK: One event per command, for context

let single = 1_000
/// The shipped playbook `make-bench-db` uses (17 KB), beside the generated 1,000-state one (about
/// 0.5 MB of text): each `append(to:)` reads the incident's stored playbook, text and compiled copy.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
let shippedText = try String(contentsOf: root.appendingPathComponent("Playbooks/offensive-post.yaml"), encoding: .utf8)
let shipped = BenchmarkFixtures.load(shippedText)
let shippedEvents = BenchmarkFixtures.events(count: single + 3, playbook: shipped).1

func storeOnePerCall(text: String, playbook: Playbook, events: [Event]) async throws -> Double {
    let database = try await newDatabase()
    let store = try await Workspace.store(url(database), create: false, environment: ProcessInfo.processInfo.environment)
    let first = Array(events.prefix(3))
    guard let snapshot = Engine(playbook: playbook).replay(first) else { fatalError("the fixture's first events do not fold") }
    let number = try await store.create(
        NewIncident(playbookID: playbook.id, playbookText: text, playbookHash: HashChain.sha256(text), isExercise: false, events: first, snapshot: snapshot,
            compiledPlaybook: try JSONEncoder().encode(playbook)),
        recordedAt: 0)
    let clock = ContinuousClock()
    let start = clock.now
    for event in events.dropFirst(3).prefix(single) {
        _ = try await store.append(to: number) { _, _ in Decision(events: [event], snapshot: snapshot, recordedAt: 1) }
    }
    let elapsed = clock.now - start
    try await dropDatabase(database)
    return seconds(elapsed)
}

func plainOnePerTransaction() async throws -> Double {
    let (database, _, record) = try await prepared()
    let prepared = rows(Array(rest.prefix(single)), after: record)
    let connection = try await connect(database)
    let clock = ContinuousClock()
    let start = clock.now
    for (item, data) in prepared { try await insertRow(connection, item, data) }
    let elapsed = clock.now - start
    let _: Void = try await connection.close()
    try await dropDatabase(database)
    return seconds(elapsed)
}

// MARK: Running

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}

func line(_ name: String, _ times: [Double], events: Int) {
    let m = median(times)
    let rate = Double(events) / m
    let all = times.map { String(format: "%.0f", $0 * 1000) }.joined(separator: " ")
    print(String(format: "%-66@ %8.0f ms  %9.0f events/s   (runs, ms: %@)", name as NSString, m * 1000, rate, all as NSString))
}

// One unmeasured round of each first: the server's caches and the client's code warm.
_ = try await storeAppend()
_ = try await plain(unnest)
_ = try await plain(copy)

var times: [String: [Double]] = [:]
for _ in 0..<runs {
    // Interleaved, so a slower stretch of the machine falls on every side alike.
    times["store", default: []].append(try await storeAppend())
    times["unnest", default: []].append(try await plain(unnest))
    times["copy", default: []].append(try await plain(copy))
}
let rowsOnce = try await plain(rowByRow)
var onePerCallBig: [Double] = [], onePerCallShipped: [Double] = [], onePerTransaction: [Double] = []
for _ in 0..<3 {
    onePerCallShipped.append(try await storeOnePerCall(text: shippedText, playbook: shipped, events: shippedEvents))
    onePerCallBig.append(try await storeOnePerCall(text: bigText, playbook: playbook, events: events))
    onePerTransaction.append(try await plainOnePerTransaction())
}
// The store's own work on the client, without the server: numbering and hashing the events.
let hashing = (0..<runs).map { _ in
    let clock = ContinuousClock()
    let start = clock.now
    let hashed = rows(rest, after: IncidentRecord(
        number: 1, playbookID: "big", playbookHash: "", isExercise: false, title: "", severity: snapshot.severity, state: "", openedAt: 0, closedAt: nil,
        lastSeq: 3, lastHash: String(repeating: "a", count: 64), snapshot: snapshot, scenarioText: nil))
    let elapsed = clock.now - start
    precondition(hashed.count == rest.count)
    return seconds(elapsed)
}

let appended = rest.count
print("Append \(appended) events to one incident (opened with 3), one transaction; median of \(runs) runs:")
line("store: append(to:), all events in one call", times["store"]!, events: appended)
line("plain postgres-nio: INSERT … SELECT FROM unnest(arrays)", times["unnest"]!, events: appended)
line("plain postgres-nio: COPY event FROM STDIN", times["copy"]!, events: appended)
line("plain postgres-nio: one INSERT … VALUES per row (1 run)", [rowsOnce], events: appended)
let fastest = min(median(times["unnest"]!), median(times["copy"]!))
let ratio = fastest / median(times["store"]!)
line("(in the store's time: numbering and hashing the events, client only)", hashing, events: appended)
print(String(format: "store's rate / fastest plain rate: %.2f (target: at least 0.50) %@", ratio, ratio >= 0.5 ? "met" : "MISSED"))
print("One event per call, \(single) calls, a transaction each; median of 3 runs:")
line("store: append(to:) with one event, shipped 17 KB playbook", onePerCallShipped, events: single)
line("store: append(to:) with one event, 1,000-state playbook", onePerCallBig, events: single)
line("plain postgres-nio: one-row INSERT, autocommit", onePerTransaction, events: single)
try await maintenance.close().get()
