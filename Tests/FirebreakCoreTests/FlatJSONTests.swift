import FirebreakCore
import FirebreakTestSupport
import Testing

/// FlatJSON is what is stored and hashed: every string must come back scalar for scalar.
@Suite struct FlatJSONTests {
    /// Decodes one encoded string field back.
    static func roundTrip(_ text: String) throws -> String? {
        let decoded = try FlatJSON.decode(FlatJSON.encode([("text", .string(text))]))
        return decoded["text"]?.string
    }

    @Test(arguments: [
        "",
        "plain",
        "nul\u{0}inside",
        "\u{0}",
        "line\nbreak\r\nand\rcarriage",
        "tab\tand\u{8}backspace\u{C}formfeed",
        "say \"hi\"",
        "back\\slash \\n not a newline \\u0000",
        "emoji 🔥👩🏽‍🚒 and flags 🇳🇱",
        "separators \u{2028} and \u{2029}",
        "del \u{7F} and c1 \u{85}",
        "e\u{301} vs \u{E9}",  // canonically equivalent forms must not be merged
        "bom \u{FEFF} and max \u{10FFFF}",
        "\u{1F}\u{1}\u{1B}[0m",
        "/slashes/ and {braces} [brackets] : , ",
    ])
    func stringRoundTrips(text: String) throws {
        let back = try #require(try Self.roundTrip(text))
        #expect(Array(back.unicodeScalars) == Array(text.unicodeScalars))
        #expect(Array(back.utf8) == Array(text.utf8))
    }

    @Test(arguments: [
        ("\u{0}", "\"\\u0000\""),
        ("\n", "\"\\n\""),
        ("\r", "\"\\r\""),
        ("\t", "\"\\t\""),
        ("\u{8}", "\"\\u0008\""),
        ("\u{1F}", "\"\\u001f\""),
        ("\u{7F}", "\"\\u007f\""),
        ("\u{2028}\u{2029}", "\"\\u2028\\u2029\""),
        ("\"", "\"\\\"\""),
        ("\\", "\"\\\\\""),
        ("é🔥", "\"é🔥\""),
        ("/", "\"/\""),
    ])
    func stringEncoding(text: String, expected: String) {
        var out = ""
        FlatJSON.appendString(text, to: &out)
        #expect(Array(out.unicodeScalars) == Array(expected.unicodeScalars))
    }

