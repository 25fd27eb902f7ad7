/// Escaping of untrusted text for Markdown (GitHub Flavored Markdown and CommonMark).
///
/// Text never breaks a table, a code span or the layout and never becomes live HTML:
/// HTML-significant characters become entities, Markdown punctuation is backslash-escaped,
/// `|` cannot end a cell and line breaks become `<br>` inside cells.
public enum Markdown {
    /// Inline text (a table cell, a heading, a list item).
    public static func inline(_ text: String) -> String {
        // Fast path: plain text (letters, digits, spaces and harmless punctuation) needs no escape.
        if let first = text.utf8.first, (0x61...0x7A).contains(first) || (0x41...0x5A).contains(first) || first == 0x27 || first >= 0xC3,
            text.utf8.allSatisfy({ isPlain($0) }) {
            return text
        }
        var out = ""
        out.reserveCapacity(text.utf8.count + 8)
        var previousWasCR = false
        var atStart = true
        var afterDigitsAtStart = false
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "|": out += "\\|"
            case "\\", "`", "*", "_", "[", "]", "~", "#", "!", "$", "{", "}":
                out.unicodeScalars.append("\\")
                out.unicodeScalars.append(scalar)
            case "-" where atStart, "+" where atStart, "=" where atStart, "." where atStart || afterDigitsAtStart:
                out.unicodeScalars.append("\\")
                out.unicodeScalars.append(scalar)
            case ")" where afterDigitsAtStart:
                out.unicodeScalars.append("\\")
                out.unicodeScalars.append(scalar)
            default:
                appendInCell(scalar, afterCR: previousWasCR, to: &out)
            }
            previousWasCR = scalar == "\r"
            afterDigitsAtStart = (atStart || afterDigitsAtStart) && ("0"..."9").contains(scalar)
            atStart = false
        }
        return out
    }

    static func isPlain(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x61...0x7A, 0x41...0x5A, 0x30...0x39, 0x20, 0x27, 0x2C, 0x3A, 0x3B, 0x3F, 0x2F, 0x25, 0x40, 0x5E, 0x2D, 0x2E, 0x28, 0x29: true
        case 0xC3...0xDF, 0x80...0xBF: true  // two-byte letters (Latin-1 supplement and beyond) and continuation bytes
        default: false
        }
    }

    /// A table row from already escaped cells; an empty cell keeps its place.
    public static func row(_ cells: [String]) -> String {
        var out = "|"
        for cell in cells {
            out += " "
            out += cell.isEmpty ? " " : cell
            out += " |"
        }
        return out
    }

    /// What both escapers (Markdown and HTML) do with a scalar that is not markup in either: a line
    /// break (CR, LF, or CRLF as one) becomes `<br>`, so a value stays in its table cell; a tab a space;
    /// a hidden character U+FFFD; anything else is kept.
    static func appendInCell(_ scalar: Unicode.Scalar, afterCR: Bool, to out: inout String) {
        switch scalar {
        case "\r": out += "<br>"
        case "\n": if !afterCR { out += "<br>" }
        case "\t": out += " "
        default:
            if isHidden(scalar) {
                out += "\u{FFFD}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
    }

    /// A scalar no report shows as it is: control characters, line and paragraph separators and
    /// bidirectional overrides (each is replaced by U+FFFD), in Markdown and in HTML alike.
    static func isHidden(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || scalar.value == 0x7F || (0x80...0x9F).contains(scalar.value)
            || scalar.value == 0x2028 || scalar.value == 0x2029
            || (0x202A...0x202E).contains(scalar.value) || (0x2066...0x2069).contains(scalar.value)
    }
}
