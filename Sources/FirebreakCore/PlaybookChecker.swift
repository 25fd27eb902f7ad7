/// Checks what a playbook refers to and builds the runnable ``Playbook``.
///
/// Pure: reports every problem it finds, in file order, and builds the playbook only when
/// there is no error.
public enum PlaybookChecker {
    public struct Result: Sendable {
        public var playbook: Playbook?
        public var diagnostics: [Diagnostic]
    }

    public static func check(_ syntax: PlaybookSyntax) -> Result {
        var checker = Run(syntax: syntax)
        checker.run()
        let diagnostics = checker.diagnostics.sortedByLocation()
        return Result(playbook: diagnostics.hasErrors ? nil : checker.build(), diagnostics: diagnostics)
    }

    private struct Run {
        let syntax: PlaybookSyntax
        var diagnostics: [Diagnostic] = []
        var roleIDs: Set<String> = []
        var stateIDs: [String: Int] = [:]
        var stepState: [String: Int] = [:]
        var dutyIDs: Set<String> = []
        var milestones: [String: String] = [:]
        var audienceIDs: Set<String> = []
        /// Audiences a step names, for the warning about an audience no step names.
        var namedAudiences: Set<String> = []

        init(syntax: PlaybookSyntax) { self.syntax = syntax }

        mutating func error(_ message: String, _ location: SourceLocation) {
            diagnostics.append(.error(message, at: location))
        }

        mutating func checkID(_ id: Located<String>, _ what: String) {
            if !Identifier.isValid(id.value) {
                error("\(what) '\(id.value)' is not a valid id; use lower-case letters, digits and '-', starting with a letter or digit", id.location)
            }
        }

        func suggestion(_ name: String, _ candidates: some Sequence<String>) -> String {
            Identifier.suggestion(for: name, among: candidates).map { " (did you mean '\($0)'?)" } ?? ""
        }

        mutating func run() {
            if let id = syntax.id { checkID(id, "playbook id") }
            for role in syntax.roles {
                checkID(role.id, "role id")
                roleIDs.insert(role.id.value)
            }
            let roleNames = syntax.roles.map(\.id.value)
            for role in syntax.roles {
                if let target = role.escalatesTo {
                    if !roleIDs.contains(target.value) {
                        error("role '\(role.id.value)' escalates to unknown role '\(target.value)'\(suggestion(target.value, roleNames)); roles are \(quotedList(roleNames))", target.location)
                    } else if target.value == role.id.value {
                        error("role '\(role.id.value)' escalates to itself", target.location)
                    }
                }
            }
            if let commander = syntax.commander, !roleIDs.contains(commander.value) {
                error("commander names unknown role '\(commander.value)'\(suggestion(commander.value, roleNames)); roles are \(quotedList(roleNames))", commander.location)
            }

            checkAudiences(roleNames)

            // Step ids are unique over the states' steps and the duties, in file order.
            var ids: [(id: Located<String>, state: Int?)] = []
            for (index, state) in syntax.states.enumerated() {
                checkID(state.id, "state id")
                stateIDs[state.id.value] = index
                ids += state.steps.compactMap { $0.id.map { ($0, index) } }
            }
            ids += syntax.duties.compactMap { $0.id.map { ($0, nil) } }
            var seenSteps: [String: SourceLocation] = [:]
            for (id, state) in ids.sorted(by: { $0.id.location < $1.id.location }) {
                checkID(id, "step id")
                if let first = seenSteps[id.value] {
                    error("duplicate step id '\(id.value)'; it is already used at line \(first.line)", id.location)
                } else {
                    seenSteps[id.value] = id.location
                    if let state { stepState[id.value] = state } else { dutyIDs.insert(id.value) }
                }
            }
            let stateNames = syntax.states.map(\.id.value)
            if let start = syntax.start, stateIDs[start.value] == nil {
                error("start names unknown state '\(start.value)'\(suggestion(start.value, stateNames)); states are \(quotedList(stateNames))", start.location)
            }

            for transition in syntax.on {
                checkID(transition.event, "event")
                checkTarget(transition.target, stateNames)
                checkBy(transition, roleNames)
                switch transition.guardCondition {
                case .steps(_, let location):
                    error("a top-level 'on' guard may only be 'all-done': it applies in every state, whose steps differ", location)
                case .allDone, nil: break
                }
            }

            let globalEvents = Set(syntax.on.map(\.event.value))
            for (index, state) in syntax.states.enumerated() {
                checkState(state, index: index, globalEvents: globalEvents, stateNames: stateNames, roleNames: roleNames)
            }
            checkDuties(globalEvents: globalEvents, roleNames: roleNames)
            checkGraph()
            checkTimerCycles()
            for audience in syntax.audiences where !namedAudiences.contains(audience.id.value) {
                diagnostics.append(.warning(
                    "audience '\(audience.id.value)' is named by no step; tie a step to it with 'statement: \(audience.id.value)', or remove it",
                    at: audience.id.location))
            }
        }

