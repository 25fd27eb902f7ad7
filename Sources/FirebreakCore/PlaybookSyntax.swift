/// A playbook as written, with the position of every name, before its references are checked.
///
/// The loading module fills it from YAML (reporting shape problems: types, unknown and
/// missing keys, bad durations); ``PlaybookChecker`` then checks what it refers to.
/// Required values the file lacked are `nil`; their absence has already been reported.
public struct PlaybookSyntax: Sendable, Equatable {
    public var id: Located<String>?
    public var title: String?
    public var summary: String?
    public var severity: IncidentSeverity = .medium
    public var language: Language = .en
    public var roles: [RoleSyntax] = []
    public var commander: Located<String>?
    public var start: Located<String>?
    public var states: [StateSyntax] = []
    public var on: [TransitionSyntax] = []
    /// The standing duties: steps active from opening to close.
    public var duties: [StepSyntax] = []
    /// The `audiences:` entries, in file order.
    public var audiences: [AudienceSyntax] = []
    /// Where the document starts, for problems that belong to no key.
    public var origin = SourceLocation(line: 1, column: 1)

    public init() {}
}

public struct RoleSyntax: Sendable, Equatable {
    public var id: Located<String>
    public var title: String?
    public var escalatesTo: Located<String>?

    public init(id: Located<String>, title: String? = nil, escalatesTo: Located<String>? = nil) {
        self.id = id
        self.title = title
        self.escalatesTo = escalatesTo
    }
}

/// An entry of `audiences:`: who a statement is for, who approves it, how often it is updated.
public struct AudienceSyntax: Sendable, Equatable {
    public var id: Located<String>
    public var title: String?
    public var approvers: [Located<String>] = []
    public var cadence: Int?
    public var avoid: [String] = []

    public init(id: Located<String>) { self.id = id }
}

public struct StateSyntax: Sendable, Equatable {
    public var id: Located<String>
    public var title: String?
    public var isFinal = false
    public var steps: [StepSyntax] = []
    public var on: [TransitionSyntax] = []
    public var after: [TimerSyntax] = []
    /// Positions of the `steps`, `on` and `after` keys when present (a final state may have none).
    public var stepsKey: SourceLocation?
    public var onKey: SourceLocation?
    public var afterKey: SourceLocation?

    public init(id: Located<String>) { self.id = id }
}

public struct TransitionSyntax: Sendable, Equatable {
    public enum GuardSyntax: Sendable, Equatable {
        case allDone(SourceLocation)
        case steps([Located<String>], SourceLocation)
    }

    public var event: Located<String>
    public var target: Located<String>?
    public var guardCondition: GuardSyntax?
    /// `by`: the roles that may fire it.
    public var by: [Located<String>]?

    public init(event: Located<String>, target: Located<String>?, guardCondition: GuardSyntax? = nil, by: [Located<String>]? = nil) {
        self.event = event
        self.target = target
        self.guardCondition = guardCondition
        self.by = by
    }
}

public struct TimerSyntax: Sendable, Equatable {
    public var after: Located<Int>
    public var target: Located<String>?

    public init(after: Located<Int>, target: Located<String>?) {
        self.after = after
        self.target = target
    }
}

public enum EscalateSyntax: Sendable, Equatable {
    case role(Located<String>)
    case never(SourceLocation)
}

public struct StepSyntax: Sendable, Equatable {
    public enum ChoicesSyntax: Sendable, Equatable {
        case events([Pair])
        case options([Located<String>])

        public struct Pair: Sendable, Equatable {
            public var option: Located<String>
            public var event: Located<String>

            public init(option: Located<String>, event: Located<String>) {
                self.option = option
                self.event = event
            }
        }
    }

    public var id: Located<String>?
    public var title: String?
    public var owner: Located<String>?
    public var due: Int?
    /// Where the `due` key is, when present: also when its value was not a valid duration
    /// (already reported), so the step is not also warned about as having no `due`.
    public var dueKey: SourceLocation?
    public var needs: [Located<String>] = []
    public var isOptional = false
    public var choices: ChoicesSyntax?
    public var guidance: String?
    public var template: String?
    public var milestone: Located<String>?
    /// `carry: true`, with where the key is.
    public var carry = false
    public var carryKey: SourceLocation?
    /// `escalate: ROLE` or `escalate: false`.
    public var escalate: EscalateSyntax?
    /// `statement: AUDIENCE`: publishing to that audience completes the step.
    public var statement: Located<String>?
    /// `informs: WHO`: recording `inform WHO` completes the step.
    public var informs: Located<String>?
    /// Where the step starts.
    public var location: SourceLocation

    public init(at location: SourceLocation) { self.location = location }
}
