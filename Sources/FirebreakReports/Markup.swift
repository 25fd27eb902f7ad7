/// How a report writes: untrusted text escaped for its output format, and the little markup reports use
/// (emphasis, strong, table rows, a few kinds of block).
///
/// A report's data is built once, with every value escaped by the ``Markup`` of the format it is
/// rendered in (``markdown`` or ``html``); nothing is escaped for one format and converted to another.
/// The message catalogues write emphasis the Markdown way (`*logged {time}*`, `**late**`): ``messages(_:)``
/// turns their trusted text into the format before the escaped values are filled in.
public struct Markup: Sendable, Equatable {
    public enum Format: Sendable, Equatable { case markdown, html }

    public let format: Format

    public static let markdown = Markup(format: .markdown)
    public static let html = Markup(format: .html)

    /// Untrusted text as inline content (a table cell, a heading, a list item).
    public func text(_ text: String) -> String {
        switch format {
        case .markdown: Markdown.inline(text)
        case .html: HTML.escape(text)
        }
    }

    public func emphasis(_ escaped: String) -> String {
        format == .markdown ? "*\(escaped)*" : "<em>\(escaped)</em>"
    }

    public func strong(_ escaped: String) -> String {
        format == .markdown ? "**\(escaped)**" : "<strong>\(escaped)</strong>"
    }

    /// A table row of already escaped cells.
    public func row(_ cells: [String]) -> String {
        switch format {
        case .markdown: Markdown.row(cells)
        case .html: "<tr>" + cells.map { "<td>\($0)</td>" }.joined() + "</tr>"
        }
    }

    /// A catalogue's messages in this format: for HTML, each text escaped with its Markdown emphasis as
    /// elements (the `{name}` places stay, to be filled with values escaped for HTML).
    public func messages(_ messages: Messages) -> Messages {
        guard format == .html else { return messages }
        var table: [String: String] = [:]
        for (key, text) in Messages.english.table.merging(messages.table, uniquingKeysWith: { _, own in own }) {
            table[key] = HTML.fromCatalogue(text)
        }
        return Messages(language: messages.language, table: table)
    }

    /// A part of a report's body, its inline texts already escaped with this markup.
    public enum Block: Sendable, Equatable {
        case heading(String)
        case paragraph(String)
        case table(header: [String], rows: [[String]])
        /// Lines of quoted text (an empty line stays).
        case quote([String])
        case list([String])
    }

    /// Blocks one after another: in Markdown separated by blank lines, in HTML as elements.
    public func render(_ blocks: [Block]) -> String {
        switch format {
        case .markdown:
            return blocks.map { block -> String in
                switch block {
                case .heading(let text): return "### \(text)"
                case .paragraph(let text): return text
                case let .table(header, rows):
                    return ([Markdown.row(header), "|" + String(repeating: "---|", count: header.count)] + rows.map(Markdown.row)).joined(separator: "\n")
                case .quote(let lines): return lines.map { $0.isEmpty ? ">" : "> " + $0 }.joined(separator: "\n")
                case .list(let items): return items.map { "- " + $0 }.joined(separator: "\n")
                }
            }.joined(separator: "\n\n")
        case .html:
            return blocks.map { block -> String in
                switch block {
                case .heading(let text): return "<h3>\(text)</h3>"
                case .paragraph(let text): return "<p>\(text)</p>"
                case let .table(header, rows):
                    return "<table>\n<thead><tr>" + header.map { "<th>\($0)</th>" }.joined() + "</tr></thead>\n<tbody>\n"
                        + rows.map(row).joined(separator: "\n") + "\n</tbody>\n</table>"
                case .quote(let lines): return "<blockquote><p>" + lines.joined(separator: "<br>\n") + "</p></blockquote>"
                case .list(let items): return "<ul>\n" + items.map { "<li>\($0)</li>" }.joined(separator: "\n") + "\n</ul>"
                }
            }.joined(separator: "\n")
        }
    }
}

/// Escaping of untrusted text for HTML (element content and quoted attribute values alike).
///
/// Text never becomes markup: `&`, `<`, `>`, `"` and `'` become entities, line breaks become `<br>`,
/// and control, line-separator and bidirectional-override characters are replaced, as in ``Markdown``.
public enum HTML {
    public static func escape(_ text: String) -> String {
        if text.utf8.allSatisfy({ isPlain($0) }) { return text }
        var out = ""
        out.reserveCapacity(text.utf8.count + 8)
        var previousWasCR = false
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: Markdown.appendInCell(scalar, afterCR: previousWasCR, to: &out)
            }
            previousWasCR = scalar == "\r"
        }
        return out
    }

    static func isPlain(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x61...0x7A, 0x41...0x5A, 0x30...0x39, 0x20, 0x2C, 0x2E, 0x3A, 0x3B, 0x2D, 0x28, 0x29, 0x2F, 0x2B: true
        default: false
        }
    }

    /// A catalogue text (trusted, with Markdown emphasis) as HTML: escaped, `**x**` as `<strong>`, `*x*` as `<em>`.
    static func fromCatalogue(_ text: String) -> String {
        var out = ""
        var strong = false, emphasis = false
        var rest = Substring(text)
        while let c = rest.first {
            if rest.hasPrefix("**") {
                out += strong ? "</strong>" : "<strong>"
                strong.toggle()
                rest = rest.dropFirst(2)
            } else if c == "*" {
                out += emphasis ? "</em>" : "<em>"
                emphasis.toggle()
                rest = rest.dropFirst()
            } else if c == "{", let close = rest.firstIndex(of: "}") {
                out += rest[...close]  // a place for a value, filled later
                rest = rest[rest.index(after: close)...]
            } else {
                out += escape(String(c))
                rest = rest.dropFirst()
            }
        }
        if emphasis { out += "</em>" }
        if strong { out += "</strong>" }
        return out
    }
}
