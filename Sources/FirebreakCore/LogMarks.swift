/// What a later entry says about an earlier one, for marking it where the log is shown: retracted
/// (`retract`), or superseded (an overdue, and its escalation, of a step a late entry then logged as
/// done at or before its deadline). Fed the log in order; asked afterwards.
public struct LogMarks: Sendable {
    public enum Mark: String, Sendable, Equatable { case retracted, superseded }

    private var marks: [Int: Mark] = [:]
    /// Per step: the seqs of its overdue and escalation not yet settled, and the deadline that fell due.
    private var late: [String: (due: Int, seqs: [Int])] = [:]

    public init() {}

    /// Feeds the next entry; returns the earlier entries it supersedes (a late entry of a `done` on time:
    /// the step's overdue and escalation), which ``IncidentAnalysis`` then stops counting. The rule lives here.
    @discardableResult
    public mutating func add(seq: Int, _ event: Event) -> [Int] {
        switch event.body {
        case let .retracted(retracted, _, _, _):
            marks[retracted] = .retracted
        case let .overdue(step, due):
            late[step] = (due, [seq])
        case let .escalated(step, _):
            late[step]?.seqs.append(seq)
        case let .done(step, _, _, _):
            if let pending = late.removeValue(forKey: step), event.at <= pending.due {
                for seq in pending.seqs where marks[seq] == nil { marks[seq] = .superseded }
                return pending.seqs
            }
        default:
            break
        }
        return []
    }

    public func mark(of seq: Int) -> Mark? { marks[seq] }
}
