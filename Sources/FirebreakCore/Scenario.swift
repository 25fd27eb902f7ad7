/// A checked tabletop exercise: timed injects against one playbook, with expectations
/// and the players' scripted moves.
public struct Scenario: Sendable, Equatable {
    public var id: String
    public var title: String
    public var playbook: String
    public var severity: IncidentSeverity?
    /// Wall-clock time of T+0 as written, and as Unix seconds with its UTC offset.
    public var start: WallClock?
    /// role → person; roles not cast are played by a person named like the role.
    public var cast: [(role: String, person: String)]
    public var injects: [Inject]
    public var actions: [Action]
    /// Other scripted teams, in file order: name → actions (`actions` is the default team's).
    public var teams: [(name: String, actions: [Action])]
    /// role (or `default`) → the largest extra delay of that role's actions, in seconds.
    public var variability: [String: Int]
    /// Seconds from T+0 at which the exercise stops.
    public var end: Int

    public init(
        id: String, title: String, playbook: String, severity: IncidentSeverity? = nil, start: WallClock? = nil,
        cast: [(role: String, person: String)] = [], injects: [Inject], actions: [Action] = [],
        variability: [String: Int] = [:], end: Int = 86_400, teams: [(name: String, actions: [Action])] = []
    ) {
        self.id = id
        self.title = title
        self.playbook = playbook
        self.severity = severity
        self.start = start
        self.cast = cast
        self.injects = injects
        self.actions = actions
        self.teams = teams
        self.variability = variability
        self.end = end
    }

    public static func == (lhs: Scenario, rhs: Scenario) -> Bool {
        lhs.id == rhs.id && lhs.title == rhs.title && lhs.playbook == rhs.playbook && lhs.severity == rhs.severity
            && lhs.start == rhs.start && lhs.cast.map(\.role) == rhs.cast.map(\.role) && lhs.cast.map(\.person) == rhs.cast.map(\.person)
            && lhs.injects == rhs.injects && lhs.actions == rhs.actions && lhs.variability == rhs.variability && lhs.end == rhs.end
            && lhs.teams.map(\.name) == rhs.teams.map(\.name) && lhs.teams.map(\.actions) == rhs.teams.map(\.actions)
    }

    /// The scenario as played by the scripted team `name` (its actions in place of `actions`); nil when it
    /// names no team. The scheduler only ever sees one action list.
    public func playedBy(team name: String) -> Scenario? {
        guard let team = teams.first(where: { $0.name == name }) else { return nil }
        var scenario = self
        scenario.actions = team.actions
        return scenario
    }

    /// The person who plays a role.
    public func person(for role: String) -> String {
        cast.first { $0.role == role }?.person ?? role
    }

    /// The largest delay for a role's actions: its own, else `default`, else 0.
    public func variability(for role: String) -> Int {
        variability[role] ?? variability["default"] ?? 0
    }
}

/// Something the world does to the team at a time.
public struct Inject: Sendable, Equatable {
    public var id: String?
    public var at: Int
    public var from: String?
    public var text: String
    public var fire: String?
    public var expectations: [Expectation]
    /// `drill stats` delivers it at a uniform draw from `[at, at + window]` (seconds); `drill run` at `at`.
    public var window: Int?
    /// A step the outside world completes when the inject is delivered (done by `from`), before `fire`.
    public var done: String?
    /// How many people the story reaches at that moment.
    public var reach: Int?

    public init(
        id: String? = nil, at: Int, from: String? = nil, text: String, fire: String? = nil, expectations: [Expectation] = [],
        window: Int? = nil, done: String? = nil, reach: Int? = nil
    ) {
        self.id = id
        self.at = at
        self.from = from
        self.text = text
        self.fire = fire
        self.expectations = expectations
        self.window = window
        self.done = done
        self.reach = reach
    }
}

/// What evaluators expect within a time of an inject.
public struct Expectation: Sendable, Equatable {
    public enum Condition: Sendable, Equatable {
        case done(step: String)
        case state(String)
        /// The incident never enters the state during the exercise (scored at the end).
        case never(state: String)
        /// `step` is done, and `other` was not done earlier than it (scored at the end).
        case before(step: String, other: String)
        /// A statement to the audience is published.
        case published(audience: String)
        /// `inform` of WHO is recorded.
        case informed(who: String)

