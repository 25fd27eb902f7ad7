import FirebreakCore

/// How many runs fell into each interval of a time, for `drill stats --histogram` and `--svg`.
///
/// Built from the sorted times of the runs alone, so the same runs give the same bins (and bytes)
/// whatever the number of threads. Bins are half-open, `[start, start + width)`, with a width chosen
/// from round durations (1m, 2m, 5m, 10m, 15m, 30m, 1h, 2h, 3h, 6h, 12h, 1d, 2d, …) so that there are
/// at most ``maxBins``.
///
/// ```swift
/// let h = Histogram(title: "Time to close", times: [600, 660, 1_500], runs: 4)
/// print(h.text())   // bars, one line per bin
/// ```
public struct Histogram: Sendable, Equatable {
    public let title: String
    /// Seconds from T+0 of the first bin's start (a multiple of ``width``).
    public let start: Int
    /// Seconds per bin.
    public let width: Int
    public let counts: [Int]
    /// All runs, also those with no time (they are in no bin).
    public let runs: Int

    public static let maxBins = 12
    static let widths = [60, 120, 300, 600, 900, 1_800, 3_600, 7_200, 10_800, 21_600, 43_200, 86_400]

    /// `times`: seconds from T+0, one per run that has one (need not be sorted); `runs`: all runs.
    public init(title: String, times: [Int], runs: Int) {
        self.title = title
        self.runs = runs
        guard let low = times.min(), let high = times.max() else {
            start = 0
            width = 60
            counts = []
            return
        }
        var width = Self.widths.first { high / $0 - low / $0 < Self.maxBins } ?? 0
        if width == 0 {  // beyond the table: whole days
            let days = (high - low) / 86_400 / Self.maxBins + 1
            width = days * 86_400
            while high / width - low / width >= Self.maxBins { width += 86_400 }
        }
        let first = low / width
        var counts = [Int](repeating: 0, count: high / width - first + 1)
        for time in times { counts[time / width - first] += 1 }
        self.start = first * width
        self.width = width
        self.counts = counts
    }

    /// Runs that have a time.
    public var total: Int { counts.reduce(0, +) }

    /// The start of bin `i`, in seconds from T+0.
    public func binStart(_ i: Int) -> Int { start + i * width }

    /// `1:15`: hours and minutes (days as hours past 24).
    static func label(_ seconds: Int) -> String {
        let minutes = seconds / 60
        return "\(minutes / 60):" + (minutes % 60 < 10 ? "0" : "") + "\(minutes % 60)"
    }

    /// The interval of bin `i`, e.g. `1:15–1:30`.
    public func binLabel(_ i: Int) -> String { Self.label(binStart(i)) + "–" + Self.label(binStart(i) + width) }

    /// Text bars, one line per bin: `  1:15–1:30  ████████████░  412`, under a title line that says how
    /// many runs have a time. `none` is the line printed when no run has one.
    public func text(barWidth: Int = 40, heading: String, none: String) -> String {
        guard let most = counts.max(), most > 0 else { return heading + "\n  " + none }
        let labels = counts.indices.map(binLabel)
        let labelWidth = labels.map(\.count).max() ?? 0
        let countWidth = String(most).count
        var lines = [heading]
        for (i, count) in counts.enumerated() {
            // Eighths of a block: a bar as long as its share of the fullest bin, at least a sliver when not empty.
            let eighths = count == 0 ? 0 : max(1, (count * barWidth * 8 + most / 2) / most)
            var bar = String(repeating: "█", count: eighths / 8)
            if eighths % 8 > 0 { bar.append(["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"][eighths % 8]) }
            let label = labels[i] + String(repeating: " ", count: labelWidth - labels[i].count)
            let padded = bar + String(repeating: " ", count: max(0, barWidth - bar.count))
            let number = String(count)
            lines.append("  \(label)  \(padded)  " + String(repeating: " ", count: countWidth - number.count) + number)
        }
        return lines.joined(separator: "\n")
    }

    /// One self-contained SVG picture of several histograms stacked (no script, no external resource):
    /// a bar per bin with its count, the bins' times under the axis, a `<title>` on each bar. The first
    /// line marks it as Firebreak's, so `--svg` may replace it.
    public static func svg(_ histograms: [Histogram], headings: [String], none: String) -> String {
        let width = 720, panel = 240, left = 56, right = 16, top = 40, bottom = 48
        let height = max(1, histograms.count) * panel
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\""
        out += " font-family=\"sans-serif\" font-size=\"12\">\n<!-- written by Firebreak (drill stats --svg) -->\n"
        out += "<rect width=\"\(width)\" height=\"\(height)\" fill=\"#ffffff\"/>\n"
        for (p, histogram) in histograms.enumerated() {
            let y0 = p * panel
            let heading = p < headings.count ? headings[p] : histogram.title
            out += "<g>\n<text x=\"\(left)\" y=\"\(y0 + 22)\" font-size=\"14\" font-weight=\"bold\">\(escape(heading))</text>\n"
            let plotTop = y0 + top, plotBottom = y0 + panel - bottom, plotWidth = width - left - right
            out += "<line x1=\"\(left)\" y1=\"\(plotBottom)\" x2=\"\(width - right)\" y2=\"\(plotBottom)\" stroke=\"#444444\"/>\n"
            guard let most = histogram.counts.max(), most > 0 else {
                out += "<text x=\"\(left)\" y=\"\(plotTop + 40)\" fill=\"#444444\">\(escape(none))</text>\n</g>\n"
                continue
            }
            out += "<text x=\"\(left - 6)\" y=\"\(plotTop + 4)\" text-anchor=\"end\" fill=\"#444444\">\(most)</text>\n"
            out += "<text x=\"\(left - 6)\" y=\"\(plotBottom)\" text-anchor=\"end\" fill=\"#444444\">0</text>\n"
            let slot = plotWidth / histogram.counts.count
            let barHeight = plotBottom - plotTop
            for (i, count) in histogram.counts.enumerated() {
                let x = left + i * slot
                let h = count * barHeight / most
                let interval = histogram.binLabel(i)
                out += "<rect x=\"\(x + 2)\" y=\"\(plotBottom - h)\" width=\"\(max(1, slot - 4))\" height=\"\(h)\" fill=\"#c0392b\">"
                out += "<title>\(escape(interval)): \(count)</title></rect>\n"
                if count > 0 {
                    out += "<text x=\"\(x + slot / 2)\" y=\"\(plotBottom - h - 4)\" text-anchor=\"middle\" font-size=\"10\">\(count)</text>\n"
                }
                out += "<text x=\"\(x + 2)\" y=\"\(plotBottom + 16)\" font-size=\"10\" fill=\"#444444\">\(escape(label(histogram.binStart(i))))</text>\n"
            }
            out += "<text x=\"\(width - right)\" y=\"\(plotBottom + 16)\" text-anchor=\"end\" font-size=\"10\" fill=\"#444444\">"
            out += "\(escape(label(histogram.binStart(histogram.counts.count))))</text>\n"
            out += "<text x=\"\(left)\" y=\"\(plotBottom + 36)\" fill=\"#444444\">h:mm from T+0</text>\n</g>\n"
        }
        return out + "</svg>\n"
    }

    /// Text made safe inside SVG (XML) text and attributes.
    static func escape(_ text: String) -> String {
        var out = ""
        for c in text {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }
}
