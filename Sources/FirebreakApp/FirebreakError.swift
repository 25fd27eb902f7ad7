import Foundation

/// A failure the command line reports as one line on standard error, with a defined exit code.
public enum FirebreakError: Error, LocalizedError, Equatable {
    /// The engine refused the action (exit 1).
    case refused(String)
    /// The command was misused (exit 64).
    case usage(String)
    /// A playbook or scenario is invalid; its diagnostics were already printed (exit 65).
    case invalidFiles(String)
    /// A file, playbook, scenario or incident does not exist (exit 66).
    case missing(String)
    /// The database stayed busy (exit 75).
    case busy(String)
    /// A database or file could not be used (exit 74 for I/O; shown with what was being done).
    case io(String)
    /// A bug (exit 70).
    case `internal`(String)
    /// `--strict` found missed expectations, or `verify` found damage (exit 1), message already printed.
    case failed(String)

    public var errorDescription: String? {
        switch self {
        case .refused(let m), .usage(let m), .invalidFiles(let m), .missing(let m), .busy(let m), .io(let m), .failed(let m): m
        case .internal(let m): "internal error: \(m); please report this at the Firebreak issue tracker"
        }
    }

    public var exitCode: Int32 {
        switch self {
        case .refused, .failed: 1
        case .usage: 64
        case .invalidFiles: 65
        case .missing: 66
        case .internal: 70
        case .io: 74
        case .busy: 75
        }
    }
}
