import FirebreakCore
import FirebreakLoading
import FirebreakTestSupport
import Testing

/// One broken playbook and the single diagnostic it must produce.
///
/// Positions are 1-based and point at the offending node; they are read off the listing in
/// ``MinimalPlaybook`` (the replaced line keeps its number).
struct BrokenPlaybook: Sendable, CustomTestStringConvertible {
    var name: String
    var yaml: String
    var fileName: String? = nil
    var line: Int
    var column: Int
    var severity: Diagnostic.Severity = .error
    var message: String

    var testDescription: String { name }
}

extension BrokenPlaybook {
    static func edit(
        _ name: String, _ replacements: [Int: String], _ line: Int, _ column: Int, _ message: String,
        severity: Diagnostic.Severity = .error
    ) -> BrokenPlaybook {
        BrokenPlaybook(name: name, yaml: MinimalPlaybook.replacing(replacements), line: line, column: column, severity: severity, message: message)
    }

    static func append(
        _ name: String, _ extra: [String], _ line: Int, _ column: Int, _ message: String, severity: Diagnostic.Severity = .error
    ) -> BrokenPlaybook {
        BrokenPlaybook(name: name, yaml: MinimalPlaybook.appending(extra), line: line, column: column, severity: severity, message: message)
    }
}

let brokenPlaybooks: [BrokenPlaybook] = [
    // YAML syntax
    .edit("YAML syntax: a second ': ' in a plain value", [3: "title: Minimal: playbook"], 3, 15,
          "YAML syntax error: mapping values are not allowed in this context"),
    .edit("YAML syntax: a tab as indentation", [25: "\tfinal: true"], 25, 1,
          "YAML syntax error: while scanning for the next token: found character that cannot start any token"),
    BrokenPlaybook(name: "an empty file", yaml: "", line: 1, column: 1, message: "the file is empty; a playbook starts with 'firebreak: 1'"),

    // Wrong types
    .edit("a list where text is expected", [3: "title: [Minimal, playbook]"], 3, 8, "'title' must be text, not a list"),
    .edit("a scalar where a list of steps is expected", [20: "    steps: brief", 21: "    # no steps"], 20, 12,
          "'steps' of state 'review' must be a list of steps, not a scalar"),
    .edit("a list where a transition is expected", [16: "      worsen: [review]"], 16, 15,
          "transition 'worsen' must be a mapping, not a list"),
    .edit("a word where a boolean is expected",
          [21: "      - { id: brief, title: Brief the boss, owner: boss, due: 30m, optional: maybe }"], 21, 78,
          "'optional' of step 'brief' must be true or false"),

    // Missing required keys
    .edit("a step without owner", [12: "      - { id: check, title: Check, due: 15m }"], 12, 9,
          "step 'check' is missing required key 'owner'"),
    .edit("a playbook without commander", [7: "# no commander"], 1, 1, "the playbook is missing required key 'commander'"),

    // Unknown keys
    .edit("a misspelt key in a flow mapping", [5: "  lead: { title: Lead, escalate-to: boss }"], 5, 24,
          "unknown key 'escalate-to' in role 'lead'; did you mean 'escalates-to'?"),
    .append("a misspelt top-level key", ["sumary: A short summary"], 26, 1,
            "unknown key 'sumary' in the playbook; did you mean 'summary'?"),
    .append("an unknown key with no close match", ["colour: red"], 26, 1,
            "unknown key 'colour' in the playbook; known keys are 'firebreak', 'id', 'title', 'summary', 'severity', 'language', 'roles', 'commander', 'start', 'states', 'on'"),
    .edit("a flow value cut at a comma",
          [12: "      - { id: check, title: Check the post, then reply, owner: lead, due: 15m }"], 12, 45,
          "unknown key 'then reply' in step 'check'; it looks like the rest of the value of 'title', cut at a comma: quote that value"),

    // Version and ids
    .edit("format version 2", [1: "firebreak: 2"], 1, 12, "unsupported format version 2; this Firebreak reads 'firebreak: 1'"),
    BrokenPlaybook(name: "an id with capitals", yaml: MinimalPlaybook.replacing([2: "id: Minimal"]), fileName: "Minimal.yaml",
                   line: 2, column: 5, message: "playbook id 'Minimal' is not a valid id"),

    // Undefined states
    .edit("start names an undefined state", [8: "start: opne"], 8, 8,
          "start names unknown state 'opne' (did you mean 'open'?); states are 'open', 'review', 'closed'"),
    .edit("on names an undefined state", [16: "      worsen: reveiw"], 16, 15,
          "unknown state 'reveiw' (did you mean 'review'?); states are 'open', 'review', 'closed'"),
    .edit("after names an undefined state", [18: "      4h: nowhere"], 18, 11,
          "unknown state 'nowhere'; states are 'open', 'review', 'closed'"),

    // Undefined roles
    .edit("owner names an undefined role", [12: "      - { id: check, title: Check, owner: laed, due: 15m }"], 12, 43,
          "step 'check' names unknown role 'laed' (did you mean 'lead'?); roles are 'lead', 'boss'"),
    .edit("commander names an undefined role", [7: "commander: leader"], 7, 12,
          "commander names unknown role 'leader' (did you mean 'lead'?); roles are 'lead', 'boss'"),
    .edit("escalates-to names an undefined role", [6: "  boss: { title: Boss, escalates-to: ceo }"], 6, 38,
          "role 'boss' escalates to unknown role 'ceo'; roles are 'lead', 'boss'"),
    .edit("escalates-to with a typo gets a suggestion", [6: "  boss: { title: Boss, escalates-to: laed }"], 6, 38,
          "role 'boss' escalates to unknown role 'laed' (did you mean 'lead'?); roles are 'lead', 'boss'"),
    .edit("'by' names an undefined role", [15: "      resolve: { to: closed, when: all-done, by: [lead, bos] }"], 15, 57,
          "'by' of 'resolve' names unknown role 'bos' (did you mean 'boss'?); roles are 'lead', 'boss'"),
    .append("'by' of the top-level 'on' names an undefined role", ["on:", "  all-clear: { to: closed, by: [ceo] }"], 27, 33,
          "'by' of 'all-clear' names unknown role 'ceo'; roles are 'lead', 'boss'"),
    .edit("an empty 'by'", [15: "      resolve: { to: closed, when: all-done, by: [] }"], 15, 50,
          "'by' of 'resolve' is an empty list; name the roles that may fire it, or leave 'by' out"),

    // Undefined steps and steps of other states
    .edit("needs names an undefined step",
          [13: "      - { id: act, title: Act, owner: lead, needs: [chek], due: 1h }"], 13, 53,
          "'needs' of step 'act' names unknown step 'chek' (did you mean 'check'?); steps of state 'open' are 'check', 'act'"),
    .edit("a guard list names an undefined step", [15: "      resolve: { to: closed, when: [chek] }"], 15, 37,
          "guard of 'resolve' names unknown step 'chek' (did you mean 'check'?); steps of state 'open' are 'check', 'act'"),
    .edit("needs names a step of another state",
          [21: "      - { id: brief, title: Brief the boss, owner: boss, needs: [check], due: 30m }"], 21, 66,
          "'needs' of step 'brief' names step 'check' of state 'open'; it may only name steps of state 'review': 'brief'"),
    .edit("a guard list names a step of another state", [23: "      resolve: { to: closed, when: [check] }"], 23, 37,
          "guard of 'resolve' names step 'check' of state 'open'; it may only name steps of state 'review': 'brief'"),
    .edit("needs form a cycle",
          [12: "      - { id: check, title: Check, owner: lead, needs: [act], due: 15m }"], 13, 53,
          "'needs' form a cycle: 'check' -> 'act' -> 'check'"),

    // Duplicates
    .edit("a duplicate step id", [21: "      - { id: check, title: Brief the boss, owner: boss, due: 30m }"], 21, 15,
          "duplicate step id 'check'; it is already used at line 12"),
    .edit("a duplicate key in a block mapping", [16: "      resolve: review"], 16, 7,
          "duplicate key 'resolve'; each key may appear once in a mapping"),
    .edit("a duplicate key in a flow mapping",
          [12: "      - { id: check, title: Check, owner: lead, due: 15m, due: 30m }"], 12, 59,
          "duplicate key 'due'; each key may appear once in a mapping"),
    .append("a duplicate top-level key", ["title: Again"], 26, 1, "duplicate key 'title'; each key may appear once in a mapping"),
    .edit("a duplicate key written once quoted", [13: "      - { id: act, title: Act, owner: lead, needs: [check], due: 1h, 'title': Again }"], 13, 70,
          "duplicate key 'title'; each key may appear once in a mapping"),

    // YAML beyond syntax
    .edit("an alias to an anchor that does not exist", [5: "  lead: *lead-role"], 5, 9, "YAML syntax error: found undefined alias"),
    .append("a second document", ["---", "id: other"], 26, 1,
            "YAML syntax error: expected a single document in the stream: but found another document"),
    .edit("a duplicate key written as an alias, reported where the alias is",
          [12: "      - { &k id: check, title: Check, owner: lead, due: 15m, *k : again }"], 12, 62,
          "duplicate key 'id'; each key may appear once in a mapping"),
    .append("an alias that nests deeper than any playbook needs",
            ["extra: &deep " + String(repeating: "[", count: 40) + String(repeating: "]", count: 40),
             "more: " + String(repeating: "[", count: 30) + "*deep" + String(repeating: "]", count: 30)], 27, 37,
            "YAML nested more than 64 levels deep"),
    .append("aliases that repeat a small list into a huge tree",
            ["a: &a [x, x, x, x, x, x, x, x, x, x]"] + (1...6).map { level in
                "l\(level): &l\(level) [" + Array(repeating: level == 1 ? "*a" : "*l\(level - 1)", count: 10).joined(separator: ", ") + "]"
            }, 30, 45,
            "YAML aliases repeat more than 100000 nodes; write the values out instead"),
    // Our own limit stops it at the 65th level, long before libyaml has read the rest.
    .append("nesting 100,000 levels deep, never closed", ["extra: " + String(repeating: "[", count: 100_000)], 26, 71,
            "YAML nested more than 64 levels deep"),
    .append("nesting deeper than any playbook needs", ["extra: " + String(repeating: "[", count: 80) + String(repeating: "]", count: 80)], 26, 71,
            "YAML nested more than 64 levels deep"),
    .edit("a control character", [3: "title: Mínimal\u{01} playbook"], 3, 15, "cannot read the file: control characters are not allowed"),

    // Durations
    .edit("a bad due", [12: "      - { id: check, title: Check, owner: lead, due: 15 min }"], 12, 54,
          "'due' of step 'check' '15 min' is not a duration; write it as '15m', '1h30m' or '2d' (units d, h, m, s in that order)"),
    .edit("a zero due", [12: "      - { id: check, title: Check, owner: lead, due: 0m }"], 12, 54,
          "'due' of step 'check' '0m' is zero; give a positive duration such as '15m'"),
    .edit("a bad timer", [18: "      4x: review"], 18, 7, "timer '4x' is not a duration"),
    .edit("a zero timer", [18: "      0h: review"], 18, 7, "timer '0h' is zero"),

    // The state graph
    .edit("a state that cannot be reached", [16: "      worsen: closed", 18: "      4h: closed"], 19, 3,
          "state 'review' cannot be reached from start state 'open'"),
    .edit("a state with no way to a final state", [23: "      resolve: review"], 19, 3,
          "no final state can be reached from state 'review'"),
    .append("a final state with steps", ["    steps:", "      - { id: tidy, title: Tidy up, owner: lead, due: 1h }"], 26, 5,
            "final state 'closed' may not have 'steps'"),
    .append("a final state with on", ["    on: { reopen: open }"], 26, 5, "final state 'closed' may not have 'on'"),
    .append("a final state with after", ["    after: { 1h: open }"], 26, 5, "final state 'closed' may not have 'after'"),
    .edit("a cycle of timers through states with no required step",
          [12: "      - { id: check, title: Check, owner: lead, due: 15m, optional: true }",
           13: "      - { id: act, title: Act, owner: lead, needs: [check], due: 1h, optional: true }",
           21: "      - { id: brief, title: Brief the boss, owner: boss, due: 30m, optional: true }",
           22: "    on: { resolve: closed }", 23: "    after: { 1h: open }"], 18, 7,
          "states 'open' -> 'review' -> 'open' time out into each other and no step is required in them; left alone, an incident would loop there for ever with nobody asked to act: make a step required, or let a timer lead out",
          severity: .warning),
    .edit("a timer into its own state with no required step",
          [12: "      - { id: check, title: Check, owner: lead, due: 15m, optional: true }",
           13: "      - { id: act, title: Act, owner: lead, needs: [check], due: 1h, optional: true }", 18: "      4h: open"], 18, 7,
          "state 'open' times out into itself and no step is required in it", severity: .warning),

    // Decisions and the top-level on
    .edit("a choice firing an event that is nowhere in on",
          [13: "      - { id: act, title: Act, owner: lead, needs: [check], due: 1h, choices: { fix: resolve, panic: explode } }"],
          13, 102,
          "choice 'panic' of step 'act' fires event 'explode', which is neither in the 'on' of state 'open' nor in the top-level 'on'; events there are 'resolve', 'worsen'"),
    .append("a top-level guard that is a list", ["on:", "  all-clear: { to: closed, when: [check] }"], 27, 34,
            "a top-level 'on' guard may only be 'all-done'"),

    // Warnings
    .edit("a step without due", [12: "      - { id: check, title: Check, owner: lead }"], 12, 15,
          "step 'check' has no 'due'; it can never be overdue", severity: .warning),
    BrokenPlaybook(name: "a file name that differs from the id", yaml: MinimalPlaybook.text, fileName: "other.yaml", line: 2, column: 5,
                   severity: .warning, message: "playbook id 'minimal' differs from the file name 'other.yaml'; name the file 'minimal.yaml'"),
]

