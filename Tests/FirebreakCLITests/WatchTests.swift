@testable import FirebreakCLI
import FirebreakTestSupport
import Foundation
import Synchronization
import Testing

/// A ``WatchSource`` that plays a script: a clock of its own, and after each look the next step
/// (which may change the store or move the clock) says why to look again. It records the due
/// times it was asked to wait for.
final class ScriptedSource: WatchSource, @unchecked Sendable {
    private let state: Mutex<(clock: Int, steps: [@Sendable (ScriptedSource) -> Wake], dues: [Int?])>

    init(clock: Int, steps: [@Sendable (ScriptedSource) -> Wake]) {
        state = Mutex((clock, steps, []))
    }

    func now() -> Int { state.withLock { $0.clock } }
    func set(_ clock: Int) { state.withLock { $0.clock = clock } }
    var dues: [Int?] { state.withLock { $0.dues } }

    func next(due: Int?) async -> Wake {
        let step = state.withLock { state -> (@Sendable (ScriptedSource) -> Wake)? in
            state.dues.append(due)
            return state.steps.isEmpty ? nil : state.steps.removeFirst()
        }
        return step?(self) ?? .interrupted
    }

    func close() {}
}

enum WallClockSeconds {
    static func parse(_ iso: String) -> Int {
        let formatter = ISO8601DateFormatter()
        return Int(formatter.date(from: iso)!.timeIntervalSince1970)
    }

    static func iso(_ seconds: Int) -> String {
        let formatter = ISO8601DateFormatter()
        return formatter.string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
    }
}

/// Values gathered from several threads.
final class Collected<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [T] = []
    func append(_ item: T) { lock.withLock { stored.append(item) } }
    var items: [T] { lock.withLock { stored } }
}

/// Runs a command in-process, on a thread of its own, with a scripted watch source.
func runWatching(_ arguments: [String], box: Sandbox, source: ScriptedSource, person: String = "anna") -> CommandResult {
    Watching.$scripted.withValue(source) { try! Firebreak.run(arguments, environment: box.env(person)) }
}

/// A playbook with one step due soon after opening, no escalation: one due event.
let quickPlaybook = """
    firebreak: 1
    id: quick
    title: Quick
    roles:
      lead: { title: Lead }
    commander: lead
    start: open
    states:
      open:
        steps:
          - { id: check, title: Check the post, owner: lead, due: 2s }
        on:
          resolve: closed
      closed:
        final: true

    """

/// `status INC --watch` in-process, on a scripted clock and change source.
@Suite struct StatusWatchTests {
    /// A frame on the first look, one after a new event, none for a change elsewhere, one when a
    /// deadline falls due; Ctrl-C ends it with exit 0. Not a terminal: frames follow each other
    /// after a blank line, each exactly what `status` prints at that instant.
    @Test(arguments: StoreKind.tested)
    func redrawsOnANewEventAndWhenADeadlineFallsDue(_ kind: StoreKind) throws {
        let box = try Sandbox(kind)
        defer { box.cleanup() }
        #expect(try box.run("open", "offensive-post", "--title", "Watched", "--assign", "social=sem").status == 0)
        let opened = WallClockSeconds.parse(box.now)
        let status = try box.run("status", "INC-1", "--json")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])
        let firstDue = opened + (try #require((json["steps"] as? [[String: Any]])?.compactMap { $0["secondsLeft"] as? Int }.filter { $0 > 0 }.min()))
        let noteAt = WallClockSeconds.iso(opened + 60)
        let frame1 = try box.run("status", "INC-1", now: noteAt).stdout
        let source = ScriptedSource(clock: opened + 60, steps: [
            { _ in
                _ = try? box.run("note", "INC-1", "A reporter called", now: noteAt)
                return .changed(incident: 1)
            },
            { _ in .changed(incident: nil) },
            { source in
                source.set(firstDue)
                return .due
            },
            { _ in .interrupted },
        ])
        let result = runWatching(["status", "INC-1", "--watch"], box: box, source: source)
        #expect(result.status == 0)
        #expect(result.stderr == "")
        let frame2 = try box.run("status", "INC-1", now: noteAt).stdout
        let frame3 = try box.run("status", "INC-1", now: WallClockSeconds.iso(firstDue)).stdout
        #expect(frame3.contains("OVERDUE"))
        #expect(result.stdout == frame1 + "\n" + frame2 + "\n" + frame3)
        #expect(source.dues.count == 4)
        #expect(source.dues.prefix(3) == [firstDue, firstDue, firstDue])
        #expect(source.dues.last! != firstDue)
    }

    /// --watch of an incident that does not exist is the usual error, before watching.
    @Test func watchingAMissingIncidentIsRefused() throws {
        let box = try Sandbox()
        defer { box.cleanup() }
        #expect(try box.run("open", "offensive-post", "--title", "One").status == 0)
        let result = runWatching(["status", "INC-9", "--watch"], box: box, source: ScriptedSource(clock: 0, steps: []))
        #expect(result.status == 66)
        #expect(result.stderr == "firebreak: error: no incident INC-9 in '\(box.db)'\n")
    }
}

