/// Reads the JSON Firebreak stores beside an event log — incident snapshots and compiled playbooks — without
/// Codable: the formats `JSONEncoder` writes for ``Incident`` and ``Playbook`` (and read before 1.1 without the
/// keys added since), and nothing else.
///
/// Why not `JSONDecoder`: a command reads one snapshot and one playbook, and decoding them with Codable cost two
/// thirds of `firebreak status` (about 38 M of 60 M instructions). Most of it was not parsing: each Codable type
/// met for the first time in a process makes the Swift runtime scan every protocol conformance in the binary
/// (about 9,000) to instantiate its coding containers. Stored data is input: anything that is not the format,
/// nested too deep included, is ``Malformed``, never a trap.
public enum StoredJSON {
    public struct Malformed: Error, Equatable, Sendable {
        /// What could not be read: a key, or where the text stopped being JSON.
        public var what: String
        public init(_ what: String) { self.what = what }
    }

    /// A parsed value. Integers beyond `Int` are kept as `UInt64` (a `UInt64` field can hold them). Not `indirect`:
    /// objects and arrays hold their values in arrays already, and a box for every value doubled the cost of reading a
    /// snapshot.
    public enum Node: Sendable {
        case object(Object)
        case array([Node])
        case string(String)
        case int(Int)
        case uint(UInt64)
        case number
        case bool(Bool)
        case null
    }

    /// An object, its keys in the order written (a handful each: looked up by scanning).
    public struct Object: Sendable {
        var pairs: [(key: String, value: Node)]

        /// The value of `key`; absent and `null` are both nil (as `decodeIfPresent` reads them).
        func value(_ key: String) -> Node? {
            for pair in pairs where pair.key == key {
                if case .null = pair.value { return nil }
                return pair.value
            }
            return nil
        }

        func required(_ key: String) throws(Malformed) -> Node {
            guard let node = value(key) else { throw Malformed("'\(key)' is missing") }
            return node
        }

        func string(_ key: String) throws(Malformed) -> String { try required(key).string(key) }
        func int(_ key: String) throws(Malformed) -> Int { try required(key).int(key) }
        func bool(_ key: String) throws(Malformed) -> Bool { try required(key).bool(key) }
        func object(_ key: String) throws(Malformed) -> Object { try required(key).object(key) }
        func array(_ key: String) throws(Malformed) -> [Node] { try required(key).array(key) }
        func strings(_ key: String) throws(Malformed) -> [String] {
            var out: [String] = []
            for node in try array(key) { out.append(try node.string(key)) }
            return out
        }
        func ints(_ key: String) throws(Malformed) -> [Int] {
            var out: [Int] = []
            for node in try array(key) { out.append(try node.int(key)) }
            return out
        }

        func optionalString(_ key: String) throws(Malformed) -> String? { try value(key).map { n throws(Malformed) in try n.string(key) } }
        func optionalInt(_ key: String) throws(Malformed) -> Int? { try value(key).map { n throws(Malformed) in try n.int(key) } }
        func optionalBool(_ key: String) throws(Malformed) -> Bool? { try value(key).map { n throws(Malformed) in try n.bool(key) } }
        func optionalArray(_ key: String) throws(Malformed) -> [Node]? { try value(key).map { n throws(Malformed) in try n.array(key) } }

        /// A Swift enum case as Codable writes it: `{"case": {fields}}`, exactly one key.
        func enumCase(_ what: String) throws(Malformed) -> (name: String, fields: Object) {
            guard pairs.count == 1 else { throw Malformed("'\(what)' is not one case") }
            return (pairs[0].key, try pairs[0].value.object(what))
        }
    }

    /// Parses `bytes` as one JSON value (at most `maxDepth` arrays and objects deep).
    public static func parse(_ bytes: some Collection<UInt8>) throws(Malformed) -> Node {
        if let parsed = bytes.withContiguousStorageIfAvailable({ parse(UnsafeRawBufferPointer($0)) }) { return try parsed.get() }
        return try Array(bytes).withUnsafeBytes { parse($0) }.get()
    }

    static func parse(_ raw: UnsafeRawBufferPointer) -> Result<Node, Malformed> {
        var parser = FlatJSON.Parser(bytes: raw)
        let node: Node
        do throws(FlatJSON.ParseError) {
            node = try parser.node(depth: 0)
        } catch {
            guard case .malformed(let offset) = error else { return .failure(Malformed("not JSON")) }
            return .failure(Malformed("not JSON at byte \(offset)"))
        }
        parser.skipSpace()
        guard parser.i == parser.bytes.count else { return .failure(Malformed("not JSON at byte \(parser.i)")) }
        return .success(node)
    }

    /// Deeper than any snapshot or playbook nests; bounds the parser's recursion on hostile input.
    static let maxDepth = 32
}