        mutating func checkAudiences(_ roleNames: [String]) {
            var seen: [String: SourceLocation] = [:]
            for audience in syntax.audiences {
                checkID(audience.id, "audience id")
                if let first = seen[audience.id.value] {
                    error("duplicate audience '\(audience.id.value)'; it is already defined at line \(first.line)", audience.id.location)
                } else {
                    seen[audience.id.value] = audience.id.location
                }
                audienceIDs.insert(audience.id.value)
                for approver in audience.approvers where !roleIDs.contains(approver.value) {
                    error("audience '\(audience.id.value)' names unknown role '\(approver.value)' as approver\(suggestion(approver.value, roleNames)); roles are \(quotedList(roleNames))", approver.location)
                }
            }
        }

        /// `statement` and `informs` of a step: a known audience, not both, not on a decision.
        mutating func checkCommunication(_ step: StepSyntax) {
            let stepName = step.id?.value ?? "?"
            if let audience = step.statement {
                namedAudiences.insert(audience.value)
                let names = syntax.audiences.map(\.id.value)
                if !audienceIDs.contains(audience.value) {
                    let known = names.isEmpty ? "the playbook has no 'audiences'" : "audiences are \(quotedList(names))"
                    error("step '\(stepName)' names unknown audience '\(audience.value)'\(suggestion(audience.value, names)); \(known)", audience.location)
                } else if syntax.severity == .high || syntax.severity == .critical,
                    syntax.audiences.first(where: { $0.id.value == audience.value })?.approvers.isEmpty == true {
                    diagnostics.append(.warning(
                        "statement step '\(stepName)' goes to audience '\(audience.value)', which has no approvers, in a playbook of severity '\(syntax.severity.rawValue)'; give the audience 'approvers'",
                        at: audience.location))
                }
                if step.choices != nil {
                    error("step '\(stepName)' has both 'choices' and 'statement'; a statement step is completed by publishing, so make the decision a step of its own", audience.location)
                }
            }
            if let who = step.informs {
                checkID(who, "'informs'")
                if step.statement != nil {
                    error("step '\(stepName)' has both 'statement' and 'informs'; make them two steps", who.location)
                }
                if step.choices != nil {
                    error("step '\(stepName)' has both 'choices' and 'informs'; an inform step is completed by 'inform', so make the decision a step of its own", who.location)
                }
            }
        }

        mutating func checkTarget(_ target: Located<String>?, _ stateNames: [String]) {
            guard let target, stateIDs[target.value] == nil else { return }
            error("unknown state '\(target.value)'\(suggestion(target.value, stateNames)); states are \(quotedList(stateNames))", target.location)
        }

        mutating func checkBy(_ transition: TransitionSyntax, _ roleNames: [String]) {
            for role in transition.by ?? [] where !roleIDs.contains(role.value) {
                error("'by' of '\(transition.event.value)' names unknown role '\(role.value)'\(suggestion(role.value, roleNames)); roles are \(quotedList(roleNames))", role.location)
            }
        }

        mutating func checkSameState(_ name: Located<String>, state: StateSyntax, index: Int, what: String) {
            let owner = stepState[name.value]
            if owner == index { return }
            let names = state.steps.compactMap(\.id?.value)
            if dutyIDs.contains(name.value) {
                error("\(what) names duty '\(name.value)'; duties are active from opening to close, outside any state, so it may only name steps of state '\(state.id.value)': \(quotedList(names))", name.location)
                return
            }
            guard let owner else {
                error("\(what) names unknown step '\(name.value)'\(suggestion(name.value, stepState.keys.sorted())); steps of state '\(state.id.value)' are \(quotedList(names))", name.location)
                return
            }
            error("\(what) names step '\(name.value)' of state '\(syntax.states[owner].id.value)'; it may only name steps of state '\(state.id.value)': \(quotedList(names))", name.location)
        }

