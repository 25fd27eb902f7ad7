/// Reads a stored event's engine form straight from its stored bytes (its kind, its `data` as flat
/// JSON and its role), making no strings of the names in it: how `verify` folds a million events.
///
/// It reads exactly as decoding the event (``Event/Body/init(kind:fields:)``) and then
/// ``Playbook/engineEvent(_:)`` do, or not at all: wherever it cannot be sure of that (an `opened`
/// event, a name with escapes or bytes beyond ASCII, a playbook with such names, a required field
/// missing or of another type) it gives nil, and the caller decodes the event.
public struct StoredEventReader: Sendable {
    /// What a stored event is to the fold.
    public enum Reading: Sendable, Equatable {
        /// A recorded event by index, with the one text the fold reads: the person of `assigned` and
        /// `deputy`, the reason of `closed`, the text of `drafted` (nil for every other kind).
        case event(EngineEvent, text: String?)
        /// An exercise entry (an inject or a refusal), which the fold only counts.
        case exercise(Event.Kind)
    }

    /// The playbook's names by their bytes, in one reference (a reader is copied for the price of a pointer).
    final class Names: Sendable {
        let steps: ByteNames
        let states: ByteNames
        let events: ByteNames
        let roles: ByteNames
        let audiences: ByteNames
        let informs: ByteNames
        let options: [ByteNames]

        init(_ playbook: Playbook) {
            let t = playbook.tables
            steps = ByteNames(t.stepIndex.map { ($0.key, $0.value) })
            states = ByteNames(playbook.stateIndex.map { ($0.key, Int32($0.value)) })
            events = ByteNames(t.eventIndex.map { ($0.key, $0.value) })
            roles = ByteNames(t.roleIndex.map { ($0.key, $0.value) })
            audiences = ByteNames(t.audienceIndex.map { ($0.key, $0.value) })
            informs = ByteNames(firstOf: t.informNames)
            options = t.optionNames.map { ByteNames(firstOf: $0) }
        }
    }

    let names: Names

    public init(_ playbook: Playbook) {
        names = Names(playbook)
    }

    /// The event of these stored bytes, or nil when the caller must decode it to tell.
    public func read(
        kind: Event.Kind, data: UnsafeRawBufferPointer, at: Int, role: UnsafeRawBufferPointer?, outsideRole: Bool
    ) -> Reading? {
        guard let roleIndex = roleIndex(role) else { return nil }
        return read(kind: kind, data: data, at: at, roleIndex: roleIndex, outsideRole: outsideRole)
    }

    /// The engine's index of a stored role (-1 for none, or one the playbook does not name), as ``read(kind:data:at:role:outsideRole:)``
    /// finds it; nil when it cannot tell (bytes beyond ASCII). A caller that reads many events by the same role can
    /// keep it and pass it to ``read(kind:data:at:roleIndex:outsideRole:)``.
    public func roleIndex(_ role: UnsafeRawBufferPointer?) -> Int32? {
        guard let role else { return -1 }
        return names.roles.find(role)
    }

