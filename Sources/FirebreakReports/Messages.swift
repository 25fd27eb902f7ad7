import FirebreakCore
import Foundation

/// The fixed words of reports, `drill run`, `status` and `timeline` in one language.
///
/// They come from the catalogues `Resources/messages.en.json` and `Resources/messages.nl.json`, flat
/// JSON objects (key → text, `{name}` marks a value filled in) that a translator edits without
/// touching Swift; SwiftPM compiles them into the binary, so no file is looked up at run time.
/// Engine refusals and checker diagnostics stay English.
///
/// ```swift
/// let t = Messages.for(.nl)
/// t("metric.countOf", ["count": "3", "total": "5"])   // "3 van 5"
/// ```
public struct Messages: Sendable {
    public let language: Language
    public let table: [String: String]

    public static let english = Messages(language: .en, table: catalogue(.en))
    public static let dutch = Messages(language: .nl, table: catalogue(.nl))

    /// The catalogue of a language.
    public static func `for`(_ language: Language) -> Messages {
        switch language {
        case .en: english
        case .nl: dutch
        }
    }

    init(language: Language, table: [String: String]) {
        self.language = language
        self.table = table
    }

    /// The entries of a language's catalogue file as compiled in; empty if it is not a flat JSON object of strings
    /// (the catalogue tests fail then, so a release never ships one).
    public static func catalogue(_ language: Language) -> [String: String] {
        let bytes: [UInt8] =
            switch language {
            case .en: PackageResources.messages_en_json
            case .nl: PackageResources.messages_nl_json
            }
        // Read with the flat-object parser events are stored with: a catalogue is one flat object of strings, and
        // Foundation's decoder took about 2 ms of every command's start-up to read it.
        guard let fields = try? FlatJSON.decode(String(decoding: bytes, as: UTF8.self)) else { return [:] }
        var table: [String: String] = [:]
        table.reserveCapacity(fields.count)
        for (key, value) in fields {
            guard case .string(let text) = value else { return [:] }
            table[key] = text
        }
        return table
    }

    /// The text of `key` with its `{name}` places filled from `values`, in one pass (a value that
    /// contains braces is never filled again). A key missing here falls back to English, then to the key.
    public func callAsFunction(_ key: String, _ values: [String: String] = [:]) -> String {
        let text = table[key] ?? Messages.english.table[key] ?? key
        guard !values.isEmpty, text.contains("{") else { return text }
        var out = ""
        var rest = Substring(text)
        while let open = rest.firstIndex(of: "{") {
            out += rest[..<open]
            let after = rest[rest.index(after: open)...]
            if let close = after.firstIndex(of: "}"), let value = values[String(after[..<close])] {
                out += value
                rest = after[after.index(after: close)...]
            } else {
                out += "{"
                rest = after
            }
        }
        return out + rest
    }

    /// A duration in this language's units (`unit.*`), largest first, each at most once: `1h30m` in English (the
    /// playbook notation, as ``DurationText/format(_:)``), `1 u 30 min` in Dutch. Zero is said in minutes.
    public func duration(_ seconds: Int) -> String {
        if seconds == 0 { return self("unit.minute", ["n": "0"]) }
        var rest = seconds.magnitude
        var parts: [String] = []
        for (key, size) in [("unit.day", 86_400 as UInt), ("unit.hour", 3_600), ("unit.minute", 60), ("unit.second", 1)] where rest >= size {
            parts.append(self(key, ["n": "\(rest / size)"]))
            rest %= size
        }
        return (seconds < 0 ? "-" : "") + parts.joined(separator: self("unit.join"))
    }

    /// A wall-clock moment in this language's date format (`format.datetime`), at a UTC offset in seconds.
    public func dateTime(_ seconds: Int, offset: Int) -> String {
        // WallClock gives `2026-05-16T23:05:00+02:00`.
        let iso = Array(WallClock.format(seconds, offset: offset))
        guard iso.count >= 19 else { return String(iso) }
        func part(_ range: Range<Int>) -> String { String(iso[range]) }
        return self(
            "format.datetime",
            ["YYYY": part(0..<4), "MM": part(5..<7), "DD": part(8..<10), "hh": part(11..<13), "mm": part(14..<16), "ss": part(17..<19)])
    }

    /// The template context `t`: the catalogue as nested objects, so a layout writes `{{{t.heading.timeline}}}`.
    public var templateContext: [String: Any] {
        var root: [String: Any] = [:]
        func insert(_ path: ArraySlice<Substring>, _ value: String, into object: inout [String: Any]) {
            guard let first = path.first else { return }
            if path.count == 1 {
                object[String(first)] = value
                return
            }
            var child = object[String(first)] as? [String: Any] ?? [:]
            insert(path.dropFirst(), value, into: &child)
            object[String(first)] = child
        }
        for key in Set(Messages.english.table.keys).union(table.keys) {
            insert(key.split(separator: ".")[...], self(key), into: &root)
        }
        return root
    }
}