        mutating func checkState(_ state: StateSyntax, index: Int, globalEvents: Set<String>, stateNames: [String], roleNames: [String]) {
            if state.isFinal {
                if let key = state.stepsKey { error("final state '\(state.id.value)' may not have 'steps'", key) }
                if let key = state.onKey { error("final state '\(state.id.value)' may not have 'on'", key) }
                if let key = state.afterKey { error("final state '\(state.id.value)' may not have 'after'", key) }
            }
            let ownEvents = state.on.map(\.event.value)
            for transition in state.on {
                checkID(transition.event, "event")
                checkTarget(transition.target, stateNames)
                checkBy(transition, roleNames)
                if case .steps(let names, _) = transition.guardCondition {
                    for name in names { checkSameState(name, state: state, index: index, what: "guard of '\(transition.event.value)'") }
                }
            }
            for timer in state.after { checkTarget(timer.target, stateNames) }

            for step in state.steps {
                let stepName = step.id?.value ?? "?"
                for need in step.needs {
                    checkSameState(need, state: state, index: index, what: "'needs' of step '\(stepName)'")
                }
                checkStep(step, roleNames: roleNames)
                switch step.choices {
                case .events(let pairs):
                    for pair in pairs {
                        checkID(pair.event, "event")
                        if !ownEvents.contains(pair.event.value) && !globalEvents.contains(pair.event.value) {
                            let known = state.on.map(\.event.value) + syntax.on.map(\.event.value).filter { !ownEvents.contains($0) }
                            error("choice '\(pair.option.value)' of step '\(stepName)' fires event '\(pair.event.value)', which is neither in the 'on' of state '\(state.id.value)' nor in the top-level 'on'; events there are \(quotedList(known))", pair.event.location)
                        }
                    }
                case .options, nil: break
                }
                if step.due == nil, step.dueKey == nil, !state.isFinal, let id = step.id {
                    diagnostics.append(.warning("step '\(id.value)' has no 'due'; it can never be overdue", at: id.location))
                }
            }
            checkNeedsCycles(state.steps)
        }

        /// What every step is checked for, in a state or among the duties: its owner, `escalate`, milestone and `carry`.
        mutating func checkStep(_ step: StepSyntax, roleNames: [String]) {
            let stepName = step.id?.value ?? "?"
            if let owner = step.owner, !roleIDs.contains(owner.value) {
                error("step '\(stepName)' names unknown role '\(owner.value)'\(suggestion(owner.value, roleNames)); roles are \(quotedList(roleNames))", owner.location)
            }
            if case .role(let role)? = step.escalate, !roleIDs.contains(role.value) {
                error("'escalate' of step '\(stepName)' names unknown role '\(role.value)'\(suggestion(role.value, roleNames)); roles are \(quotedList(roleNames)), or 'false' for no escalation", role.location)
            }
            if step.carry, let key = step.carryKey, case .events? = step.choices {
                error("step '\(stepName)' cannot have 'carry: true': it is a decision whose choices fire events, and those events belong to its state", key)
            }
            checkCommunication(step)
            if let milestone = step.milestone {
                checkID(milestone, "milestone")
                if let first = milestones[milestone.value] {
                    error("milestone '\(milestone.value)' is already named by step '\(first)'; a milestone marks one moment, so give each step its own name", milestone.location)
                } else {
                    milestones[milestone.value] = stepName
                }
            }
        }

        /// The standing duties: their `needs` name only other duties, their decisions only top-level events.
        mutating func checkDuties(globalEvents: Set<String>, roleNames: [String]) {
            let names = syntax.duties.compactMap(\.id?.value)
            for duty in syntax.duties {
                let dutyName = duty.id?.value ?? "?"
                for need in duty.needs where !dutyIDs.contains(need.value) {
                    if let state = stepState[need.value] {
                        error("'needs' of duty '\(dutyName)' names step '\(need.value)' of state '\(syntax.states[state].id.value)'; a duty may only need other duties: \(quotedList(names))", need.location)
                    } else {
                        error("'needs' of duty '\(dutyName)' names unknown step '\(need.value)'\(suggestion(need.value, names)); duties are \(quotedList(names))", need.location)
                    }
                }
                checkStep(duty, roleNames: roleNames)
                if case .events(let pairs) = duty.choices {
                    for pair in pairs {
                        checkID(pair.event, "event")
                        if !globalEvents.contains(pair.event.value) {
                            error("choice '\(pair.option.value)' of duty '\(dutyName)' fires event '\(pair.event.value)', which is not in the top-level 'on'; a duty belongs to no state, so its events are \(quotedList(syntax.on.map(\.event.value)))", pair.event.location)
                        }
                    }
                }
                if duty.due == nil, duty.dueKey == nil, let id = duty.id {
                    diagnostics.append(.warning("duty '\(id.value)' has no 'due'; it can never be overdue", at: id.location))
                }
            }
            checkNeedsCycles(syntax.duties)
        }

