import FirebreakCore

/// The result of loading a scenario: the scenario when it has no error, its playbook, and every diagnostic.
public struct ScenarioLoadResult: Sendable {
    public var scenario: Scenario?
    public var playbook: Playbook?
    public var diagnostics: [Diagnostic]
}

/// Reads scenario YAML and checks it against its playbook, with positioned diagnostics.
public enum ScenarioLoader {
    static let topKeys = ["firebreak", "id", "title", "playbook", "severity", "start", "cast", "injects", "actions", "teams", "variability", "end"]
    static let injectKeys = ["id", "at", "from", "text", "fire", "expect", "window", "done", "reach"]
    static let expectKeys = ["done", "state", "published", "informed", "within", "else", "never", "before"]
    static let contingencyKeys = ["from", "text", "fire", "after", "done", "reach"]
    static let actionKeys = [
        "at", "by", "done", "choice", "skip", "reason", "fire", "note", "step", "draft", "revise", "approve", "reject", "publish", "inform", "text",
        "via",
    ]
    static let moveKeys = ["done", "skip", "fire", "note", "draft", "revise", "approve", "reject", "publish", "inform"]

    /// Whether YAML text is a scenario rather than a playbook (it names a `playbook` or has `injects`).
    public static func looksLikeScenario(_ text: String) -> Bool {
        YAMLSource(text).isScenario
    }

    /// Loads a scenario; `playbooks` looks up the playbook it names (nil when missing or invalid).
    public static func load(_ text: String, fileName: String? = nil, playbooks: @escaping (String) -> Playbook?) -> ScenarioLoadResult {
        load(YAMLSource(text), fileName: fileName, playbooks: playbooks)
    }

    /// Loads a scenario from YAML already read. With `lint` (`playbook check`), a scenario without errors
    /// is also played as `drill run` plays it, for the warnings only a run can give (``droppedSteps``).
    public static func load(
        _ source: YAMLSource, fileName: String? = nil, lint: Bool = false, playbooks: @escaping (String) -> Playbook?
    ) -> ScenarioLoadResult {
        let root: Node
        switch source.root {
        case .failure: return ScenarioLoadResult(scenario: nil, playbook: nil, diagnostics: source.unreadable ?? [])
        case .success(nil):
            return ScenarioLoadResult(scenario: nil, playbook: nil, diagnostics: [.error("the file is empty; a scenario starts with 'firebreak: 1'", at: SourceLocation(line: 1, column: 1))])
        case .success(let node?): root = node
        }
        var run = Run(reader: NodeReader(diagnostics: source.duplicateKeys), playbooks: playbooks)
        let scenario = run.read(root, fileName: fileName)
        var diagnostics = run.reader.diagnostics
        if lint, !diagnostics.hasErrors, let scenario, let playbook = run.playbook {
            diagnostics += droppedSteps(scenario, playbook, locations: run.expectationLocations)
        }
        diagnostics = diagnostics.sortedByLocation()
        return ScenarioLoadResult(scenario: diagnostics.hasErrors ? nil : scenario, playbook: run.playbook, diagnostics: diagnostics)
    }

