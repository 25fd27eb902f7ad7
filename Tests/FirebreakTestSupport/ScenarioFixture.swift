import FirebreakCore
import FirebreakLoading

/// Loads scenario YAML against `playbook` that is expected to have no error; throws with the diagnostics otherwise.
public func loadScenario(_ yaml: String, playbook: Playbook) throws(FixtureError) -> (scenario: Scenario, playbook: Playbook) {
    let result = ScenarioLoader.load(yaml) { $0 == playbook.id ? playbook : nil }
    guard let scenario = result.scenario, let loaded = result.playbook, !result.diagnostics.hasErrors else {
        let lines = result.diagnostics.map(\.description).joined(separator: "\n")
        throw FixtureError(description: "fixture scenario did not load:\n\(lines)")
    }
    return (scenario, loaded)
}