extension StoredJSON.Node {
    func object(_ key: String) throws(StoredJSON.Malformed) -> StoredJSON.Object {
        guard case .object(let object) = self else { throw StoredJSON.Malformed("'\(key)' is not an object") }
        return object
    }
    func array(_ key: String) throws(StoredJSON.Malformed) -> [StoredJSON.Node] {
        guard case .array(let array) = self else { throw StoredJSON.Malformed("'\(key)' is not an array") }
        return array
    }
    func string(_ key: String) throws(StoredJSON.Malformed) -> String {
        guard case .string(let string) = self else { throw StoredJSON.Malformed("'\(key)' is not a string") }
        return string
    }
    func int(_ key: String) throws(StoredJSON.Malformed) -> Int {
        guard case .int(let int) = self else { throw StoredJSON.Malformed("'\(key)' is not an integer") }
        return int
    }
    func int32(_ key: String) throws(StoredJSON.Malformed) -> Int32 {
        guard let value = Int32(exactly: try int(key)) else { throw StoredJSON.Malformed("'\(key)' is out of range") }
        return value
    }
    func uint64(_ key: String) throws(StoredJSON.Malformed) -> UInt64 {
        switch self {
        case .int(let int) where int >= 0: return UInt64(int)
        case .uint(let uint): return uint
        default: throw StoredJSON.Malformed("'\(key)' is not an unsigned integer")
        }
    }
    func bool(_ key: String) throws(StoredJSON.Malformed) -> Bool {
        guard case .bool(let bool) = self else { throw StoredJSON.Malformed("'\(key)' is not true or false") }
        return bool
    }
}

extension FlatJSON.Parser {
    /// Whether a byte after a number's digits makes it one with a fraction or an exponent.
    @inline(__always) static func continuesNumber(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: ".") || byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-")
    }

    /// Any JSON value, nested at most ``StoredJSON/maxDepth`` deep.
    mutating func node(depth: Int) throws(FlatJSON.ParseError) -> StoredJSON.Node {
        skipSpace()
        guard i < bytes.count else { throw .malformed(offset: i) }
        switch bytes[i] {
        case UInt8(ascii: "{"):
            guard depth < StoredJSON.maxDepth else { throw .malformed(offset: i) }
            i += 1
            var pairs: [(key: String, value: StoredJSON.Node)] = []
            skipSpace()
            if i < bytes.count, bytes[i] == UInt8(ascii: "}") {
                i += 1
                return .object(StoredJSON.Object(pairs: pairs))
            }
            // Room for a snapshot's largest objects at once: growing one pair at a time cost a copy at every doubling.
            pairs.reserveCapacity(16)
            while true {
                skipSpace()
                let key = try string()
                try expect(UInt8(ascii: ":"))
                pairs.append((key, try node(depth: depth + 1)))
                skipSpace()
                guard i < bytes.count else { throw .malformed(offset: i) }
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                if bytes[i] == UInt8(ascii: "}") { i += 1; break }
                throw .malformed(offset: i)
            }
            return .object(StoredJSON.Object(pairs: pairs))
        case UInt8(ascii: "["):
            guard depth < StoredJSON.maxDepth else { throw .malformed(offset: i) }
            i += 1
            var items: [StoredJSON.Node] = []
            skipSpace()
            if i < bytes.count, bytes[i] == UInt8(ascii: "]") {
                i += 1
                return .array(items)
            }
            items.reserveCapacity(8)
            while true {
                items.append(try node(depth: depth + 1))
                skipSpace()
                guard i < bytes.count else { throw .malformed(offset: i) }
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                if bytes[i] == UInt8(ascii: "]") { i += 1; break }
                throw .malformed(offset: i)
            }
            return .array(items)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        default:
            let start = i
            if bytes[i] == UInt8(ascii: "-") { i += 1 }
            let digits = i
            while i < bytes.count, bytes[i] >= 0x30 && bytes[i] <= 0x39 { i += 1 }
            guard i > digits else { throw .malformed(offset: start) }
            var fraction = false
            while i < bytes.count, Self.continuesNumber(bytes[i]) || (fraction && bytes[i] >= 0x30 && bytes[i] <= 0x39) {
                fraction = true
                i += 1
            }
            if fraction { return .number }
            // At most 18 digits cannot overflow; longer ones are read as text.
            if i - digits <= 18 {
                var value = 0
                for k in digits..<i { value = value &* 10 &+ Int(bytes[k] &- 0x30) }
                return .int(digits > start ? -value : value)
            }
            let text = String(decoding: bytes[start..<i], as: UTF8.self)
            if let int = Int(text) { return .int(int) }
            if let uint = UInt64(text) { return .uint(uint) }
            return .number
        }
    }
}