    /// A warning at each `done` (or `before`) expectation the scripted run misses because its step was
    /// dropped: its state was left, the incident still open, before the step was done or skipped and
    /// before the expectation's deadline (a `before` expectation has none: any drop counts). Such
    /// a step needs `carry: true` (or to be a duty) if the team must still do it after the state.
    static func droppedSteps(_ scenario: Scenario, _ playbook: Playbook, locations: [SourceLocation]) -> [Diagnostic] {
        let outcome = Simulator(scenario: scenario, playbook: playbook).run()
        guard outcome.expectations.count == locations.count else { return [] }
        var analysis = IncidentAnalysis(playbook: playbook)
        for event in outcome.events { analysis.add(event) }
        var warnings: [Diagnostic] = []
        for (e, result) in outcome.expectations.enumerated() where !result.met {
            let step: String
            switch result.expectation.condition {
            case .done(let done), .before(let done, _): step = done
            default: continue
            }
            // The step's first round that was left open when its state was left, the incident not closing then.
            let dropped = analysis.steps.lazy.filter { $0.step == step && !$0.isDuty && !$0.carried && $0.doneAt == nil && $0.skippedAt == nil }
                .compactMap { round -> (state: String, at: Int)? in
                    guard let left = analysis.visits.first(where: { $0.state == round.state && $0.round == round.round })?.leftAt,
                        left != analysis.closedAt
                    else { return nil }
                    return (round.state, left)
                }.first
            // Dropped after the deadline, the miss is the team's, not the playbook's.
            guard let dropped, dropped.at < result.deadline else { continue }
            warnings.append(.warning(
                "in the scripted run, step '\(step)' of this expectation is dropped when state '\(dropped.state)' is left at \(DurationText.clock(dropped.at - outcome.incident.openedAt)) before it is done, so the expectation is missed; give the step 'carry: true' in the playbook (or make it a duty) if the team must still do it after that state",
                at: locations[e]))
        }
        return warnings
    }

    struct Run {
        var reader: NodeReader
        let playbooks: (String) -> Playbook?
        var playbook: Playbook?
        /// Where each expectation read is, in file order (the order the simulator numbers them in).
        var expectationLocations: [SourceLocation] = []

        func hint(_ name: String, _ candidates: [String]) -> String {
            Identifier.suggestion(for: name, among: candidates).map { " (did you mean '\($0)'?)" } ?? ""
        }

        mutating func read(_ root: Node, fileName: String?) -> Scenario? {
            guard let entries = reader.mapping(root, "the scenario", allowed: ScenarioLoader.topKeys, required: ["firebreak", "id", "title", "playbook", "injects"]) else {
                return nil
            }
            // The playbook first: every other key is checked against it.
            if let node = entries.first(where: { $0.key == "playbook" })?.value, let name = reader.located(node, "'playbook'") {
                playbook = playbooks(name.value)
                if playbook == nil {
                    reader.error("unknown or invalid playbook '\(name.value)'; it must be a playbook that checks clean in the playbook folder", at: name.location)
                }
            }
            var id: Located<String>?, title: String?, severity: IncidentSeverity?, start: WallClock?
            var cast: [(role: String, person: String)] = [], injects: [Inject] = [], actions: [Action] = []
            var variability: [String: Int] = [:], end = 86_400, teams: [(name: String, actions: [Action])] = []
            for (key, _, value) in entries {
                switch key {
                case "firebreak":
                    if let version = reader.int(value, "'firebreak'"), version.value != 1 {
                        reader.error("unsupported format version \(version.value); this Firebreak reads 'firebreak: 1'", value)
                    }
                case "id":
                    id = reader.located(value, "'id'")
                    if let id, !Identifier.isValid(id.value) {
                        reader.error("scenario id '\(id.value)' is not a valid id; use lower-case letters, digits and '-'", at: id.location)
                    }
                case "title": title = reader.string(value, "'title'")
                case "severity": severity = PlaybookLoader.severity(value, &reader)
                case "start":
                    if let text = reader.string(value, "'start'") {
                        start = WallClock.parse(text)
                        if start == nil { reader.error("'start' '\(text)' is not an ISO 8601 time such as '2026-05-12T21:30:00+02:00'", value) }
                    }
                case "cast": cast = readCast(value)
                case "injects":
                    guard case .sequence(let sequence) = value else {
                        reader.error("'injects' must be a list of injects, not \(NodeReader.describe(value))", value)
                        continue
                    }
                    if sequence.isEmpty { reader.error("'injects' is empty; an exercise needs at least one inject", value) }
                    injects = sequence.compactMap { readInject($0) }
                case "actions":
                    guard case .sequence(let sequence) = value else {
                        if !NodeReader.isNull(value) { reader.error("'actions' must be a list of actions, not \(NodeReader.describe(value))", value) }
                        continue
                    }
                    actions = sequence.compactMap { readAction($0) }
                case "teams":
                    for (name, node) in reader.namedMapping(value, "'teams'") ?? [] {
                        guard Identifier.isValid(name.value) else {
                            reader.error("team name '\(name.value)' is not a valid name; use lower-case letters, digits and '-'", at: name.location)
                            continue
                        }
                        guard case .sequence(let sequence) = node else {
                            reader.error("team '\(name.value)' must be a list of actions, not \(NodeReader.describe(node))", node)
                            continue
                        }
                        teams.append((name.value, sequence.compactMap { readAction($0) }))
                    }
                case "variability":
                    for (role, node) in reader.namedMapping(value, "'variability'") ?? [] {
                        if role.value != "default" { checkRole(role) }
                        if let seconds = reader.duration(node, "variability of '\(role.value)'", allowZero: true) { variability[role.value] = seconds }
                    }
                case "end":
                    end = reader.duration(value, "'end'") ?? end
                default: break
                }
            }
            if let id, let fileName {
                let stem = fileName.hasSuffix(".yaml") ? String(fileName.dropLast(5)) : fileName.hasSuffix(".yml") ? String(fileName.dropLast(4)) : fileName
                if stem != id.value {
                    reader.diagnostics.append(.warning("scenario id '\(id.value)' differs from the file name '\(fileName)'; name the file '\(id.value).yaml'", at: id.location))
                }
            }
            guard let id, let title, let playbook else { return nil }
            return Scenario(
                id: id.value, title: title, playbook: playbook.id, severity: severity, start: start, cast: cast,
                injects: injects, actions: actions, variability: variability, end: end, teams: teams)
        }