    @Test func objectKeepsKeyOrderAndScalarTypes() throws {
        let fields: [(String, FieldValue)] = [
            ("z", .string("last key first")), ("count", .int(-42)), ("big", .int(Int.max)), ("small", .int(Int.min)),
            ("yes", .bool(true)), ("no", .bool(false)), ("nothing", .null), ("k\"ey\n", .string("v")),
        ]
        let text = FlatJSON.encode(fields)
        #expect(text == #"{"z":"last key first","count":-42,"big":9223372036854775807,"small":-9223372036854775808,"yes":true,"no":false,"nothing":null,"k\"ey\n":"v"}"#)
        let decoded = try FlatJSON.decode(text)
        #expect(decoded.count == fields.count)
        for (key, value) in fields { #expect(decoded[key] == value, "\(key)") }
        #expect(FlatJSON.encode([]) == "{}")
        #expect(try FlatJSON.decode("{}").isEmpty)
        #expect(try FlatJSON.decode(" { \"a\" : 1 , \"b\" : \"\\u00e9\\ud83d\\udd25\" } ") == ["a": .int(1), "b": .string("é🔥")])
    }

    /// The escaping rule, exactly: short escapes for the quote, backslash, line feed, carriage return and tab; `\u` and
    /// four lower-case digits for other control characters, DEL, U+2028 and U+2029; everything else (other scalars whose
    /// UTF-8 starts with the same byte as U+2028 included) as it is.
    @Test func stringsAreEscapedExactly() {
        let cases: [(String, String)] = [
            ("plain", #""plain""#),
            ("q\"b\\n\nr\rt\t", #""q\"b\\n\nr\rt\t""#),
            ("\u{0}\u{1}\u{1F}\u{7F}", #""\u0000\u0001\u001f\u007f""#),
            ("a\u{2028}b\u{2029}c", #""a\u2028b\u2029c""#),
            ("\u{2030}\u{20AC}\u{2027}é🔥", "\"\u{2030}\u{20AC}\u{2027}é🔥\""),
            ("/", #""/""#),
        ]
        for (text, expected) in cases {
            var out = ""
            FlatJSON.appendString(text, to: &out)
            #expect(out == expected, "\(text.debugDescription)")
        }
    }

    /// A stored kind's bytes name the kind its raw value names, and nothing else does.
    @Test func everyKindIsFoundByItsStoredBytes() {
        for kind in Event.Kind.allCases {
            #expect(Array(kind.rawValue.utf8).withUnsafeBytes { Event.Kind(utf8: $0) } == kind)
        }
        for name in ["", "Note", "not", "notes", "update_overdue", "note\u{0}", "approvex", "assignex", "reopenex", "rejectex", "dxxx", "update-overdux"] {
            #expect(Array(name.utf8).withUnsafeBytes { Event.Kind(utf8: $0) } == nil, "\(name.debugDescription)")
        }
        #expect([UInt8]([0x6E, 0x6F, 0x74, 0xE9]).withUnsafeBytes { Event.Kind(utf8: $0) } == nil)
    }

    @Test func integersAreReadExactlyAndANameGivenTwiceMeansItsLastValue() throws {
        #expect(try FlatJSON.decode(#"{"a":-0,"b":007,"c":-9223372036854775808,"d":9223372036854775807}"#)
            == ["a": .int(0), "b": .int(7), "c": .int(Int.min), "d": .int(Int.max)])
        let text = #"{"a":1,"b":"x","a":2}"#
        #expect(try FlatJSON.decode(text) == ["a": .int(2), "b": .string("x")])
        let fields = try Array(text.utf8).withUnsafeBytes { try FlatJSON.decodeFields(utf8: $0) }
        #expect(fields["a"] == .int(2))
        #expect(fields["b"] == .string("x"))
        #expect(fields["c"] == nil)
    }

    @Test(arguments: [
        "", "{", "{\"a\":}", "{\"a\":-}", "{\"a\":9223372036854775808}", "{\"a\":-9223372036854775809}", "{\"a\":1", "{\"a\" 1}", "{\"a\":\"unterminated}", "{\"a\":\"bad \\q escape\"}", "{\"a\":tru}", "[1]", "{\"a\":1,}"])
    func malformedInputIsRefused(text: String) {
        #expect(throws: FlatJSON.ParseError.self) { try FlatJSON.decode(text) }
    }

    /// Surrogate escapes: a pair is one scalar; a surrogate alone (a high one followed by anything but a low one
    /// included) is U+FFFD, and what follows it is read as it is.
    @Test(arguments: [
        (#"{"a":"\uD83D\uDD25"}"#, "\u{1F525}"),
        (#"{"a":"\uD800\u0041"}"#, "\u{FFFD}A"),
        (#"{"a":"\uD800x"}"#, "\u{FFFD}x"),
        (#"{"a":"\uDC00\uD800"}"#, "\u{FFFD}\u{FFFD}"),
        (#"{"a":"x\u00e9\/\\\"\b\f"}"#, "x\u{E9}/\\\"\u{8}\u{C}"),
    ])
    func surrogateEscapesAreReadWithoutTrapping(text: String, value: String) throws {
        #expect(try FlatJSON.decode(text) == ["a": .string(value)])
    }

    /// A random Unicode scalar, biased towards the characters that need escaping.
    static func randomScalar(_ generator: inout SeededGenerator) -> Unicode.Scalar {
        let special: [UInt32] = [0x22, 0x5C, 0x2F, 0x0A, 0x0D, 0x09, 0x00, 0x7F, 0x2028, 0x2029, 0x301, 0xFEFF, 0xFFFD, 0x10FFFF]
        let value: UInt32
        switch Int.random(in: 0..<8, using: &generator) {
        case 0: value = UInt32.random(in: 0..<0x20, using: &generator)
        case 1: value = special.randomElement(using: &generator)!
        case 2, 3: value = UInt32.random(in: 0x20..<0x7F, using: &generator)
        case 4: value = UInt32.random(in: 0x7F..<0x800, using: &generator)
        case 5: value = UInt32.random(in: 0x800..<0xD800, using: &generator)
        case 6: value = UInt32.random(in: 0xE000...0xFFFF, using: &generator)
        default: value = UInt32.random(in: 0x10000...0x10FFFF, using: &generator)
        }
        return Unicode.Scalar(value)!
    }

    @Test func fiveHundredRandomStringsRoundTrip() throws {
        var generator = SeededGenerator(seed: 0xF1AE_B8EA_4000_0001)
        for _ in 0..<500 {
            var text = String.UnicodeScalarView()
            for _ in 0..<Int.random(in: 0...40, using: &generator) { text.append(Self.randomScalar(&generator)) }
            let original = String(text)
            let encoded = FlatJSON.encode([("key \(original)", .string(original)), ("n", .int(1))])
            // No raw control character or line separator ever reaches the stored bytes.
            #expect(!encoded.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F || $0.value == 0x2028 || $0.value == 0x2029 })
            let decoded = try FlatJSON.decode(encoded)
            let back = try #require(decoded["key \(original)"]?.string, "\(original.debugDescription)")
            #expect(Array(back.unicodeScalars) == Array(original.unicodeScalars), "\(original.debugDescription)")
            #expect(decoded["n"] == .int(1))
            // Deterministic bytes: encoding again gives the same text.
            #expect(FlatJSON.encode([("key \(back)", .string(back)), ("n", .int(1))]) == encoded)
        }
    }

    // MARK: WallClock

    /// 2026-05-12T19:30:00Z in Unix seconds.
    static let songContest = 1_778_614_200

    @Test(arguments: [
        ("2026-05-12T21:30:00+02:00", songContest, 7200),
        ("2026-05-12T19:30:00Z", songContest, 0),
        ("2026-05-12t19:30:00z", songContest, 0),
        ("2026-05-12 19:30:00Z", songContest, 0),
        ("2026-05-12T21:30+02:00", songContest, 7200),
        ("2026-05-12T19:30:00.123456Z", songContest, 0),
        ("2026-05-12T19:30:00,5Z", songContest, 0),
        ("2026-05-12T21:30:00+0200", songContest, 7200),
        ("2026-05-12T14:00:00-05:30", songContest, -19_800),
        ("2026-05-12T19:30:00+00:00", songContest, 0),
        ("2026-01-01T00:00:00+04:30", 1_767_209_400, 16_200),
        ("2024-02-29T00:00:00Z", 1_709_164_800, 0),
        ("2000-02-29T12:00:00Z", 951_825_600, 0),
        ("1970-01-01T00:00:00Z", 0, 0),
        ("1969-12-31T23:59:59Z", -1, 0),
    ])
    func parse(text: String, seconds: Int, offset: Int) {
        #expect(WallClock.parse(text) == WallClock(seconds: seconds, offset: offset))
    }

    @Test(arguments: [
        "2026-02-30T10:00:00Z",
        "2026-02-29T00:00:00Z",
        "2100-02-29T00:00:00Z",
        "2026-04-31T00:00:00Z",
        "2026-13-01T00:00:00Z",
        "2026-00-10T00:00:00Z",
        "2026-05-00T00:00:00Z",
        "2026-05-12T24:00:00Z",
        "2026-05-12T23:60:00Z",
        "2026-05-12T21:30:00",
        "2026-05-12T21:30:00+24:00",
        "2026-05-12T21:30:00+02:60",
        "2026-05-12T21:30:00+2:00",
        "2026-05-12T21:30:00.Z",
        "2026-05-12T21:30:00Zx",
        "2026-05-12T21:30:00 +02:00",
        "2026-05-12X21:30:00Z",
        "2026-5-12T21:30:00Z",
        "2026-05-12",
        "",
        "not a date at all",
    ])
    func parseRefuses(text: String) {
        #expect(WallClock.parse(text) == nil)
    }

    @Test(arguments: [
        (songContest, 7200, "2026-05-12T21:30:00+02:00"),
        (songContest, 0, "2026-05-12T19:30:00Z"),
        (songContest, -19_800, "2026-05-12T14:00:00-05:30"),
        (1_767_209_400, 16_200, "2026-01-01T00:00:00+04:30"),
        (951_825_600, 0, "2000-02-29T12:00:00Z"),
        (0, 3600, "1970-01-01T01:00:00+01:00"),
        (0, -3600, "1969-12-31T23:00:00-01:00"),
        (-1, 0, "1969-12-31T23:59:59Z"),
    ])
    func format(seconds: Int, offset: Int, expected: String) {
        #expect(WallClock.format(seconds, offset: offset) == expected)
    }

    @Test func formatThenParseIsTheIdentity() {
        var generator = SeededGenerator(seed: 2026)
        // 1900-01-01 to 2100-01-01, offsets on quarter hours within ±14h.
        for _ in 0..<500 {
            let seconds = Int.random(in: -2_208_988_800..<4_102_444_800, using: &generator)
            let offset = Int.random(in: -56...56, using: &generator) * 900
            let text = WallClock.format(seconds, offset: offset)
            #expect(WallClock.parse(text) == WallClock(seconds: seconds, offset: offset), "\(text)")
        }
    }
}
