import FirebreakCore
import FirebreakLoading
import FirebreakStore
import Foundation

/// Generated inputs for the benchmarks.
public enum BenchmarkFixtures {
    /// A playbook with `states` states in a chain, two steps each, a decision, a timer and a final state.
    public static func chainPlaybook(states: Int) -> String {
        var text = """
            firebreak: 1
            id: big
            title: Generated playbook
            roles:
              lead: { title: Lead, escalates-to: boss }
              boss: { title: Boss }
            commander: lead
            start: s0
            on:
              abort: closed
            states:

            """
        for i in 0..<states {
            text += """
                  s\(i):
                    title: State \(i)
                    steps:
                      - { id: a\(i), title: First step of \(i), owner: lead, due: 15m }
                      - { id: b\(i), title: Decide in \(i), owner: boss, due: 1h, needs: [a\(i)], choices: { go: next\(i), stay: hold\(i) } }
                    on:
                      next\(i): s\(i + 1 < states ? i + 1 : i)
                      hold\(i): s\(i)
                      done\(i): { to: closed, when: all-done }
                    after:
                      4h: s\(i + 1 < states ? i + 1 : i)

                """
        }
        text += "  closed:\n    final: true\n"
        return text
    }

    public static func load(_ text: String) -> Playbook {
        guard let playbook = PlaybookLoader.load(text).playbook else { fatalError("benchmark fixture does not load") }
        return playbook
    }

    /// `count` events of a plausible incident on the spec's kind of playbook: notes, steps, transitions, rounds.
    public static func events(count: Int, playbook: Playbook, at start: Int = 1_700_000_000) -> (Incident, [Event]) {
        let engine = Engine(playbook: playbook)
        guard var (incident, events) = try? engine.open(title: "Benchmark", opener: "lead", at: start) else { fatalError("open") }
        var t = start
        var n = 0
        while events.count < count {
            t += 1
            n += 1
            let state = playbook.states[incident.state]
            let command: Command
            if incident.isClosed {
                command = .note(text: "note \(n)")
            } else if let open = zip(state.steps, incident.steps).first(where: { $0.1.isOpen }) {
                command = open.0.choices != nil ? .done(step: open.0.id, choice: n % 5 == 0 ? "stay" : "go") : .done(step: open.0.id)
            } else {
                command = .note(text: "note \(n)")
            }
            if let produced = try? engine.apply(command, by: "lead", at: t, to: &incident) {
                events += produced
            } else {
                events += (try? engine.apply(.note(text: "n"), by: "lead", at: t, to: &incident)) ?? []
            }
        }
        return (incident, Array(events.prefix(count)))
    }
}