        mutating func checkRole(_ role: Located<String>) {
            guard let playbook, playbook.roleIndex[role.value] == nil else { return }
            let roles = playbook.roles.map(\.id)
            reader.error("unknown role '\(role.value)'\(hint(role.value, roles)); roles of playbook '\(playbook.id)' are \(quotedList(roles))", at: role.location)
        }

        mutating func checkStep(_ step: Located<String>) {
            guard let playbook, playbook.tables.stepIndex[step.value] == nil else { return }
            let steps = playbook.tables.stepIDs
            reader.error("unknown step '\(step.value)'\(hint(step.value, steps)); playbook '\(playbook.id)' has no such step", at: step.location)
        }

        mutating func checkState(_ state: Located<String>) {
            guard let playbook, playbook.stateIndex[state.value] == nil else { return }
            let states = playbook.states.map(\.id)
            reader.error("unknown state '\(state.value)'\(hint(state.value, states)); states of playbook '\(playbook.id)' are \(quotedList(states))", at: state.location)
        }

        mutating func checkAudience(_ audience: Located<String>) {
            guard let playbook, playbook.audience(audience.value) == nil else { return }
            let audiences = playbook.audiences.map(\.id)
            reader.error(
                "unknown audience '\(audience.value)'\(hint(audience.value, audiences)); "
                    + (audiences.isEmpty ? "playbook '\(playbook.id)' has no audiences" : "audiences of playbook '\(playbook.id)' are \(quotedList(audiences))"),
                at: audience.location)
        }

        mutating func checkEvent(_ event: Located<String>) {
            guard let playbook else { return }
            var events = playbook.globalTransitions.map(\.event)
            for state in playbook.states { events += state.transitions.map(\.event) }
            if !events.contains(event.value) {
                var unique: [String] = []
                for e in events where !unique.contains(e) { unique.append(e) }
                reader.error("unknown event '\(event.value)'\(hint(event.value, unique)); events of playbook '\(playbook.id)' are \(quotedList(unique))", at: event.location)
            }
        }

        mutating func readCast(_ node: Node) -> [(role: String, person: String)] {
            var cast: [(role: String, person: String)] = []
            for (role, value) in reader.namedMapping(node, "'cast'") ?? [] {
                checkRole(role)
                if let person = reader.string(value, "the person cast as '\(role.value)'") { cast.append((role.value, person)) }
            }
            return cast
        }

