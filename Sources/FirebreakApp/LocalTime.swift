import FirebreakCore
import Foundation

/// Times as people give and read them, in a zone: `--at` values in, `21:42` and ISO 8601 out.
/// Pure: the zone and now are always given.
public enum LocalTime {
    /// The zone's offset from UTC at an instant, in seconds.
    public static func offset(_ seconds: Int, _ zone: TimeZone) -> Int {
        zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(seconds)))
    }

    /// `2026-05-12T21:42:00+02:00`.
    public static func iso(_ seconds: Int, _ zone: TimeZone) -> String { WallClock.format(seconds, offset: offset(seconds, zone)) }

    /// `2026-05-12 21:42`.
    public static func short(_ seconds: Int, _ zone: TimeZone) -> String {
        let text = iso(seconds, zone)
        return String(text.prefix(10)) + " " + String(text.dropFirst(11).prefix(5))
    }

    /// `21:42`, or the short date when not the same day as `now`.
    public static func compact(_ seconds: Int, now: Int, _ zone: TimeZone) -> String {
        let a = Array(iso(seconds, zone).utf8), b = Array(iso(now, zone).utf8)
        // `YYYY-MM-DDTHH:MM…`: the same day shows the time alone.
        let text = a[..<10] == b[..<10] ? a[11..<16] : a[..<10] + [0x20] + a[11..<16]
        return String(decoding: text, as: UTF8.self)
    }

    /// What a `--at` text means.
    public enum Parsed: Equatable, Sendable {
        /// An instant; `note` says how an ambiguous local time was taken (one line, for standard error).
        case time(Int, note: String?)
        /// A local time the clocks skip on that day (spring forward): the one-line reason.
        case nonexistent(String)
        /// Not a time in any accepted form.
        case invalid
    }

    /// Parses `--at`: ISO 8601, `-15m` ago, local `HH:MM` today, or a local `YYYY-MM-DD HH:MM` or
    /// `DD-MM-YYYY HH:MM` (the forms Firebreak shows, in English and in Dutch).
    public static func parse(_ text: String, now: Int, zone: TimeZone, option: String = "--at") -> Parsed {
        if text.hasPrefix("-"), case .success(let seconds) = DurationText.parse(String(text.dropFirst()), allowZero: true) {
            return .time(now - seconds, note: nil)
        }
        if let clock = WallClock.parse(text) { return .time(clock.seconds, note: nil) }
        let local: Int
        if let yearFirst = yearFirst(dayFirst: text), let clock = WallClock.parse(yearFirst + "Z") {
            local = clock.seconds  // the Dutch display form, read as the same local date and time
        } else if text.utf8.count >= 16, let clock = WallClock.parse(text + "Z") {
            local = clock.seconds  // a local date and time, read as if it were UTC
        } else {
            let parts = text.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2, (1...2).contains(parts[0].count), parts[1].count == 2, parts.allSatisfy({ $0.allSatisfy(\.isASCII) }),
                let h = Int(parts[0]), let m = Int(parts[1]), (0...23).contains(h), (0...59).contains(m)
            else { return .invalid }
            let today = now + offset(now, zone)
            local = today - ((today % 86_400) + 86_400) % 86_400 + h * 3600 + m * 60
        }
        var day: String { String(WallClock.format(local, offset: 0).prefix(10)) }
        var shown: String { "\(option) '\(UntrustedText.oneLine(text))'" }
        switch resolve(local: local, in: zone) {
        case .unique(let seconds):
            return .time(seconds, note: nil)
        case .ambiguous(let earlier, let later):
            let first = WallClock.format(earlier, offset: offset(earlier, zone)), second = WallClock.format(later, offset: offset(later, zone))
            return .time(earlier, note: "\(shown) happens twice on \(day) in \(zone.identifier) (the clocks are put back); taken as the first, \(first); for the second give \(second)")
        case .nonexistent:
            return .nonexistent("\(shown) does not exist on \(day) in \(zone.identifier): the clocks are put forward over it; give a time after the change, or an ISO 8601 time with its offset")
        }
    }

    /// `30-11-2026 05:20` (or with `:ss`) as `2026-11-30 05:20`; nil for any other text.
    static func yearFirst(dayFirst text: String) -> String? {
        let bytes = Array(text.utf8)
        guard bytes.count == 16 || bytes.count == 19, bytes[2] == UInt8(ascii: "-"), bytes[5] == UInt8(ascii: "-"), bytes[10] == UInt8(ascii: " "),
            [0, 1, 3, 4, 6, 7, 8, 9].allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[$0]) })
        else { return nil }
        func part(_ range: Range<Int>) -> String { String(decoding: bytes[range], as: UTF8.self) }
        return part(6..<10) + "-" + part(3..<5) + "-" + part(0..<2) + part(10..<bytes.count)
    }

    /// The instants a local date and time stands for in a zone.
    public enum Resolution: Equatable, Sendable {
        case unique(Int)
        /// Twice (the clocks are put back): the earlier and the later instant.
        case ambiguous(earlier: Int, later: Int)
        /// Never (the clocks are put forward over it).
        case nonexistent
    }

    /// Resolves `local` (a local date and time counted in seconds as if it were UTC) in `zone`: every
    /// instant `t` with `t + offset(t) == local`. The offsets tried are those in force within a day and a
    /// half either side, sampled every six hours; zones change their offset far less often than that.
    public static func resolve(local: Int, in zone: TimeZone) -> Resolution {
        var offsets: [Int] = []
        for step in -6...6 {
            let o = offset(local + step * 6 * 3600, zone)
            if !offsets.contains(o) { offsets.append(o) }
        }
        var earliest = Int.max, latest = Int.min
        for o in offsets where offset(local - o, zone) == o {
            earliest = min(earliest, local - o)
            latest = max(latest, local - o)
        }
        if earliest == Int.max { return .nonexistent }
        return earliest == latest ? .unique(earliest) : .ambiguous(earlier: earliest, later: latest)
    }
}

/// Untrusted text (titles, notes, names, stored rows) made safe to show on a terminal or in one line.
public enum UntrustedText {
    /// Removes control characters (escape sequences included) and bidirectional overrides.
    public static func sanitize(_ text: String) -> String {
        if isPlainASCII(text, allowingLineBreaks: true) { return text }
        var result = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if scalar == "\n" || scalar == "\t" { result.append(scalar); continue }
            if scalar.value < 0x20 || scalar.value == 0x7F || (0x80...0x9F).contains(scalar.value)
                || (0x202A...0x202E).contains(scalar.value) || (0x2066...0x2069).contains(scalar.value) {
                result.append(contentsOf: "\u{FFFD}".unicodeScalars)
            } else {
                result.append(scalar)
            }
        }
        return String(result)
    }

    /// Printable ASCII (and newlines and tabs when allowed): most text, shown as it is without a second look.
    public static func isPlainASCII(_ text: String, allowingLineBreaks: Bool) -> Bool {
        text.utf8.allSatisfy { byte in
            (byte >= 0x20 && byte < 0x7F) || (allowingLineBreaks && (byte == 0x0A || byte == 0x09))
        }
    }

    /// One line: newlines shown as `⏎`.
    public static func oneLine(_ text: String) -> String {
        if isPlainASCII(text, allowingLineBreaks: false) { return text }
        return sanitize(text).replacingOccurrences(of: "\n", with: " ⏎ ")
    }
}