/// `firebreak watch`: due events stored once, handed to the hook once, a bad hook reported.
@Suite struct TeamWatchTests {
    /// A sandbox whose playbook folder holds the quick playbook, with one incident opened.
    static func quickBox(_ kind: StoreKind) throws -> (Sandbox, [String: String]) {
        let box = try Sandbox(kind)
        let folder = box.folder.path("playbooks")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try quickPlaybook.write(toFile: folder + "/quick.yaml", atomically: true, encoding: .utf8)
        var env = box.env("anna")
        env["FIREBREAK_PLAYBOOKS"] = folder
        let opened = try Firebreak.run(["open", "quick", "--title", "Quick one"], environment: env)
        #expect(opened.stdout == "INC-1\n", "\(opened.stderr)")
        return (box, env)
    }

    /// The hook's line for the overdue of `check`, as the quick incident stores it.
    static func overdueLine(seq: Int, due: Int, recorded: Int) -> String {
        """
        {"incident":"INC-1","seq":\(seq),"at":"\(WallClockSeconds.iso(due))","recordedAt":"\(WallClockSeconds.iso(recorded))",\
        "actor":null,"role":null,"outsideRole":false,"stored":true,"kind":"overdue","step":"check","due":"\(WallClockSeconds.iso(due))"}
        """
    }

    /// Two watchers look at the same instant, past the due time: the overdue is stored once, and
    /// the hook gets it once, from whichever stored it.
    @Test(arguments: StoreKind.tested)
    func twoWatchersStoreEachDueEventOnce(_ kind: StoreKind) throws {
        let (box, _) = try Self.quickBox(kind)
        defer { box.cleanup() }
        let opened = WallClockSeconds.parse(box.now)
        let hooked = box.folder.path("hooked.jsonl")
        // Both watchers make their first look, then both look again at the due time.
        let arrived = DispatchGroup()
        let go = DispatchSemaphore(value: 0)
        func script() -> ScriptedSource {
            arrived.enter()
            return ScriptedSource(clock: opened + 1, steps: [
                { source in
                    arrived.leave()
                    go.wait()
                    source.set(opened + 5)
                    return .due
                },
                { _ in .interrupted },
            ])
        }
        let sources = [script(), script()]
        let results = Collected<CommandResult>()
        let done = DispatchGroup()
        for source in sources {
            done.enter()
            Thread.detachNewThread {
                let result = Watching.$scripted.withValue(source) {
                    try! Firebreak.run(["watch", "--hook", "cat >> '\(hooked)'", "--playbooks", box.folder.path("playbooks")], environment: box.env("anna"))
                }
                results.append(result)
                done.leave()
            }
        }
        arrived.wait()
        go.signal()
        go.signal()
        done.wait()
        let outcomes = results.items
        #expect(outcomes.map(\.status) == [0, 0])
        #expect(outcomes.map(\.stderr) == Array(repeating: "firebreak: watching '\(box.db)' with a hook; stop with Ctrl-C\n", count: 2))
        // One watcher printed the stored event, the other nothing.
        #expect(outcomes.map(\.stdout).sorted() == ["", "INC-1 #4 21:30  'check' overdue (due 21:30)\n"].sorted(), "\(outcomes.map(\.stdout))")
        let lines = try String(contentsOfFile: hooked, encoding: .utf8)
        #expect(lines == Self.overdueLine(seq: 4, due: opened + 2, recorded: opened + 5) + "\n")
        let timeline = try box.run("timeline", "INC-1", "--json", now: WallClockSeconds.iso(opened + 5)).stdout
        #expect(timeline.components(separatedBy: "\"kind\": \"overdue\"").count == 2)
        #expect(try box.run("verify").status == 0)
        #expect(sources.allSatisfy { $0.dues.first == opened + 2 })
    }

