import FirebreakCore
import Foundation

/// An event as stored: its place in the incident's log, both times, and its hash.
public struct StoredEvent: Sendable, Equatable {
    public var incident: Int
    public var seq: Int
    public var recordedAt: Int
    public var event: Event
    public var hash: String

    public init(incident: Int, seq: Int, recordedAt: Int, event: Event, hash: String) {
        self.incident = incident
        self.seq = seq
        self.recordedAt = recordedAt
        self.event = event
        self.hash = hash
    }

    /// An event from its stored columns, `data` its kind's fields as flat JSON; nil when they do not make one. Every
    /// store reads its rows through this.
    public init?(
        incident: Int, seq: Int, at: Int, recordedAt: Int, actor: String?, role: String?, outsideRole: Bool, kind: Event.Kind, data: String,
        hash: String
    ) {
        var data = data
        let made = data.withUTF8 { data in
            StoredEvent(
                incident: incident, seq: seq, at: at, recordedAt: recordedAt, actor: actor, role: role, outsideRole: outsideRole, kind: kind,
                utf8: UnsafeRawBufferPointer(data), hash: hash)
        }
        guard let made else { return nil }
        self = made
    }

    /// ``init(incident:seq:at:recordedAt:actor:role:outsideRole:kind:data:hash:)`` with `data` as UTF-8 bytes.
    public init?(
        incident: Int, seq: Int, at: Int, recordedAt: Int, actor: String?, role: String?, outsideRole: Bool, kind: Event.Kind,
        utf8 data: UnsafeRawBufferPointer, hash: String
    ) {
        guard let fields = try? FlatJSON.decodeFields(utf8: data), let body = Event.Body(kind: kind, fields: fields) else { return nil }
        self.init(incident: incident, seq: seq, recordedAt: recordedAt, event: Event(at: at, actor: actor, role: role, outsideRole: outsideRole, body), hash: hash)
    }

    /// The stored `data` column: the kind's fields as flat JSON.
    public var data: String { FlatJSON.encode(event.body.fields) }

    /// The bytes the hash covers: every stored column but the hash, in a fixed order — the
    /// envelope as flat JSON, a line break, then the `data` JSON exactly as stored.
    public func canonicalBytes(data: String? = nil) -> String {
        envelope + (data ?? self.data)
    }

