/// What a person asks the engine to do to an incident.
public enum Command: Sendable, Equatable {
    case assign(role: String, person: String)
    case done(step: String, choice: String? = nil, note: String? = nil)
    case skip(step: String, reason: String)
    case fire(event: String)
    case note(text: String)
    /// Force-close from any state; commander only.
    case close(reason: String)
}

/// A move the engine refused, saying what was asked, in which state, and what is possible instead.
public enum Refusal: Error, Equatable, Sendable {
    case incidentClosed
    case unknownStep(step: String, state: String, active: [String])
    case stepNotActive(step: String, stepState: String, state: String, active: [String])
    case stepSettled(step: String, how: String)
    case needsOpen(step: String, open: [String])
    case choiceRequired(step: String, options: [String])
    case unknownChoice(step: String, choice: String, options: [String])
    case notADecision(step: String)
    case eventNotPossible(event: String, state: String, possible: [String])
    case guardOpen(event: String, required: [String], open: [String])
    case notCommander(action: String, person: String, commanderRole: String, holder: String?)
    case unknownRole(role: String, roles: [String])
    case emptyText(what: String)

    public var message: String {
        switch self {
        case .incidentClosed:
            "the incident is closed; only notes can be added"
        case let .unknownStep(step, state, active):
            "no step '\(step)' in this playbook; active steps in state '\(state)' are \(quotedList(active))"
        case let .stepNotActive(step, stepState, state, active):
            "step '\(step)' belongs to state '\(stepState)', but the incident is in state '\(state)'; active steps are \(quotedList(active))"
        case let .stepSettled(step, how):
            "step '\(step)' is already \(how) in this round"
        case let .needsOpen(step, open):
            "step '\(step)' needs \(quotedList(open)) done or skipped first"
        case let .choiceRequired(step, options):
            "step '\(step)' is a decision; give --choice, one of \(quotedList(options))"
        case let .unknownChoice(step, choice, options):
            "step '\(step)' has no option '\(choice)'; options are \(quotedList(options))"
        case let .notADecision(step):
            "step '\(step)' is not a decision; it takes no choice"
        case let .eventNotPossible(event, state, possible):
            "event '\(event)' is not possible in state '\(state)'; possible events are \(quotedList(possible))"
        case let .guardOpen(event, required, open):
            "'\(event)' needs steps \(quotedList(required)) done; still open: \(quotedList(open))"
        case let .notCommander(action, person, role, holder):
            "only the commander ('\(role)', held by '\(holder ?? "nobody")') may \(action); '\(person)' does not hold that role"
        case let .unknownRole(role, roles):
            "no role '\(role)' in this playbook; roles are \(quotedList(roles))"
        case let .emptyText(what):
            "\(what) may not be empty"
        }
    }
}

/// The pure state machine: applies commands and the passing of time to incidents.
///
/// Every change goes through ``fold(_:into:)``, so an incident always equals the fold of
/// the events the engine produced for it.
public struct Engine: Sendable {
    public let playbook: Playbook

    public init(playbook: Playbook) { self.playbook = playbook }

    // MARK: Opening

    /// Opens an incident at `at`: `opened`, the role assignments (the opener is commander
    /// unless `assignments` names one), then entering the start state.
    public func open(
        title: String, severity: IncidentSeverity? = nil, began: Int? = nil, opener: String,
        assignments: [(role: String, person: String)] = [], at: Int
    ) throws(Refusal) -> (Incident, [Event]) {
        for (role, _) in assignments where playbook.roleIndex[role] == nil {
            throw .unknownRole(role: role, roles: playbook.roles.map(\.id))
        }
        var incident = Incident(
            title: "", severity: .medium, openedAt: at, beganAt: nil, assignments: [:], state: playbook.start,
            enteredAt: at, round: 0, rounds: [Int](repeating: 0, count: playbook.states.count), steps: [], closed: nil,
            eventCount: 0)
        var events: [Event] = []
        let openerIsCommander = !assignments.contains { $0.role == playbook.commander && $0.person != opener }
        emit(Event(at: at, actor: opener, role: openerIsCommander ? playbook.commander : nil, .opened(playbook: playbook.id, title: title, severity: severity ?? playbook.severity, began: began)), &incident, &events)
        var all = assignments
        if !assignments.contains(where: { $0.role == playbook.commander }) {
            all.insert((playbook.commander, opener), at: 0)
        }
        for (role, person) in all {
            emit(Event(at: at, actor: opener, role: openerIsCommander ? playbook.commander : nil, .assigned(role: role, person: person)), &incident, &events)
        }
        enter(playbook.start, from: nil, by: nil, at: at, actor: opener, &incident, &events)
        return (incident, events)
    }