        public var kind: String {
            switch self {
            case .done: "done"
            case .state: "state"
            case .never: "never"
            case .before: "before"
            case .published: "published"
            case .informed: "informed"
            }
        }

        public var target: String {
            switch self {
            case .done(let step): step
            case .state(let state): state
            case .never(let state): state
            case .before(let step, _): step
            case .published(let audience): audience
            case .informed(let who): who
            }
        }

        /// Scored at the end rather than by a deadline: `never` and `before`.
        public var isScoredAtEnd: Bool {
            switch self {
            case .never, .before: true
            case .done, .state, .published, .informed: false
            }
        }
    }

    public var condition: Condition
    public var within: Int
    public var contingency: Contingency?

    public init(_ condition: Condition, within: Int, contingency: Contingency? = nil) {
        self.condition = condition
        self.within = within
        self.contingency = contingency
    }
}

/// The inject delivered when an expectation is missed: at its deadline, or `after` that.
public struct Contingency: Sendable, Equatable {
    public var from: String?
    public var text: String
    public var fire: String?
    /// Seconds after the missed deadline (0: at it).
    public var after: Int
    public var done: String?
    public var reach: Int?

    public init(from: String? = nil, text: String, fire: String? = nil, after: Int = 0, done: String? = nil, reach: Int? = nil) {
        self.from = from
        self.text = text
        self.fire = fire
        self.after = after
        self.done = done
        self.reach = reach
    }
}

/// A scripted move of the players.
public struct Action: Sendable, Equatable {
    public var at: Int
    public var by: String
    public var move: Move

    public enum Move: Sendable, Equatable {
        case done(step: String, choice: String?)
        case skip(step: String, reason: String)
        case fire(event: String)
        case note(text: String, step: String? = nil)
        /// `text` nil: the template of the audience's statement step in the current state, else a stand-in.
        case draft(audience: String, text: String?)
        /// A new version of the audience's latest unpublished statement.
        case revise(audience: String, text: String)
        case approve(audience: String)
        case reject(audience: String, reason: String)
        case publish(audience: String)
        case inform(who: String, via: String?)
    }

    public init(at: Int, by: String, _ move: Move) {
        self.at = at
        self.by = by
        self.move = move
    }

    public var command: Command {
        switch move {
        case let .done(step, choice): .done(step: step, choice: choice)
        case let .skip(step, reason): .skip(step: step, reason: reason)
        case let .fire(event): .fire(event: event)
        case let .note(text, step): .note(text: text, step: step)
        case let .draft(audience, text): .draft(audience: audience, text: text)
        case let .revise(audience, text): .revise(statement: .latest(audience: audience), text: text)
        case let .approve(audience): .approve(statement: .latest(audience: audience), role: by)
        case let .reject(audience, reason): .reject(statement: .latest(audience: audience), reason: reason, role: by)
        case let .publish(audience): .publish(statement: .latest(audience: audience))
        case let .inform(who, via): .inform(who: who, via: via)
        }
    }

    /// A short description such as `done holding-statement`, for reports.
    public var summary: String {
        switch move {
        case let .done(step, choice): choice.map { "done \(step) (\($0))" } ?? "done \(step)"
        case let .skip(step, _): "skip \(step)"
        case let .fire(event): "fire \(event)"
        case let .note(_, step): step.map { "note on \($0)" } ?? "note"
        case let .draft(audience, _): "draft \(audience)"
        case let .revise(audience, _): "revise \(audience)"
        case let .approve(audience): "approve \(audience)"
        case let .reject(audience, _): "reject \(audience)"
        case let .publish(audience): "publish \(audience)"
        case let .inform(who, _): "inform \(who)"
        }
    }
}

/// A wall-clock instant with the UTC offset it was written in.
public struct WallClock: Sendable, Equatable {
    /// Unix seconds.
    public var seconds: Int
    /// Offset from UTC in seconds, as written.
    public var offset: Int

