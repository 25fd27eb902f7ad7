import FirebreakCore
import FirebreakReports
import Testing

/// Values escaped per output format: in HTML untrusted text never becomes markup; the catalogue's Markdown
/// emphasis becomes elements; blocks render in each format; SVG numbers and text.
@Suite struct MarkupTests {
    @Test(arguments: [
        ("plain text", "plain text"),
        ("", ""),
        ("café 🔥 naïve", "café 🔥 naïve"),
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ("<img src=x onerror=\"alert(1)\">", "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;"),
        ("it's <b>", "it&#39;s &lt;b&gt;"),
        ("a & b", "a &amp; b"),
        ("&amp;", "&amp;amp;"),
        // Markdown syntax is plain text in HTML: left as it is.
        ("**bold** | `tick` [x](y) # h", "**bold** | `tick` [x](y) # h"),
        ("line1\nline2", "line1<br>line2"),
        ("line1\r\nline2", "line1<br>line2"),
        ("tab\there", "tab here"),
        ("bell\u{07}", "bell\u{FFFD}"),
        ("rtl \u{202E}override", "rtl \u{FFFD}override"),
    ])
    func htmlEscape(_ input: String, _ expected: String) {
        #expect(HTML.escape(input) == expected)
        #expect(Markup.html.text(input) == expected)
    }

    @Test func catalogueEmphasisBecomesElementsAndPlacesStay() {
        let t = Markup.html.messages(.english)
        #expect(t("result.late") == "<strong>late</strong>")
        #expect(t("timeline.logged", ["time": "&lt;x&gt;"]) == "<em>logged &lt;x&gt;</em>")
        #expect(t("timeline.intro", ["zone": "UTC", "base": "when it began"])
            == "Times are UTC; offsets are from when it began. <em>Logged</em> marks an event recorded later than it happened; <em>outside role</em> an actor who does not hold the step&#39;s owner role.")
        // Markdown keeps the catalogue as it is.
        #expect(Markup.markdown.messages(.english)("result.late") == "**late**")
        #expect(Markup.html.messages(.dutch)("heading.timeline") == "Tijdlijn")
    }

    @Test func blocksRenderInEachFormat() {
        let blocks: [Markup.Block] = [
            .heading("Press (press)"), .paragraph("S1 as published:"), .quote(["first", "", "third"]),
            .table(header: ["A", "B"], rows: [["1", ""], ["3", "4"]]), .list(["one", "two"]),
        ]
        #expect(Markup.markdown.render(blocks) == """
            ### Press (press)

            S1 as published:

            > first
            >
            > third

            | A | B |
            |---|---|
            | 1 |   |
            | 3 | 4 |

            - one
            - two
            """)
        #expect(Markup.html.render(blocks) == """
            <h3>Press (press)</h3>
            <p>S1 as published:</p>
            <blockquote><p>first<br>
            <br>
            third</p></blockquote>
            <table>
            <thead><tr><th>A</th><th>B</th></tr></thead>
            <tbody>
            <tr><td>1</td><td></td></tr>
            <tr><td>3</td><td>4</td></tr>
            </tbody>
            </table>
            <ul>
            <li>one</li>
            <li>two</li>
            </ul>
            """)
    }

    @Test func svgNumbersTextAndScales() {
        #expect(SVG.number(12) == "12")
        #expect(SVG.number(12.04) == "12")
        #expect(SVG.number(12.25) == "12.3")
        #expect(SVG.number(-0.25) == "-0.3")
        #expect(SVG.number(.nan) == "0")
        #expect(SVG.escape("a<b>&\"'\nc") == "a&lt;b&gt;&amp;&quot;&#39; c")
        #expect(SVG.text("<x>", x: 1, y: 2.5, anchor: .middle) == "<text x=\"1\" y=\"2.5\" text-anchor=\"middle\" fill=\"#222\">&lt;x&gt;</text>")
        let x = SVG.Scale(from: 0...100, to: 10, 110)
        #expect(x(50) == 60)
        let y = SVG.Scale(from: 0...10, to: 200, 0)
        #expect(y(10) == 0)
        #expect([0, 1, 7, 12_000, 20_000, 21_000, 90_000].map(SVG.niceCeiling) == [1, 1, 10, 20_000, 20_000, 25_000, 100_000])
    }
}