    // MARK: Moves

    /// Applies a command at `at`, after the time-driven events due strictly before `at`.
    ///
    /// On refusal the incident is left unchanged. Time-driven events due exactly at `at`
    /// come after the command (a step done at its deadline is on time).
    public func apply(_ command: Command, by actor: String, at: Int, to incident: inout Incident) throws(Refusal) -> [Event] {
        var working = incident
        var events = advance(&working, to: at, inclusive: false)
        try perform(command, by: actor, at: at, on: &working, events: &events)
        incident = working
        return events
    }

    /// Like ``apply(_:by:at:to:)`` but without advancing time first (the caller already did).
    ///
    /// Every check happens before the first event is emitted, so a refusal changes nothing.
    public func perform(_ command: Command, by actor: String, at: Int, on incident: inout Incident, events: inout [Event]) throws(Refusal) {
        if incident.isClosed, case .note = command {} else if incident.isClosed { throw .incidentClosed }
        // The role the actor acts in when it is not a step's owner: commander first, else the first role they hold.
        func acting() -> String? {
            if incident.assignments[playbook.commander] == actor { return playbook.commander }
            return playbook.roles.first { incident.assignments[$0.id] == actor }?.id
        }

        switch command {
        case let .assign(role, person):
            try requireCommander(actor, "assign roles", incident)
            guard playbook.roleIndex[role] != nil else { throw .unknownRole(role: role, roles: playbook.roles.map(\.id)) }
            guard !person.isEmpty else { throw .emptyText(what: "the person's name") }
            emit(Event(at: at, actor: actor, role: playbook.commander, .assigned(role: role, person: person)), &incident, &events)

        case let .done(stepID, choice, note):
            let (index, step) = try activeStep(stepID, incident)
            if step.needs.contains(where: { incident.steps[$0].isOpen }) {
                let open = step.needs.filter { incident.steps[$0].isOpen }.map { playbook.states[incident.state].steps[$0].id }
                throw .needsOpen(step: stepID, open: open)
            }
            var event: String?
            switch (step.choices, choice) {
            case (nil, nil): break
            case (nil, .some): throw .notADecision(step: stepID)
            case (.some(let choices), nil): throw .choiceRequired(step: stepID, options: choices.options)
            case (.some(let choices), .some(let option)):
                guard choices.options.contains(option) else { throw .unknownChoice(step: stepID, choice: option, options: choices.options) }
                event = choices.event(for: option)
            }
            // A decision fires its event as one move: check the event (with this step settled) before recording anything.
            if let event, let refusal = refusal(firing: event, in: incident, settling: index) { throw refusal }
            let holds = incident.assignments[step.owner] == actor
            let role = holds ? step.owner : acting()
            emit(Event(at: at, actor: actor, role: role, outsideRole: !holds, .done(step: stepID, choice: choice, note: note)), &incident, &events)
            if let event, let transition = playbook.transition(for: event, from: incident.state) {
                // Checked above, with this step settled: the move cannot be refused any more.
                emit(Event(at: at, actor: actor, role: role, .fired(event: event)), &incident, &events)
                enter(transition.target, from: incident.state, by: event, at: at, actor: actor, &incident, &events)
            }

        case let .skip(stepID, reason):
            let (_, step) = try activeStep(stepID, incident)
            guard !reason.isEmpty else { throw .emptyText(what: "the reason for skipping") }
            let holds = incident.assignments[step.owner] == actor
            emit(Event(at: at, actor: actor, role: holds ? step.owner : acting(), outsideRole: !holds, .skipped(step: stepID, reason: reason)), &incident, &events)

        case let .fire(event):
            try fire(event, by: actor, role: acting(), at: at, &incident, &events)

        case let .note(text):
            guard !text.isEmpty else { throw .emptyText(what: "a note") }
            emit(Event(at: at, actor: actor, role: acting(), .note(text: text)), &incident, &events)

        case let .close(reason):
            try requireCommander(actor, "force-close the incident", incident)
            guard !reason.isEmpty else { throw .emptyText(what: "the reason for closing") }
            emit(Event(at: at, actor: actor, role: playbook.commander, .closed(reason: reason, forced: true)), &incident, &events)
        }
    }

