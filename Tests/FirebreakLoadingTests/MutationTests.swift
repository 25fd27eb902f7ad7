import FirebreakCore
import FirebreakLoading
import FirebreakTestSupport
import Testing

/// Random damage to real playbooks: the loader must never crash, must place every diagnostic
/// inside the file, and must hand back a playbook whenever it reports no error.
@Suite struct MutationTests {
    static let mutationCount = 3000
    static let seed: UInt64 = 0x5EED_F1AE_B4EA_0001

    /// Characters that matter to YAML, plus a few ordinary ones.
    static let replacementCharacters: [Character] = [
        ":", "-", "{", "}", "[", "]", ",", " ", "#", "\"", "'", "\t", "&", "*", "!", "|", ">", "?", "%", "@", "`",
        "a", "z", "0", "9", "é", "\u{FEFF}", "\\",
    ]

    /// Applies one to three random edits: delete, duplicate or swap lines, or change, insert or delete a character.
    static func mutate(_ text: String, using rng: inout SeededGenerator) -> String {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        for _ in 0..<Int.random(in: 1...3, using: &rng) where !lines.isEmpty {
            let index = Int.random(in: 0..<lines.count, using: &rng)
            switch Int.random(in: 0..<6, using: &rng) {
            case 0:
                lines.remove(at: index)
            case 1:
                lines.insert(lines[index], at: index)
            case 2:
                lines.swapAt(index, Int.random(in: 0..<lines.count, using: &rng))
            default:
                var characters = Array(lines[index])
                let position = Int.random(in: 0...characters.count, using: &rng)
                let character = replacementCharacters.randomElement(using: &rng)!
                switch Int.random(in: 0..<3, using: &rng) {
                case 0 where position < characters.count: characters[position] = character
                case 1 where position < characters.count: characters.remove(at: position)
                default: characters.insert(character, at: position)
                }
                lines[index] = String(characters)
            }
        }
        return lines.joined(separator: "\n")
    }

    @Test func mutationsAreDeterministicForASeed() throws {
        let text = try Fixtures.shippedPlaybookText("offensive-post.yaml")
        var a = SeededGenerator(seed: 42), b = SeededGenerator(seed: 42)
        let first = (0..<20).map { _ in Self.mutate(text, using: &a) }
        let second = (0..<20).map { _ in Self.mutate(text, using: &b) }
        #expect(first == second)
        #expect(first.contains { $0 != text })
    }

    @Test func theSeededGeneratorMatchesTheSplitMix64ReferenceSequence() {
        // Reference values of SplitMix64 for seed 0 (Vigna's splitmix64.c).
        var rng = SeededGenerator(seed: 0)
        #expect([rng.next(), rng.next(), rng.next()] == [0xE220_A839_7B1D_CDAF, 0x6E78_9E6A_A1B9_65F4, 0x06C4_5D18_8009_454F])
    }

    @Test func damagedPlaybooksNeverCrashAndDiagnosticsStayInsideTheFile() throws {
        let originals = try Fixtures.shippedPlaybookNames.map { ($0, try Fixtures.shippedPlaybookText($0)) }
        try #require(!originals.isEmpty)
        var rng = SeededGenerator(seed: Self.seed)
        var rejected = 0, loaded = 0
        for index in 0..<Self.mutationCount {
            let (fileName, original) = originals[index % originals.count]
            let text = Self.mutate(original, using: &rng)
            let lineCount = text.split(separator: "\n", omittingEmptySubsequences: false).count
            let result = PlaybookLoader.load(text, fileName: fileName)
            for diagnostic in result.diagnostics {
                let ok = diagnostic.location.line >= 1 && diagnostic.location.column >= 1 && diagnostic.location.line <= lineCount + 1
                #expect(ok, "mutation \(index) of \(fileName): \(diagnostic) is outside the file (\(lineCount) lines)")
                if !ok { return }
            }
            if result.diagnostics.hasErrors {
                #expect(result.playbook == nil, "mutation \(index) of \(fileName) has errors but loaded")
                rejected += 1
            } else {
                #expect(result.playbook != nil, "mutation \(index) of \(fileName) has no error but did not load: \(result.diagnostics)")
                loaded += 1
            }
        }
        // The mutations must exercise both outcomes, or the test proves little.
        #expect(rejected > Self.mutationCount / 10)
        #expect(loaded > Self.mutationCount / 20)
    }

    /// YAML built from random tokens (anchors, aliases, tags, documents, nesting): far from any
    /// playbook, so it reaches the corners of the reader rather than of the checker.
    @Test func randomTokenSoupNeverCrashesAndIsPositioned() {
        let tokens = [
            "[", "]", "{", "}", ": ", ", ", "- ", "\n", "  ", "&a ", "*a", "&b ", "*b ", "!!str ", "!x ", "? ", "|\n", ">\n", "'x'",
            "\"y\"", "key", "id", "states", "firebreak: 1\n", "#c", "---\n", "...\n", "%YAML 1.2\n", "\t", "é", "\\",
        ]
        var rng = SeededGenerator(seed: Self.seed ^ 0x70CE)
        var positioned = 0
        for index in 0..<2000 {
            let text = (0..<Int.random(in: 1...120, using: &rng)).map { _ in tokens.randomElement(using: &rng)! }.joined()
            let lineCount = text.split(separator: "\n", omittingEmptySubsequences: false).count
            let result = PlaybookLoader.load(text)
            for diagnostic in result.diagnostics {
                let ok = diagnostic.location.line >= 1 && diagnostic.location.column >= 1 && diagnostic.location.line <= lineCount + 1
                #expect(ok, "soup \(index): \(diagnostic) is outside the file (\(lineCount) lines)")
                if !ok { return }
                positioned += 1
            }
            #expect(!result.diagnostics.isEmpty, "soup \(index) loaded as a playbook")
        }
        #expect(positioned >= 2000)
    }
}