    /// ``read(kind:data:at:role:outsideRole:)`` with the role's index found by ``roleIndex(_:)``.
    public func read(
        kind: Event.Kind, data: UnsafeRawBufferPointer, at: Int, roleIndex: Int32, outsideRole: Bool
    ) -> Reading? {
        // The fields this kind reads, in the order of `wanted`; a name given twice means its last value.
        let wanted = Self.fieldNames(kind)
        guard wanted.count > 0 else { return nil }
        var fields = Fields()
        var sure = true
        do {
            try FlatJSON.scanFields(utf8: data) { name, escaped, value in
                // An escaped field name may spell one of these.
                if escaped {
                    sure = false
                    return
                }
                for k in 0..<wanted.count where Self.equal(name, wanted[k].name) {
                    let field = wanted[k]
                    fields[k] = value
                    // A name with escapes is not looked up by its bytes (free text is read as the decoding reads it).
                    if case .string(_, escaped: true) = value, !field.isText { sure = false }
                    return
                }
            }
        } catch {
            return nil
        }
        guard sure else { return nil }
        let f = fields
        func event(_ body: EngineEvent.Body, text: String? = nil) -> Reading {
            .event(EngineEvent(at: at, role: roleIndex, outsideRole: outsideRole, body), text: text)
        }
        // Each case requires what the event's decoding requires, and finds names as engineEvent(_:) does.
        switch kind {
        case .opened:
            return nil
        case .assigned, .deputy:
            guard let r = f.name(0), let person = f.text(1), let role = names.roles.find(r) else { return nil }
            return event(kind == .assigned ? .assigned(role: role) : .deputy(role: role), text: person)
        case .reopened:
            guard f.name(0) != nil else { return nil }
            return event(.reopened)
        case .retracted:
            guard let seq = f.int(0), f.name(1) != nil, let step = f.optionalName(2, in: names.steps) else { return nil }
            return event(.retracted(seq: seq, step: step, reopen: f.bool(3) ?? false))
        case .entered:
            guard let s = f.name(0), let round = f.int(1), let state = names.states.find(s), let from = f.optionalName(2, in: names.states),
                let by = f.optionalName(3, in: names.events)
            else { return nil }
            return event(.entered(state: state, from: from, event: by, round: Int32(clamping: round)))
        case .done:
            guard let s = f.name(0), let step = names.steps.find(s) else { return nil }
            var option: Int32 = -1
            if step >= 0, let choice = f.name(1) {
                guard let found = names.options[Int(step)].find(choice) else { return nil }
                option = found
            }
            var via: Int32 = -1
            if let v = f.name(3) {
                if Self.equal(v, "inform") {
                    via = -2
                } else {
                    guard let statement = Self.statement(v) else { return nil }
                    via = statement
                }
            }
            return event(.done(step: step, option: option, via: via))
        case .skipped:
            guard let s = f.name(0), f.name(1) != nil, let step = names.steps.find(s) else { return nil }
            return event(.skipped(step: step))
        case .fired:
            guard let e = f.name(0), let fired = names.events.find(e) else { return nil }
            return event(.fired(event: fired))
        case .note:
            guard f.name(0) != nil, let step = f.optionalName(1, in: names.steps) else { return nil }
            return event(.note(step: step))
        case .overdue:
            guard let s = f.name(0), let due = f.int(1), let step = names.steps.find(s) else { return nil }
            return event(.overdue(step: step, due: due))
        case .escalated:
            guard let t = f.name(0), let to = names.roles.find(t) else { return nil }
            if let s = f.name(1) {
                guard let step = names.steps.find(s) else { return nil }
                return event(.escalated(step: step, to: to))
            }
            guard let a = f.name(2), let audience = names.audiences.find(a) else { return nil }
            return event(.escalatedUpdate(audience: audience, to: to))
        case .timer:
            guard let s = f.name(0), let after = f.int(1), let t = f.name(2), let state = names.states.find(s), let to = names.states.find(t) else { return nil }
            return event(.timer(state: state, after: after, to: to))
        case .closed:
            return event(.closed(forced: f.bool(1) ?? false), text: f.text(0))
        case .drafted:
            guard let id = f.name(0), let a = f.name(1), let version = f.int(2), let text = f.text(3), let statement = Self.statement(id),
                let audience = names.audiences.find(a)
            else { return nil }
            return event(.drafted(statement: statement, audience: audience, version: Int32(clamping: version)), text: text)
        case .approved, .rejected:
            guard let id = f.name(0), let version = f.int(1), let r = f.name(2), let statement = Self.statement(id), let approver = names.roles.find(r)
            else { return nil }
            if kind == .approved { return event(.approved(statement: statement, version: Int32(clamping: version), role: approver)) }
            guard f.name(3) != nil else { return nil }
            return event(.rejected(statement: statement, version: Int32(clamping: version), role: approver))
        case .published:
            guard let id = f.name(0), let version = f.int(1), let a = f.name(2), let statement = Self.statement(id), let audience = names.audiences.find(a)
            else { return nil }
            return event(.published(statement: statement, version: Int32(clamping: version), audience: audience))
        case .updateOverdue:
            guard let a = f.name(0), let due = f.int(1), let audience = names.audiences.find(a) else { return nil }
            return event(.updateOverdue(audience: audience, due: due))
        case .informed:
            guard let w = f.name(0), let who = names.informs.find(w) else { return nil }
            return event(.informed(who: who))
        case .inject:
            guard f.name(0) != nil else { return nil }
            return .exercise(.inject)
        case .refused:
            guard f.name(0) != nil, f.name(1) != nil else { return nil }
            return .exercise(.refused)
        }
    }

