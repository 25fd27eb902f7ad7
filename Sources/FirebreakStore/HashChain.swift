import CLibCrypto
#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import FirebreakCore

/// The tamper-evidence rule of an incident's log, the same for every store: each event's hash is
/// SHA-256 over the previous hash, a line break, and the event's canonical bytes
/// (``StoredEvent/canonicalBytes(data:)``); the first event chains from the SHA-256 of the
/// playbook text the incident was opened with. Change any stored byte of an event, or drop or
/// reorder one, and every later link fails.
public enum HashChain {
    /// SHA-256 in lower-case hex.
    public static func sha256(_ text: String) -> String {
        var hasher = Hasher()
        hasher.update(text)
        return hex(hasher.finalize())
    }

    /// The hash of `event` following `previous`; `data` is the stored `data` column when it is at hand.
    public static func link(previous: String, _ event: StoredEvent, data: String? = nil) -> String {
        var head = Array(previous.utf8)
        head.append(0x0A)
        event.writeEnvelope(into: &head)
        var hasher = Hasher()
        head.withUnsafeBytes { hasher.update($0) }
        // The canonical bytes, hashed in two parts rather than copied into one string.
        hasher.update(data ?? event.data)
        return hex(hasher.finalize())
    }

    /// A SHA-256 digest's 32 bytes.
    struct Digest {
        var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

        func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
            Swift.withUnsafeBytes(of: words, body)
        }
    }

    /// SHA-256 over bytes given in parts: OpenSSL's, on a context held here (on the stack), so a hash costs no
    /// allocation. (swift-crypto's `SHA256` allocates its context as an object and zeroes it twice, for keys' sake, on
    /// every hash: a tenth of `verify`'s time, a million hashes of a few hundred bytes. Nothing hashed here is secret.)
    struct Hasher {
        var context = SHA256_CTX()

        init() {
            _ = SHA256_Init(&context)
        }

        mutating func update(_ bytes: UnsafeRawBufferPointer) {
            _ = SHA256_Update(&context, bytes.baseAddress, bytes.count)
        }

        mutating func update(_ text: String) {
            var text = text
            text.withUTF8 { update(UnsafeRawBufferPointer($0)) }
        }

        mutating func finalize() -> Digest {
            var digest = Digest()
            _ = Swift.withUnsafeMutableBytes(of: &digest.words) { SHA256_Final($0.baseAddress!.assumingMemoryBound(to: UInt8.self), &context) }
            return digest
        }
    }

    static func hex(_ digest: Digest) -> String {
        String(unsafeUninitializedCapacity: 64) { buffer in
            writeHex(digest, into: UnsafeMutableRawBufferPointer(buffer))
            return 64
        }
    }

    /// Each byte's two lower-case hex digits, at twice its value: a static string, which threads read without
    /// counting references.
    static var hexPairs: StaticString {
        """
        000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f\
        303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f\
        606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f\
        909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf\
        c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeef\
        f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff
        """
    }

    /// The 64 lower-case hex digits of a digest, into `buffer`.
    static func writeHex(_ digest: Digest, into buffer: UnsafeMutableRawBufferPointer) {
        let pairs = hexPairs.utf8Start
        // The digest's bytes read where they are: its iterator costs about 30 instructions a byte.
        digest.withUnsafeBytes { bytes in
            for (k, byte) in bytes.enumerated() {
                buffer[2 * k] = pairs[2 * Int(byte)]
                buffer[2 * k + 1] = pairs[2 * Int(byte) + 1]
            }
        }
    }

    /// Whether 64 bytes are a digest's lower-case hex digits, compared where both are, eight digits at a time.
    @inline(__always)
    static func digest(_ digest: Digest, is hex: UnsafeRawBufferPointer) -> Bool {
        let pairs = UnsafeRawPointer(hexPairs.utf8Start)
        return digest.withUnsafeBytes { bytes in
            var k = 0
            while k < 32 {
                // Four bytes' digits as one word, in the order they are stored.
                @inline(__always) func digits(_ byte: UInt8) -> UInt64 {
                    UInt64(UInt16(littleEndian: pairs.loadUnaligned(fromByteOffset: 2 * Int(byte), as: UInt16.self)))
                }
                let word = digits(bytes[k]) | digits(bytes[k + 1]) << 16 | digits(bytes[k + 2]) << 32 | digits(bytes[k + 3]) << 48
                if word != UInt64(littleEndian: hex.loadUnaligned(fromByteOffset: 2 * k, as: UInt64.self)) { return false }
                k += 4
            }
            return true
        }
    }

    /// Whether bytes are valid UTF-8 (so that reading them as a string, which repairs what is not, keeps them as they are).
    static func isValidUTF8(_ bytes: UnsafeRawBufferPointer) -> Bool {
        // ASCII is valid: looked for eight bytes at a time.
        var i = 0
        var high: UInt64 = 0
        while i + 8 <= bytes.count {
            high |= bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            i += 8
        }
        while i < bytes.count {
            high |= UInt64(bytes[i])
            i += 1
        }
        return high & 0x8080_8080_8080_8080 == 0 || String(validating: bytes, as: UTF8.self) != nil
    }
}