// MARK: Incident snapshots

extension Incident {
    /// A stored snapshot (see ``StoredJSON``). Keys added in 1.1 may be absent.
    public init(storedJSON bytes: some Collection<UInt8>) throws(StoredJSON.Malformed) {
        try self.init(json: try StoredJSON.parse(bytes).object("snapshot"))
    }

    init(json o: StoredJSON.Object) throws(StoredJSON.Malformed) {
        guard let severity = IncidentSeverity(rawValue: try o.string("severity")) else { throw StoredJSON.Malformed("'severity' is unknown") }
        var assignments: [String: String] = [:]
        for (role, person) in try o.object("assignments").pairs { assignments[role] = try person.string("assignments") }
        self.init(
            title: try o.string("title"), severity: severity, openedAt: try o.int("openedAt"), beganAt: try o.optionalInt("beganAt"),
            assignments: assignments, state: try o.int("state"), enteredAt: try o.int("enteredAt"), round: try o.int("round"),
            rounds: try o.ints("rounds"), steps: try o.array("steps").map { n throws(StoredJSON.Malformed) in try StepProgress(json: n.object("steps")) },
            duties: try (o.optionalArray("duties") ?? []).map { n throws(StoredJSON.Malformed) in try StepProgress(json: n.object("duties")) },
            carried: try (o.optionalArray("carried") ?? []).map { n throws(StoredJSON.Malformed) in try CarriedStep(json: n.object("carried")) },
            closed: try o.value("closed").map { n throws(StoredJSON.Malformed) in try Closure(json: n.object("closed")) }, eventCount: try o.int("eventCount"))
        if let node = o.value("deputies") {
            var deputies: [String: [String]] = [:]
            for (role, list) in try node.object("deputies").pairs {
                deputies[role] = try list.array("deputies").map { n throws(StoredJSON.Malformed) in try n.string("deputies") }
            }
            self.deputies = deputies
        }
        comms = try o.value("comms").map { n throws(StoredJSON.Malformed) in try Communications(json: n.object("comms")) }
    }

    /// Whether a stored snapshot says its incident was force-closed; a snapshot that cannot be read says no
    /// (`verify` is what reports damage).
    public static func isForceClosed(storedJSON bytes: some Collection<UInt8>) -> Bool {
        guard case .object(let o)? = try? StoredJSON.parse(bytes), case .object(let closed)? = o.value("closed") else { return false }
        return (try? closed.bool("forced")) ?? false
    }
}

extension Incident.Closure {
    init(json o: StoredJSON.Object) throws(StoredJSON.Malformed) {
        self.init(at: try o.int("at"), reason: try o.optionalString("reason"), forced: try o.bool("forced"))
    }
}

extension StepProgress {
    init(json o: StoredJSON.Object) throws(StoredJSON.Malformed) {
        self.init()
        let (name, fields) = try o.object("status").enumCase("status")
        switch name {
        case "open": status = .open
        case "done": status = .done(at: try fields.int("at"))
        case "skipped": status = .skipped(at: try fields.int("at"))
        default: throw StoredJSON.Malformed("'status' is unknown")
        }
        overdue = try o.bool("overdue")
        escalated = try o.bool("escalated")
    }
}

extension CarriedStep {
    init(json o: StoredJSON.Object) throws(StoredJSON.Malformed) {
        self.init(
            step: try o.required("step").int32("step"), round: try o.required("round").int32("round"), deadline: try o.int("deadline"),
            blockedNeeds: try o.required("blockedNeeds").uint64("blockedNeeds"), progress: try StepProgress(json: o.object("progress")))
    }
}

extension Communications {
    init(json o: StoredJSON.Object) throws(StoredJSON.Malformed) {
        self.init(
            statements: try o.array("statements").map { n throws(StoredJSON.Malformed) in try StatementProgress(json: n.object("statements")) },
            nextUpdate: try o.ints("nextUpdate"))
    }
}

extension StatementProgress {
    init(json o: StoredJSON.Object) throws(StoredJSON.Malformed) {
        func roles(_ key: String) throws(StoredJSON.Malformed) -> [Int32] {
            try o.array(key).map { n throws(StoredJSON.Malformed) in try n.int32(key) }
        }
        self.init(
            audience: try o.int("audience"), version: try o.int("version"), text: try o.string("text"),
            hasPlaceholders: try o.bool("hasPlaceholders"), approvedBy: try roles("approvedBy"), rejectedBy: try roles("rejectedBy"),
            publishedAt: try o.optionalInt("publishedAt"))
    }
}

// MARK: Compiled playbooks

