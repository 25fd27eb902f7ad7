import FirebreakCore
import Foundation

/// Wall-clock time for the command line: now, the local zone, and `--at` values.
enum Clock {
    /// The local zone: `TZ` of the console's environment when it names one, else the system's.
    static var zone: TimeZone {
        if let name = Console.current.environment["TZ"], !name.isEmpty, let zone = TimeZone(identifier: name.hasPrefix(":") ? String(name.dropFirst()) : name) {
            return zone
        }
        return TimeZone.current
    }

    static func now() -> Int {
        if let fixed = Console.current.environment["FIREBREAK_NOW"], let clock = WallClock.parse(fixed) {
            return clock.seconds  // for reproducible tests and demos
        }
        return Int(Date().timeIntervalSince1970)
    }

    static func offset(at seconds: Int) -> Int {
        zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(seconds)))
    }

    /// `2026-05-12T21:42:00+02:00` in the local zone.
    static func iso(_ seconds: Int) -> String { WallClock.format(seconds, offset: offset(at: seconds)) }

    /// `2026-05-12 21:42` in the local zone.
    static func short(_ seconds: Int) -> String {
        let text = iso(seconds)
        return String(text.prefix(10)) + " " + String(text.dropFirst(11).prefix(5))
    }

    /// `21:42`, or the short date when not today.
    static func compact(_ seconds: Int, now: Int) -> String {
        let a = Array(iso(seconds).utf8), b = Array(iso(now).utf8)
        // `YYYY-MM-DDTHH:MM…`: the same day shows the time alone.
        let text = a[..<10] == b[..<10] ? a[11..<16] : a[..<10] + [0x20] + a[11..<16]
        return String(decoding: text, as: UTF8.self)
    }

    /// What a `--at` text means.
    enum Parsed: Equatable {
        /// An instant; `note` says how an ambiguous local time was taken (one line, for standard error).
        case time(Int, note: String?)
        /// A local time the clocks skip on that day (spring forward): the one-line reason.
        case nonexistent(String)
        /// Not a time in any accepted form.
        case invalid
    }

    /// Parses `--at`: ISO 8601, `-15m` ago, local `HH:MM` today, or a local `YYYY-MM-DD HH:MM` (the form
    /// Firebreak shows). Pure: the zone and now are given, so tests need not set `TZ`.
    static func parse(_ text: String, now: Int, zone: TimeZone, option: String = "--at") -> Parsed {
        if text.hasPrefix("-"), case .success(let seconds) = DurationText.parse(String(text.dropFirst()), allowZero: true) {
            return .time(now - seconds, note: nil)
        }
        if let clock = WallClock.parse(text) { return .time(clock.seconds, note: nil) }
        let local: Int
        if text.utf8.count >= 16, let clock = WallClock.parse(text + "Z") {
            local = clock.seconds  // a local date and time, read as if it were UTC
        } else {
            let parts = text.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2, (1...2).contains(parts[0].count), parts[1].count == 2, parts.allSatisfy({ $0.allSatisfy(\.isASCII) }),
                let h = Int(parts[0]), let m = Int(parts[1]), (0...23).contains(h), (0...59).contains(m)
            else { return .invalid }
            let today = now + zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(now)))
            local = today - ((today % 86_400) + 86_400) % 86_400 + h * 3600 + m * 60
        }
        var day: String { String(WallClock.format(local, offset: 0).prefix(10)) }
        var shown: String { "\(option) '\(Terminal.oneLine(text))'" }
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

    /// The instants a local date and time stands for in a zone.
    enum Resolution: Equatable {
        case unique(Int)
        /// Twice (the clocks are put back): the earlier and the later instant.
        case ambiguous(earlier: Int, later: Int)
        /// Never (the clocks are put forward over it).
        case nonexistent
    }

    /// Resolves `local` (a local date and time counted in seconds as if it were UTC) in `zone`: every
    /// instant `t` with `t + offset(t) == local`. The offsets tried are those in force within a day and a
    /// half either side, sampled every six hours; zones change their offset far less often than that.
    static func resolve(local: Int, in zone: TimeZone) -> Resolution {
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

    static func offset(_ seconds: Int, _ zone: TimeZone) -> Int {
        zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(seconds)))
    }
}