@Suite struct PlaybookDiagnosticsTests {
    @Test func theMinimalPlaybookIsValid() throws {
        let result = PlaybookLoader.load(MinimalPlaybook.text, fileName: "minimal.yaml")
        #expect(result.diagnostics == [])
        let playbook = try #require(result.playbook)
        #expect(playbook.states.map(\.id) == ["open", "review", "closed"])
    }

    @Test(arguments: brokenPlaybooks)
    func eachProblemIsReportedOnceAtItsNode(_ broken: BrokenPlaybook) throws {
        let result = PlaybookLoader.load(broken.yaml, fileName: broken.fileName ?? "minimal.yaml")
        #expect(result.diagnostics.count == 1, "\(result.diagnostics)")
        let diagnostic = try #require(result.diagnostics.first)
        #expect(diagnostic.location == SourceLocation(line: broken.line, column: broken.column), "\(diagnostic)")
        #expect(diagnostic.severity == broken.severity, "\(diagnostic)")
        #expect(diagnostic.message.contains(broken.message), "\(diagnostic.message)")
    }

    @Test(arguments: brokenPlaybooks)
    func aFileWithAnErrorIsNeverLoadedButWarningsDoNotStopIt(_ broken: BrokenPlaybook) {
        let result = PlaybookLoader.load(broken.yaml, fileName: broken.fileName ?? "minimal.yaml")
        switch broken.severity {
        case .error: #expect(result.playbook == nil)
        case .warning: #expect(result.playbook != nil)
        }
    }

