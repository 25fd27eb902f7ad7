/// Checks of data read back from storage before the engine uses it. Stored data is input: a
/// compiled playbook or a snapshot that was damaged (or written by hand) must give an error,
/// never an index out of range.
extension Playbook {
    /// Every index in the playbook is in range and every role it names exists: safe for the engine.
    /// A playbook built by the checker always is; a decoded compiled copy might not be.
    public var isWellFormed: Bool {
        let stateCount = states.count
        guard stateCount > 0, (0..<stateCount).contains(start), roleIndex[commander] != nil, stateIndex.count == stateCount else { return false }
        for role in roles {
            if let target = role.escalatesTo, roleIndex[target] == nil { return false }
        }
        func validTransition(_ transition: Transition, stepCount: Int?) -> Bool {
            guard (0..<stateCount).contains(transition.target) else { return false }
            if let by = transition.by, by.contains(where: { roleIndex[$0] == nil }) { return false }
            switch transition.guardCondition {
            case .always, .allDone: return true
            case .steps(let indices):
                guard let stepCount else { return false }
                return indices.allSatisfy { (0..<stepCount).contains($0) }
            }
        }
        var audienceIDs: Set<String> = []
        for audience in audiences {
            guard audienceIDs.insert(audience.id).inserted, audience.approvers.allSatisfy({ roleIndex[$0] != nil }), (audience.cadence ?? 1) > 0 else {
                return false
            }
        }
        for state in states {
            let count = state.steps.count
            for step in state.steps {
                if let audience = step.statement, !audienceIDs.contains(audience) { return false }
                guard roleIndex[step.owner] != nil, step.needs.allSatisfy({ (0..<count).contains($0) }) else { return false }
                if let due = step.due, due <= 0 { return false }
                if case .events(let pairs)? = step.choices {
                    for pair in pairs where transition(for: pair.event, from: stateIndex[state.id] ?? 0) == nil && !state.isFinal { return false }
                }
            }
            guard state.transitions.allSatisfy({ validTransition($0, stepCount: count) }) else { return false }
            guard state.timers.allSatisfy({ (0..<stateCount).contains($0.target) && $0.after > 0 }) else { return false }
        }
        return globalTransitions.allSatisfy { validTransition($0, stepCount: nil) }
    }

    /// The snapshot fits this playbook: its state, rounds and the steps of its round are in range.
    /// A snapshot that does not is damage (the fold of the log never makes one).
    public func fits(_ incident: Incident) -> Bool {
        (0..<states.count).contains(incident.state) && incident.rounds.count == states.count
            && incident.steps.count == states[incident.state].steps.count && incident.rounds.allSatisfy { $0 >= 0 }
            && incident.round >= 0 && incident.eventCount >= 0 && fits(incident.comms)
    }

    func fits(_ comms: Communications?) -> Bool {
        guard let comms else { return true }
        return comms.nextUpdate.count == audiences.count
            && comms.statements.allSatisfy { s in
                (0..<audiences.count).contains(s.audience) && s.version >= 1
                    && (s.approvedBy + s.rejectedBy).allSatisfy { (0..<Int32(roles.count)).contains($0) }
            }
    }
}
