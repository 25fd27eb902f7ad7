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

    public static func appendString(_ text: String, to out: inout String) {
        // Fast path: nothing to escape (no control character, quote, backslash, DEL, U+2028 or U+2029).
        var plain = true
        var utf8 = text.utf8.makeIterator()
        while let byte = utf8.next() {
            if byte < 0x20 || byte == 0x22 || byte == 0x5C || byte == 0x7F || byte == 0xE2 {
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
        out.unicodeScalars.append("\"")
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F || scalar.value == 0x2028 || scalar.value == 0x2029 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out.unicodeScalars.append("\"")
    }

    public enum ParseError: Error, Equatable { case malformed(offset: Int) }

    /// Parses a flat object written by ``encode(_:)`` (or any flat JSON object of scalars).
    public static func decode(_ text: String) throws(ParseError) -> [String: FieldValue] {
        var parser = Parser(bytes: Array(text.utf8))
        return try parser.object()
    }

    struct Parser {
        let bytes: [UInt8]
        var i = 0

        mutating func skipSpace() {
            while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 }
        }

        mutating func expect(_ byte: UInt8) throws(ParseError) {
            skipSpace()
            guard i < bytes.count, bytes[i] == byte else { throw .malformed(offset: i) }
            i += 1
        }

        mutating func object() throws(ParseError) -> [String: FieldValue] {
            var result: [String: FieldValue] = [:]
            try expect(UInt8(ascii: "{"))
            skipSpace()
            if i < bytes.count, bytes[i] == UInt8(ascii: "}") {
                i += 1
                return result
            }
            while true {
                skipSpace()
                let key = try string()
                try expect(UInt8(ascii: ":"))
                result[key] = try value()
                skipSpace()
                guard i < bytes.count else { throw .malformed(offset: i) }
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                if bytes[i] == UInt8(ascii: "}") { i += 1; break }
                throw .malformed(offset: i)
            }
            return result
        }

        mutating func value() throws(ParseError) -> FieldValue {
            skipSpace()
            guard i < bytes.count else { throw .malformed(offset: i) }
            switch bytes[i] {
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"): try literal("true"); return .bool(true)
            case UInt8(ascii: "f"): try literal("false"); return .bool(false)
            case UInt8(ascii: "n"): try literal("null"); return .null
            default:
                let start = i
                if bytes[i] == UInt8(ascii: "-") { i += 1 }
                while i < bytes.count, bytes[i] >= 0x30 && bytes[i] <= 0x39 { i += 1 }
                guard let number = Int(String(decoding: bytes[start..<i], as: UTF8.self)) else { throw .malformed(offset: start) }
                return .int(number)
            }
        }

        mutating func literal(_ word: String) throws(ParseError) {
            for byte in word.utf8 {
                guard i < bytes.count, bytes[i] == byte else { throw .malformed(offset: i) }
                i += 1
            }
        }

        mutating func string() throws(ParseError) -> String {
            guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw .malformed(offset: i) }
            i += 1
            var out: [UInt8] = []
            var start = i
            while i < bytes.count {
                let byte = bytes[i]
                if byte == UInt8(ascii: "\"") {
                    out += bytes[start..<i]
                    i += 1
                    return String(decoding: out, as: UTF8.self)
                }
                if byte == UInt8(ascii: "\\") {
                    out += bytes[start..<i]
                    i += 1
                    guard i < bytes.count else { break }
                    switch bytes[i] {
                    case UInt8(ascii: "n"): out.append(0x0A)
                    case UInt8(ascii: "r"): out.append(0x0D)
                    case UInt8(ascii: "t"): out.append(0x09)
                    case UInt8(ascii: "b"): out.append(0x08)
                    case UInt8(ascii: "f"): out.append(0x0C)
                    case UInt8(ascii: "/"): out.append(0x2F)
                    case UInt8(ascii: "\\"): out.append(0x5C)
                    case UInt8(ascii: "\""): out.append(0x22)
                    case UInt8(ascii: "u"):
                        var code = try hex4()
                        if (0xD800...0xDBFF).contains(code), i + 2 < bytes.count, bytes[i + 1] == UInt8(ascii: "\\"), bytes[i + 2] == UInt8(ascii: "u") {
                            i += 2
                            let low = try hex4()
                            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                        }
                        out += Array(String(Unicode.Scalar(code).map(Character.init) ?? "\u{FFFD}").utf8)
                    default: throw .malformed(offset: i)
                    }
                    i += 1
                    start = i
                    continue
                }
                i += 1
            }
            throw .malformed(offset: i)
        }

        mutating func hex4() throws(ParseError) -> UInt32 {
            guard i + 4 < bytes.count else { throw .malformed(offset: i) }
            var value: UInt32 = 0
            for k in 1...4 {
                let b = bytes[i + k]
                let digit: UInt32
                switch b {
                case 0x30...0x39: digit = UInt32(b - 0x30)
                case 0x61...0x66: digit = UInt32(b - 0x61 + 10)
                case 0x41...0x46: digit = UInt32(b - 0x41 + 10)
                default: throw .malformed(offset: i + k)
                }
                value = value * 16 + digit
            }
            i += 4
            return value
        }
    }
}