    /// The fields each kind reads, as ``Event/Body/init(kind:fields:)`` reads them; `isText` for free text (a person,
    /// a reason, a note), which is never looked up among the playbook's names. Values, no arrays: readers on several
    /// threads share nothing whose count of references they would all be changing.
    static func fieldNames(_ kind: Event.Kind) -> FieldNames {
        switch kind {
        case .opened: FieldNames(0)
        case .assigned: FieldNames(2, "assignedRole", "person", texts: 0b10)
        case .deputy: FieldNames(2, "deputyRole", "person", texts: 0b10)
        case .reopened: FieldNames(1, "reason", texts: 0b1)
        case .retracted: FieldNames(4, "retractedSeq", "reason", "step", "reopened", texts: 0b10)
        case .entered: FieldNames(4, "state", "round", "from", "event")
        case .done: FieldNames(4, "step", "choice", "note", "via", texts: 0b100)
        case .skipped: FieldNames(2, "step", "reason", texts: 0b10)
        case .fired: FieldNames(1, "event")
        case .note: FieldNames(2, "text", "step", texts: 0b1)
        case .overdue: FieldNames(2, "step", "due")
        case .escalated: FieldNames(3, "to", "step", "audience")
        case .timer: FieldNames(3, "state", "after", "to")
        case .closed: FieldNames(2, "reason", "forced", texts: 0b1)
        case .drafted: FieldNames(4, "statement", "audience", "version", "text", texts: 0b1000)
        case .approved: FieldNames(3, "statement", "version", "approver")
        case .rejected: FieldNames(4, "statement", "version", "approver", "reason", texts: 0b1000)
        case .published: FieldNames(4, "statement", "version", "audience", "channel", texts: 0b1000)
        case .updateOverdue: FieldNames(2, "audience", "due")
        case .informed: FieldNames(3, "who", "via", "note", texts: 0b100)
        case .inject: FieldNames(4, "text", "inject", "from", "reach", texts: 0b111)
        case .refused: FieldNames(2, "action", "reason", texts: 0b11)
        }
    }

    /// Up to four field names, and which of them are free text (bit `k` for the `k`th).
    struct FieldNames {
        let count: Int
        let names: (StaticString, StaticString, StaticString, StaticString)
        let texts: UInt8

        init(_ count: Int, _ a: StaticString = "", _ b: StaticString = "", _ c: StaticString = "", _ d: StaticString = "", texts: UInt8 = 0) {
            self.count = count
            names = (a, b, c, d)
            self.texts = texts
        }

        subscript(k: Int) -> (name: StaticString, isText: Bool) {
            let name =
                switch k {
                case 0: names.0
                case 1: names.1
                case 2: names.2
                default: names.3
                }
            return (name, texts & (1 << k) != 0)
        }

        var list: [(name: StaticString, isText: Bool)] { (0..<count).map { self[$0] } }
    }

    static func equal(_ bytes: UnsafeRawBufferPointer, _ name: StaticString) -> Bool {
        bytes.count == name.utf8CodeUnitCount && ByteNames.same(bytes.baseAddress, name.utf8Start, bytes.count)
    }

    /// ``StatementID/index(_:)`` of a name's bytes, as an engine index; -1 where it gives nil. Nil for bytes
    /// beyond ASCII.
    static func statement(_ bytes: UnsafeRawBufferPointer) -> Int32? {
        guard ByteNames.isASCII(bytes) else { return nil }
        guard bytes.count >= 2, bytes[0] == UInt8(ascii: "S") || bytes[0] == UInt8(ascii: "s"), bytes[1] != UInt8(ascii: "0") else { return -1 }
        var n = 0
        for byte in bytes.dropFirst() {
            guard byte >= 0x30, byte <= 0x39 else { return -1 }
            let (times, o1) = n.multipliedReportingOverflow(by: 10)
            let (next, o2) = times.addingReportingOverflow(Int(byte - 0x30))
            if o1 || o2 { return -1 }
            n = next
        }
        return Int32(clamping: n - 1)
    }

    /// Up to four fields' values, by their place in the kind's names.
    struct Fields {
        var f0, f1, f2, f3: FlatJSON.RawValue?

        subscript(k: Int) -> FlatJSON.RawValue? {
            get {
                switch k {
                case 0: f0
                case 1: f1
                case 2: f2
                default: f3
                }
            }
            set {
                switch k {
                case 0: f0 = newValue
                case 1: f1 = newValue
                case 2: f2 = newValue
                default: f3 = newValue
                }
            }
        }
    }
}

