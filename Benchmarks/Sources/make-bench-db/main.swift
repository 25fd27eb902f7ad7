import BenchmarkFixtures
import FirebreakCore
import FirebreakStore
import Foundation

// Makes the database for the `firebreak status` start-up benchmark:
// `make-bench-db PATH INCIDENTS EVENTS_PER_INCIDENT BIG_EVENTS` — INC-1 gets BIG_EVENTS events.
let arguments = CommandLine.arguments
guard arguments.count == 5, let incidents = Int(arguments[2]), let per = Int(arguments[3]), let big = Int(arguments[4]) else {
    FileHandle.standardError.write(Data("usage: make-bench-db PATH INCIDENTS EVENTS_PER_INCIDENT BIG_EVENTS\n".utf8))
    exit(64)
}
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
let text = try String(contentsOf: root.appendingPathComponent("Playbooks/offensive-post.yaml"), encoding: .utf8)
let playbook = BenchmarkFixtures.load(text)
let store = try SQLiteStore(path: arguments[1], create: true)
let hash = HashChain.sha256(text)
let now = Int(Date().timeIntervalSince1970)
let compiled = try JSONEncoder().encode(playbook)
for i in 0..<incidents {
    let count = i == 0 ? big : per
    let (_, events) = BenchmarkFixtures.events(count: count, playbook: playbook, at: now - 3_600 - count)
    guard let snapshot = Engine(playbook: playbook).replay(events) else { exit(70) }
    _ = try await store.create(NewIncident(playbookID: playbook.id, playbookText: text, playbookHash: hash, isExercise: false, events: events, snapshot: snapshot, compiledPlaybook: compiled), recordedAt: now)
}
print("made \(arguments[1]): \(incidents) incidents")
