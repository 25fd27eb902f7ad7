/// Small helpers that write SVG as text: elements with presentation attributes (no stylesheet, no script),
/// numbers with at most one decimal, and text escaped for XML. The same output works inline in an HTML
/// report and as a standalone `.svg` file.
///
/// ```swift
/// let x = SVG.Scale(from: 0...3600, to: 60...700)
/// SVG.line(x1: x(0), y1: 20, x2: x(0), y2: 280, stroke: "#999")
/// ```
public enum SVG {
    /// The opening tag of a drawing `width` × `height` user units wide, labelled for screen readers.
    public static func open(width: Int, height: Int, label: String) -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\" role=\"img\" aria-label=\"\(escape(label))\" font-family=\"sans-serif\" font-size=\"11\">"
    }

    public static let close = "</svg>"

    /// A number for an attribute: rounded to one decimal, without a trailing `.0`.
    public static func number(_ value: Double) -> String {
        guard value.isFinite else { return "0" }
        let tenths = Int((value * 10).rounded())
        let sign = tenths < 0 ? "-" : ""
        let whole = abs(tenths) / 10, fraction = abs(tenths) % 10
        return fraction == 0 ? "\(sign)\(whole)" : "\(sign)\(whole).\(fraction)"
    }

    /// Text as XML character data or attribute value: `&`, `<`, `>`, `"` and `'` as entities, line breaks
    /// and control characters as spaces.
    public static func escape(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F || (0x80...0x9F).contains(scalar.value)
                    || scalar.value == 0x2028 || scalar.value == 0x2029 || (0x202A...0x202E).contains(scalar.value) || (0x2066...0x2069).contains(scalar.value) {
                    out += " "
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }

    static func attributes(_ pairs: [(String, String?)]) -> String {
        pairs.compactMap { name, value in value.map { " \(name)=\"\(escape($0))\"" } }.joined()
    }

    public static func line(
        x1: Double, y1: Double, x2: Double, y2: Double, stroke: String, width: Double = 1, dash: String? = nil, class name: String? = nil,
        title: String? = nil
    ) -> String {
        let attributes = attributes([
            ("class", name), ("x1", number(x1)), ("y1", number(y1)), ("x2", number(x2)), ("y2", number(y2)), ("stroke", stroke),
            ("stroke-width", number(width)), ("stroke-dasharray", dash),
        ])
        guard let title else { return "<line\(attributes)/>" }
        return "<line\(attributes)><title>\(escape(title))</title></line>"
    }

    public static func polyline(_ points: [(x: Double, y: Double)], stroke: String, width: Double = 2, class name: String? = nil) -> String {
        let list = points.map { "\(number($0.x)),\(number($0.y))" }.joined(separator: " ")
        return "<polyline\(attributes([("class", name), ("points", list), ("fill", "none"), ("stroke", stroke), ("stroke-width", number(width))]))/>"
    }

    public static func rect(
        x: Double, y: Double, width: Double, height: Double, fill: String, class name: String? = nil, title: String? = nil
    ) -> String {
        let attributes = attributes([
            ("class", name), ("x", number(x)), ("y", number(y)), ("width", number(max(0, width))), ("height", number(max(0, height))), ("fill", fill),
        ])
        guard let title else { return "<rect\(attributes)/>" }
        return "<rect\(attributes)><title>\(escape(title))</title></rect>"
    }

    public enum Anchor: String { case start, middle, end }

    public static func text(
        _ text: String, x: Double, y: Double, anchor: Anchor = .start, size: Double? = nil, fill: String = "#222", class name: String? = nil
    ) -> String {
        let attributes = attributes([
            ("class", name), ("x", number(x)), ("y", number(y)), ("text-anchor", anchor == .start ? nil : anchor.rawValue),
            ("font-size", size.map(number)), ("fill", fill),
        ])
        return "<text\(attributes)>\(escape(text))</text>"
    }

    /// A linear map from a domain of values to a range of coordinates (a range may run backwards, as a y axis does).
    public struct Scale: Sendable {
        public var domain: ClosedRange<Double>
        public var start: Double, end: Double

        public init(from domain: ClosedRange<Double>, to start: Double, _ end: Double) {
            self.domain = domain
            self.start = start
            self.end = end
        }

        public func callAsFunction(_ value: Double) -> Double {
            let span = domain.upperBound - domain.lowerBound
            guard span > 0 else { return start }
            return start + (value - domain.lowerBound) / span * (end - start)
        }
    }

    /// The smallest of 1, 2, 2.5 or 5 × 10ⁿ at or above `value` (at least 1): a round top for an axis.
    public static func niceCeiling(_ value: Double) -> Double {
        guard value > 1 else { return 1 }
        var power = 1.0
        while power * 10 <= value { power *= 10 }
        for factor in [1.0, 2, 2.5, 5, 10] where factor * power >= value { return factor * power }
        return 10 * power
    }
}
