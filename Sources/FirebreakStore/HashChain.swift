import Crypto

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
        update(&hasher, event.canonicalBytes(data: data))
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