    private func requireCommander(_ actor: String, _ action: String, _ incident: Incident) throws(Refusal) {
        let holder = incident.assignments[playbook.commander]
        if holder != actor {
            throw .notCommander(action: action, person: actor, commanderRole: playbook.commander, holder: holder)
        }
    }

    private func activeStep(_ id: String, _ incident: Incident) throws(Refusal) -> (Int, Step) {
        guard let location = playbook.stepLocations[id] else {
            let state = playbook.states[incident.state]
            throw .unknownStep(step: id, state: state.id, active: state.steps.map(\.id))
        }
        guard location.state == incident.state else {
            let state = playbook.states[incident.state]
            throw .stepNotActive(step: id, stepState: playbook.states[location.state].id, state: state.id, active: state.steps.map(\.id))
        }
        switch incident.steps[location.index].status {
        case .open: break
        case .done: throw .stepSettled(step: id, how: "done")
        case .skipped: throw .stepSettled(step: id, how: "skipped")
        }
        return (location.index, playbook.states[location.state].steps[location.index])
    }

    /// Why `event` cannot be fired now, or `nil` when it can.
    public func refusal(firing event: String, in incident: Incident, settling settled: Int? = nil) -> Refusal? {
        if incident.isClosed { return .incidentClosed }
        guard let transition = playbook.transition(for: event, from: incident.state) else {
            return .eventNotPossible(event: event, state: playbook.states[incident.state].id, possible: playbook.events(from: incident.state).map(\.event))
        }
        let required: [Int]
        switch transition.guardCondition {
        case .always: return nil
        case .allDone:
            let steps = playbook.states[incident.state].steps
            required = steps.indices.filter { !steps[$0].isOptional }
        case .steps(let indices): required = indices
        }
        let state = playbook.states[incident.state]
        if !required.contains(where: { incident.steps[$0].isOpen && $0 != settled }) { return nil }
        let open = required.filter { incident.steps[$0].isOpen && $0 != settled }
        return .guardOpen(event: event, required: required.map { state.steps[$0].id }, open: open.map { state.steps[$0].id })
    }

    private func fire(_ event: String, by actor: String?, role: String?, at: Int, _ incident: inout Incident, _ events: inout [Event]) throws(Refusal) {
        if let refusal = refusal(firing: event, in: incident) { throw refusal }
        guard let transition = playbook.transition(for: event, from: incident.state) else { return }
        emit(Event(at: at, actor: actor, role: role, .fired(event: event)), &incident, &events)
        enter(transition.target, from: incident.state, by: event, at: at, actor: actor, &incident, &events)
    }

    private func enter(_ target: Int, from: Int?, by event: String?, at: Int, actor: String?, _ incident: inout Incident, _ events: inout [Event]) {
        emit(Event(at: at, actor: actor, .entered(state: playbook.states[target].id, from: from.map { playbook.states[$0].id }, event: event, round: incident.rounds[target] + 1)), &incident, &events)
        if playbook.states[target].isFinal {
            emit(Event(at: at, actor: actor, .closed(reason: nil, forced: false)), &incident, &events)
        }
    }

    private func emit(_ event: Event, _ incident: inout Incident, _ events: inout [Event]) {
        fold(event, into: &incident)
        events.append(event)
    }

    // MARK: Time

    /// The next moment something time-driven is due, if any.
    public func nextDue(_ incident: Incident) -> Int? {
        if incident.isClosed { return nil }
        var next = Int.max
        playbook.states[incident.state].dues.withUnsafeBufferPointer { dues in
            for i in dues.indices where dues[i] >= 0 && incident.steps[i].isOpen && !incident.steps[i].overdue {
                next = min(next, incident.enteredAt + dues[i])
            }
        }
        if let timer = playbook.states[incident.state].timers.first {
            next = min(next, incident.enteredAt + timer.after)
        }
        return next == Int.max ? nil : next
    }