/// The fields read as the event's decoding reads them: a string where a string is wanted, and so on.
extension StoredEventReader.Fields {
    /// A string field's stored bytes, escapes and all.
    func name(_ k: Int) -> UnsafeRawBufferPointer? {
        if case .string(let raw, _)? = self[k] { raw } else { nil }
    }

    func text(_ k: Int) -> String? { self[k]?.string }

    func int(_ k: Int) -> Int? {
        if case .int(let value)? = self[k] { value } else { nil }
    }

    func bool(_ k: Int) -> Bool? {
        if case .bool(let value)? = self[k] { value } else { nil }
    }

    /// An optional name looked up: -1 when the field is missing or not a string, nil when unsure.
    func optionalName(_ k: Int, in table: ByteNames) -> Int32? {
        guard let raw = name(k) else { return -1 }
        return table.find(raw)
    }
}

/// Names and their indices, found by their UTF-8 bytes with no string made: a small open-addressing
/// table. Exact only where every name is ASCII; ``find(_:)`` gives nil wherever a string lookup
/// could tell otherwise (canonically equivalent spellings compare equal as strings).
final class ByteNames: Sendable {
    /// Each slot an entry's number, or -1.
    let slots: [Int32]
    /// The names' bytes one after another; entry `e` is `bytes[starts[e]..<starts[e + 1]]`.
    let bytes: [UInt8]
    let starts: [Int]
    let values: [Int32]
    let exact: Bool

    /// From a dictionary's pairs (each name once).
    init(_ pairs: [(String, Int32)]) {
        exact = pairs.allSatisfy { $0.0.utf8.allSatisfy { $0 < 0x80 } }
        var size = 8
        while size < 2 * pairs.count { size *= 2 }
        var slots = [Int32](repeating: -1, count: size)
        var bytes: [UInt8] = []
        var starts = [0]
        for (entry, (name, _)) in pairs.enumerated() {
            let utf8 = Array(name.utf8)
            var k = utf8.withUnsafeBytes { Self.hash($0) } & (size - 1)
            while slots[k] >= 0 { k = (k + 1) & (size - 1) }
            slots[k] = Int32(entry)
            bytes += utf8
            starts.append(bytes.count)
        }
        self.slots = slots
        self.bytes = bytes
        self.starts = starts
        values = pairs.map(\.1)
    }

    /// Each name at the index of its first place in `list`, as `firstIndex(of:)` finds it.
    convenience init(firstOf list: [String]) {
        var seen = Set<String>()
        self.init(list.enumerated().compactMap { seen.insert($1).inserted ? ($1, Int32($0)) : nil })
    }

    /// The index of the name with these bytes; -1 when there is none; nil when bytes or names go beyond ASCII.
    func find(_ name: UnsafeRawBufferPointer) -> Int32? {
        guard exact, Self.isASCII(name) else { return nil }
        let mask = slots.count - 1
        var k = Self.hash(name) & mask
        return bytes.withUnsafeBytes { bytes in
            while true {
                let entry = Int(slots[k])
                if entry < 0 { return -1 }
                let start = starts[entry]
                if starts[entry + 1] - start == name.count, Self.same(bytes.baseAddress.map { $0 + start }, name.baseAddress, name.count) {
                    return values[entry]
                }
                k = (k + 1) & mask
            }
        }
    }

    static func hash(_ bytes: UnsafeRawBufferPointer) -> Int {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes { h = (h ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return Int(truncatingIfNeeded: h)
    }

    /// Whether `count` bytes at `a` and at `b` are the same.
    @inline(__always)
    static func same(_ a: UnsafeRawPointer?, _ b: UnsafeRawPointer?, _ count: Int) -> Bool {
        guard count > 0, let a, let b else { return true }
        var k = 0
        while k + 8 <= count {
            if a.loadUnaligned(fromByteOffset: k, as: UInt64.self) != b.loadUnaligned(fromByteOffset: k, as: UInt64.self) { return false }
            k += 8
        }
        while k < count {
            if a.load(fromByteOffset: k, as: UInt8.self) != b.load(fromByteOffset: k, as: UInt8.self) { return false }
            k += 1
        }
        return true
    }

    static func isASCII(_ bytes: UnsafeRawBufferPointer) -> Bool {
        for byte in bytes where byte >= 0x80 { return false }
        return true
    }
}