    /// Only a loop nobody is asked to break is warned about: a required step in one of its states, or
    /// a shorter timer leading out, ends it.
    @Test(arguments: [
        [22: "    on: { resolve: closed }", 23: "    after: { 1h: open }"],
        [12: "      - { id: check, title: Check, owner: lead, due: 15m, optional: true }",
         13: "      - { id: act, title: Act, owner: lead, needs: [check], due: 1h, optional: true }",
         21: "      - { id: brief, title: Brief the boss, owner: boss, due: 30m, optional: true }",
         22: "    on: { resolve: closed }", 23: "    after: { 1h: open, 30m: closed }"],
    ])
    func aTimerCycleThatSomeoneOrSomethingEndsIsNotWarnedAbout(_ replacements: [Int: String]) throws {
        let result = PlaybookLoader.load(MinimalPlaybook.replacing(replacements), fileName: "minimal.yaml")
        #expect(result.diagnostics == [])
        #expect(result.playbook != nil)
    }

    /// A UTF-8 byte-order mark before the text is accepted, and positions count from after it, as
    /// editors show them (line 1 included).
    @Test func aByteOrderMarkIsAcceptedAndPositionsStayRight() throws {
        let clean = PlaybookLoader.load("\u{FEFF}" + MinimalPlaybook.text, fileName: "minimal.yaml")
        #expect(clean.diagnostics == [])
        #expect(clean.playbook?.id == "minimal")
        let broken = PlaybookLoader.load("\u{FEFF}" + MinimalPlaybook.replacing([1: "firebreak: 2", 3: "title: [Minimal, playbook]"]))
        #expect(broken.diagnostics.map(\.description) == [
            "1:12: error: unsupported format version 2; this Firebreak reads 'firebreak: 1'",
            "3:8: error: 'title' must be text, not a list",
        ])
        let syntax = PlaybookLoader.load("\u{FEFF}" + MinimalPlaybook.replacing([1: "firebreak: 1: 2"]))
        #expect(syntax.diagnostics.map(\.description) == ["1:13: error: YAML syntax error: mapping values are not allowed in this context"])
    }

    @Test func anAliasStandsForTheNodeItsAnchorNames() throws {
        let yaml = MinimalPlaybook.text.replacing("  boss: { title: Boss }\n", with: "  boss: &plain { title: Boss }\n  aide: *plain\n")
        #expect(yaml != MinimalPlaybook.text)
        let result = PlaybookLoader.load(yaml, fileName: "minimal.yaml")
        #expect(result.diagnostics == [])
        let playbook = try #require(result.playbook)
        #expect(playbook.roles.map(\.id) == ["lead", "boss", "aide"])
        #expect(playbook.roles.map(\.title) == ["Lead", "Boss", "Boss"])
    }

    @Test func aDiagnosticRendersAsLineColumnSeverityMessage() {
        let result = PlaybookLoader.load(MinimalPlaybook.replacing([8: "start: opne"]))
        #expect(result.diagnostics.map(\.description) == [
            "8:8: error: start names unknown state 'opne' (did you mean 'open'?); states are 'open', 'review', 'closed'"
        ])
    }

    @Test func everyProblemOfAFileIsReportedInFileOrder() {
        let yaml = MinimalPlaybook.replacing([
            1: "firebreak: 2",
            7: "commander: leader",
            12: "      - { id: check, title: Check, owner: lead, due: 0m }",
            13: "      - { id: act, title: Act, owner: lead, needs: [check] }",
            21: "      - { id: check, title: Brief the boss, owner: boss, due: 30m }",
        ])
        let result = PlaybookLoader.load(yaml, fileName: "minimal.yaml")
        #expect(result.playbook == nil)
        // The zero due of 'check' is an error only: a step with a bad 'due' is not also warned about as having none.
        #expect(result.diagnostics.map(\.description) == [
            "1:12: error: unsupported format version 2; this Firebreak reads 'firebreak: 1'",
            "7:12: error: commander names unknown role 'leader' (did you mean 'lead'?); roles are 'lead', 'boss'",
            "12:54: error: 'due' of step 'check' '0m' is zero; give a positive duration such as '15m'",
            "13:15: warning: step 'act' has no 'due'; it can never be overdue",
            "21:15: error: duplicate step id 'check'; it is already used at line 12",
        ])
    }

    /// A key given twice does not stop the check: every repeat is reported at its second occurrence, the first stands,
    /// and the file's other problems are reported with them, in file order.
    @Test func keysGivenTwiceAreReportedWithEveryOtherProblem() {
        let yaml = MinimalPlaybook.replacing([
            7: "commander: leader",
            12: "      - { owner: lead, id: check, title: Check, due: 15m, owner: boss, id: again }",
            16: "      resolve: review",
        ])
        let result = PlaybookLoader.load(yaml, fileName: "minimal.yaml")
        #expect(result.playbook == nil)
        #expect(result.diagnostics.map(\.description) == [
            "7:12: error: commander names unknown role 'leader' (did you mean 'lead'?); roles are 'lead', 'boss'",
            "12:59: error: duplicate key 'owner'; each key may appear once in a mapping",
            "12:72: error: duplicate key 'id'; each key may appear once in a mapping",
            "16:7: error: duplicate key 'resolve'; each key may appear once in a mapping",
        ])
        // In a block list item: the item is checked as its first keys make it.
        let block = PlaybookLoader.load(MinimalPlaybook.replacing([12: "      - id: check", 13: "        id: act"]), fileName: "minimal.yaml")
        #expect(block.diagnostics.map(\.description) == [
            "12:9: error: step 'check' is missing required key 'title'",
            "12:9: error: step 'check' is missing required key 'owner'",
            "12:13: warning: step 'check' has no 'due'; it can never be overdue",
            "13:9: error: duplicate key 'id'; each key may appear once in a mapping",
        ])
        // A syntax error still stops the reading; a repeat before it is reported with it.
        let broken = MinimalPlaybook.replacing([12: "      - { id: check, title: Check, owner: lead, id: again }", 20: "  title: a: b"])
        #expect(PlaybookLoader.load(broken, fileName: "minimal.yaml").diagnostics.map(\.message) == [
            "duplicate key 'id'; each key may appear once in a mapping",
            "YAML syntax error: mapping values are not allowed in this context",
        ])
    }

    @Test func problemsFromReadingAndFromCheckingAreMergedInFileOrder() {
        // An unknown key (found while reading) after an unknown role (found while checking).
        let yaml = MinimalPlaybook.replacing([
            6: "  boss: { title: Boss, escalates-to: ceo }",
            21: "      - { id: brief, title: Brief the boss, owner: boss, due: 30m, gudiance: Be brief }",
        ])
        let result = PlaybookLoader.load(yaml, fileName: "minimal.yaml")
        #expect(result.diagnostics.map(\.location) == [SourceLocation(line: 6, column: 38), SourceLocation(line: 21, column: 68)])
        #expect(result.diagnostics.map(\.severity) == [.error, .error])
        #expect(result.diagnostics.last?.message == "unknown key 'gudiance' in step 'brief'; did you mean 'guidance'?")
    }

    @Test func everyPieceOfAValueCutAtSeveralCommasPointsBackAtTheCutValue() {
        // The spec's capture title, written in a flow mapping without quotes: YAML splits it at each comma.
        let yaml = MinimalPlaybook.replacing([
            12: "      - { id: check, title: Capture the post (screenshot, URL, time, reach) before it is deleted, owner: lead, due: 15m }"
        ])
        let result = PlaybookLoader.load(yaml, fileName: "minimal.yaml")
        let hint = "in step 'check'; it looks like the rest of the value of 'title', cut at a comma: quote that value"
        #expect(result.diagnostics.map(\.description) == [
            "12:59: error: unknown key 'URL' \(hint)",
            "12:64: error: unknown key 'time' \(hint)",
            "12:70: error: unknown key 'reach) before it is deleted' \(hint)",
        ])
    }

    @Test func onKeysAreReadAsTheKeyOnNotAsABoolean() throws {
        // YAML 1.1 reads a bare `on`, `yes` or `off` as a boolean; playbooks mean the words.
        let yaml = MinimalPlaybook.appending(
            ["on:", "  off: closed", "  yes: { to: closed, when: all-done }"],
            replacing: [16: "      no: review"])
        let result = PlaybookLoader.load(yaml, fileName: "minimal.yaml")
        #expect(result.diagnostics == [])
        let playbook = try #require(result.playbook)
        #expect(playbook.states[0].transitions.map(\.event) == ["resolve", "no"])
        #expect(playbook.states[1].transitions.map(\.event) == ["resolve"])
        #expect(playbook.globalTransitions == [
            Transition(event: "off", target: 2),
            Transition(event: "yes", target: 2, guardCondition: .allDone),
        ])
    }

    @Test func aChoiceMayFireAnEventOfTheTopLevelOn() throws {
        let yaml = MinimalPlaybook.appending(
            ["on:", "  all-clear: closed"],
            replacing: [13: "      - { id: act, title: Act, owner: lead, needs: [check], due: 1h, choices: { fix: resolve, drop: all-clear } }"])
        let result = PlaybookLoader.load(yaml, fileName: "minimal.yaml")
        #expect(result.diagnostics == [])
        let playbook = try #require(result.playbook)
        #expect(playbook.states[0].steps[1].choices == .events([("fix", "resolve"), ("drop", "all-clear")]))
    }

    @Test func theSpecExampleLoadsCleanly() throws {
        let result = PlaybookLoader.load(Fixtures.specExample, fileName: "offensive-post.yaml")
        #expect(result.diagnostics == [])
        let playbook = try #require(result.playbook)
        #expect(playbook.id == "offensive-post")
        #expect(playbook.severity == .high)
        #expect(playbook.commander == "comms-lead")
        #expect(playbook.roles.map(\.id) == ["comms-lead", "social", "hr", "legal", "director"])
        #expect(playbook.role("social")?.escalatesTo == "comms-lead")
        #expect(playbook.states.map(\.id) == ["triage", "respond", "escalated", "recover", "closed"])
        #expect(playbook.states.map(\.title) == ["Triage", "Respond", "escalated", "recover", "closed"])
        #expect(playbook.start == 0)
        #expect(playbook.states[1].timers == [Timer(after: 4 * 3600, target: 2)])
        #expect(playbook.states[1].transitions == [
            Transition(event: "contained", target: 3, guardCondition: .allDone),
            Transition(event: "story-published", target: 2),
        ])
        #expect(playbook.states[2].transitions == [Transition(event: "contained", target: 3, guardCondition: .steps([0]))])
        let assess = try #require(playbook.step("assess")?.step)
        #expect(assess.needs == [0])
        #expect(assess.due == 1800)
        #expect(assess.choices == .events([("escalate", "escalate"), ("dismiss", "dismiss")]))
        #expect(playbook.step("legal-check")?.step.isOptional == true)
        #expect(playbook.states[4].isFinal)
    }

    @Test func theShippedPlaybooksAreFound() {
        #expect(Fixtures.shippedPlaybookNames.count >= 5)
        #expect(Fixtures.shippedPlaybookNames.contains("offensive-post.yaml"))
    }

    @Test(arguments: Fixtures.shippedPlaybookNames)
    func everyShippedPlaybookChecksClean(_ fileName: String) throws {
        let text = try Fixtures.shippedPlaybookText(fileName)
        let result = PlaybookLoader.load(text, fileName: fileName)
        #expect(result.diagnostics == [], "\(result.diagnostics.map(\.description))")
        #expect(result.playbook != nil)
    }
}
