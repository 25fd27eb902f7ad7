import Dispatch
import FirebreakApp
import FirebreakStore
import Foundation
import Synchronization

/// Why a watching command (`status --watch`, `watch`) looks again.
enum Wake: Sendable, Equatable {
    /// The store changed: this incident, or (`nil`) one the store cannot name.
    case changed(incident: Int?)
    /// The time asked for in ``WatchSource/next(due:)`` has come.
    case due
    /// Ctrl-C (SIGINT) or SIGTERM: stop cleanly.
    case interrupted
    /// The store can no longer tell of changes (a server gone).
    case failed(StoreError)
}

/// What a watching command waits on: its clock, the store's changes and the interrupt. The live
/// one (``LiveWatchSource``) by default; in-process tests set ``Watching/scripted`` to a source that
/// plays a script with a clock of its own.
protocol WatchSource: Sendable {
    /// Now, in seconds since 1970.
    func now() -> Int
    /// Waits for the next reason to look again; `due` is when the next deadline or timer falls
    /// due (the wait ends by then with ``Wake/due``).
    func next(due: Int?) async -> Wake
    /// Stops watching: signals go back to their defaults.
    func close()
}

enum Watching {
    /// A source for in-process tests; `nil`: the live one.
    @TaskLocal static var scripted: (any WatchSource)?

    static func source(for store: any IncidentStore) async throws(FirebreakError) -> any WatchSource {
        if let scripted { return scripted }
        do {
            return LiveWatchSource(changes: try await store.changes(), clockIsFixed: Console.current.environment["FIREBREAK_NOW"] != nil)
        } catch {
            throw Workspace.translate(error)
        }
    }
}

/// The real clock, the store's change stream, and SIGINT/SIGTERM, merged into one stream of wakes.
/// Signals are caught for as long as it watches (so Ctrl-C ends the command cleanly, terminal restored)
/// and set back to their defaults by ``close()``.
final class LiveWatchSource: WatchSource, @unchecked Sendable {
    private let wakes: AsyncStream<Wake>
    private let continuation: AsyncStream<Wake>.Continuation
    private let feeder: Task<Void, Never>
    private let signals: [any DispatchSourceSignal]
    private let timer = Mutex<Task<Void, Never>?>(nil)
    /// Read only by the one task that calls ``next(due:)``.
    private var iterator: AsyncStream<Wake>.AsyncIterator
    /// With `FIREBREAK_NOW` set time stands still: nothing falls due by waiting.
    private let clockIsFixed: Bool
    private let console = Console.current

    init(changes: AsyncStream<StoreChange>, clockIsFixed: Bool) {
        let (wakes, continuation) = AsyncStream<Wake>.makeStream()
        self.wakes = wakes
        self.continuation = continuation
        iterator = wakes.makeAsyncIterator()
        self.clockIsFixed = clockIsFixed
        feeder = Task {
            for await change in changes {
                switch change {
                case .changed(let incident): continuation.yield(.changed(incident: incident))
                case .failed(let error): continuation.yield(.failed(error))
                }
            }
        }
        signals = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { continuation.yield(.interrupted) }
            source.resume()
            return source
        }
    }

    func now() -> Int { Console.$current.withValue(console) { Clock.now() } }

    func next(due: Int?) async -> Wake {
        timer.withLock { timer in
            timer?.cancel()
            timer = nil
            guard let due, !clockIsFixed else { return }
            let continuation = self.continuation
            // Just after the second it falls due, so the engine, reading whole seconds, finds it due.
            let delay = max(0, Double(due) - Date().timeIntervalSince1970) + 0.02
            timer = Task {
                try? await Task.sleep(for: .seconds(delay))
                if !Task.isCancelled { continuation.yield(.due) }
            }
        }
        return await iterator.next() ?? .interrupted
    }

    func close() {
        for source in signals { source.cancel() }
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
        feeder.cancel()
        timer.withLock { $0?.cancel() }
        continuation.finish()
    }
}
