import FirebreakCore
import FirebreakLoading
import Foundation

/// Shared test inputs: the specification's example playbook and the shipped playbook files.
public enum Fixtures {
    /// A playbook whose two states time out into each other every second, with nobody acting.
    public static let loopingTimers = """
        firebreak: 1
        id: looping
        title: Looping
        roles:
          lead: { title: Lead }
        commander: lead
        start: a
        states:
          a:
            on: { stop: closed }
            after: { 1s: b }
          b:
            on: { stop: closed }
            after: { 1s: a }
          closed:
            final: true
        """

    /// The example playbook of `docs/playbook-format.md` (offensive post), verbatim.
    public static let specExample = """
        firebreak: 1
        id: offensive-post
        title: Offensive post by an employee
        summary: An employee posts something insulting or discriminatory on a personal account.
        severity: high                      # default severity: low | medium | high | critical
        roles:
          comms-lead: { title: Communications lead, escalates-to: director }
          social:     { title: Social media manager, escalates-to: comms-lead }
          hr:         { title: HR partner }
          legal:      { title: Legal counsel }
          director:   { title: Managing director }
        commander: comms-lead               # the role that owns the incident and may force-close it
        start: triage
        states:
          triage:
            title: Triage
            steps:
              - id: capture
                title: Capture the post (screenshot, URL, time, reach) before it is deleted
                owner: social
                due: 15m                    # relative to entering this state
              - id: assess
                title: Is this a real incident?
                owner: comms-lead
                needs: [capture]            # cannot be completed before capture
                due: 30m
                choices: { escalate: escalate, dismiss: dismiss }   # a decision: option -> event fired
            on:
              escalate: respond
              dismiss: closed
          respond:
            title: Respond
            steps:
              - id: holding-statement
                title: Publish a holding statement
                owner: comms-lead
                due: 1h
                guidance: Acknowledge, say you are looking into it, promise an update. Do not speculate.
              - id: talk-to-employee
                title: Talk to the employee
                owner: hr
                due: 2h
              - id: legal-check
                title: Legal review of further statements
                owner: legal
                due: 2h
                optional: true
            on:
              contained: { to: recover, when: all-done }
              story-published: escalated    # the press publishes without our comment
            after:
              4h: escalated                 # timer: fires if still in this state 4h after entering it
          escalated:
            steps:
              - { id: director-briefing, title: Brief the managing director, owner: comms-lead, due: 30m }
            on:
              contained: { to: recover, when: [director-briefing] }
          recover:
            steps:
              - { id: lessons, title: Collect lessons learned, owner: comms-lead, due: 2d }
            on:
              resolved: { to: closed, when: all-done }
          closed:
            final: true

        """

    /// The package root, found from this file's path (`Tests/FirebreakTestSupport/Fixtures.swift`).
    public static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // FirebreakTestSupport
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()

    /// The folder of shipped playbooks.
    public static let playbooksFolder: URL = packageRoot.appendingPathComponent("Playbooks")

    /// File names (`offensive-post.yaml`, ...) of the shipped playbooks, sorted; empty when the folder cannot be read.
    public static let shippedPlaybookNames: [String] = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: playbooksFolder.path)) ?? []
        return names.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
    }()

    /// The text of a shipped playbook file.
    public static func shippedPlaybookText(_ name: String) throws -> String {
        try String(contentsOf: playbooksFolder.appendingPathComponent(name), encoding: .utf8)
    }
}

/// A fixture that should have loaded cleanly did not.
public struct FixtureError: Error, CustomStringConvertible {
    public var description: String
}

/// Loads playbook YAML that is expected to have no error; throws with the diagnostics otherwise.
///
/// Warnings are allowed. A test calls it with `try`, so a broken fixture fails that test.
public func loadPlaybook(_ yaml: String, fileName: String? = nil) throws(FixtureError) -> Playbook {
    let result = PlaybookLoader.load(yaml, fileName: fileName)
    guard let playbook = result.playbook, !result.diagnostics.hasErrors else {
        let lines = result.diagnostics.map(\.description).joined(separator: "\n")
        throw FixtureError(description: "fixture playbook did not load:\n\(lines)")
    }
    return playbook
}
