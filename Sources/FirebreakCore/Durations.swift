/// Durations as written in playbooks and scenarios: `15m`, `1h30m`, `2d`.
///
/// Units are `d`, `h`, `m`, `s`, each at most once and in that order. Values are whole seconds.
public enum DurationText {
    public enum Problem: Error, Equatable, Sendable {
        case malformed
        case zero
        case tooLarge
    }

    /// Parses `text` into seconds. `allowZero` admits `0m` (scenario inject times).
    public static func parse(_ text: String, allowZero: Bool = false) -> Result<Int, Problem> {
        let units: [(UInt8, Int)] = [(UInt8(ascii: "d"), 86_400), (UInt8(ascii: "h"), 3_600), (UInt8(ascii: "m"), 60), (UInt8(ascii: "s"), 1)]
        var nextUnit = 0
        var total = 0
        var number: Int?
        var sawPart = false
        for byte in text.utf8 {
            if byte >= 0x30 && byte <= 0x39 {
                let (times, o1) = (number ?? 0).multipliedReportingOverflow(by: 10)
                let (plus, o2) = times.addingReportingOverflow(Int(byte - 0x30))
                if o1 || o2 || plus > 1_000_000_000 { return .failure(.tooLarge) }
                number = plus
                continue
            }
            guard let value = number, let index = units[nextUnit...].firstIndex(where: { $0.0 == byte }) else {
                return .failure(.malformed)
            }
            let (product, overflow) = value.multipliedReportingOverflow(by: units[index].1)
            if overflow || product > 100 * 365 * 86_400 { return .failure(.tooLarge) }
            total += product
            if total > 100 * 365 * 86_400 { return .failure(.tooLarge) }
            nextUnit = index + 1
            number = nil
            sawPart = true
        }
        guard sawPart, number == nil else { return .failure(.malformed) }
        if total == 0 && !allowZero { return .failure(.zero) }
        return .success(total)
    }

    /// Formats seconds in the same notation: `5400` → `1h30m`.
    public static func format(_ seconds: Int) -> String {
        if seconds == 0 { return "0m" }
        var rest = abs(seconds)
        var text = seconds < 0 ? "-" : ""
        for (unit, size) in [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)] where rest >= size {
            text += "\(rest / size)\(unit)"
            rest %= size
        }
        return text
    }

    /// Formats an offset from T+0 as `T+1:05` (hours and minutes, seconds when not whole).
    public static func clock(_ seconds: Int) -> String {
        let sign = seconds < 0 ? "-" : "+"
        let value = abs(seconds)
        let hours = value / 3600, minutes = (value % 3600) / 60, secs = value % 60
        let mm = minutes < 10 ? "0\(minutes)" : "\(minutes)"
        if secs != 0 {
            let ss = secs < 10 ? "0\(secs)" : "\(secs)"
            return "T\(sign)\(hours):\(mm):\(ss)"
        }
        return "T\(sign)\(hours):\(mm)"
    }
}