extension Playbook {
    /// A stored compiled copy (see ``StoredJSON``). Keys added in 1.1 may be absent: no duties, no audiences, English.
    /// Whether it is safe for the engine is ``isWellFormed``'s to say.
    public init(storedJSON bytes: some Collection<UInt8>) throws(StoredJSON.Malformed) {
        let o = try StoredJSON.parse(bytes).object("playbook")
        guard let severity = IncidentSeverity(rawValue: try o.string("severity")) else { throw StoredJSON.Malformed("'severity' is unknown") }
        self.init(
            id: try o.string("id"), title: try o.string("title"), summary: try o.optionalString("summary"), severity: severity,
            roles: try o.array("roles").map { n throws(StoredJSON.Malformed) in try Role(json: n.object("roles")) },
            commander: try o.string("commander"), start: try o.int("start"),
            states: try o.array("states").map { n throws(StoredJSON.Malformed) in try State(json: n.object("states")) },
            globalTransitions: try o.array("globalTransitions").map { n throws(StoredJSON.Malformed) in try Transition(json: n.object("globalTransitions")) },
            duties: try (o.optionalArray("duties") ?? []).map { n throws(StoredJSON.Malformed) in try Step(json: n.object("duties")) },
            audiences: try (o.optionalArray("audiences") ?? []).map { n throws(StoredJSON.Malformed) in try Audience(json: n.object("audiences")) })
        if let language = try o.optionalString("language") {
            guard let known = Language(rawValue: language) else { throw StoredJSON.Malformed("'language' is unknown") }
            self.language = known
        }
    }
}

extension Role {
    init(json o: StoredJSON.Object) throws(StoredJSON.Malformed) {
        self.init(id: try o.string("id"), title: try o.string("title"), escalatesTo: try o.optionalString("escalatesTo"))
    }
}

extension Audience {
    init(json o: StoredJSON.Object) throws(StoredJSON.Malformed) {
        self.init(
            id: try o.string("id"), title: try o.string("title"), approvers: try o.strings("approvers"), cadence: try o.optionalInt("cadence"),
            avoid: try o.strings("avoid"))
    }
}

extension State {
    init(json o: StoredJSON.Object) throws(StoredJSON.Malformed) {
        self.init(
            id: try o.string("id"), title: try o.string("title"), isFinal: try o.bool("isFinal"),
            steps: try o.array("steps").map { n throws(StoredJSON.Malformed) in try Step(json: n.object("steps")) },
            transitions: try o.array("transitions").map { n throws(StoredJSON.Malformed) in try Transition(json: n.object("transitions")) },
            timers: try o.array("timers").map { n throws(StoredJSON.Malformed) in
                let timer = try n.object("timers")
                return Timer(after: try timer.int("after"), target: try timer.int("target"))
            })
    }
}

extension Transition {
    init(json o: StoredJSON.Object) throws(StoredJSON.Malformed) {
        let (name, fields) = try o.object("guardCondition").enumCase("guardCondition")
        let condition: Guard
        switch name {
        case "always": condition = .always
        case "allDone": condition = .allDone
        case "steps": condition = .steps(try fields.ints("_0"))
        default: throw StoredJSON.Malformed("'guardCondition' is unknown")
        }
        self.init(
            event: try o.string("event"), target: try o.int("target"), guardCondition: condition,
            by: try o.optionalArray("by").map { list throws(StoredJSON.Malformed) in try list.map { n throws(StoredJSON.Malformed) in try n.string("by") } })
    }
}

extension Step {
    init(json o: StoredJSON.Object) throws(StoredJSON.Malformed) {
        var choices: Choices?
        if let node = o.value("choices") {
            let c = try node.object("choices")
            if let events = try c.optionalArray("events") {
                var pairs: [(option: String, event: String)] = []
                for pair in events {
                    let both = try pair.array("events").map { n throws(StoredJSON.Malformed) in try n.string("events") }
                    if both.count == 2 { pairs.append((both[0], both[1])) }
                }
                choices = .events(pairs)
            } else {
                choices = .options(try c.strings("options"))
            }
        }
        var escalate: Escalation?
        if let node = o.value("escalate") {
            let (name, fields) = try node.object("escalate").enumCase("escalate")
            switch name {
            case "role": escalate = .role(try fields.string("_0"))
            case "never": escalate = .never
            default: throw StoredJSON.Malformed("'escalate' is unknown")
            }
        }
        self.init(
            id: try o.string("id"), title: try o.string("title"), owner: try o.string("owner"), due: try o.optionalInt("due"),
            needs: try o.ints("needs"), isOptional: try o.bool("isOptional"), choices: choices, guidance: try o.optionalString("guidance"),
            template: try o.optionalString("template"), milestone: try o.optionalString("milestone"), carry: try o.optionalBool("carry") ?? false,
            escalate: escalate, statement: try o.optionalString("statement"), informs: try o.optionalString("informs"))
    }
}
