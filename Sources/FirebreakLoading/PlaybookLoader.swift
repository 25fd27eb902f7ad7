import FirebreakCore

/// The result of loading a playbook file: the playbook when it has no error, and every diagnostic.
public struct PlaybookLoadResult: Sendable {
    public var playbook: Playbook?
    public var diagnostics: [Diagnostic]
    /// The playbook's `id` as written, also when the file has errors.
    public var id: Located<String>?
}

/// Reads playbook YAML into a checked ``Playbook`` with positioned diagnostics.
public enum PlaybookLoader {
    static let topKeys = ["firebreak", "id", "title", "summary", "severity", "language", "roles", "commander", "start", "states", "on", "audiences", "duties"]
    static let audienceKeys = ["title", "approvers", "cadence", "avoid"]
    static let roleKeys = ["title", "escalates-to"]
    static let stateKeys = ["title", "final", "steps", "on", "after"]
    static let stepKeys = ["id", "title", "owner", "due", "needs", "optional", "choices", "guidance", "template", "milestone", "carry", "escalate", "statement", "informs"]
    static let transitionKeys = ["to", "when", "by"]

    /// Loads and checks playbook text. `fileName` (without folder) enables the id/file-name warning.
    public static func load(_ text: String, fileName: String? = nil) -> PlaybookLoadResult {
        load(YAMLSource(text), fileName: fileName)
    }

    /// Loads and checks a playbook from YAML already read.
    public static func load(_ source: YAMLSource, fileName: String? = nil) -> PlaybookLoadResult {
        let (syntax, shapeDiagnostics) = parse(source)
        guard let syntax else { return PlaybookLoadResult(playbook: nil, diagnostics: shapeDiagnostics.sortedByLocation()) }
        let checked = PlaybookChecker.check(syntax)
        var diagnostics = shapeDiagnostics + checked.diagnostics
        if let fileName, let id = syntax.id {
            let stem = fileName.hasSuffix(".yaml") ? String(fileName.dropLast(5)) : fileName.hasSuffix(".yml") ? String(fileName.dropLast(4)) : fileName
            if stem != id.value {
                diagnostics.append(.warning("playbook id '\(id.value)' differs from the file name '\(fileName)'; name the file '\(id.value).yaml'", at: id.location))
            }
        }
        diagnostics = diagnostics.sortedByLocation()
        return PlaybookLoadResult(playbook: diagnostics.hasErrors ? nil : checked.playbook, diagnostics: diagnostics, id: syntax.id)
    }

    /// YAML → ``PlaybookSyntax`` with shape diagnostics (types, keys, durations, version).
    public static func parse(_ text: String) -> (PlaybookSyntax?, [Diagnostic]) {
        parse(YAMLSource(text))
    }

    static func parse(_ source: YAMLSource) -> (PlaybookSyntax?, [Diagnostic]) {
        let root: Node
        switch source.root {
        case .failure: return (nil, source.unreadable ?? [])
        case .success(nil): return (nil, [.error("the file is empty; a playbook starts with 'firebreak: 1'", at: SourceLocation(line: 1, column: 1))])
        case .success(let node?): root = node
        }
        var reader = NodeReader(diagnostics: source.duplicateKeys)
        var syntax = PlaybookSyntax()
        syntax.origin = NodeReader.location(root)
        guard let entries = reader.mapping(root, "the playbook", allowed: topKeys, required: ["firebreak", "id", "title", "roles", "commander", "start", "states"]) else {
            return (nil, reader.diagnostics)
        }
        for (key, _, value) in entries {
            switch key {
            case "firebreak":
                if let version = reader.int(value, "'firebreak'"), version.value != 1 {
                    reader.error("unsupported format version \(version.value); this Firebreak reads 'firebreak: 1'", value)
                }
            case "id": syntax.id = reader.located(value, "'id'")
            case "title": syntax.title = reader.string(value, "'title'")
            case "summary": syntax.summary = reader.text(value, "'summary'")
            case "severity": syntax.severity = severity(value, &reader) ?? .medium
            case "language": syntax.language = language(value, &reader) ?? .en
            case "roles": syntax.roles = roles(value, &reader)
            case "commander": syntax.commander = reader.located(value, "'commander'")
            case "start": syntax.start = reader.located(value, "'start'")
            case "states": syntax.states = states(value, &reader)
            case "on": syntax.on = transitions(value, "the top-level 'on'", &reader)
            case "duties": syntax.duties = steps(value, state: nil, &reader)
            case "audiences": syntax.audiences = audiences(value, &reader)
            default: break
            }
        }
        return (syntax, reader.diagnostics)
    }

