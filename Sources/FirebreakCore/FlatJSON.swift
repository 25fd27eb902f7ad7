/// A deterministic JSON form for flat objects of scalar fields: the bytes that are stored and hashed.
///
/// Keys keep the order given; strings escape `"`, `\`, and every control character (NUL
/// included), so any Unicode text round-trips exactly.
public enum FlatJSON {
    public static func encode(_ fields: [(String, FieldValue)]) -> String {
        var out = "{"
        var first = true
        for (key, value) in fields {
            if !first { out += "," }
            first = false
            appendString(key, to: &out)
            out += ":"
            append(value, to: &out)
        }
        out += "}"
        return out
    }

    public static func append(_ value: FieldValue, to out: inout String) {
        switch value {
        case .string(let s): appendString(s, to: &out)
        case .int(let i): out += String(i)
        case .bool(let b): out += b ? "true" : "false"
        case .null: out += "null"
        }
    }

    /// Whether a byte of UTF-8 text may start something ``appendString(_:to:)`` escapes: a control
    /// character, a quote, a backslash, DEL, or the first byte of U+2028 or U+2029 (and of other scalars).
    @inline(__always)
    static func mayNeedEscape(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == 0x22 || byte == 0x5C || byte == 0x7F || byte == 0xE2
    }

    public static func appendString(_ text: String, to out: inout String) {
        // Fast path: nothing to escape.
        var plain = true
        var utf8 = text.utf8.makeIterator()
        while let byte = utf8.next() {
            if mayNeedEscape(byte) {
                plain = false
                break
            }
        }
        if plain {
            out += "\""
            out += text
            out += "\""
            return
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count + 8)
        var text = text
        text.withUTF8 { appendString(utf8: UnsafeRawBufferPointer($0), to: &bytes) }
        out += String(decoding: bytes, as: UTF8.self)
    }

    /// ``appendString(_:to:)`` of text given as valid UTF-8 bytes, written as bytes.
    public static func appendString(utf8 text: UnsafeRawBufferPointer, to out: inout [UInt8]) {
        append(to: &out, room: stringBound(text.count)) { writeString(utf8: text, intoMemory: $0) }
    }

    /// Appends what `write` writes to memory with room for `room` bytes (it returns how many it wrote): how the
    /// writers of stored bytes that write to memory append to an array.
    public static func append(to out: inout [UInt8], room: Int, _ write: (UnsafeMutableRawPointer) -> Int) {
        let start = out.count
        out.append(contentsOf: repeatElement(0, count: room))
        let written = out.withUnsafeMutableBytes { write($0.baseAddress! + start) }
        out.removeLast(room - written)
    }

    /// The most bytes ``writeString(utf8:intoMemory:)`` writes for text of `count` bytes.
    @inline(__always)
    public static func stringBound(_ count: Int) -> Int { 6 * count + 2 }

    /// The one escaping rule, for text given as valid UTF-8 bytes, written to memory with room for
    /// ``stringBound(_:)`` bytes; returns how many it wrote. `"`, `\`, line feed, carriage return and tab
    /// by their short escapes; every other control character, DEL, U+2028 and U+2029 as `\u` and four
    /// lower-case hex digits; everything else as it is.
    public static func writeString(utf8 text: UnsafeRawBufferPointer, intoMemory out: UnsafeMutableRawPointer) -> Int {
        var n = 0
        @inline(__always) func put(_ byte: UInt8) {
            out.storeBytes(of: byte, toByteOffset: n, as: UInt8.self)
            n += 1
        }
        put(0x22)
        var i = 0
        while i < text.count {
            // A run of bytes written as they are is copied at once (names and most texts are one run).
            let run = i
            while i < text.count, !mayNeedEscape(text[i]) { i += 1 }
            if i > run {
                (out + n).copyMemory(from: text.baseAddress! + run, byteCount: i - run)
                n += i - run
            }
            guard i < text.count else { break }
            let byte = text[i]
            var code: UInt32 = UInt32(byte)
            var width = 1
            if byte == 0xE2 {
                // U+2028 and U+2029 are E2 80 A8 and E2 80 A9; any other scalar starting E2 is written as it is.
                guard i + 2 < text.count, text[i + 1] == 0x80, text[i + 2] == 0xA8 || text[i + 2] == 0xA9 else {
                    put(byte)
                    i += 1
                    continue
                }
                code = text[i + 2] == 0xA8 ? 0x2028 : 0x2029
                width = 3
            }
            put(0x5C)
            switch code {
            case 0x22: put(0x22)
            case 0x5C: put(0x5C)
            case 0x0A: put(UInt8(ascii: "n"))
            case 0x0D: put(UInt8(ascii: "r"))
            case 0x09: put(UInt8(ascii: "t"))
            default:
                let hex: StaticString = "0123456789abcdef"
                put(UInt8(ascii: "u"))
                let digit = { (shift: UInt32) in hex.utf8Start[Int(code >> shift & 0xF)] }
                put(digit(12))
                put(digit(8))
                put(digit(4))
                put(digit(0))
            }
            i += width
        }
        put(0x22)
        return n
    }

