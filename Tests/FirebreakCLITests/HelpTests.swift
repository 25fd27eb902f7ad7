import FirebreakTestSupport
import Foundation
import Testing

/// `--help` of the root command and of each group, against golden files (FIREBREAK_RECORD=1
/// re-records): a change to an option's name, help text or default shows up in review.
@Suite struct HelpTests {
    @Test(arguments: [
        ["--help"], ["drill", "--help"], ["drill", "stats", "--help"], ["export", "--help"], ["open", "--help"], ["playbook", "--help"], ["statement", "--help"],
    ])
    func helpMatchesItsGoldenFile(_ arguments: [String]) throws {
        // The built binary with COLUMNS fixed: help is wrapped to the terminal width, which a test process cannot pin for itself.
        let result = try Firebreak.runBinary(arguments, environment: ["COLUMNS": "80"])
        #expect(result.status == 0)
        #expect(result.stderr == "")
        let name = "help-" + arguments.dropLast().joined(separator: "-")
        try expectGolden(result.stdout, (name == "help-" ? "help-firebreak" : name) + ".txt")
    }
}
