/// An incident's statements and the update cadence of each audience: part of the fold of its events.
public struct Communications: Sendable, Equatable, Encodable {
    /// Statement `S(k+1)` is `statements[k]`.
    public var statements: [StatementProgress]
    /// Per audience (playbook order): when the next update is due, -1 when none is.
    public var nextUpdate: [Int]

    public init(audiences: Int) {
        statements = []
        nextUpdate = [Int](repeating: -1, count: audiences)
    }

    public init(statements: [StatementProgress], nextUpdate: [Int]) {
        self.statements = statements
        self.nextUpdate = nextUpdate
    }

    /// When the first update to any audience is due (`Int.max`: none is).
    var earliestUpdate: Int {
        @inline(__always) get {
            var next = Int.max
            for due in nextUpdate where due >= 0 { next = min(next, due) }
            return next
        }
    }
}

/// Where one statement stands: its current version and text, the verdicts on that version, its publication.
public struct StatementProgress: Sendable, Equatable, Encodable {
    /// Index of the audience in the playbook.
    public var audience: Int
    public var version: Int
    public var text: String
    /// Whether the current text still has a `[placeholder]` (worked out from the text when it was drafted).
    public var hasPlaceholders: Bool
    /// Approver roles (indices) that approved, and that rejected, the current version, in the order they did.
    public var approvedBy: [Int32]
    public var rejectedBy: [Int32]
    public var publishedAt: Int?

    public var isPublished: Bool { publishedAt != nil }
}

/// Which statement a command means: by its id, or (in exercises) the audience's latest unpublished one.
public enum StatementName: Sendable, Equatable {
    case id(String)
    case latest(audience: String)
}

extension StatementName {
    /// `S1`, or the audience (the latest unpublished statement to it).
    public var described: String {
        switch self {
        case .id(let id): id
        case .latest(let audience): audience
        }
    }
}

/// A ``StatementName`` resolved against a playbook: a statement index (-1: no such id) or an audience index.
public enum StatementRef: Sendable, Equatable {
    case number(Int32)
    case latest(audience: Int32)
}

/// Statement ids: `S1` is index 0.
public enum StatementID {
    public static func name(_ index: Int) -> String { "S\(index + 1)" }

    /// The index of `S<n>` (also `s<n>`); nil when it is no statement id.
    public static func index(_ id: String) -> Int? {
        guard let first = id.first, first == "S" || first == "s", let n = Int(id.dropFirst()), n >= 1, !id.dropFirst().hasPrefix("+"),
            !id.dropFirst().hasPrefix("0")
        else { return nil }
        return n - 1
    }
}

/// One statement as its events tell it, for people: every version, every verdict, the publication.
public struct StatementHistory: Sendable, Equatable {
    public struct Version: Sendable, Equatable {
        public var version: Int
        public var text: String
        public var at: Int
        public var actor: String?
        public var role: String?
    }

    public struct Verdict: Sendable, Equatable {
        public var version: Int
        public var approver: String
        public var approved: Bool
        public var reason: String?
        public var at: Int
        public var actor: String?
    }

    public struct Publication: Sendable, Equatable {
        public var version: Int
        public var channel: String?
        public var at: Int
        public var actor: String?
    }

    public var id: String
    public var audience: String
    public var versions: [Version] = []
    public var verdicts: [Verdict] = []
    public var published: Publication?
    /// Steps its publication completed.
    public var completed: [String] = []

    public var current: Version? { versions.last }
    public var draftedAt: Int { versions.first?.at ?? 0 }

    /// When version `version` was drafted.
    public func draftedAt(version: Int) -> Int? { versions.first { $0.version == version }?.at }

    /// The verdicts on the current version.
    public var currentVerdicts: [Verdict] { verdicts.filter { $0.version == current?.version } }
}

extension StatementHistory {
    /// The earliest moment `command`, a move on this statement, can have happened, and what it must follow: a verdict
    /// comes after the draft of the version it is on; a revision or the publication after that draft and every verdict
    /// on it. Only a move logged later (`--at`) can be put earlier. Nil for other commands, and for a published
    /// statement (which the engine refuses to change).
    public func earliest(for command: Command) -> (at: Int, follows: String)? {
        guard published == nil, let current else { return nil }
        var earliest = (at: current.at, follows: "\(id) version \(current.version) was drafted")
        switch command {
        case .approve, .reject:
            return earliest
        case .revise, .publish:
            for verdict in currentVerdicts where verdict.at > earliest.at {
                earliest = (verdict.at, "\(id) version \(current.version) was \(verdict.approved ? "approved" : "rejected") by '\(verdict.approver)'")
            }
            return earliest
        default:
            return nil
        }
    }
}

extension Command {
    /// The statement a revision, verdict or publication is about.
    public var statement: StatementName? {
        switch self {
        case let .revise(statement, _), let .approve(statement, _), let .reject(statement, _, _), let .publish(statement, _): statement
        default: nil
        }
    }
}