    public enum ParseError: Error, Equatable { case malformed(offset: Int) }

    /// Parses a flat object written by ``encode(_:)`` (or any flat JSON object of scalars).
    public static func decode(_ text: String) throws(ParseError) -> [String: FieldValue] {
        var text = text
        return try text.withUTF8 { utf8 in Result { () throws(ParseError) in try decode(utf8: UnsafeRawBufferPointer(utf8)) } }.get()
    }

    /// ``decode(_:)`` of UTF-8 bytes (as stored); strings in it are read as ``String(decoding:as:)`` reads them.
    public static func decode(utf8 bytes: UnsafeRawBufferPointer) throws(ParseError) -> [String: FieldValue] {
        var fields: [String: FieldValue] = [:]
        for (key, value) in try decodeFields(utf8: bytes).pairs { fields[key] = value }
        return fields
    }

    /// ``decode(utf8:)`` as the fields in their order, without hashing their names: what reading an event needs.
    public static func decodeFields(utf8 bytes: UnsafeRawBufferPointer) throws(ParseError) -> Fields {
        var parser = Parser(bytes: bytes)
        return Fields(pairs: try parser.object())
    }

    /// A flat object's fields in their order; a name given twice means its last value, as in a dictionary.
    public struct Fields: FieldLookup {
        public var pairs: [(String, FieldValue)]

        public subscript(key: String) -> FieldValue? {
            for (name, value) in pairs.reversed() where name == key { return value }
            return nil
        }
    }

    /// A field's value as stored: a string as its bytes between the quotes (escapes not yet undone).
    public enum RawValue {
        case string(UnsafeRawBufferPointer, escaped: Bool)
        case int(Int)
        case bool(Bool)
        case null

        /// The string, as ``decodeFields(utf8:)`` reads it; nil for a value of another type.
        public var string: String? {
            guard case .string(let raw, let escaped) = self else { return nil }
            return FlatJSON.text(raw, escaped: escaped)
        }
    }

    /// Reads a flat object as ``decodeFields(utf8:)`` does, accepting and refusing the same bytes, but hands each
    /// field to `field` as it is stored (its name's bytes and whether the name has escapes, and its value), making no
    /// strings. The byte buffers are valid only during the call.
    public static func scanFields(
        utf8 bytes: UnsafeRawBufferPointer, _ field: (_ name: UnsafeRawBufferPointer, _ nameEscaped: Bool, _ value: RawValue) -> Void
    ) throws(ParseError) {
        var parser = Parser(bytes: bytes)
        try parser.rawObject { (parser: inout Parser) throws(ParseError) in
            let (name, escaped) = try parser.rawString()
            try parser.expect(UInt8(ascii: ":"))
            field(name, escaped, try parser.rawValue())
        }
    }

    /// The text of a string's stored bytes (between its quotes, escapes checked by the parser): made from the
    /// bytes in place when there are no escapes.
    static func text(_ raw: UnsafeRawBufferPointer, escaped: Bool) -> String {
        escaped ? unescape(raw) : String(decoding: raw, as: UTF8.self)
    }

    /// The value of a hex digit, either case; nil for any other byte.
    static func hexDigit(_ byte: UInt8) -> UInt32? {
        switch byte {
        case 0x30...0x39: UInt32(byte - 0x30)
        case 0x61...0x66: UInt32(byte - 0x61 + 10)
        case 0x41...0x46: UInt32(byte - 0x41 + 10)
        default: nil
        }
    }

    /// The text of a string's stored bytes with escapes (checked by the parser) undone.
    static func unescape(_ raw: UnsafeRawBufferPointer) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(raw.count)
        var i = 0
        func hex4(at k: Int) -> UInt32 {
            raw[k..<k + 4].reduce(0) { $0 * 16 + (hexDigit($1) ?? 0) }
        }
        while i < raw.count {
            let byte = raw[i]
            guard byte == UInt8(ascii: "\\"), i + 1 < raw.count else {
                out.append(byte)
                i += 1
                continue
            }
            i += 1
            switch raw[i] {
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "u"):
                var code = hex4(at: i + 1)
                i += 4
                // A high surrogate followed by a low one is one scalar; a surrogate alone becomes U+FFFD.
                if (0xD800...0xDBFF).contains(code), i + 6 < raw.count, raw[i + 1] == UInt8(ascii: "\\"), raw[i + 2] == UInt8(ascii: "u"),
                    case let low = hex4(at: i + 3), (0xDC00...0xDFFF).contains(low)
                {
                    i += 6
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                }
                out += Array(String(Unicode.Scalar(code).map(Character.init) ?? "\u{FFFD}").utf8)
            default: out.append(raw[i])  // `/`, `\\` and `"` stand for themselves
            }
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    struct Parser {
        let bytes: UnsafeRawBufferPointer
        var i = 0

        mutating func skipSpace() {
            while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 }
        }

