import Benchmark
import BenchmarkFixtures
import FirebreakCore
import FirebreakLoading
import FirebreakStore
import Foundation
import GRDBSQLite

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .throughput, .peakMemoryResident], maxDuration: .seconds(10), maxIterations: 20)

    // MARK: Issue 2 — checking a generated 1,000-state playbook (target < 50 ms).
    let bigText = BenchmarkFixtures.chainPlaybook(states: 1_000)
    Benchmark("Check 1000-state playbook (YAML text to checked playbook)") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(PlaybookLoader.load(bigText)) }
    }
    // Yams' compose of the same text, the baseline beside this row, is in YamsBaseline: a binary of its own.
    let (syntax, _) = PlaybookLoader.parse(bigText)
    Benchmark("Check 1000-state playbook (checker only, from parsed syntax)") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(PlaybookChecker.check(syntax!)) }
    }

    // MARK: Issue 2 — one million events through the engine (target >= 2M events/s).
    let playbook = BenchmarkFixtures.load(bigText)
    let (_, million) = BenchmarkFixtures.events(count: 1_000_000, playbook: playbook)
    let engine = Engine(playbook: playbook)
    Benchmark("Engine: fold 1M events (replay)", configuration: .init(metrics: [.wallClock, .throughput], scalingFactor: .mega)) { benchmark in
        benchmark.startMeasurement()
        blackHole(engine.replay(million))
    }

    // MARK: Issue 3 — appending 100,000 events through the store vs plain SQLite C API (target >= half the rate).
    let (_, hundredK) = BenchmarkFixtures.events(count: 100_000, playbook: playbook)
    Benchmark("Store: append 100k events to one incident (one transaction)", configuration: .init(metrics: [.wallClock, .throughput], scalingFactor: .kilo, maxIterations: 5)) { benchmark in
        let path = NSTemporaryDirectory() + "fb-bench-\(UUID().uuidString).sqlite"
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        let store = try SQLiteStore(path: path, create: true)
        let opened = Array(hundredK.prefix(3))
        guard let snapshot = engine.replay(opened) else { return }
        let number = try await store.create(NewIncident(playbookID: "big", playbookText: bigText, playbookHash: HashChain.sha256(bigText), isExercise: false, events: opened, snapshot: snapshot), recordedAt: 0)
        let rest = Array(hundredK.dropFirst(3))
        benchmark.startMeasurement()
        _ = try await store.append(to: number) { _, _ in Decision(events: rest, snapshot: snapshot, recordedAt: 1) }
        benchmark.stopMeasurement()
    }
    Benchmark("SQLite C API: insert the same 100k rows (one transaction, baseline)", configuration: .init(metrics: [.wallClock, .throughput], scalingFactor: .kilo, maxIterations: 5)) { benchmark in
        let path = NSTemporaryDirectory() + "fb-bench-c-\(UUID().uuidString).sqlite"
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        // The same rows as the store writes: columns, JSON data and a precomputed hash string.
        let rows = hundredK.enumerated().map { index, event in
            (index + 1, event, FlatJSON.encode(event.body.fields), String(repeating: "a", count: 64))
        }
        var db: OpaquePointer?
        sqlite3_open(path, &db)
        sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;", nil, nil, nil)
        sqlite3_exec(db, """
            CREATE TABLE event (incident INTEGER NOT NULL, seq INTEGER NOT NULL, at INTEGER NOT NULL, recorded_at INTEGER NOT NULL,
            actor BLOB, role TEXT, outside_role INTEGER NOT NULL DEFAULT 0, kind TEXT NOT NULL, data BLOB NOT NULL, hash TEXT NOT NULL,
            PRIMARY KEY (incident, seq)) WITHOUT ROWID;
            """, nil, nil, nil)
        let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
        benchmark.startMeasurement()
        sqlite3_exec(db, "BEGIN IMMEDIATE", nil, nil, nil)
        var statement: OpaquePointer?
        sqlite3_prepare_v2(db, "INSERT INTO event VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", -1, &statement, nil)
        for (seq, event, data, hash) in rows {
            sqlite3_bind_int64(statement, 1, 1)
            sqlite3_bind_int64(statement, 2, Int64(seq))
            sqlite3_bind_int64(statement, 3, Int64(event.at))
            sqlite3_bind_int64(statement, 4, 1)
            if let actor = event.actor { sqlite3_bind_blob(statement, 5, actor, Int32(actor.utf8.count), transient) } else { sqlite3_bind_null(statement, 5) }
            if let role = event.role { sqlite3_bind_text(statement, 6, role, -1, transient) } else { sqlite3_bind_null(statement, 6) }
            sqlite3_bind_int64(statement, 7, event.outsideRole ? 1 : 0)
            sqlite3_bind_text(statement, 8, event.kind.rawValue, -1, transient)
            sqlite3_bind_blob(statement, 9, data, Int32(data.utf8.count), transient)
            sqlite3_bind_text(statement, 10, hash, -1, transient)
            sqlite3_step(statement)
            sqlite3_reset(statement)
        }
        sqlite3_finalize(statement)
        sqlite3_exec(db, "COMMIT", nil, nil, nil)
        benchmark.stopMeasurement()
        sqlite3_close(db)
    }

    // MARK: Issue 4 — 10,000 Monte Carlo runs of the largest shipped scenario (target < 0.1 s).
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    func shipped(_ folder: String, _ id: String) -> String {
        (try? String(contentsOf: root.appendingPathComponent("\(folder)/\(id).yaml"), encoding: .utf8)) ?? ""
    }
    let scenarios = ["song-contest-tweet", "carbon-monoxide-speculation", "prelaunch-photo", "heated-thread", "leaked-figures"].compactMap { id -> (Scenario, Playbook)? in
        let result = ScenarioLoader.load(shipped("Scenarios", id)) { PlaybookLoader.load(shipped("Playbooks", $0)).playbook }
        guard let scenario = result.scenario, let playbook = result.playbook else { return nil }
        return (scenario, playbook)
    }
    // The Python baseline's 8-action scenario (Benchmarks/python/eight-actions.yaml), one core, for the side-by-side figure.
    if let eight = try? String(contentsOf: root.appendingPathComponent("Benchmarks/python/eight-actions.yaml"), encoding: .utf8),
        let loaded = Optional(ScenarioLoader.load(eight) { PlaybookLoader.load(shipped("Playbooks", $0)).playbook }),
        let scenario = loaded.scenario, let playbook = loaded.playbook {
        let carlo = MonteCarlo(simulator: Simulator(scenario: scenario, playbook: playbook), seed: 1)
        Benchmark("drill stats: 10,000 runs of 'eight-actions' (Python baseline's scenario), one core", configuration: .init(metrics: [.wallClock], maxIterations: 10)) { benchmark in
            blackHole(carlo.tally(0..<10_000))
        }
    }
    if let (scenario, scenarioPlaybook) = scenarios.max(by: { $0.0.actions.count + $0.0.injects.count < $1.0.actions.count + $1.0.injects.count }) {
        let carlo = MonteCarlo(simulator: Simulator(scenario: scenario, playbook: scenarioPlaybook), seed: 42)
        // One copy of the model per thread, as `drill stats` does (no shared reference counts).
        let copies = (0..<ProcessInfo.processInfo.activeProcessorCount).compactMap { _ -> MonteCarlo? in
            let playbookText = shipped("Playbooks", scenarioPlaybook.id)
            let result = ScenarioLoader.load(shipped("Scenarios", scenario.id)) { _ in PlaybookLoader.load(playbookText).playbook }
            guard let s = result.scenario, let p = result.playbook else { return nil }
            return MonteCarlo(simulator: Simulator(scenario: s, playbook: p), seed: 42)
        }
        Benchmark("drill stats: 10,000 runs of '\(scenario.id)' (\(scenario.actions.count) actions), all cores", configuration: .init(metrics: [.wallClock], maxIterations: 10)) { benchmark in
            let threads = ProcessInfo.processInfo.activeProcessorCount
            let chunk = 10_000 / threads + 1
            DispatchQueue.concurrentPerform(iterations: threads) { t in
                blackHole(copies[t].tally((t * chunk)..<min(10_000, (t + 1) * chunk)))
            }
        }
        Benchmark("drill stats: 10,000 runs of '\(scenario.id)', one core", configuration: .init(metrics: [.wallClock], maxIterations: 10)) { benchmark in
            blackHole(carlo.tally(0..<10_000))
        }
    }
}
