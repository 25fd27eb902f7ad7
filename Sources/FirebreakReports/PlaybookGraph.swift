import FirebreakCore
import Foundation

/// Draws a playbook's state machine: every state, transition (labelled with its event), timer and final state.
public enum PlaybookGraph {
    /// A Mermaid `stateDiagram-v2`.
    public static func mermaid(_ playbook: Playbook) -> String {
        func node(_ id: String) -> String { "s_" + id.replacingOccurrences(of: "-", with: "_") }
        func label(_ text: String) -> String {
            text.replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: "\"", with: "#quot;")
                .replacingOccurrences(of: ":", with: "#58;").replacingOccurrences(of: ";", with: "#59;")
        }
        var lines = ["stateDiagram-v2"]
        for state in playbook.states {
            lines.append("    state \"\(label(state.title))\" as \(node(state.id))")
        }
        lines.append("    [*] --> \(node(playbook.states[playbook.start].id))")
        for (index, state) in playbook.states.enumerated() {
            for transition in playbook.events(from: index) {
                var text = transition.event
                switch transition.guardCondition {
                case .always: break
                case .allDone: text += " [all done]"
                case .steps(let steps): text += " [" + steps.map { state.steps[$0].id }.joined(separator: ", ") + "]"
                }
                lines.append("    \(node(state.id)) --> \(node(playbook.states[transition.target].id)) : \(label(text))")
            }
            for timer in state.timers {
                lines.append("    \(node(state.id)) --> \(node(playbook.states[timer.target].id)) : after \(DurationText.format(timer.after))")
            }
            if state.isFinal { lines.append("    \(node(state.id)) --> [*]") }
        }
        return lines.joined(separator: "\n")
    }

    /// A Graphviz `digraph`; final states are double circles, timers dashed.
    public static func dot(_ playbook: Playbook) -> String {
        func quote(_ text: String) -> String {
            "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
                .replacingOccurrences(of: "\n", with: "\\n") + "\""
        }
        var lines = ["digraph \(quote(playbook.id)) {", "    rankdir=LR;", "    node [shape=box, style=rounded];",
                     "    \"__start\" [shape=point, label=\"\"];"]
        for state in playbook.states {
            let shape = state.isFinal ? ", shape=doublecircle" : ""
            lines.append("    \(quote(state.id)) [label=\(quote(state.title))\(shape)];")
        }
        lines.append("    \"__start\" -> \(quote(playbook.states[playbook.start].id));")
        for (index, state) in playbook.states.enumerated() {
            for transition in playbook.events(from: index) {
                var text = transition.event
                switch transition.guardCondition {
                case .always: break
                case .allDone: text += " [all done]"
                case .steps(let steps): text += " [" + steps.map { state.steps[$0].id }.joined(separator: ", ") + "]"
                }
                lines.append("    \(quote(state.id)) -> \(quote(playbook.states[transition.target].id)) [label=\(quote(text))];")
            }
            for timer in state.timers {
                lines.append("    \(quote(state.id)) -> \(quote(playbook.states[timer.target].id)) [label=\(quote("after " + DurationText.format(timer.after))), style=dashed];")
            }
        }
        lines.append("}")
        return lines.joined(separator: "\n")
    }
}