        mutating func readInject(_ node: Node) -> Inject? {
            let name = node["id"]?.string.map { "inject '\($0)'" } ?? "an inject"
            guard let fields = reader.mapping(node, name, allowed: ScenarioLoader.injectKeys, required: ["at", "text"]) else { return nil }
            var inject = Inject(at: 0, text: "")
            var valid = true
            for (key, _, value) in fields {
                switch key {
                case "id":
                    if let id = reader.located(value, "the id of \(name)") {
                        inject.id = id.value
                        if !Identifier.isValid(id.value) { reader.error("inject id '\(id.value)' is not a valid id; use lower-case letters, digits and '-'", at: id.location) }
                    }
                case "at":
                    if let at = reader.duration(value, "'at' of \(name)", allowZero: true) { inject.at = at } else { valid = false }
                case "from": inject.from = reader.string(value, "'from' of \(name)")
                case "text":
                    if let text = reader.text(value, "the text of \(name)") { inject.text = text } else { valid = false }
                case "fire":
                    if let event = reader.located(value, "'fire' of \(name)") {
                        checkEvent(event)
                        inject.fire = event.value
                    }
                case "window": inject.window = reader.duration(value, "'window' of \(name)")
                case "done": inject.done = readInjectDone(value, "'done' of \(name)")
                case "reach": inject.reach = readReach(value, "'reach' of \(name)")
                case "expect":
                    guard case .sequence(let sequence) = value else {
                        reader.error("'expect' of \(name) must be a list of expectations", value)
                        continue
                    }
                    inject.expectations = sequence.compactMap { node in
                        readExpectation(node, name).map { expectation in
                            expectationLocations.append(NodeReader.location(node))
                            return expectation
                        }
                    }
                default: break
                }
            }
            return valid ? inject : nil
        }

        /// A step the outside world completes: it must exist, and cannot be a decision (an inject does not choose).
        mutating func readInjectDone(_ node: Node, _ what: String) -> String? {
            guard let step = reader.located(node, what) else { return nil }
            checkStep(step)
            if let options = playbook?.anyStep(step.value)?.choices?.options {
                reader.error("\(what) names decision step '\(step.value)'; an inject completes a step but cannot choose among \(quotedList(options))", at: step.location)
            }
            return step.value
        }

        mutating func readReach(_ node: Node, _ what: String) -> Int? {
            guard let reach = reader.int(node, what) else { return nil }
            if reach.value < 0 { reader.error("\(what) must be 0 or more people, not \(reach.value)", at: reach.location) }
            return reach.value
        }