    /// A hook that hangs is stopped after --hook-timeout, reported, tried again, and given up on;
    /// the event stays stored. Interrupted, the watcher ends once the deliveries queued have (each bounded).
    @Test func aHangingHookIsStoppedAndReported() throws {
        let (box, _) = try Self.quickBox(.sqlite)
        defer { box.cleanup() }
        let opened = WallClockSeconds.parse(box.now)
        let source = ScriptedSource(clock: opened + 3, steps: [{ _ in .interrupted }])
        let started = ContinuousClock.now
        let result = Watching.$scripted.withValue(source) {
            try! Firebreak.run(
                ["watch", "--hook", "sleep 30", "--hook-timeout", "0.2", "--hook-attempts", "2", "--playbooks", box.folder.path("playbooks")],
                environment: box.env("anna"))
        }
        #expect(ContinuousClock.now - started < .seconds(5))
        #expect(result.status == 0)
        #expect(result.stdout == "INC-1 #4 21:30  'check' overdue (due 21:30)\n")
        let problem = "it was still running after its time was up, and was stopped"
        #expect(result.stderr == """
            firebreak: watching '\(box.db)' with a hook; stop with Ctrl-C
            firebreak: warning: the hook failed on INC-1 #4 (\(problem)); run 1 of 2, trying again in 1 s
            firebreak: error: the hook failed on INC-1 #4 (\(problem)); gave up after 2 runs (the event is stored)

            """)
        #expect(try box.run("timeline", "INC-1", now: WallClockSeconds.iso(opened + 3)).stdout.contains("overdue (due 21:30)"))
    }

    /// A hook that fails once gets the line again, and FIREBREAK_HOOK is the hook when --hook is not given.
    @Test func aFailingHookIsTriedAgain() throws {
        let (box, env) = try Self.quickBox(.sqlite)
        defer { box.cleanup() }
        let opened = WallClockSeconds.parse(box.now)
        let marker = box.folder.path("failed-once")
        let hooked = box.folder.path("hooked.jsonl")
        var environment = env
        environment["FIREBREAK_HOOK"] = "if [ ! -e '\(marker)' ]; then touch '\(marker)'; exit 3; fi; cat >> '\(hooked)'"
        let source = ScriptedSource(clock: opened + 3, steps: [{ _ in .interrupted }])
        let result = Watching.$scripted.withValue(source) { try! Firebreak.run(["watch"], environment: environment) }
        #expect(result.status == 0)
        #expect(result.stderr == """
            firebreak: watching '\(box.db)' with a hook; stop with Ctrl-C
            firebreak: warning: the hook failed on INC-1 #4 (it exited with 3); run 1 of 3, trying again in 1 s

            """)
        #expect(try String(contentsOfFile: hooked, encoding: .utf8) == Self.overdueLine(seq: 4, due: opened + 2, recorded: opened + 3) + "\n")
    }
}
