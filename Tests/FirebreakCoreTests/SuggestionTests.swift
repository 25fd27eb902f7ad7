import FirebreakCore
import Testing

/// "Did you mean": a near miss by edit distance, else the one id the word is a whole part of.
@Suite struct SuggestionTests {
    @Test(arguments: [
        ("directr", ["comms-lead", "director"], "director"),
        ("comms", ["comms-lead", "director"], "comms-lead"),
        ("lead", ["comms-lead", "team-lead"], nil),
        ("co", ["comms-lead"], nil),
        ("legal", ["comms-lead", "director"], nil),
    ] as [(String, [String], String?)])
    func aSuggestionIsANearMissOrTheOneIdTheWordIsPartOf(_ word: String, _ candidates: [String], _ expected: String?) {
        #expect(Identifier.suggestion(for: word, among: candidates) == expected)
    }
}