        mutating func checkNeedsCycles(_ steps: [StepSyntax]) {
            // Steps by their index in the list; a need names a step of the same list (others are reported elsewhere).
            let names = steps.map { $0.id?.value }
            guard steps.contains(where: { !$0.needs.isEmpty }) else { return }
            var color = [UInt8](repeating: 0, count: names.count)  // 1 visiting, 2 done
            var reported: [String] = []
            func visit(_ step: Int, _ path: [String], _ run: inout Run) {
                color[step] = 1
                let name = names[step] ?? "?"
                for need in steps[step].needs {
                    guard let target = names.firstIndex(of: need.value) else { continue }
                    if color[target] == 1 {
                        let cycle = (path.drop { $0 != need.value } + [name, need.value])
                        if !reported.contains(need.value) {
                            reported.append(need.value)
                            run.error("'needs' form a cycle: \(cycle.map { "'\($0)'" }.joined(separator: " -> "))", need.location)
                        }
                    } else if color[target] == 0 {
                        visit(target, path + [name], &run)
                    }
                }
                color[step] = 2
            }
            // A step id used twice is reported elsewhere; as a name it means its first step.
            for step in names.indices where names[step] != nil && color[step] == 0 && names.firstIndex(of: names[step]) == step {
                visit(step, [], &self)
            }
        }

        mutating func checkGraph() {
            guard let start = syntax.start, let startIndex = stateIDs[start.value] else { return }
            let count = syntax.states.count
            var edges = [[Int]](repeating: [], count: count)
            let global = syntax.on.compactMap { $0.target.flatMap { stateIDs[$0.value] } }
            for (index, state) in syntax.states.enumerated() where !state.isFinal {
                edges[index] += state.on.compactMap { $0.target.flatMap { stateIDs[$0.value] } }
                edges[index] += state.after.compactMap { $0.target.flatMap { stateIDs[$0.value] } }
                edges[index] += global
            }
            var reached = [Bool](repeating: false, count: count)
            var queue = [startIndex]
            reached[startIndex] = true
            while let next = queue.popLast() {
                for target in edges[next] where !reached[target] {
                    reached[target] = true
                    queue.append(target)
                }
            }
            // Reverse reachability from final states.
            var reverse = [[Int]](repeating: [], count: count)
            for (from, targets) in edges.enumerated() { for to in targets { reverse[to].append(from) } }
            var canFinish = [Bool](repeating: false, count: count)
            queue = syntax.states.indices.filter { syntax.states[$0].isFinal }
            for index in queue { canFinish[index] = true }
            while let next = queue.popLast() {
                for from in reverse[next] where !canFinish[from] {
                    canFinish[from] = true
                    queue.append(from)
                }
            }
            let hasFinal = syntax.states.contains { $0.isFinal }
            if !hasFinal, let first = syntax.states.first {
                error("no state is final; mark the closing state with 'final: true'", first.id.location)
            }
            for (index, state) in syntax.states.enumerated() {
                if !reached[index] {
                    error("state '\(state.id.value)' cannot be reached from start state '\(start.value)'", state.id.location)
                } else if hasFinal && !canFinish[index] {
                    error("no final state can be reached from state '\(state.id.value)'", state.id.location)
                }
            }
        }

