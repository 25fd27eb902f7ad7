import FirebreakCore
import FirebreakLoading
import FirebreakTestSupport
import Foundation
import Testing

/// A playbook with audiences, built from ``MinimalPlaybook``: step `brief` (line 21) is a statement
/// to `press`, and lines 26-27 define the audience. Each case edits it and lists every diagnostic.
struct AudienceCase: Sendable, CustomTestStringConvertible {
    var name: String
    var replacements: [Int: String] = [:]
    var audiences: [String] = ["  press: { title: Press, approvers: [boss], cadence: 1h, avoid: [fired] }"]
    var severity: String? = nil
    /// (line, the text the column points at, severity, message)
    var expected: [(Int, String, Diagnostic.Severity, String)]

    var testDescription: String { name }

    static let statementStep = "      - { id: brief, title: Brief the boss, owner: boss, due: 30m, statement: press }"

    var yaml: String {
        var edits = [21: Self.statementStep]
        for (line, text) in replacements { edits[line] = text }
        var extra = audiences.isEmpty ? [] : ["audiences:"] + audiences
        if let severity { extra.append("severity: \(severity)") }
        return MinimalPlaybook.replacing(edits).appending(extra)
    }

    func line(_ number: Int) -> String { yaml.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)[number - 1] }
}

extension String {
    fileprivate func appending(_ lines: [String]) -> String {
        (hasSuffix("\n") ? self : self + "\n") + lines.joined(separator: "\n") + "\n"
    }
}

let audienceCases: [AudienceCase] = [
    AudienceCase(
        name: "an approver that is no role",
        audiences: ["  press: { title: Press, approvers: [boss, legal] }"],
        expected: [(27, "legal", .error, "audience 'press' names unknown role 'legal' as approver (did you mean 'lead'?); roles are 'lead', 'boss'")]),
    AudienceCase(
        name: "a statement step naming an unknown audience",
        replacements: [21: "      - { id: brief, title: Brief the boss, owner: boss, due: 30m, statement: pres }"],
        expected: [
            (21, "pres }", .error, "step 'brief' names unknown audience 'pres' (did you mean 'press'?); audiences are 'press'"),
            (27, "press", .warning, "audience 'press' is named by no step; tie a step to it with 'statement: press', or remove it"),
        ]),
    AudienceCase(
        name: "a statement step in a playbook without audiences",
        audiences: [],
        expected: [
            (21, "press }", .error, "step 'brief' names unknown audience 'press'; the playbook has no 'audiences'"),
        ]),
    AudienceCase(
        name: "statement and informs on one step",
        replacements: [21: "      - { id: brief, title: Brief the boss, owner: boss, due: 30m, statement: press, informs: client }"],
        expected: [(21, "client", .error, "step 'brief' has both 'statement' and 'informs'; make them two steps")]),
    AudienceCase(
        name: "choices with statement",
        replacements: [13: "      - { id: act, title: Act, owner: lead, needs: [check], due: 1h, choices: [a, b], statement: press }"],
        expected: [(13, "press", .error, "step 'act' has both 'choices' and 'statement'; a statement step is completed by publishing, so make the decision a step of its own")]),
    AudienceCase(
        name: "choices with informs",
        replacements: [13: "      - { id: act, title: Act, owner: lead, needs: [check], due: 1h, choices: [a, b], informs: client }"],
        expected: [(13, "client", .error, "step 'act' has both 'choices' and 'informs'; an inform step is completed by 'inform', so make the decision a step of its own")]),
    AudienceCase(
        name: "a bad cadence",
        audiences: ["  press: { title: Press, approvers: [boss], cadence: 1x }"],
        expected: [(27, "1x", .error, "'cadence' of audience 'press' '1x' is not a duration; write it as '15m', '1h30m' or '2d' (units d, h, m, s in that order)")]),
    AudienceCase(
        name: "a zero cadence",
        audiences: ["  press: { title: Press, approvers: [boss], cadence: 0m }"],
        expected: [(27, "0m", .error, "'cadence' of audience 'press' '0m' is zero; give a positive duration such as '15m'")]),
    AudienceCase(
        name: "a duplicate audience",
        audiences: ["  press: { title: Press, approvers: [boss] }", "  press: { title: Press again }"],
        expected: [(28, "press", .error, "duplicate key 'press'; each key may appear once in a mapping")]),
    AudienceCase(
        name: "an unknown key in an audience",
        audiences: ["  press: { title: Press, approver: [boss] }"],
        expected: [(27, "approver", .error, "unknown key 'approver' in audience 'press'; did you mean 'approvers'?")]),
    AudienceCase(
        name: "an audience no step names",
        audiences: ["  press: { title: Press, approvers: [boss] }", "  staff: { title: Staff }"],
        expected: [(28, "staff", .warning, "audience 'staff' is named by no step; tie a step to it with 'statement: staff', or remove it")]),
    AudienceCase(
        name: "a statement step to an audience without approvers in a high-severity playbook",
        audiences: ["  press: { title: Press }"], severity: "high",
        expected: [(21, "press }", .warning, "statement step 'brief' goes to audience 'press', which has no approvers, in a playbook of severity 'high'; give the audience 'approvers'")]),
    AudienceCase(
        name: "an informs that is not an id",
        replacements: [21: "      - { id: brief, title: Brief the boss, owner: boss, due: 30m, statement: press }",
                       13: "      - { id: act, title: Act, owner: lead, needs: [check], due: 1h, informs: The Client }"],
        expected: [(13, "The Client", .error, "'informs' 'The Client' is not a valid id")]),
]

@Suite struct AudienceDiagnosticsTests {
    @Test func aPlaybookWithAudiencesLoadsWithThem() throws {
        let result = PlaybookLoader.load(AudienceCase(name: "", expected: []).yaml, fileName: "minimal.yaml")
        #expect(result.diagnostics == [])
        let playbook = try #require(result.playbook)
        #expect(playbook.audiences == [Audience(id: "press", title: "Press", approvers: ["boss"], cadence: 3600, avoid: ["fired"])])
        #expect(playbook.step("brief")?.step.statement == "press")
        #expect(playbook.tables.stepStatement == [-1, -1, 0])
    }

    @Test(arguments: audienceCases)
    func eachProblemIsReportedAtItsNode(_ c: AudienceCase) throws {
        let result = PlaybookLoader.load(c.yaml, fileName: "minimal.yaml")
        let got = result.diagnostics.map { "\($0.location.line):\($0.location.column) \($0.severity) \($0.message)" }
        let want = c.expected.map { line, token, severity, message in
            let text = c.line(line)
            let column = token.isEmpty ? 1 + text.prefix { $0 == " " }.count : text.distance(from: text.startIndex, to: text.range(of: token)!.lowerBound) + 1
            return "\(line):\(column) \(severity) \(message)"
        }
        #expect(got.count == want.count, "\(got)")
        for (g, w) in zip(got, want) { #expect(g.hasPrefix(w), "\(g)") }
        #expect((result.playbook == nil) == c.expected.contains { $0.2 == .error })
    }
}
