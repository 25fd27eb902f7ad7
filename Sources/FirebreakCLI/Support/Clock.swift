import FirebreakCore
import Foundation

/// Wall-clock time for the command line: now, the local zone, and `--at` values.
enum Clock {
    static func now() -> Int {
        if let fixed = ProcessInfo.processInfo.environment["FIREBREAK_NOW"], let clock = WallClock.parse(fixed) {
            return clock.seconds  // for reproducible tests and demos
        }
        return Int(Date().timeIntervalSince1970)
    }

    static func offset(at seconds: Int) -> Int {
        TimeZone.current.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(seconds)))
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
        let a = iso(seconds), b = iso(now)
        return a.prefix(10) == b.prefix(10) ? String(a.dropFirst(11).prefix(5)) : short(seconds)
    }

    /// Parses `--at`: ISO 8601, local `HH:MM` today, or `-15m` ago.
    static func parse(_ text: String, now: Int) -> Int? {
        if text.hasPrefix("-"), case .success(let seconds) = DurationText.parse(String(text.dropFirst()), allowZero: true) {
            return now - seconds
        }
        if let clock = WallClock.parse(text) { return clock.seconds }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        if parts.count == 2, parts[0].count <= 2, parts[1].count == 2, let h = Int(parts[0]), let m = Int(parts[1]), (0...23).contains(h), (0...59).contains(m) {
            let local = now + offset(at: now)
            let midnight = local - ((local % 86_400) + 86_400) % 86_400
            let candidate = midnight + h * 3600 + m * 60
            return candidate - offset(at: candidate)
        }
        return nil
    }

    /// `in 12m`, `5m ago`.
    static func relative(_ seconds: Int, from now: Int) -> String {
        let delta = seconds - now
        if delta == 0 { return "now" }
        let text = DurationText.format(abs(delta) >= 60 ? abs(delta) / 60 * 60 : abs(delta))
        return delta > 0 ? "in \(text)" : "\(text) ago"
    }
}
