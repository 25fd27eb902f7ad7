@testable import FirebreakCore
import FirebreakTestSupport
import Testing

@Suite struct TextCheckTests {
    @Test(arguments: [
        ("We know a photo of [name] was shared.", ["[name]"]),
        ("Two: [a] and [time of the update].\nThird on line two: [x]", ["[a]", "[time of the update]", "[x]"]),
        ("Empty [] is none; nested [[x]] counts the inner one", ["[x]"]),
        ("[\(String(repeating: "a", count: 40))] is one, [\(String(repeating: "b", count: 41))] is not", ["[\(String(repeating: "a", count: 40))]"]),
        ("No brackets at all", []),
        ("An open [bracket never closed", []),
    ])
    func placeholdersAreBracketsAroundOneToFortyCharacters(_ text: String, _ expected: [String]) {
        #expect(TextCheck.placeholders(text).map(\.text) == expected)
        #expect(TextCheck.hasPlaceholder(text) == !expected.isEmpty)
    }

    /// The byte-by-byte reading of ASCII texts finds exactly what the character-by-character one finds,
    /// lines included ("\r\n" is one character and one line break).
    @Test func asciiTextsAreReadAsTheCharacterRuleReadsThem() {
        var generator = SeededGenerator(seed: 42)
        let pieces = ["[", "]", "a", "b c", "\n", "\r\n", "\r", "\u{0B}", "\u{0C}", "x", String(repeating: "y", count: 39), "[[", "]]"]
        for _ in 0..<3_000 {
            let count = Int.random(in: 0...12, using: &generator)
            let text = (0..<count).map { _ in pieces.randomElement(using: &generator)! }.joined()
            var copy = text
            let fast = copy.withUTF8(TextCheck.asciiPlaceholders)
            let slow = TextCheck.characterPlaceholders(text)
            #expect(fast.map(\.text) == slow.map(\.text), "\(text.debugDescription)")
            #expect(fast.map(\.line) == slow.map(\.line), "\(text.debugDescription)")
        }
        #expect(TextCheck.placeholders("één [naam] hier\r\nen [datum]").map(\.line) == [1, 2])
    }

    @Test func findingsAreInTextOrderWithTheirLinesAndSayWhatIsWrong() {
        let text = "We will update you at [time].\nIt was Probably an accident;\nthe employee must\nhave been FIRED. Het lijkt erop dat het vast klopt."
        let findings = TextCheck.findings(text, avoid: ["fired", "suspended"])
        #expect(findings == [
            TextFinding(.placeholder, "[time]", line: 1),
            TextFinding(.speculation, "Probably", line: 2),
            TextFinding(.speculation, "must\nhave", line: 3),
            TextFinding(.avoid, "FIRED", line: 4),
            TextFinding(.speculation, "lijkt erop", line: 4),
            TextFinding(.speculation, "vast", line: 4),
        ])
    }

    @Test(arguments: ["It is unlikely to spread.", "Assuredly not; surelyness is no word.", "We believed it then.", "The client's vastness"])
    func onlyWholeWordsMatch(_ text: String) {
        #expect(TextCheck.findings(text) == [])
    }

    @Test func everyListedWordOfBothLanguagesIsFound() {
        for (_, words) in WordLists.speculation {
            for word in words {
                #expect(TextCheck.findings("Dit is \(word.uppercased()) zo.").map(\.kind) == [.speculation], "\(word)")
            }
        }
        #expect(WordLists.speculation.map(\.language) == ["en", "nl"])
    }

    @Test func avoidWordsMayBePhrasesAndApostrophesStayInsideWords() {
        #expect(TextCheck.findings("He was let go. It's the employee's post.", avoid: ["let go", "employee's"]).map(\.text) == ["let go", "employee's"])
    }
}