extension HashChain {
    /// An event row's columns as the store holds them, as bytes (valid until the store reads on): what
    /// ``Check/nextLink(_:)`` checks without making strings of them. Actor and data are the stored bytes.
    public struct Columns {
        public var incident: Int
        public var seq: Int
        public var at: Int
        public var recordedAt: Int
        public var actor: UnsafeRawBufferPointer?
        public var role: UnsafeRawBufferPointer?
        public var outsideRole: Bool
        public var kind: UnsafeRawBufferPointer
        public var data: UnsafeRawBufferPointer
        public var hash: UnsafeRawBufferPointer

        public init(
            incident: Int, seq: Int, at: Int, recordedAt: Int, actor: UnsafeRawBufferPointer?, role: UnsafeRawBufferPointer?, outsideRole: Bool,
            kind: UnsafeRawBufferPointer, data: UnsafeRawBufferPointer, hash: UnsafeRawBufferPointer
        ) {
            self.incident = incident
            self.seq = seq
            self.at = at
            self.recordedAt = recordedAt
            self.actor = actor
            self.role = role
            self.outsideRole = outsideRole
            self.kind = kind
            self.data = data
            self.hash = hash
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
        /// The hash the next event chains from, as its UTF-8 bytes (the hash itself text).
        var previous: [UInt8]
        var expectedSeq = 1
        /// Reused by ``nextLink(_:)`` for the bytes it hashes.
        var scratch: [UInt8] = []
        public private(set) var failed = false
        public private(set) var problems: [String] = []

        public init(incident: Int, playbookHash: String) {
            self.incident = incident
            previous = Array(playbookHash.utf8)
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
            if HashChain.link(previous: String(decoding: previous, as: UTF8.self), event, data: data) != event.hash {
                fail("\(IncidentID.name(incident)): event \(seq) (\(event.event.kind.rawValue)) does not match its hash: it was changed after it was recorded")
                return
            }
            previous = Array(event.hash.utf8)
            expectedSeq += 1
        }

        /// ``next(seq:event:data:)`` of a row read as bytes, for a row that decodes: true when it is the next link (its
        /// number follows and its hash matches its bytes), and the check moves past it. False when this cannot tell
        /// (text that is not valid UTF-8 included): nothing changes, and the caller hands the decoded row to
        /// ``next(seq:event:data:)``, which decides and names what is wrong.
        public mutating func nextLink(_ row: Columns) -> Bool {
            guard !failed, row.seq == expectedSeq, row.hash.count == 64,
                HashChain.isValidUTF8(row.data), row.actor.map(HashChain.isValidUTF8) ?? true, row.role.map(HashChain.isValidUTF8) ?? true,
                HashChain.isValidUTF8(row.kind)
            else { return false }
            // The bytes hashed, written in place: the previous hash, a line break, the envelope and the data.
            let room = previous.count + 1 + StoredEvent.envelopeBound(actor: row.actor, role: row.role, kind: row.kind) + row.data.count
            if scratch.count < room { scratch = [UInt8](repeating: 0, count: max(room, 2 * scratch.count)) }
            let matches = scratch.withUnsafeMutableBytes { buffer in
                let out = buffer.baseAddress!
                var n = previous.count
                previous.withUnsafeBytes { out.copyMemory(from: $0.baseAddress!, byteCount: n) }
                out.storeBytes(of: 0x0A, toByteOffset: n, as: UInt8.self)
                n += 1
                n += StoredEvent.writeEnvelope(
                    incident: row.incident, seq: row.seq, at: row.at, recordedAt: row.recordedAt, actor: row.actor, role: row.role,
                    outsideRole: row.outsideRole, kind: row.kind, intoMemory: out + n)
                if row.data.count > 0 { (out + n).copyMemory(from: row.data.baseAddress!, byteCount: row.data.count) }
                n += row.data.count
                var hasher = Hasher()
                hasher.update(UnsafeRawBufferPointer(start: out, count: n))
                return HashChain.digest(hasher.finalize(), is: row.hash)
            }
            guard matches else { return false }
            if previous.count == 64 {
                previous.withUnsafeMutableBytes { $0.copyMemory(from: row.hash) }
            } else {
                previous = Array(row.hash)
            }
            expectedSeq += 1
            return true
        }

        /// After the last row: the incident's own record of its last event must match what was read.
        public mutating func finish(lastSeq: Int, lastHash: String) {
            if failed { return }
            if expectedSeq - 1 != lastSeq {
                fail("\(IncidentID.name(incident)): \(expectedSeq - 1) events are stored but \(lastSeq) were recorded: events are missing")
            } else if String(decoding: previous, as: UTF8.self) != lastHash {
                fail("\(IncidentID.name(incident)): the last event's hash does not match the incident's")
            }
        }

        mutating func fail(_ problem: String) {
            problems.append(problem)
            failed = true
        }
    }
}