        /// A cycle of timers through states where no step is required: left alone, an incident would
        /// move round it for ever with nobody asked to act. Only the shortest timer of a state can fire
        /// (entering a state starts its timers again), so each state leads to at most one other here.
        mutating func checkTimerCycles() {
            var next = [Int?](repeating: nil, count: syntax.states.count)
            var key: [SourceLocation?] = next.map { _ in nil }
            for (index, state) in syntax.states.enumerated() where !state.isFinal && state.steps.allSatisfy(\.isOptional) {
                // The first of the shortest timers, as the engine orders them.
                guard let timer = state.after.min(by: { $0.after.value < $1.after.value }),
                    let target = timer.target.flatMap({ stateIDs[$0.value] })
                else { continue }
                next[index] = target
                key[index] = timer.after.location
            }
            var seen = [Bool](repeating: false, count: next.count)
            for first in next.indices where !seen[first] {
                var path: [Int] = []
                var current: Int? = first
                while let state = current, !seen[state] {
                    seen[state] = true
                    path.append(state)
                    current = next[state]
                }
                // A cycle only when the walk came back into its own path.
                guard let repeated = current, let start = path.firstIndex(of: repeated) else { continue }
                var cycle = Array(path[start...])
                // Named from the state written first, and reported at its timer.
                let earliest = cycle.indices.min { syntax.states[cycle[$0]].id.location < syntax.states[cycle[$1]].id.location }!
                cycle = Array(cycle[earliest...] + cycle[..<earliest])
                let names = (cycle + [cycle[0]]).map { "'\(syntax.states[$0].id.value)'" }.joined(separator: " -> ")
                let message = cycle.count == 1
                    ? "state \(names.prefix { $0 != " " }) times out into itself and no step is required in it"
                    : "states \(names) time out into each other and no step is required in them"
                diagnostics.append(.warning(
                    message + "; left alone, an incident would loop there for ever with nobody asked to act: make a step required, or let a timer lead out",
                    at: key[cycle[0]]!))
            }
        }

        func build() -> Playbook? {
            guard let id = syntax.id, let commander = syntax.commander, let start = syntax.start,
                let startIndex = stateIDs[start.value]
            else { return nil }
            func transition(_ t: TransitionSyntax, stepIndex: [String: Int]) -> Transition? {
                guard let target = t.target.flatMap({ stateIDs[$0.value] }) else { return nil }
                let guardCondition: Guard
                switch t.guardCondition {
                case nil: guardCondition = .always
                case .allDone: guardCondition = .allDone
                case .steps(let names, _): guardCondition = .steps(names.compactMap { stepIndex[$0.value] })
                }
                return Transition(event: t.event.value, target: target, guardCondition: guardCondition, by: t.by?.map(\.value))
            }
            func indices(_ steps: [StepSyntax]) -> [String: Int] {
                Dictionary(steps.enumerated().compactMap { i, s in s.id.map { ($0.value, i) } }, uniquingKeysWith: { a, _ in a })
            }
            func step(_ s: StepSyntax, _ stepIndex: [String: Int]) -> Step {
                Step(
                    id: s.id?.value ?? "", title: s.title ?? "", owner: s.owner?.value ?? "", due: s.due,
                    needs: s.needs.compactMap { stepIndex[$0.value] }, isOptional: s.isOptional,
                    choices: s.choices.map { choices in
                        switch choices {
                        case .events(let pairs): .events(pairs.map { ($0.option.value, $0.event.value) })
                        case .options(let options): .options(options.map(\.value))
                        }
                    },
                    guidance: s.guidance, template: s.template, milestone: s.milestone?.value, carry: s.carry,
                    escalate: s.escalate.map { escalate in
                        switch escalate {
                        case .role(let role): .role(role.value)
                        case .never: .never
                        }
                    }, statement: s.statement?.value, informs: s.informs?.value)
            }
            var states: [State] = []
            for state in syntax.states {
                let stepIndex = indices(state.steps)
                let steps = state.steps.map { step($0, stepIndex) }
                states.append(
                    State(
                        id: state.id.value, title: state.title ?? state.id.value, isFinal: state.isFinal, steps: steps,
                        transitions: state.on.compactMap { transition($0, stepIndex: stepIndex) },
                        timers: state.after.compactMap { t in t.target.flatMap { stateIDs[$0.value] }.map { Timer(after: t.after.value, target: $0) } }
                            .sorted { $0.after < $1.after }))
            }
            var playbook = Playbook(
                id: id.value, title: syntax.title ?? id.value, summary: syntax.summary, severity: syntax.severity,
                roles: syntax.roles.map { Role(id: $0.id.value, title: $0.title ?? $0.id.value, escalatesTo: $0.escalatesTo?.value) },
                commander: commander.value, start: startIndex, states: states,
                globalTransitions: syntax.on.compactMap { transition($0, stepIndex: [:]) },
                duties: syntax.duties.map { step($0, indices(syntax.duties)) },
                audiences: syntax.audiences.map { a in
                    var approvers: [String] = []
                    for approver in a.approvers where !approvers.contains(approver.value) { approvers.append(approver.value) }
                    return Audience(id: a.id.value, title: a.title, approvers: approvers, cadence: a.cadence, avoid: a.avoid)
                })
            playbook.language = syntax.language
            return playbook
        }
    }
}
