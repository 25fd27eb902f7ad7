@testable import FirebreakApp
import FirebreakCore
import FirebreakLoading
import FirebreakStore
import FirebreakTestSupport
import Foundation
import Testing

/// `verify`'s fold keeps the last role it read: each incident's playbook numbers its roles its own way.
@Suite struct ProjectionCheckTests {
    /// The spec's example with `social` declared before `comms-lead`.
    static let reordered = Fixtures.specExample.replacingOccurrences(
        of: "  comms-lead: { title: Communications lead, escalates-to: director }\n  social:     { title: Social media manager, escalates-to: comms-lead }",
        with: "  social:     { title: Social media manager, escalates-to: comms-lead }\n  comms-lead: { title: Communications lead, escalates-to: director }")

    func record(_ number: Int, _ text: String) throws -> IncidentRecord {
        let playbook = try loadPlaybook(text)
        let (incident, _) = try Engine(playbook: playbook).open(title: "T", opener: "anna", at: 0)
        return IncidentRecord(
            number: number, playbookID: playbook.id, playbookHash: HashChain.sha256(text), isExercise: false, title: "T", severity: .high,
            state: "triage", openedAt: 0, closedAt: nil, lastSeq: 4, lastHash: "", snapshot: incident, scenarioText: nil)
    }

    @Test func theRoleKeptIsThePlaybooksOfTheIncidentBeingRead() throws {
        #expect(Self.reordered != Fixtures.specExample)
        var check = ProjectionCheck()
        let social = Array("social".utf8)
        func index(_ role: [UInt8]?) -> Int32? {
            guard let role else { return check.roleIndex(nil) }
            return role.withUnsafeBytes { check.roleIndex($0) }
        }
        check.begin(.success(try record(1, Fixtures.specExample)), playbook: StoredPlaybook(text: Fixtures.specExample, compiled: nil))
        #expect(index(social) == 1)
        #expect(index(social) == 1)
        #expect(index(Array("comms-lead".utf8)) == 0)
        #expect(index(Array("nobody".utf8)) == -1)
        #expect(index(nil) == -1)
        #expect(index(Array("sociål".utf8)) == nil)
        check.begin(.success(try record(2, Self.reordered)), playbook: StoredPlaybook(text: Self.reordered, compiled: nil))
        #expect(index(social) == 0)
        #expect(index(Array("comms-lead".utf8)) == 1)
    }
}