/// A record that someone was told.
public struct InformRecord: Sendable, Equatable {
    public var who: String
    public var via: String?
    public var note: String?
    public var at: Int
    public var actor: String?
    public var role: String?
    /// Steps it completed.
    public var completed: [String] = []
    /// Its entry's number in the log (the log's events counted from the first), for a retraction.
    public var seq = 0
}

/// Statements, informs and missed updates, folded from an incident's events in order.
public struct CommunicationsLog: Sendable, Equatable {
    public var statements: [StatementHistory] = []
    public var informs: [InformRecord] = []
    /// Updates that fell overdue: audience and due time.
    public var missedUpdates: [(audience: String, due: Int)] = []
    /// Steps completed by an ordinary `done` though they are statement steps (published outside Firebreak).
    public var doneWithoutText: [(step: String, at: Int)] = []
    /// The seq of each entry of ``doneWithoutText``: a retracted done is taken out.
    private var doneWithoutTextSeqs: [Int] = []

    /// Events added so far: the log is fed from its first event, so this is the next event's number.
    private var added = 0

    public init() {}

    public static func == (lhs: CommunicationsLog, rhs: CommunicationsLog) -> Bool {
        lhs.statements == rhs.statements && lhs.informs == rhs.informs && lhs.missedUpdates.map(\.due) == rhs.missedUpdates.map(\.due)
            && lhs.missedUpdates.map(\.audience) == rhs.missedUpdates.map(\.audience)
    }

    public var isEmpty: Bool { statements.isEmpty && informs.isEmpty && missedUpdates.isEmpty && doneWithoutText.isEmpty }

    /// The statement a name means: by its id (`S2`, `s2`), or the latest unpublished one to an audience.
    public func statement(_ name: StatementName) -> StatementHistory? {
        switch name {
        case .id(let id):
            guard let index = StatementID.index(id) else { return nil }
            return statements.first { StatementID.index($0.id) == index }
        case .latest(let audience):
            return statements.last { $0.audience == audience && $0.published == nil }
        }
    }

    /// The kinds ``add(_:seq:playbook:)`` reads; the others change nothing here. A log fed only these passes each
    /// event's number.
    public static let kinds: Set<Event.Kind> = [.drafted, .approved, .rejected, .published, .done, .informed, .retracted, .updateOverdue]

    /// Adds one event; `playbook` says which steps are statement steps. `seq`: the event's number in its log, when
    /// not every event before it was added (nil: the one after the last added).
    public mutating func add(_ event: Event, seq: Int? = nil, playbook: Playbook) {
        added = seq ?? added + 1
        switch event.body {
        case let .drafted(id, audience, version, text):
            let entry = StatementHistory.Version(version: version, text: text, at: event.at, actor: event.actor, role: event.role)
            if let i = statements.firstIndex(where: { $0.id == id }) {
                statements[i].versions.append(entry)
            } else {
                statements.append(StatementHistory(id: id, audience: audience, versions: [entry]))
            }
        case let .approved(id, version, approver):
            if let i = statements.firstIndex(where: { $0.id == id }) {
                statements[i].verdicts.append(.init(version: version, approver: approver, approved: true, reason: nil, at: event.at, actor: event.actor))
            }
        case let .rejected(id, version, approver, reason):
            if let i = statements.firstIndex(where: { $0.id == id }) {
                statements[i].verdicts.append(.init(version: version, approver: approver, approved: false, reason: reason, at: event.at, actor: event.actor))
            }
        case let .published(id, version, _, channel):
            if let i = statements.firstIndex(where: { $0.id == id }) {
                statements[i].published = .init(version: version, channel: channel, at: event.at, actor: event.actor)
            }
        case let .done(step, _, _, via):
            if let via, via != "inform", let i = statements.firstIndex(where: { $0.id == via }) {
                statements[i].completed.append(step)
            } else if via == "inform", !informs.isEmpty {
                informs[informs.count - 1].completed.append(step)
            } else if via == nil, playbook.step(step)?.step.statement != nil {
                doneWithoutText.append((step, event.at))
                doneWithoutTextSeqs.append(added)
            }
        case let .informed(who, via, note):
            informs.append(InformRecord(who: who, via: via, note: note, at: event.at, actor: event.actor, role: event.role, seq: added))
        case let .retracted(seq, _, _, _):
            // A retracted inform no longer counts as telling anyone; a retracted done no longer stands.
            informs.removeAll { $0.seq == seq }
            if let i = doneWithoutTextSeqs.firstIndex(of: seq) {
                doneWithoutText.remove(at: i)
                doneWithoutTextSeqs.remove(at: i)
            }
        case let .updateOverdue(audience, due):
            missedUpdates.append((audience, due))
        default:
            break
        }
    }
}