    /// Materialises the time-driven events due up to `time` (or strictly before it), in time order,
    /// each carrying the moment it was due: overdue steps and their escalations first, then timers.
    @discardableResult
    public func advance(_ incident: inout Incident, to time: Int, inclusive: Bool = true) -> [Event] {
        var events: [Event] = []
        while let due = nextDue(incident), inclusive ? due <= time : due < time {
            let index = incident.state
            let count = playbook.states[index].dues.count
            for i in 0..<count {
                let stepDue = playbook.states[index].dues[i]
                guard stepDue >= 0, incident.enteredAt + stepDue == due, incident.steps[i].isOpen, !incident.steps[i].overdue else { continue }
                let stepID = playbook.states[index].steps[i].id
                emit(Event(at: due, .overdue(step: stepID, due: due)), &incident, &events)
                if let target = playbook.states[index].escalations[i] {
                    emit(Event(at: due, role: target, .escalated(step: stepID, to: target)), &incident, &events)
                }
            }
            if let timer = playbook.states[index].timers.first, incident.enteredAt + timer.after == due {
                emit(Event(at: due, .timer(state: playbook.states[index].id, after: timer.after, to: playbook.states[timer.target].id)), &incident, &events)
                enter(timer.target, from: index, by: nil, at: due, actor: nil, &incident, &events)
            }
        }
        return events
    }

    // MARK: Folding

    /// Applies one recorded event to an incident, without checking it: replaying the events
    /// the engine produced gives back the same incident.
    public func fold(_ event: Event, into incident: inout Incident) {
        incident.eventCount += 1
        switch event.body {
        case let .opened(_, title, severity, began):
            incident.title = title
            incident.severity = severity
            incident.openedAt = event.at
            incident.beganAt = began
        case let .assigned(role, person):
            incident.assignments[role] = person
        case let .entered(state, _, _, round):
            guard let index = playbook.stateIndex[state] else { return }
            incident.state = index
            incident.enteredAt = event.at
            incident.round = round
            incident.rounds[index] = round
            incident.steps = [StepProgress](repeating: StepProgress(), count: playbook.states[index].steps.count)
        case let .done(step, choice, _):
            guard let location = playbook.stepLocations[step], location.state == incident.state else { return }
            incident.steps[location.index].status = .done(at: event.at, choice: choice)
        case let .skipped(step, reason):
            guard let location = playbook.stepLocations[step], location.state == incident.state else { return }
            incident.steps[location.index].status = .skipped(at: event.at, reason: reason)
        case let .overdue(step, _):
            guard let location = playbook.stepLocations[step], location.state == incident.state else { return }
            incident.steps[location.index].overdue = true
        case let .escalated(step, _):
            guard let location = playbook.stepLocations[step], location.state == incident.state else { return }
            incident.steps[location.index].escalated = true
        case let .closed(reason, forced):
            incident.closed = Incident.Closure(at: event.at, reason: reason, forced: forced)
        case .fired, .note, .timer, .inject, .refused:
            break
        }
    }

    /// Rebuilds an incident from its events; `nil` when they do not start with `opened`.
    public func replay(_ events: some Sequence<Event>) -> Incident? {
        var incident: Incident?
        for event in events {
            if incident == nil {
                guard case .opened = event.body else { return nil }
                incident = Incident(
                    title: "", severity: .medium, openedAt: event.at, beganAt: nil, assignments: [:], state: playbook.start,
                    enteredAt: event.at, round: 0, rounds: [Int](repeating: 0, count: playbook.states.count), steps: [],
                    closed: nil, eventCount: 0)
            }
            fold(event, into: &incident!)
        }
        return incident
    }

    /// The events possible in the incident's current state, with the steps each still waits for.
    public func possibleEvents(_ incident: Incident) -> [(event: String, to: String, waitingFor: [String])] {
        if incident.isClosed { return [] }
        return playbook.events(from: incident.state).map { transition in
            var waiting: [String] = []
            if case .guardOpen(_, _, let open) = refusal(firing: transition.event, in: incident) { waiting = open }
            return (transition.event, playbook.states[transition.target].id, waiting)
        }
    }
}