        mutating func readExpectation(_ node: Node, _ inject: String) -> Expectation? {
            let what = "an expectation of \(inject)"
            guard let fields = reader.mapping(node, what, allowed: ScenarioLoader.expectKeys) else { return nil }
            var condition: Expectation.Condition?
            var within: Int?
            var contingency: Contingency?
            let targets = fields.filter { ["done", "state", "never", "published", "informed"].contains($0.key) }
            if targets.count != 1 {
                reader.error("\(what) needs exactly one of 'done: STEP', 'state: STATE', 'never: STATE', 'published: AUDIENCE' or 'informed: WHO'", node)
            }
            let atEnd = fields.contains { $0.key == "never" || $0.key == "before" }
            if !atEnd, !fields.contains(where: { $0.key == "within" }) {
                reader.error("\(what) is missing required key 'within'", node)
            }
            var before: Located<String>?
            for (key, keyNode, value) in fields {
                switch key {
                case "done":
                    if let step = reader.located(value, "'done' of \(what)") {
                        checkStep(step)
                        condition = .done(step: step.value)
                    }
                case "state", "never":
                    if let state = reader.located(value, "'\(key)' of \(what)") {
                        checkState(state)
                        condition = key == "state" ? .state(state.value) : .never(state: state.value)
                    }
                case "published":
                    if let audience = reader.located(value, "'published' of \(what)") {
                        checkAudience(audience)
                        condition = .published(audience: audience.value)
                    }
                case "informed":
                    if let who = reader.string(value, "'informed' of \(what)") { condition = .informed(who: who) }
                case "before":
                    if let step = reader.located(value, "'before' of \(what)") {
                        checkStep(step)
                        before = step
                    }
                case "within":
                    if atEnd {
                        reader.error("'within' does not go with '\(fields.contains { $0.key == "never" } ? "never" : "before")': it is scored at the end of the exercise", at: NodeReader.location(keyNode))
                    }
                    within = reader.duration(value, "'within' of \(what)", allowZero: true)
                case "else":
                    if atEnd {
                        reader.error("'else' does not go with '\(fields.contains { $0.key == "never" } ? "never" : "before")': it is scored at the end, so there is no moment to deliver a contingency", at: NodeReader.location(keyNode))
                        continue
                    }
                    guard let entries = reader.mapping(value, "the 'else' of \(what)", allowed: ScenarioLoader.contingencyKeys, required: ["text"]) else { continue }
                    var result = Contingency(text: "")
                    var ok = true
                    for (field, _, v) in entries {
                        switch field {
                        case "from": result.from = reader.string(v, "'from' of the 'else'")
                        case "text":
                            if let text = reader.text(v, "the text of the 'else'") { result.text = text } else { ok = false }
                        case "fire":
                            if let event = reader.located(v, "'fire' of the 'else'") {
                                checkEvent(event)
                                result.fire = event.value
                            }
                        case "after": result.after = reader.duration(v, "'after' of the 'else'") ?? 0
                        case "done": result.done = readInjectDone(v, "'done' of the 'else'")
                        case "reach": result.reach = readReach(v, "'reach' of the 'else'")
                        default: break
                        }
                    }
                    if ok { contingency = result }
                default: break
                }
            }
            if let before {
                guard case .done(let step)? = condition else {
                    reader.error("'before' goes with 'done': { done: A, before: B } expects A done no later than B", at: before.location)
                    return nil
                }
                condition = .before(step: step, other: before.value)
            }
            guard targets.count == 1, let condition else { return nil }
            if condition.isScoredAtEnd { return Expectation(condition, within: 0) }
            guard let within else { return nil }
            return Expectation(condition, within: within, contingency: contingency)
        }