    public init(seconds: Int, offset: Int) {
        self.seconds = seconds
        self.offset = offset
    }

    /// Parses ISO 8601 `YYYY-MM-DDTHH:MM[:SS][.fff](Z|±HH:MM)`; `nil` when malformed.
    public static func parse(_ text: String) -> WallClock? {
        let s = Array(text.utf8)
        func digits(_ from: Int, _ count: Int) -> Int? {
            guard from + count <= s.count else { return nil }
            var value = 0
            for i in from..<(from + count) {
                guard s[i] >= 0x30 && s[i] <= 0x39 else { return nil }
                value = value * 10 + Int(s[i] - 0x30)
            }
            return value
        }
        guard s.count >= 16, let year = digits(0, 4), s[4] == 0x2D, let month = digits(5, 2), s[7] == 0x2D,
            let day = digits(8, 2), s[10] == 0x54 || s[10] == 0x74 || s[10] == 0x20, let hour = digits(11, 2), s[13] == 0x3A,
            let minute = digits(14, 2)
        else { return nil }
        var index = 16
        var second = 0
        if index < s.count, s[index] == 0x3A {
            guard let value = digits(index + 1, 2) else { return nil }
            second = value
            index += 3
            if index < s.count, s[index] == 0x2E || s[index] == 0x2C {
                index += 1
                let start = index
                while index < s.count, s[index] >= 0x30 && s[index] <= 0x39 { index += 1 }
                if index == start { return nil }
            }
        }
        var offset = 0
        guard index < s.count else { return nil }
        if s[index] == 0x5A || s[index] == 0x7A {
            index += 1
        } else if s[index] == 0x2B || s[index] == 0x2D {
            let sign = s[index] == 0x2B ? 1 : -1
            guard let oh = digits(index + 1, 2) else { return nil }
            var om = 0
            if index + 3 < s.count, s[index + 3] == 0x3A {
                guard let value = digits(index + 4, 2) else { return nil }
                om = value
                index += 6
            } else if let value = digits(index + 3, 2) {
                om = value
                index += 5
            } else {
                index += 3
            }
            guard oh <= 23, om <= 59 else { return nil }
            offset = sign * (oh * 3600 + om * 60)
        } else {
            return nil
        }
        guard index == s.count, (1...12).contains(month), (1...daysIn(month, year)).contains(day), hour <= 23, minute <= 59, second <= 60 else {
            return nil
        }
        let days = daysFromCivil(year, month, day)
        return WallClock(seconds: days * 86_400 + hour * 3600 + minute * 60 + min(second, 59) - offset, offset: offset)
    }

    static func daysIn(_ month: Int, _ year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 (Howard Hinnant's algorithm).
    public static func daysFromCivil(_ y: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? y - 1 : y
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// (year, month, day) of a day count since 1970-01-01.
    public static func civil(fromDays z: Int) -> (year: Int, month: Int, day: Int) {
        let z = z + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    /// Formats Unix seconds in a UTC offset as `2026-05-12T21:30:00+02:00`.
    public static func format(_ seconds: Int, offset: Int) -> String {
        let local = seconds + offset
        let days = local >= 0 ? local / 86_400 : (local - 86_399) / 86_400
        let rest = local - days * 86_400
        let (y, m, d) = civil(fromDays: days)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(26)
        if y < 0 || y > 9999 {
            bytes += Array(String(y).utf8)
        } else {
            for divisor in [1000, 100, 10, 1] { bytes.append(UInt8(0x30 + y / divisor % 10)) }
        }
        func two(_ v: Int) { bytes.append(UInt8(0x30 + v / 10 % 10)); bytes.append(UInt8(0x30 + v % 10)) }
        bytes.append(0x2D); two(m); bytes.append(0x2D); two(d)
        bytes.append(0x54); two(rest / 3600); bytes.append(0x3A); two(rest % 3600 / 60); bytes.append(0x3A); two(rest % 60)
        if offset == 0 {
            bytes.append(0x5A)
        } else {
            bytes.append(offset < 0 ? 0x2D : 0x2B); two(abs(offset) / 3600); bytes.append(0x3A); two(abs(offset) % 3600 / 60)
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
