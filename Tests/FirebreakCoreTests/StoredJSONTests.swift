@testable import FirebreakCore
import FirebreakLoading
import FirebreakTestSupport
import Foundation
import Testing

/// Snapshots and compiled playbooks are written with `JSONEncoder` and read by `StoredJSON`: what is written
/// reads back equal, what is not the format is `Malformed` (never a trap), and formats written before 1.1 still read.
@Suite struct StoredJSONTests {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    static var playbookFiles: [String] {
        let nl = ((try? FileManager.default.contentsOfDirectory(atPath: Fixtures.playbooksFolder.appendingPathComponent("nl").path)) ?? [])
            .filter { $0.hasSuffix(".yaml") }.sorted().map { "nl/" + $0 }
        return Fixtures.shippedPlaybookNames + nl
    }

    @Test func everyShippedPlaybookReadsBackEqual() throws {
        #expect(Self.playbookFiles.count >= 20)
        for name in Self.playbookFiles {
            let playbook = try loadPlaybook(try Fixtures.shippedPlaybookText(name), fileName: name)
            let read = try Playbook(storedJSON: try JSONEncoder().encode(playbook))
            #expect(read == playbook, "\(name)")
            #expect(read.language == playbook.language, "\(name)")
        }
    }

    /// The incidents the shipped scenarios end with (steps done and skipped, statements, closes), each read back.
    @Test func everyShippedScenariosIncidentReadsBackEqual() throws {
        let scenarios = try MonteCarloTests.shippedScenarios()
        var withStatements = 0
        for (name, simulator) in scenarios {
            let incident = simulator.run().incident
            if incident.comms != nil { withStatements += 1 }
            #expect(try Incident(storedJSON: try Self.encoder.encode(incident)) == incident, "\(name)")
        }
        #expect(withStatements > 0)
    }

    @Test func everyFieldOfASnapshotReadsBack() throws {
        var incident = Incident(
            title: "A \"quoted\" title\nwith a line, ✓ and 😀", severity: .critical, openedAt: -5, beganAt: 1_700_000_000,
            assignments: ["comms-lead": "anna", "legal": "noor"], state: 2, enteredAt: 60, round: 3, rounds: [1, 0, 3],
            steps: [StepProgress(), StepProgress()], closed: Incident.Closure(at: 99, reason: nil, forced: true), eventCount: 42)
        incident.steps[0].status = .done(at: 7)
        incident.steps[1].status = .skipped(at: 8)
        incident.steps[1].overdue = true
        incident.steps[1].escalated = true
        incident.duties = [StepProgress()]
        incident.carried = [CarriedStep(step: 4, round: 2, deadline: -1, blockedNeeds: UInt64.max, progress: StepProgress())]
        incident.deputies = ["comms-lead": ["pat", "sem"]]
        incident.comms = Communications(
            statements: [StatementProgress(audience: 1, version: 2, text: "We [are] sorry", hasPlaceholders: true, approvedBy: [0, 3], rejectedBy: [], publishedAt: 12)],
            nextUpdate: [-1, 30])
        #expect(try Incident(storedJSON: try Self.encoder.encode(incident)) == incident)
        #expect(Incident.isForceClosed(storedJSON: try Self.encoder.encode(incident)))
        incident.closed = nil
        #expect(!Incident.isForceClosed(storedJSON: try Self.encoder.encode(incident)))
    }

    /// A snapshot as 1.0 wrote it: no deputies, duties, carried steps or statements.
    @Test func aSnapshotFromBefore11Reads() throws {
        let old = #"{"assignments":{"comms-lead":"anna"},"enteredAt":0,"eventCount":3,"openedAt":0,"round":1,"rounds":[1,0],"#
            + #""severity":"high","state":0,"steps":[{"escalated":false,"overdue":false,"status":{"open":{}}}],"title":"T"}"#
        let incident = try Incident(storedJSON: Data(old.utf8))
        #expect(incident.deputies == nil && incident.duties == [] && incident.carried == [] && incident.comms == nil && incident.closed == nil)
        #expect(incident.steps == [StepProgress()])
        #expect(incident.assignments == ["comms-lead": "anna"])
    }

    static let snapshot = #"{"assignments":{},"enteredAt":0,"eventCount":3,"openedAt":0,"round":1,"rounds":[1],"#
        + #""severity":"high","state":0,"steps":[],"title":"T"}"#

