import FirebreakApp
import FirebreakCore
import Foundation

/// `playbook show`: a playbook as readable text.
enum PlaybookText {
    static func describe(_ playbook: Playbook) -> String {
        let t = Terminal.oneLine
        var out = Terminal.paint("\(playbook.id): \(t(playbook.title))", .bold) + "\n"
        if let summary = playbook.summary { out += t(summary) + "\n" }
        out += "severity: \(playbook.severity.rawValue)   commander: \(playbook.commander)   start: \(playbook.states[playbook.start].id)\n\n"
        out += "Roles:\n"
        for role in playbook.roles {
            out += "  \(role.id)  \(t(role.title))" + (role.escalatesTo.map { "  (escalates to \($0))" } ?? "") + "\n"
        }
        if !playbook.audiences.isEmpty {
            out += "\nAudiences:\n"
            for audience in playbook.audiences {
                var facts = [audience.approvers.isEmpty ? "no approval" : "approved by \(audience.approvers.joined(separator: ", "))"]
                if let cadence = audience.cadence { facts.append("an update at least every \(DurationText.format(cadence))") }
                if !audience.avoid.isEmpty { facts.append("avoid: " + audience.avoid.map(t).joined(separator: ", ")) }
                out += "  \(audience.id)  \(t(audience.title))  [" + facts.joined(separator: "; ") + "]\n"
            }
        }
        func describe(_ step: Step, among steps: [Step], dueFrom: String = "") -> String {
            var out = ""
            do {
                var line = "  - \(step.id): \(t(step.title))  [owner \(step.owner)"
                if let due = step.due { line += ", due \(DurationText.format(due))\(dueFrom)" }
                if let audience = step.statement { line += ", statement to \(audience)" }
                if let who = step.informs { line += ", done by informing \(who)" }
                if step.isOptional { line += ", optional" }
                if step.carry { line += ", carried" }
                switch step.escalate {
                case .role(let role)?: line += ", escalates to \(role)"
                case .never?: line += ", never escalates"
                case nil: break
                }
                line += "]"
                if !step.needs.isEmpty { line += "  needs \(step.needs.map { steps[$0].id }.joined(separator: ", "))" }
                out += line + "\n"
                if let choices = step.choices {
                    switch choices {
                    case .events(let pairs): out += "      choices: " + pairs.map { "\($0.option) → \($0.event)" }.joined(separator: ", ") + "\n"
                    case .options(let options): out += "      choices: " + options.joined(separator: ", ") + "\n"
                    }
                }
                if let milestone = step.milestone { out += "      milestone: \(milestone)\n" }
                if let guidance = step.guidance { out += "      guidance: \(t(guidance))\n" }
                if let template = step.template {
                    out += "      template:\n" + Terminal.sanitize(template).split(separator: "\n", omittingEmptySubsequences: false).map { "        \($0)" }.joined(separator: "\n") + "\n"
                }
            }
            return out
        }
        if !playbook.duties.isEmpty {
            out += "\n" + Terminal.paint("Standing duties", .bold) + " (active from opening to close)\n"
            for duty in playbook.duties { out += describe(duty, among: playbook.duties, dueFrom: " from opening") }
        }
        for (index, state) in playbook.states.enumerated() {
            out += "\n" + Terminal.paint("State \(state.id)", .bold) + (state.title != state.id ? " — \(t(state.title))" : "") + (state.isFinal ? " (final)" : "") + "\n"
            for step in state.steps { out += describe(step, among: state.steps) }
            for transition in playbook.events(from: index) {
                var guardText = ""
                switch transition.guardCondition {
                case .always: break
                case .allDone: guardText = " when all steps are done"
                case .steps(let steps): guardText = " when " + steps.map { state.steps[$0].id }.joined(separator: ", ") + " done"
                }
                let global = state.transitions.contains { $0.event == transition.event } ? "" : " (any state)"
                out += "  on \(transition.event) → \(playbook.states[transition.target].id)\(guardText)\(global)\n"
            }
            for timer in state.timers {
                out += "  after \(DurationText.format(timer.after)) → \(playbook.states[timer.target].id)\n"
            }
        }
        return out.hasSuffix("\n") ? String(out.dropLast()) : out
    }
}