    /// The first part of ``canonicalBytes(data:)``: every column but `data` and the hash, and a line break.
    var envelope: String {
        var bytes: [UInt8] = []
        writeEnvelope(into: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// ``envelope``, written as bytes.
    func writeEnvelope(into out: inout [UInt8]) {
        var kind = event.kind.rawValue
        Self.withUTF8(event.actor) { actor in
            Self.withUTF8(event.role) { role in
                kind.withUTF8 { kind in
                    Self.writeEnvelope(
                        incident: incident, seq: seq, at: event.at, recordedAt: recordedAt, actor: actor, role: role, outsideRole: event.outsideRole,
                        kind: UnsafeRawBufferPointer(kind), into: &out)
                }
            }
        }
    }

    /// The envelope of an event from its stored columns (actor, role and kind as valid UTF-8), appended to `out`.
    static func writeEnvelope(
        incident: Int, seq: Int, at: Int, recordedAt: Int, actor: UnsafeRawBufferPointer?, role: UnsafeRawBufferPointer?, outsideRole: Bool,
        kind: UnsafeRawBufferPointer, into out: inout [UInt8]
    ) {
        FlatJSON.append(to: &out, room: envelopeBound(actor: actor, role: role, kind: kind)) { memory in
            writeEnvelope(
                incident: incident, seq: seq, at: at, recordedAt: recordedAt, actor: actor, role: role, outsideRole: outsideRole, kind: kind,
                intoMemory: memory)
        }
    }

    /// The most bytes ``writeEnvelope(incident:seq:at:recordedAt:actor:role:outsideRole:kind:intoMemory:)``
    /// writes for these columns.
    @inline(__always)
    static func envelopeBound(actor: UnsafeRawBufferPointer?, role: UnsafeRawBufferPointer?, kind: UnsafeRawBufferPointer) -> Int {
        // The fixed text is 88 bytes; each of the four integers has at most 20 digits and a sign.
        128 + 4 * 21 + FlatJSON.stringBound(actor?.count ?? 2) + FlatJSON.stringBound(role?.count ?? 2) + kind.count
    }

    /// The one layout of ``envelope``, which the hash covers, from an event's stored columns (actor, role and
    /// kind as valid UTF-8), written to memory with room for ``envelopeBound(actor:role:kind:)`` bytes; returns
    /// how many it wrote.
    static func writeEnvelope(
        incident: Int, seq: Int, at: Int, recordedAt: Int, actor: UnsafeRawBufferPointer?, role: UnsafeRawBufferPointer?, outsideRole: Bool,
        kind: UnsafeRawBufferPointer, intoMemory out: UnsafeMutableRawPointer
    ) -> Int {
        var n = 0
        @inline(__always) func ascii(_ text: StaticString) {
            (out + n).copyMemory(from: text.utf8Start, byteCount: text.utf8CodeUnitCount)
            n += text.utf8CodeUnitCount
        }
        @inline(__always) func decimal(_ value: Int) {
            if value < 0 {
                out.storeBytes(of: UInt8(ascii: "-"), toByteOffset: n, as: UInt8.self)
                n += 1
            }
            // Two digits at a time from the right into a scratch of 20 (the most a UInt has), then copied.
            let pairs: StaticString = "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"
            var scratch: (UInt64, UInt64, UInt64) = (0, 0, 0)
            withUnsafeMutableBytes(of: &scratch) { digits in
                var magnitude = value.magnitude
                var i = 20
                while magnitude >= 100 {
                    let pair = Int(magnitude % 100)
                    magnitude /= 100
                    i -= 2
                    digits[i] = pairs.utf8Start[2 * pair]
                    digits[i + 1] = pairs.utf8Start[2 * pair + 1]
                }
                if magnitude >= 10 {
                    i -= 2
                    digits[i] = pairs.utf8Start[2 * Int(magnitude)]
                    digits[i + 1] = pairs.utf8Start[2 * Int(magnitude) + 1]
                } else {
                    i -= 1
                    digits[i] = UInt8(truncatingIfNeeded: magnitude) + 0x30
                }
                (out + n).copyMemory(from: digits.baseAddress! + i, byteCount: 20 - i)
                n += 20 - i
            }
        }
        @inline(__always) func string(_ text: UnsafeRawBufferPointer?) {
            if let text { n += FlatJSON.writeString(utf8: text, intoMemory: out + n) } else { ascii("null") }
        }
        ascii("{\"incident\":")
        decimal(incident)
        ascii(",\"seq\":")
        decimal(seq)
        ascii(",\"at\":")
        decimal(at)
        ascii(",\"recordedAt\":")
        decimal(recordedAt)
        ascii(",\"actor\":")
        string(actor)
        ascii(",\"role\":")
        string(role)
        ascii(outsideRole ? ",\"outsideRole\":true,\"kind\":\"" : ",\"outsideRole\":false,\"kind\":\"")
        if kind.count > 0 {
            (out + n).copyMemory(from: kind.baseAddress!, byteCount: kind.count)
            n += kind.count
        }
        ascii("\"}\n")
        return n
    }

    static func withUTF8<R>(_ text: String?, _ body: (UnsafeRawBufferPointer?) -> R) -> R {
        guard var text else { return body(nil) }
        return text.withUTF8 { body(UnsafeRawBufferPointer($0)) }
    }
}

/// Incident ids as people read and type them. Real incidents are `INC-7`; recorded exercises are
/// numbered in their own series, `EX-3`, kept as the negative number (-3). So real incidents keep
/// gapless numbers, and an incident's stored number (which its hash chain covers) never changes.
/// Exercises recorded before 1.1 keep the `INC-` number they were given.
///
/// ```swift
/// IncidentID.name(-3)        // "EX-3"
/// IncidentID.number("inc-7") // 7
/// ```
public enum IncidentID {
    /// `INC-7` for 7, `EX-3` for -3.
    public static func name(_ number: Int) -> String { number < 0 ? "EX-\(number.magnitude)" : "INC-\(number)" }

    /// The order of lists: real incidents by number, then exercises by theirs.
    public static func areInOrder(_ a: Int, _ b: Int) -> Bool { (a < 0 ? 1 : 0, a.magnitude) < (b < 0 ? 1 : 0, b.magnitude) }

    /// `INC-7`, `inc-7` or `7` → 7; `EX-3` or `ex-3` → -3; nil for anything else.
    public static func number(_ text: String) -> Int? {
        var digits = Substring(text.uppercased())
        var sign = 1
        if digits.hasPrefix("INC-") {
            digits = digits.dropFirst(4)
        } else if digits.hasPrefix("EX-") {
            digits = digits.dropFirst(3)
            sign = -1
        }
        guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let number = Int(digits), number > 0 else { return nil }
        return sign * number
    }
}

/// One incident's header and current state.
public struct IncidentRecord: Sendable, Equatable {
    public var number: Int
    public var playbookID: String
    public var playbookHash: String
    public var isExercise: Bool
    public var title: String
    public var severity: IncidentSeverity
    public var state: String
    public var openedAt: Int
    public var closedAt: Int?
    public var lastSeq: Int
    public var lastHash: String
    /// The fold of all events so far (a cache: `verify` checks it against the log).
    public var snapshot: Incident
    /// For a recorded exercise: the scenario's text, so its report can score the objectives.
    public var scenarioText: String?

    public init(
        number: Int, playbookID: String, playbookHash: String, isExercise: Bool, title: String, severity: IncidentSeverity, state: String,
        openedAt: Int, closedAt: Int?, lastSeq: Int, lastHash: String, snapshot: Incident, scenarioText: String?
    ) {
        self.number = number
        self.playbookID = playbookID
        self.playbookHash = playbookHash
        self.isExercise = isExercise
        self.title = title
        self.severity = severity
        self.state = state
        self.openedAt = openedAt
        self.closedAt = closedAt
        self.lastSeq = lastSeq
        self.lastHash = lastHash
        self.snapshot = snapshot
        self.scenarioText = scenarioText
    }

    /// `INC-7`.
    public var reference: String { "\(IncidentID.name(number))" }
}

/// An incident's header, as `list` shows it: no snapshot to decode.
public struct IncidentSummary: Sendable, Equatable {
    public var number: Int
    public var playbookID: String
    public var isExercise: Bool
    public var title: String
    public var severity: IncidentSeverity
    public var state: String
    public var openedAt: Int
    public var closedAt: Int?
    /// Closed by `close` (force-closed) rather than by reaching a final state.
    public var forcedClose: Bool

    public init(
        number: Int, playbookID: String, isExercise: Bool, title: String, severity: IncidentSeverity, state: String, openedAt: Int, closedAt: Int?,
        forcedClose: Bool = false
    ) {
        self.forcedClose = forcedClose
        self.number = number
        self.playbookID = playbookID
        self.isExercise = isExercise
        self.title = title
        self.severity = severity
        self.state = state
        self.openedAt = openedAt
        self.closedAt = closedAt
    }

    /// `INC-7`.
    public var reference: String { "\(IncidentID.name(number))" }

    /// Whether a stored snapshot (JSON) says its incident was force-closed. Only `closed.forced` is read;
    /// a snapshot that cannot be read gives false here (`verify` is what reports damage).
    public static func isForceClosed(snapshot: Data) -> Bool { Incident.isForceClosed(storedJSON: snapshot) }
}

/// What the application needs from persistence, whatever keeps it: an SQLite file
/// (``SQLiteStore``), memory (``MemoryStore``, for tests), or a database server.
///
/// Every method is `async` so a backend may wait on a network, and throws only ``StoreError``
/// (``append(to:_:)`` also passes on what its `decide` threw, typed: ``AppendError``). Stored data
/// is untrusted: a value that cannot be read back is ``StoreError/damaged(incident:what:)`` or
/// ``StoreError/corruptEvent(incident:seq:)``, never a trap.
///
/// Every backend numbers and hashes events through ``HashChain/Tip`` and checks its log
/// through ``HashChain/Check``: the chain is the same whatever stores it.
public protocol IncidentStore: Sendable {
    /// Where the incidents are kept, for messages: a file path, or a server without its password.
    var location: String { get }

    /// Stores a new incident, its playbook (text and compiled copy) and its first events in one
    /// transaction; returns its number.
    func create(_ new: NewIncident, recordedAt: Int) async throws(StoreError) -> Int

    /// One write on one incident, as a transaction that runs `decide`: the store reads the
    /// incident's current record and stored playbook, `decide` returns the events to append and
    /// the snapshot they fold to, and the store appends them and updates the projection together.
    ///
    /// No other writer can append to the same incident between the read and the append, so
    /// sequence numbers stay gapless and the chain unbroken, and `decide` may read "now" itself
    /// (it runs after any wait for another writer). This transaction shape was chosen over an
    /// optimistic append on the last sequence number because a decision depends on the whole
    /// current state (a refusal, time-driven events due): retrying would run the engine again
    /// anyway, and a lock is what SQLite (`BEGIN IMMEDIATE`) and PostgreSQL (`SELECT … FOR UPDATE`
    /// on the incident's row) give cheaply. Keep `decide` short: it holds that lock.
    ///
    /// A `decide` that returns no events writes nothing. What it throws ends the transaction
    /// with nothing written and comes back as ``AppendError/decision(_:)``.
    func append<Refusal: Error>(
        to number: Int, _ decide: (IncidentRecord, StoredPlaybook) throws(Refusal) -> Decision
    ) async throws(AppendError<Refusal>) -> [StoredEvent]

    /// The incident's header, projection and snapshot; `nil` when there is no such incident.
    func incident(_ number: Int) async throws(StoreError) -> IncidentRecord?

    /// A stored playbook by the SHA-256 of its text: the text and its compiled copy.
    func playbook(hash: String) async throws(StoreError) -> StoredPlaybook?

    /// One page of an incident's events, in order: those after sequence number `after`, up to
    /// `through` when given, at most `limit`. ``events(of:through:)`` reads a whole log page by page.
    func events(of number: Int, after: Int, through last: Int?, limit: Int) async throws(StoreError) -> [StoredEvent]

    /// As ``events(of:after:through:limit:)``, only the events of `kinds` (at most `limit` of them): a backend that
    /// can pick them out where they are stored decodes no others. `status` reads the statements and informs of a long
    /// log so, and not its notes. The default reads every event and keeps those.
    func events(of number: Int, after: Int, through last: Int?, limit: Int, kinds: Set<Event.Kind>) async throws(StoreError) -> [StoredEvent]

    /// Every incident's number, in order.
    func incidentNumbers() async throws(StoreError) -> [Int]

    /// The incidents' headers, without their snapshots (which `list` does not show).
    func list(includeClosed: Bool, exercises: Bool) async throws(StoreError) -> [IncidentSummary]

    /// Checks the stored logs: sequence numbers, the hash chain, each stored playbook text against
    /// its hash, and what the backend itself can check (SQLite's integrity check, the triggers that
    /// keep events append-only). `nil` checks every incident. Whether the compiled playbook and the
    /// projection match the text and the log needs the loader and the engine: the application's
    /// `verify` adds that through `inspector`, which sees each incident and its events in the same
    /// pass (each log is read and decoded once).
    func verify<Inspector: LogInspector>(_ number: Int?, inspector: inout Inspector) async throws(StoreError) -> VerifyReport

    /// Stores incidents copied whole from another store (`db copy`), in one transaction: each keeps
    /// its number, its sequence numbers and hashes, its playbook and its projection. When any of the
    /// numbers is taken in this store, nothing is written and ``StoreError/numbersTaken(_:)`` names
    /// them all. `progress` is called with the number of incidents written so far.
    ///
    /// Only a ``VerifiedLog`` can be imported: its chain was checked when it was made, the one check
    /// every backend relies on, so a store never takes in a log that does not verify.
    func importLogs(_ logs: [VerifiedLog], progress: @Sendable (Int) -> Void) async throws(StoreError)

    /// Tells when incidents change, for `status --watch` and `watch`: an element each time another
    /// write may have been committed (by this process or another), naming the incident when the
    /// backend knows it. Each call gives a stream of its own; stop consuming it (or cancel the task
    /// reading it) and it stops watching. A backend that loses its way to the changes (a server gone)
    /// sends ``StoreChange/failed(_:)`` and ends the stream.
    func changes() async throws(StoreError) -> AsyncStream<StoreChange>
}

/// What ``IncidentStore/changes()`` tells.
public enum StoreChange: Sendable, Equatable {
    /// Something was committed: to this incident, or (`nil`) to one the backend cannot name.
    case changed(incident: Int?)
    /// The store can no longer tell of changes; the stream ends.
    case failed(StoreError)
}

/// An incident's whole stored log, checked link by link against the hash chain: what
/// ``IncidentStore/importLogs(_:progress:)`` takes. The check is made here, once, for every backend:
/// the playbook's text against its hash, each event's sequence number and hash, and the record's
/// last sequence number and hash against the log.
public struct VerifiedLog: Sendable {
    public let record: IncidentRecord
    public let playbook: StoredPlaybook
    public let events: [StoredEvent]

    /// Checks the log; a log that does not verify is ``StoreError/unverified(incident:problem:)``
    /// with its first problem, as `verify` names it.
    public init(record: IncidentRecord, playbook: StoredPlaybook, events: [StoredEvent]) throws(StoreError) {
        if HashChain.sha256(playbook.text) != record.playbookHash {
            throw .unverified(incident: record.number, problem: "\(record.reference): the stored playbook text does not match its hash")
        }
        var check = HashChain.Check(incident: record.number, playbookHash: record.playbookHash)
        for event in events {
            if event.incident != record.number {
                throw .unverified(incident: record.number, problem: "\(record.reference): event \(event.seq) belongs to \(IncidentID.name(event.incident))")
            }
            check.next(seq: event.seq, event: event, data: nil)
        }
        check.finish(lastSeq: record.lastSeq, lastHash: record.lastHash)
        if let problem = check.problems.first { throw .unverified(incident: record.number, problem: problem) }
        self.record = record
        self.playbook = playbook
        self.events = events
    }
}

/// What `verify` does with each incident besides checking its chain, in the same pass: the
/// application folds each log and compares the fold with the stored projection.
public protocol LogInspector {
    /// Before an incident's events: its stored record (or why it cannot be read) and its stored
    /// playbook (nil when missing: the store names that).
    mutating func begin(_ record: Result<IncidentRecord, StoreError>, playbook: StoredPlaybook?)
    /// Each event whose place in the chain is sound, in order.
    mutating func next(_ event: StoredEvent)
    /// The next event as its stored bytes, for an inspector that can read it from them without decoding it: it
    /// reads the row, calls `link` (whether the row is the next sound link of the chain) and takes the event in
    /// only when that says yes. False when it did not take the event in (it cannot read the row from its bytes, or
    /// `link` said no): the store then decodes the row and calls ``next(_:)`` if its place is sound. A store
    /// that reads rows as bytes calls this first; the default reads nothing from bytes.
    mutating func next(bytes row: HashChain.Columns, ifLinked link: () -> Bool) -> Bool
    /// After the incident's last event; `chainIntact` is false when the chain check failed (the
    /// store names where). Returns what else is wrong with the incident.
    mutating func finish(chainIntact: Bool) -> [String]
}

extension LogInspector {
    public mutating func next(bytes row: HashChain.Columns, ifLinked link: () -> Bool) -> Bool { false }
}

/// Checks the chain alone.
public struct ChainOnly: LogInspector {
    public init() {}
    public mutating func begin(_ record: Result<IncidentRecord, StoreError>, playbook: StoredPlaybook?) {}
    public mutating func next(_ event: StoredEvent) {}
    public mutating func finish(chainIntact: Bool) -> [String] { [] }
}

extension IncidentStore {
    /// ``verify(_:inspector:)`` of the chain alone.
    public func verify(_ number: Int?) async throws(StoreError) -> VerifyReport {
        var chainOnly = ChainOnly()
        return try await verify(number, inspector: &chainOnly)
    }

    /// An incident's events in order, read page by page as they are consumed: memory stays flat
    /// however long the log. Pass `through: record.lastSeq` to read the log as it stood when
    /// `record` was read (events never change, and a record and the events up to its last
    /// sequence number are written in one transaction), however many writers append meanwhile.
    public func events(of number: Int, through last: Int? = nil) -> StoredEvents {
        StoredEvents(store: self, incident: number, through: last, kinds: nil)
    }

    /// As ``events(of:through:)``, only the events of `kinds`.
    public func events(of number: Int, through last: Int? = nil, kinds: Set<Event.Kind>) -> StoredEvents {
        StoredEvents(store: self, incident: number, through: last, kinds: kinds)
    }

    public func events(of number: Int, after: Int, through last: Int?, limit: Int, kinds: Set<Event.Kind>) async throws(StoreError) -> [StoredEvent] {
        var result: [StoredEvent] = []
        var after = after
        while true {
            let page = try await events(of: number, after: after, through: last, limit: limit)
            for item in page where kinds.contains(item.event.kind) {
                result.append(item)
                if result.count == limit { return result }
            }
            guard page.count == limit, let next = page.last?.seq else { return result }
            after = next
        }
    }
}

/// An incident's stored events as an `AsyncSequence` that reads its store a page at a time.
public struct StoredEvents: AsyncSequence, Sendable {
    public typealias Element = StoredEvent
    public typealias Failure = StoreError

    let store: any IncidentStore
    let incident: Int
    let through: Int?
    /// Only these kinds (nil: every event).
    let kinds: Set<Event.Kind>?
    /// Events read per page.
    public static let pageSize = 512

    public func makeAsyncIterator() -> Iterator { Iterator(events: self) }

    public struct Iterator: AsyncIteratorProtocol {
        public typealias Element = StoredEvent
        public typealias Failure = StoreError

        let events: StoredEvents
        var page: [StoredEvent] = []
        var index = 0
        var after = 0
        var finished = false

        init(events: StoredEvents) { self.events = events }

        public mutating func next() async throws(StoreError) -> StoredEvent? {
            try await next(isolation: nil)
        }

        public mutating func next(isolation actor: isolated (any Actor)?) async throws(StoreError) -> StoredEvent? {
            if index == page.count {
                if finished { return nil }
                if let kinds = events.kinds {
                    page = try await events.store.events(
                        of: events.incident, after: after, through: events.through, limit: StoredEvents.pageSize, kinds: kinds)
                } else {
                    page = try await events.store.events(of: events.incident, after: after, through: events.through, limit: StoredEvents.pageSize)
                }
                index = 0
                if page.count < StoredEvents.pageSize { finished = true }
                guard let last = page.last else { return nil }
                after = last.seq
            }
            index += 1
            return page[index - 1]
        }
    }

    /// Every event in one array: for tests and small logs only (it holds them all).
    public func collect() async throws(StoreError) -> [StoredEvent] {
        var result: [StoredEvent] = []
        var iterator = makeAsyncIterator()
        while let event = try await iterator.next() { result.append(event) }
        return result
    }
}

/// Why ``IncidentStore/append(to:_:)`` wrote nothing: the store failed, or `decide` refused.
public enum AppendError<Refusal: Error>: Error {
    case store(StoreError)
    case decision(Refusal)
}

/// A playbook as stored with the incidents opened from it: its text (covered by its hash) and
/// the compiled copy, a cache that reads prefer and `verify` checks against the text.
public struct StoredPlaybook: Sendable, Equatable {
    public var text: String
    public var compiled: Data?

    public init(text: String, compiled: Data?) {
        self.text = text
        self.compiled = compiled
    }
}

/// What a write decided: the events to append, the incident they fold to, and when they were recorded.
public struct Decision: Sendable {
    public var events: [Event]
    public var snapshot: Incident
    public var recordedAt: Int

    public init(events: [Event], snapshot: Incident, recordedAt: Int) {
        self.events = events
        self.snapshot = snapshot
        self.recordedAt = recordedAt
    }
}

/// A new incident to store.
public struct NewIncident: Sendable {
    public var playbookID: String
    public var playbookText: String
    public var playbookHash: String
    public var isExercise: Bool
    public var events: [Event]
    public var snapshot: Incident
    public var scenarioText: String?
    /// The checked playbook in compiled form (JSON of ``Playbook``), a cache beside the text.
    public var compiledPlaybook: Data?

    public init(
        playbookID: String, playbookText: String, playbookHash: String, isExercise: Bool, events: [Event], snapshot: Incident,
        scenarioText: String? = nil, compiledPlaybook: Data? = nil
    ) {
        self.scenarioText = scenarioText
        self.compiledPlaybook = compiledPlaybook
        self.playbookID = playbookID
        self.playbookText = playbookText
        self.playbookHash = playbookHash
        self.isExercise = isExercise
        self.events = events
        self.snapshot = snapshot
    }
}

/// What `verify` found.
public struct VerifyReport: Sendable, Equatable {
    public var checkedIncidents = 0
    public var checkedEvents = 0
    public var problems: [String] = []
    public var isClean: Bool { problems.isEmpty }

    public init(checkedIncidents: Int = 0, checkedEvents: Int = 0, problems: [String] = []) {
        self.checkedIncidents = checkedIncidents
        self.checkedEvents = checkedEvents
        self.problems = problems
    }
}

/// Why the store could not do what was asked. Messages never include stored text.
public enum StoreError: Error, Equatable, Sendable {
    case missingDatabase(path: String)
    case busy(doing: String)
    case newerDatabase(path: String)
    case notADatabase(path: String)
    /// An SQLite file with another program's tables: refused, never changed.
    case foreignDatabase(path: String)
    case readOnly(path: String)
    case cannotOpen(path: String, reason: String)
    case noIncident(number: Int)
    /// Every incident number has been used (the last one is the largest SQLite can store).
    case noNumbersLeft(last: Int)
    case failed(doing: String, reason: String)
    case corruptEvent(incident: Int, seq: Int)
    /// A stored value cannot be read back (a wrong type, a broken snapshot): damage, never a trap.
    case damaged(incident: Int?, what: String)
    /// The log holds events the incident does not record (rows added behind Firebreak's back).
    case damagedLog(incident: Int)
    /// A database server could not be reached or went away.
    case unavailable(server: String, reason: String)
    /// Incidents to import whose numbers this store holds already: nothing was written.
    case numbersTaken([Int])
    /// A log to import does not verify (its first problem, as `verify` names it).
    case unverified(incident: Int, problem: String)

    public var message: String {
        switch self {
        case .missingDatabase(let path): "no incident database at '\(path)'; open an incident first, or give --db PATH"
        case .busy(let doing): "could not \(doing): the database stayed busy for 30 s while another firebreak was writing; try again"
        case .newerDatabase(let path): "the database '\(path)' was written by a newer Firebreak; upgrade Firebreak to use it"
        case .notADatabase(let path): "'\(path)' is not a Firebreak database, or it is corrupt"
        case .foreignDatabase(let path): "'\(path)' is not a Firebreak database: it holds another program's tables; it was left unchanged"
        case .readOnly(let path): "the database '\(path)' is read-only; check its permissions"
        case let .cannotOpen(path, reason): "cannot open the database '\(path)': \(reason)"
        case .noIncident(let number): "no incident \(IncidentID.name(number))"
        case .noNumbersLeft(let last):
            "could not open the incident: no incident number is left, \(IncidentID.name(last)) was the last one; open it in a new database (--db PATH)"
        case let .failed(doing, reason): "could not \(doing): \(reason)"
        case let .corruptEvent(incident, seq): "event \(seq) of \(IncidentID.name(incident)) cannot be read; run 'firebreak verify \(IncidentID.name(incident))'"
        case let .damaged(incident?, what): "\(IncidentID.name(incident)) is damaged in the database: \(what) cannot be read; run 'firebreak verify \(IncidentID.name(incident))'"
        case let .damaged(nil, what): "the database is damaged: \(what) cannot be read; run 'firebreak verify'"
        case let .unavailable(server, reason): "the database server \(server) is unavailable: \(reason)"
        case let .numbersTaken(numbers): "\(numbers.map { IncidentID.name($0) }.joined(separator: ", ")) exist\(numbers.count == 1 ? "s" : "") already; nothing was copied"
        case let .unverified(_, problem): "\(problem); nothing was copied"
        case let .damagedLog(incident): "\(IncidentID.name(incident))'s log is damaged: it holds events the incident does not record, so nothing more can be added; run 'firebreak verify \(IncidentID.name(incident))'"
        }
    }
}