    /// Each is not a snapshot, and says what.
    @Test(arguments: [
        ("", "not JSON at byte 0"),
        ("{", "not JSON at byte 1"),
        (snapshot + " x", "not JSON at byte \(snapshot.utf8.count + 1)"),
        ("[]", "'snapshot' is not an object"),
        (snapshot.replacingOccurrences(of: #""title":"T""#, with: #""title":7"#), "'title' is not a string"),
        (snapshot.replacingOccurrences(of: #","title":"T""#, with: ""), "'title' is missing"),
        (snapshot.replacingOccurrences(of: #""state":0"#, with: #""state":0.5"#), "'state' is not an integer"),
        (snapshot.replacingOccurrences(of: #""state":0"#, with: #""state":99999999999999999999"#), "'state' is not an integer"),
        (snapshot.replacingOccurrences(of: #""severity":"high""#, with: #""severity":"dire""#), "'severity' is unknown"),
        (snapshot.replacingOccurrences(of: #""steps":[]"#, with: #""steps":[{"escalated":false,"overdue":false,"status":{"lost":{}}}]"#),
         "'status' is unknown"),
        (snapshot.replacingOccurrences(of: #""steps":[]"#, with: #""steps":[{"escalated":false,"overdue":false,"status":{"open":{},"done":{"at":1}}}]"#),
         "'status' is not one case"),
        (snapshot.replacingOccurrences(of: #""round":1"#, with: #""round":1,"carried":[{"step":4294967296,"round":1,"deadline":0,"blockedNeeds":0,"progress":{"escalated":false,"overdue":false,"status":{"open":{}}}}]"#),
         "'step' is out of range"),
        (snapshot.replacingOccurrences(of: #""round":1"#, with: #""round":1,"carried":[{"step":4,"round":1,"deadline":0,"blockedNeeds":-1,"progress":{"escalated":false,"overdue":false,"status":{"open":{}}}}]"#),
         "'blockedNeeds' is not an unsigned integer"),
        (snapshot.replacingOccurrences(of: #""title":"T""#, with: #""title":"T\q""#), "not JSON at byte \(snapshot.utf8.count - 1)"),
    ])
    func notASnapshotIsMalformed(_ text: String, _ what: String) {
        #expect(throws: StoredJSON.Malformed(what)) { try Incident(storedJSON: Data(text.utf8)) }
    }

    /// Integers are read digit by digit up to 18 digits and as text beyond: every length reads as `Int` and `UInt64`
    /// read its text, with the sign, leading zeros and the ends of both ranges.
    @Test func integersOfEveryLengthReadAsTheirText() throws {
        var texts = ["0", "-0", "007", "-007", "9223372036854775807", "-9223372036854775808", "9223372036854775808",
                     "18446744073709551615", "18446744073709551616", "-9223372036854775809", "000000000000000000001"]
        for length in 1...21 {
            let digits = String((0..<length).map { Character(String(($0 * 7 + 3) % 10)) })
            texts += [digits, "-" + digits, String(repeating: "9", count: length), "-" + String(repeating: "9", count: length)]
        }
        for text in texts {
            let read = try StoredJSON.parse(Data(text.utf8))
            switch read {
            case .int(let value): #expect(Int(text) == value, "\(text)")
            case .uint(let value): #expect(Int(text) == nil && UInt64(text) == value, "\(text)")
            case .number: #expect(Int(text) == nil && UInt64(text) == nil, "\(text)")
            default: Issue.record("\(text) read as \(read)")
            }
        }
        guard case .array(let items) = try StoredJSON.parse(Data("[1.5,-2e3,12,-0.0]".utf8)), items.count == 4,
            case .number = items[0], case .number = items[1], case .int(12) = items[2], case .number = items[3]
        else {
            Issue.record("fractions and exponents are numbers, integers are integers")
            return
        }
    }

    /// Nesting beyond any stored format is refused where it starts going too deep, not followed down the stack.
    @Test func deepNestingIsRefusedNotFollowed() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: StoredJSON.Malformed("not JSON at byte 32")) { try StoredJSON.parse(Data(deep.utf8)) }
        #expect(throws: StoredJSON.Malformed("not JSON at byte 32")) { try Playbook(storedJSON: Data(deep.utf8)) }
        #expect(!Incident.isForceClosed(storedJSON: Data(deep.utf8)))
    }

    /// Stored bytes changed at random (a byte replaced, dropped or repeated, a cut) read as a value or as
    /// `Malformed`, never a trap; what still reads as a playbook is one the engine's own check can judge.
    @Test func randomlyDamagedBytesNeverTrap() throws {
        let playbook = try loadPlaybook(try Fixtures.shippedPlaybookText("photo-shoot-leak.yaml"))
        let simulator = try #require(try MonteCarloTests.shippedScenarios(["photo-shoot-leak-night.yaml"]).first?.simulator)
        let sources = [Array(try JSONEncoder().encode(playbook)), Array(try Self.encoder.encode(simulator.run().incident))]
        var rng = SeededGenerator(seed: 20261130)
        let alphabet = Array(#"{}[]",:0123456789-.eE" nulltruefalse"#.utf8)
        var read = 0, refused = 0
        for round in 0..<4000 {
            var bytes = sources[round % 2]
            for _ in 0..<Int.random(in: 1...3, using: &rng) {
                let at = Int.random(in: 0..<bytes.count, using: &rng)
                switch Int.random(in: 0..<4, using: &rng) {
                case 0: bytes[at] = alphabet.randomElement(using: &rng)!
                case 1: bytes.remove(at: at)
                case 2: bytes.insert(bytes[at], at: at)
                default: bytes.removeSubrange(at...)
                }
                if bytes.isEmpty { bytes = [UInt8(ascii: "{")] }
            }
            if round % 2 == 0 {
                if let read = try? Playbook(storedJSON: bytes) { _ = read.isWellFormed } else { refused += 1 }
            } else {
                if (try? Incident(storedJSON: bytes)) == nil { refused += 1 }
            }
            read += 1
        }
        #expect(read == 4000)
        // Most damage is refused, but not all of it: some changes leave valid JSON of the format.
        #expect(refused > 2000 && refused < 4000)
    }

    @Test func aPlaybookThatIsNotTheFormatIsMalformed() throws {
        let playbook = try loadPlaybook(MinimalPlaybook.text)
        let text = String(decoding: try JSONEncoder().encode(playbook), as: UTF8.self)
        #expect(throws: StoredJSON.Malformed("'guardCondition' is unknown")) {
            try Playbook(storedJSON: Data(text.replacingOccurrences(of: #""always":{}"#, with: #""sometimes":{}"#).utf8))
        }
        #expect(throws: StoredJSON.Malformed("'language' is unknown")) {
            try Playbook(storedJSON: Data(text.replacingOccurrences(of: #""commander":"#, with: #""language":"fr","commander":"#).utf8))
        }
        #expect(throws: StoredJSON.Malformed("'states' is missing")) {
            try Playbook(storedJSON: Data(text.replacingOccurrences(of: #""states""#, with: #""provinces""#).utf8))
        }
    }
}