        mutating func expect(_ byte: UInt8) throws(ParseError) {
            skipSpace()
            guard i < bytes.count, bytes[i] == byte else { throw .malformed(offset: i) }
            i += 1
        }

        mutating func object() throws(ParseError) -> [(String, FieldValue)] {
            var result: [(String, FieldValue)] = []
            try rawObject { (parser: inout Parser) throws(ParseError) in
                let key = try parser.string()
                try parser.expect(UInt8(ascii: ":"))
                result.append((key, try parser.value()))
            }
            return result
        }

        /// A flat object, `field` reading each name, its colon and its value.
        mutating func rawObject(_ field: (inout Parser) throws(ParseError) -> Void) throws(ParseError) {
            try expect(UInt8(ascii: "{"))
            skipSpace()
            if i < bytes.count, bytes[i] == UInt8(ascii: "}") {
                i += 1
                return
            }
            while true {
                skipSpace()
                try field(&self)
                skipSpace()
                guard i < bytes.count else { throw .malformed(offset: i) }
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                if bytes[i] == UInt8(ascii: "}") { i += 1; break }
                throw .malformed(offset: i)
            }
        }

        mutating func value() throws(ParseError) -> FieldValue {
            switch try rawValue() {
            case .string(let raw, let escaped): .string(FlatJSON.text(raw, escaped: escaped))
            case .int(let value): .int(value)
            case .bool(let value): .bool(value)
            case .null: .null
            }
        }

        mutating func literal(_ word: String) throws(ParseError) {
            for byte in word.utf8 {
                guard i < bytes.count, bytes[i] == byte else { throw .malformed(offset: i) }
                i += 1
            }
        }

        mutating func string() throws(ParseError) -> String {
            let (raw, escaped) = try rawString()
            return FlatJSON.text(raw, escaped: escaped)
        }

        /// A string's bytes between its quotes, as they are stored, and whether it has escapes (each checked).
        mutating func rawString() throws(ParseError) -> (bytes: UnsafeRawBufferPointer, escaped: Bool) {
            guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw .malformed(offset: i) }
            i += 1
            let first = i
            var escaped = false
            while i < bytes.count {
                let byte = bytes[i]
                if byte == UInt8(ascii: "\"") {
                    defer { i += 1 }
                    return (UnsafeRawBufferPointer(rebasing: bytes[first..<i]), escaped)
                }
                if byte == UInt8(ascii: "\\") {
                    escaped = true
                    i += 1
                    guard i < bytes.count else { break }
                    switch bytes[i] {
                    case UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"), UInt8(ascii: "b"), UInt8(ascii: "f"), UInt8(ascii: "/"),
                        UInt8(ascii: "\\"), UInt8(ascii: "\""):
                        break
                    case UInt8(ascii: "u"): _ = try hex4()
                    default: throw .malformed(offset: i)
                    }
                }
                i += 1
            }
            throw .malformed(offset: i)
        }

        /// A value as stored: a string as its bytes between the quotes.
        mutating func rawValue() throws(ParseError) -> RawValue {
            skipSpace()
            guard i < bytes.count else { throw .malformed(offset: i) }
            switch bytes[i] {
            case UInt8(ascii: "\""):
                let (raw, escaped) = try rawString()
                return .string(raw, escaped: escaped)
            case UInt8(ascii: "t"): try literal("true"); return .bool(true)
            case UInt8(ascii: "f"): try literal("false"); return .bool(false)
            case UInt8(ascii: "n"): try literal("null"); return .null
            default:
                // An integer: an optional minus and at least one digit, in range (counted negative, so Int.min fits).
                let start = i
                let negative = bytes[i] == UInt8(ascii: "-")
                if negative { i += 1 }
                var number = 0
                var overflow = false
                while i < bytes.count, bytes[i] >= 0x30 && bytes[i] <= 0x39 {
                    let (times, o1) = number.multipliedReportingOverflow(by: 10)
                    let (next, o2) = times.subtractingReportingOverflow(Int(bytes[i] - 0x30))
                    overflow = overflow || o1 || o2
                    number = next
                    i += 1
                }
                guard i > start + (negative ? 1 : 0), !overflow, negative || number != Int.min else { throw .malformed(offset: start) }
                return .int(negative ? number : -number)
            }
        }

        mutating func hex4() throws(ParseError) -> UInt32 {
            guard i + 4 < bytes.count else { throw .malformed(offset: i) }
            var value: UInt32 = 0
            for k in 1...4 {
                guard let digit = FlatJSON.hexDigit(bytes[i + k]) else { throw .malformed(offset: i + k) }
                value = value * 16 + digit
            }
            i += 4
            return value
        }
    }
}
