import FirebreakCore
import FirebreakReports

/// The words of terminal output in one language: the catalogue, and moments said relative to now.
///
/// ```swift
/// let words = Words(.for(.nl), now: now)
/// words.relative(now + 600)   // "over 10 min"
/// ```
struct Words {
    let t: Messages
    let now: Int

    init(_ t: Messages, now: Int) {
        self.t = t
        self.now = now
    }

    func callAsFunction(_ key: String, _ values: [String: String] = [:]) -> String { t(key, values) }

    /// `21:42` today, else the date too, in the language's order (`2026-05-12 21:42`, `12-05-2026 21:42`).
    func time(_ seconds: Int) -> String {
        let text = Clock.compact(seconds, now: now)
        guard t.language == .nl, text.utf8.count == 16 else { return text }
        let date = Array(text)
        return String(date[8..<10]) + "-" + String(date[5..<7]) + "-" + String(date[0..<4]) + String(date[10...])
    }

    /// `in 10m`, `35m ago`, `now`, to the minute once it is a minute or more.
    func relative(_ seconds: Int) -> String {
        let delta = seconds - now
        if delta == 0 { return t("relative.now") }
        let text = duration(abs(delta))
        return delta > 0 ? t("relative.in", ["duration": text]) : t("relative.ago", ["duration": text])
    }

    /// A duration to the minute once it is a minute or more.
    func duration(_ seconds: Int) -> String { t.duration(seconds >= 60 ? seconds / 60 * 60 : seconds) }
}