    static func severity(_ node: Node, _ reader: inout NodeReader) -> IncidentSeverity? {
        guard let text = reader.string(node, "'severity'") else { return nil }
        guard let severity = IncidentSeverity(rawValue: text) else {
            reader.error("unknown severity '\(text)'; use 'low', 'medium', 'high' or 'critical'", node)
            return nil
        }
        return severity
    }

    static func language(_ node: Node, _ reader: inout NodeReader) -> Language? {
        guard let text = reader.string(node, "'language'") else { return nil }
        guard let language = Language(rawValue: text) else {
            reader.error("unknown language '\(text)'; use 'en' or 'nl'", node)
            return nil
        }
        return language
    }

    static func roles(_ node: Node, _ reader: inout NodeReader) -> [RoleSyntax] {
        guard let entries = reader.namedMapping(node, "'roles'") else { return [] }
        if entries.isEmpty { reader.error("'roles' is empty; a playbook needs at least its commander's role", node) }
        return entries.map { key, value in
            var role = RoleSyntax(id: key)
            guard let fields = reader.mapping(value, "role '\(key.value)'", allowed: roleKeys, required: ["title"]) else { return role }
            for (field, _, value) in fields {
                if field == "title" { role.title = reader.string(value, "the title of role '\(key.value)'") }
                if field == "escalates-to" { role.escalatesTo = reader.located(value, "'escalates-to' of role '\(key.value)'") }
            }
            return role
        }
    }

    static func audiences(_ node: Node, _ reader: inout NodeReader) -> [AudienceSyntax] {
        guard let entries = reader.namedMapping(node, "'audiences'") else { return [] }
        return entries.map { key, value in
            var audience = AudienceSyntax(id: key)
            if NodeReader.isNull(value) { return audience }
            guard let fields = reader.mapping(value, "audience '\(key.value)'", allowed: audienceKeys) else { return audience }
            for (field, _, value) in fields {
                switch field {
                case "title": audience.title = reader.string(value, "the title of audience '\(key.value)'")
                case "approvers":
                    if !NodeReader.isNull(value) { audience.approvers = reader.nameList(value, "'approvers' of audience '\(key.value)'") ?? [] }
                case "cadence": audience.cadence = reader.duration(value, "'cadence' of audience '\(key.value)'")
                case "avoid":
                    if !NodeReader.isNull(value) { audience.avoid = (reader.nameList(value, "'avoid' of audience '\(key.value)'") ?? []).map(\.value) }
                default: break
                }
            }
            return audience
        }
    }

    static func states(_ node: Node, _ reader: inout NodeReader) -> [StateSyntax] {
        guard let entries = reader.namedMapping(node, "'states'") else { return [] }
        if entries.isEmpty { reader.error("'states' is empty; a playbook needs at least a start state and a final state", node) }
        return entries.map { key, value in
            var state = StateSyntax(id: key)
            if NodeReader.isNull(value) { return state }
            guard let fields = reader.mapping(value, "state '\(key.value)'", allowed: stateKeys) else { return state }
            for (field, keyNode, value) in fields {
                let at = NodeReader.location(keyNode)
                switch field {
                case "title": state.title = reader.string(value, "the title of state '\(key.value)'")
                case "final": state.isFinal = reader.bool(value, "'final' of state '\(key.value)'") ?? false
                case "steps":
                    state.stepsKey = at
                    state.steps = steps(value, state: key.value, &reader)
                case "on":
                    state.onKey = at
                    state.on = transitions(value, "'on' of state '\(key.value)'", &reader)
                case "after":
                    state.afterKey = at
                    state.after = timers(value, state: key.value, &reader)
                default: break
                }
            }
            return state
        }
    }

