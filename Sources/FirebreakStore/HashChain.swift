import Crypto
import FirebreakCore

/// The tamper-evidence rule of an incident's log, the same for every store: each event's hash is
/// SHA-256 over the previous hash, a line break, and the event's canonical bytes
/// (``StoredEvent/canonicalBytes(data:)``); the first event chains from the SHA-256 of the
/// playbook text the incident was opened with. Change any stored byte of an event, or drop or
/// reorder one, and every later link fails.
public enum HashChain {
    /// SHA-256 in lower-case hex.
    public static func sha256(_ text: String) -> String {
        var hasher = SHA256()
        update(&hasher, text)
        return hex(hasher.finalize())
    }

    /// The hash of `event` following `previous`; `data` is the stored `data` column when it is at hand.
    public static func link(previous: String, _ event: StoredEvent, data: String? = nil) -> String {
        var hasher = SHA256()
        update(&hasher, previous)
        update(&hasher, "\n")
        // The canonical bytes, hashed in two parts rather than copied into one string.
        update(&hasher, event.envelope)
        update(&hasher, data ?? event.data)
        return hex(hasher.finalize())
    }

    static func update(_ hasher: inout SHA256, _ text: String) {
        var text = text
        text.withUTF8 { hasher.update(bufferPointer: UnsafeRawBufferPointer($0)) }
    }

    static func hex(_ digest: SHA256.Digest) -> String {
        let digits = Array("0123456789abcdef".utf8)
        return String(unsafeUninitializedCapacity: 64) { buffer in
            var i = 0
            for byte in digest {
                buffer[i] = digits[Int(byte >> 4)]
                buffer[i + 1] = digits[Int(byte & 0x0F)]
                i += 2
            }
            return 64
        }
    }
}

extension HashChain {
    /// The end of an incident's chain, advanced by each event appended: every backend appends
    /// through this, so sequence numbers and hashes follow one rule.
    public struct Tip: Sendable, Equatable {
        public private(set) var seq: Int
        public private(set) var hash: String

        /// The tip of a new incident's log: no event yet, chained from the playbook's hash.
        public init(playbookHash: String) {
            seq = 0
            hash = playbookHash
        }

        /// The tip after the last stored event.
        public init(seq: Int, hash: String) {
            self.seq = seq
            self.hash = hash
        }

        /// Numbers and hashes the next event of incident `incident`; returns it with its `data`
        /// column (the kind's fields as flat JSON), which the hash covers.
        public mutating func append(_ event: Event, incident: Int, recordedAt: Int) -> (event: StoredEvent, data: String) {
            var item = StoredEvent(incident: incident, seq: seq + 1, recordedAt: recordedAt, event: event, hash: "")
            let data = item.data
            item.hash = HashChain.link(previous: hash, item, data: data)
            seq = item.seq
            hash = item.hash
            return (item, data)
        }
    }

    /// Checks one incident's stored log, event by event in sequence order, against the chain; every
    /// backend's `verify` feeds its rows through this, so the problems are named the same way.
    /// After the first broken link the rest is only counted: one break makes every later link fail.
    public struct Check: Sendable {
        public let incident: Int
        var previous: String
        var expectedSeq = 1
        public private(set) var failed = false
        public private(set) var problems: [String] = []

        public init(incident: Int, playbookHash: String) {
            self.incident = incident
            previous = playbookHash
        }

        /// The next stored row: its sequence number when readable, the event when it decodes, and
        /// the `data` exactly as stored (the hash covers the stored bytes).
        public mutating func next(seq: Int?, event: StoredEvent?, data: String?) {
            if failed { return }
            guard let seq else {
                fail("\(IncidentID.name(incident)): the number of the event after \(expectedSeq - 1) cannot be read")
                return
            }
            if seq != expectedSeq {
                fail("\(IncidentID.name(incident)): event \(expectedSeq) is missing (the next stored is \(seq))")
                return
            }
            guard let event else {
                fail("\(IncidentID.name(incident)): event \(seq) cannot be read")
                return
            }
            if HashChain.link(previous: previous, event, data: data) != event.hash {
                fail("\(IncidentID.name(incident)): event \(seq) (\(event.event.kind.rawValue)) does not match its hash: it was changed after it was recorded")
                return
            }
            previous = event.hash
            expectedSeq += 1
        }

        /// After the last row: the incident's own record of its last event must match what was read.
        public mutating func finish(lastSeq: Int, lastHash: String) {
            if failed { return }
            if expectedSeq - 1 != lastSeq {
                fail("\(IncidentID.name(incident)): \(expectedSeq - 1) events are stored but \(lastSeq) were recorded: events are missing")
            } else if previous != lastHash {
                fail("\(IncidentID.name(incident)): the last event's hash does not match the incident's")
            }
        }

        mutating func fail(_ problem: String) {
            problems.append(problem)
            failed = true
        }
    }
}