        mutating func readAction(_ node: Node) -> Action? {
            guard let fields = reader.mapping(node, "an action", allowed: ScenarioLoader.actionKeys, required: ["at", "by"]) else { return nil }
            let moves = fields.filter { ScenarioLoader.moveKeys.contains($0.key) }
            if moves.count != 1 {
                reader.error(
                    "an action needs exactly one of 'done', 'skip', 'fire', 'note', 'draft', 'revise', 'approve', 'reject', 'publish' or 'inform'; it has \(moves.isEmpty ? "none" : quotedList(moves.map(\.key)))",
                    node)
                return nil
            }
            var at: Int?, by: String?, move: Action.Move?
            var choice: Located<String>?, reason: String?, about: Located<String>?
            var text: Located<String>?, via: Located<String>?
            for (key, _, value) in fields {
                switch key {
                case "at": at = reader.duration(value, "'at' of the action", allowZero: true)
                case "by":
                    if let role = reader.located(value, "'by' of the action") {
                        checkRole(role)
                        by = role.value
                    }
                case "choice": choice = reader.located(value, "'choice' of the action")
                case "reason": reason = reader.text(value, "'reason' of the action")
                case "done", "skip":
                    if let step = reader.located(value, "'\(key)' of the action") {
                        checkStep(step)
                        move = key == "done" ? .done(step: step.value, choice: nil) : .skip(step: step.value, reason: "")
                    }
                case "fire":
                    if let event = reader.located(value, "'fire' of the action") {
                        checkEvent(event)
                        move = .fire(event: event.value)
                    }
                case "note":
                    if let text = reader.text(value, "the note of the action") { move = .note(text: text) }
                case "text":
                    text = reader.text(value, "the text of the action").map { Located($0, at: NodeReader.location(value)) }
                case "via": via = reader.located(value, "'via' of the action")
                case "draft", "revise", "approve", "reject", "publish":
                    if let audience = reader.located(value, "'\(key)' of the action") {
                        checkAudience(audience)
                        switch key {
                        case "draft": move = .draft(audience: audience.value, text: nil)
                        case "revise": move = .revise(audience: audience.value, text: "")
                        case "approve": move = .approve(audience: audience.value)
                        case "reject": move = .reject(audience: audience.value, reason: "")
                        default: move = .publish(audience: audience.value)
                        }
                    }
                case "inform":
                    if let who = reader.text(value, "'inform' of the action") { move = .inform(who: who, via: nil) }
                case "step":
                    if let step = reader.located(value, "'step' of the action") {
                        checkStep(step)
                        about = step
                    }
                default: break
                }
            }
            // Keys that belong to other kinds of action.
            let takesText = { if case .draft? = move { true } else if case .revise? = move { true } else { false } }()
            let takesReason = { if case .skip? = move { true } else if case .reject? = move { true } else { false } }()
            if let text, !takesText { reader.error("'text' goes with 'draft' or 'revise'", at: text.location) }
            if let via { if case .inform? = move {} else { reader.error("'via' goes with 'inform'", at: via.location) } }
            switch move {
            case .draft(let audience, _)?:
                move = .draft(audience: audience, text: text?.value)
            case .revise(let audience, _)?:
                guard let text else {
                    reader.error("a 'revise' action needs 'text:', the new version", node)
                    return nil
                }
                move = .revise(audience: audience, text: text.value)
            case .reject(let audience, _)?:
                guard let reason else {
                    reader.error("a 'reject' action needs 'reason:'", node)
                    return nil
                }
                move = .reject(audience: audience, reason: reason)
            case .inform(let who, _)?:
                move = .inform(who: who, via: via?.value)
            default: break
            }
            let statementMove: Bool
            switch move {
            case .draft?, .revise?, .approve?, .reject?, .publish?, .inform?: statementMove = true
            default: statementMove = false
            }
            if statementMove, reason != nil, !takesReason { reader.error("'reason' goes with 'skip' or 'reject'", node) }
            if statementMove, let choice { reader.error("'choice' goes with 'done'", at: choice.location) }
            if let about {
                switch move {
                case .note?: break
                default: reader.error("'step' goes with 'note': { note: TEXT, step: STEP } is a note about a step", at: about.location)
                }
            }
            switch move {
            case .done(let step, _):
                let options = playbook?.anyStep(step)?.choices?.options
                if let choice {
                    if let playbook, playbook.tables.stepIndex[step] != nil {
                        if let options {
                            if !options.contains(choice.value) {
                                reader.error("step '\(step)' has no option '\(choice.value)'\(hint(choice.value, options)); options are \(quotedList(options))", at: choice.location)
                            }
                        } else {
                            reader.error("step '\(step)' is not a decision; remove 'choice'", at: choice.location)
                        }
                    }
                    move = .done(step: step, choice: choice.value)
                } else if let options {
                    reader.error("step '\(step)' is a decision; add 'choice:', one of \(quotedList(options))", node)
                }
                if reason != nil { reader.error("'reason' goes with 'skip', not 'done'", node) }
            case .skip(let step, _):
                guard let reason else {
                    reader.error("a 'skip' action needs 'reason:'", node)
                    return nil
                }
                move = .skip(step: step, reason: reason)
                if let choice { reader.error("'choice' goes with 'done', not 'skip'", at: choice.location) }
            case .fire, .note:
                if let choice { reader.error("'choice' goes with 'done'", at: choice.location) }
                if reason != nil { reader.error("'reason' goes with 'skip'", node) }
                if case .note(let text, _)? = move, let about { move = .note(text: text, step: about.value) }
            case .draft, .revise, .approve, .reject, .publish, .inform: break
            case nil: return nil
            }
            guard let at, let by, let move else { return nil }
            return Action(at: at, by: by, move)
        }
    }
}