    /// The steps of a state, or the top-level `duties` when `state` is nil.
    static func steps(_ node: Node, state: String?, _ reader: inout NodeReader) -> [StepSyntax] {
        guard case .sequence(let sequence) = node else {
            let list = state.map { "'steps' of state '\($0)'" } ?? "'duties'"
            if !NodeReader.isNull(node) { reader.error("\(list) must be a list of steps, not \(NodeReader.describe(node))", node) }
            return []
        }
        return sequence.compactMap { node in
            var step = StepSyntax(at: NodeReader.location(node))
            let kind = state == nil ? "duty" : "step"
            let name = node["id"]?.string.map { "\(kind) '\($0)'" } ?? state.map { "a step of state '\($0)'" } ?? "a duty"
            guard let fields = reader.mapping(node, name, allowed: stepKeys, required: ["id", "title", "owner"]) else { return nil }
            for (field, keyNode, value) in fields {
                switch field {
                case "id": step.id = reader.located(value, "the id of \(name)")
                case "title": step.title = reader.text(value, "the title of \(name)")
                case "owner": step.owner = reader.located(value, "the owner of \(name)")
                case "due":
                    step.dueKey = NodeReader.location(keyNode)
                    step.due = reader.duration(value, "'due' of \(name)")
                case "needs": step.needs = reader.nameList(value, "'needs' of \(name)") ?? []
                case "optional": step.isOptional = reader.bool(value, "'optional' of \(name)") ?? false
                case "choices": step.choices = choices(value, name, &reader)
                case "guidance": step.guidance = reader.text(value, "the guidance of \(name)")
                case "template": step.template = reader.string(value, "the template of \(name)")
                case "milestone": step.milestone = reader.located(value, "the milestone of \(name)")
                case "carry":
                    step.carryKey = NodeReader.location(keyNode)
                    step.carry = reader.bool(value, "'carry' of \(name)") ?? false
                case "escalate":
                    if case .scalar(let scalar) = value, scalar.style == .plain, scalar.string == "false" {
                        step.escalate = .never(NodeReader.location(value))
                    } else if case .scalar(let scalar) = value, scalar.style == .plain, scalar.string == "true" {
                        reader.error("'escalate' of \(name) must be a role id or false (true is what every step does without the key)", value)
                    } else if let role = reader.located(value, "'escalate' of \(name)") {
                        step.escalate = .role(role)
                    }
                case "statement": step.statement = reader.located(value, "'statement' of \(name)")
                case "informs": step.informs = reader.located(value, "'informs' of \(name)")
                default: break
                }
            }
            return step
        }
    }

    static func choices(_ node: Node, _ name: String, _ reader: inout NodeReader) -> StepSyntax.ChoicesSyntax? {
        switch node {
        case .mapping:
            guard let entries = reader.namedMapping(node, "'choices' of \(name)") else { return nil }
            if entries.isEmpty { reader.error("'choices' of \(name) is empty; give at least one option", node) }
            return .events(entries.compactMap { key, value in
                reader.located(value, "the event of choice '\(key.value)'").map { .init(option: key, event: $0) }
            })
        case .sequence(let sequence):
            if sequence.isEmpty { reader.error("'choices' of \(name) is empty; give at least one option", node) }
            return .options(sequence.compactMap { reader.located($0, "an option of \(name)") })
        default:
            reader.error("'choices' of \(name) must be a map of option to event, or a list of options", node)
            return nil
        }
    }

    static func transitions(_ node: Node, _ what: String, _ reader: inout NodeReader) -> [TransitionSyntax] {
        guard let entries = reader.namedMapping(node, what) else { return [] }
        return entries.map { event, value in
            if case .scalar = value {
                return TransitionSyntax(event: event, target: reader.located(value, "the target of '\(event.value)'"))
            }
            var transition = TransitionSyntax(event: event, target: nil)
            guard let fields = reader.mapping(value, "transition '\(event.value)'", allowed: transitionKeys, required: ["to"]) else { return transition }
            for (field, _, value) in fields {
                if field == "to" { transition.target = reader.located(value, "'to' of '\(event.value)'") }
                if field == "when" { transition.guardCondition = guardCondition(value, event.value, &reader) }
                if field == "by" {
                    transition.by = reader.nameList(value, "'by' of '\(event.value)'")
                    if transition.by?.isEmpty == true { reader.error("'by' of '\(event.value)' is an empty list; name the roles that may fire it, or leave 'by' out", value) }
                }
            }
            return transition
        }
    }

    static func guardCondition(_ node: Node, _ event: String, _ reader: inout NodeReader) -> TransitionSyntax.GuardSyntax? {
        let at = NodeReader.location(node)
        switch node {
        case .scalar(let scalar) where scalar.string == "all-done": return .allDone(at)
        case .sequence:
            guard let names = reader.nameList(node, "'when' of '\(event)'") else { return nil }
            if names.isEmpty { reader.error("'when' of '\(event)' is an empty list; name steps, or use 'all-done'", node) }
            return .steps(names, at)
        default:
            reader.error("'when' of '\(event)' must be 'all-done' or a list of step ids", node)
            return nil
        }
    }

    static func timers(_ node: Node, state: String, _ reader: inout NodeReader) -> [TimerSyntax] {
        guard let entries = reader.namedMapping(node, "'after' of state '\(state)'") else { return [] }
        return entries.compactMap { key, value in
            guard let seconds = reader.duration(key.value, at: key.location, "timer") else { return nil }
            return TimerSyntax(after: Located(seconds, at: key.location), target: reader.located(value, "the target of timer '\(key.value)'"))
        }
    }
}
