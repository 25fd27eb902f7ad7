import FirebreakReports
import Testing

/// Untrusted text never breaks a table, a code span or the layout, and never becomes live HTML.
@Suite struct MarkdownTests {
    @Test(arguments: [
        ("plain text", "plain text"),
        ("", ""),
        ("café 🔥 naïve", "café 🔥 naïve"),
        // Table cells: a pipe cannot end the cell.
        ("a | b", "a \\| b"),
        ("||", "\\|\\|"),
        // Code spans.
        ("`rm -rf /`", "\\`rm -rf /\\`"),
        ("``double``", "\\`\\`double\\`\\`"),
        // HTML becomes entities.
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ("<img src=x onerror=\"alert(1)\">", "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;"),
        ("a & b", "a &amp; b"),
        ("&amp;", "&amp;amp;"),
        ("> quoted", "&gt; quoted"),
        // Line breaks: LF, CRLF and a lone CR are one <br> each.
        ("line1\nline2", "line1<br>line2"),
        ("line1\r\nline2", "line1<br>line2"),
        ("line1\rline2", "line1<br>line2"),
        ("a\n\nb", "a<br><br>b"),
        ("a\r\n\r\nb", "a<br><br>b"),
        ("a\n\rb", "a<br><br>b"),
        ("end\n", "end<br>"),
        // Block syntax at the start of the text.
        ("- item", "\\- item"),
        ("+ item", "\\+ item"),
        ("=== underline", "\\=== underline"),
        ("a - b + c = d", "a - b + c = d"),
        ("1. first", "1\\. first"),
        ("12) twelfth", "12\\) twelfth"),
        ("2026 was. ok", "2026 was. ok"),
        ("version 1.", "version 1."),
        (".hidden", "\\.hidden"),
        ("# Heading", "\\# Heading"),
        ("a#b", "a\\#b"),
        // Inline punctuation.
        ("*bold* _it_ ~s~", "\\*bold\\* \\_it\\_ \\~s\\~"),
        ("[link](https://example.org)", "\\[link\\](https://example.org)"),
        ("![img](x)", "\\!\\[img\\](x)"),
        ("back\\slash", "back\\\\slash"),
        ("$x$ {y}", "\\$x\\$ \\{y\\}"),
        // Control characters.
        ("tab\there", "tab here"),
        ("nul\u{0}x", "nul\u{FFFD}x"),
        ("\u{1B}[31mred", "\u{FFFD}\\[31mred"),
        ("bell\u{7}", "bell\u{FFFD}"),
        ("del\u{7F}", "del\u{FFFD}"),
        ("c1\u{85}\u{9B}", "c1\u{FFFD}\u{FFFD}"),
        ("ls\u{2028}ps\u{2029}", "ls\u{FFFD}ps\u{FFFD}"),
        // Bidirectional overrides and isolates (the "Trojan Source" characters).
        ("abc\u{202E}fed\u{202C}", "abc\u{FFFD}fed\u{FFFD}"),
        ("\u{2066}x\u{2069}", "\u{FFFD}x\u{FFFD}"),
    ])
    func inlineEscaping(input: String, expected: String) {
        let output = Markdown.inline(input)
        // Scalars, not `==` on String alone: canonical equivalence could hide a difference.
        #expect(Array(output.unicodeScalars) == Array(expected.unicodeScalars), "\(input.debugDescription) → \(output.debugDescription)")
    }

    @Test func inlineOutputHasNoRawLineBreakControlOrUnescapedPipe() {
        let input = "a|b\nc\r\nd\u{0}e\u{2028}<f>`g`"
        let output = Markdown.inline(input)
        #expect(!output.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F || $0.value == 0x2028 || $0.value == 0x2029 })
        #expect(!output.contains("<f>"))
        let scalars = Array(output.unicodeScalars)
        for (i, scalar) in scalars.enumerated() where scalar == "|" || scalar == "`" {
            #expect(i > 0 && scalars[i - 1] == "\\")
        }
    }

    @Test(arguments: [
        (["a", "b"], "| a | b |"),
        (["a", ""], "| a |   |"),
        ([""], "|   |"),
        (["one"], "| one |"),
        (["", "", "c"], "|   |   | c |"),
    ])
    func row(cells: [String], expected: String) {
        #expect(Markdown.row(cells) == expected)
    }

    @Test func rowOfEscapedCellsKeepsItsColumns() {
        let row = Markdown.row([Markdown.inline("a|b"), Markdown.inline("x\ny"), Markdown.inline("")])
        #expect(row == "| a\\|b | x<br>y |   |")
        // Unescaped pipes in the row are exactly the four column separators.
        let scalars = Array(row.unicodeScalars)
        let separators = scalars.indices.filter { scalars[$0] == "|" && ($0 == 0 || scalars[$0 - 1] != "\\") }
        #expect(separators.count == 4)
    }
}
