import FirebreakApp
import FirebreakCore
import FirebreakReports
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

private func posixRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int { read(fd, buffer, count) }
private func posixWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int { write(fd, buffer, count) }
private func posixOpen(_ path: String, _ flags: Int32) -> Int32 { open(path, flags) }
private func resetSignal(_ number: Int32) { signal(number, SIG_DFL) }

/// A report file named by `--output` (or `--report`): where it may go, and writing it all or nothing.
///
/// Refused targets: the incident database and its `-wal`, `-shm` and `-journal` files; anything that
/// is not a regular file (folder, FIFO, device, socket, symbolic link); and an existing file that is
/// not a previous Firebreak report, unless `force`. A previous report is an empty file, an SVG of
/// `drill stats --svg` (it says so in its second line), a Markdown
/// file of the built-in layout (its opening paragraph says "The factual part is written by Firebreak
/// from the incident's log"), a JSON report (it starts with `{` and `"report": "post-mortem"` or
/// `"after-action"`) or an HTML report (it starts with `<!DOCTYPE html>` and names Firebreak as its
/// generator). A report of a user's template carries no such mark: replacing it needs `force`.
struct ReportFile {
    let path: String
    /// The option that named it, for messages: `--output` or `--report`.
    let option: String
    /// The file there when it was checked (device, inode), or `nil` when there was none.
    let existing: FileID?

    struct FileID: Equatable {
        var device: UInt64
        var inode: UInt64
    }

    /// How much of an existing file is read to recognise a report.
    static let recogniseBytes = 64 * 1024

    /// Checks that a report may be written at `path`; throws a one-line error otherwise.
    static func check(_ path: String, option: String, database: String, force: Bool) throws(FirebreakError) -> ReportFile {
        let shown = "\(option) '\(Terminal.oneLine(path))'"
        if path.isEmpty { throw .usage("\(option) is empty; give a file name for the report") }
        let canonicalPath = canonical(path)
        let db = canonical(database)
        let companions = [db: "the incident database", db + "-wal": "the incident database's write-ahead log",
                          db + "-shm": "the incident database's shared memory file", db + "-journal": "the incident database's journal"]
        if let what = companions[canonicalPath] { throw .usage("\(shown) is \(what); give another file for the report") }
        var info = stat()
        guard lstat(path, &info) == 0 else {
            guard errno == ENOENT else { throw .io("cannot write \(shown): \(String(cString: strerror(errno)))") }
            try checkFolder(of: path, shown: shown)
            return ReportFile(path: path, option: option, existing: nil)
        }
        let id = FileID(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
        for (file, what) in companions {
            var other = stat()
            if stat(file, &other) == 0, FileID(device: UInt64(other.st_dev), inode: UInt64(other.st_ino)) == id {
                throw .usage("\(shown) is \(what); give another file for the report")
            }
        }
        switch info.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR: throw .usage("\(shown) is a folder; give a file name for the report")
        case S_IFLNK: throw .usage("\(shown) is a symbolic link; give the path of a regular file")
        case S_IFIFO: throw .usage("\(shown) is a FIFO, not a regular file; a report is written only to a regular file")
        case S_IFCHR: throw .usage("\(shown) is a character device, not a regular file; a report is written only to a regular file")
        case S_IFBLK: throw .usage("\(shown) is a block device, not a regular file; a report is written only to a regular file")
        case S_IFSOCK: throw .usage("\(shown) is a socket, not a regular file; a report is written only to a regular file")
        default: throw .usage("\(shown) is not a regular file; a report is written only to a regular file")
        }
        try checkFolder(of: path, shown: shown)
        if !force, !isPreviousReport(path) {
            throw .usage("\(shown) exists and is not a Firebreak report; give --force to replace it")
        }
        return ReportFile(path: path, option: option, existing: id)
    }

    private static func checkFolder(of path: String, shown: String) throws(FirebreakError) {
        let folder = folder(of: path)
        var info = stat()
        guard stat(folder, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
            throw .io("cannot write \(shown): folder '\(Terminal.oneLine(folder))' does not exist")
        }
        guard access(folder, W_OK) == 0 else {
            throw .io("cannot write \(shown): folder '\(Terminal.oneLine(folder))' is not writable")
        }
    }

    /// Whether the regular file at `path` is empty or a report Firebreak wrote (see the type's documentation).
    static func isPreviousReport(_ path: String) -> Bool {
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: recogniseBytes)
        var count = 0
        while count < bytes.count {
            let read = bytes.withUnsafeMutableBytes { posixRead(fd, $0.baseAddress! + count, $0.count - count) }
            if read < 0 && errno == EINTR { continue }
            guard read > 0 else { break }
            count += read
        }
        if count == 0 { return true }
        let head = String(decoding: bytes[..<count], as: UTF8.self)
        if head.hasPrefix("{\n\"report\": \"post-mortem\",") || head.hasPrefix("{\n\"report\": \"after-action\",") { return true }
        if head.hasPrefix("<!DOCTYPE html>\n"), head.contains("\n<meta name=\"generator\" content=\"Firebreak\">\n") { return true }
        // A picture of `drill stats --svg`.
        if head.hasPrefix("<svg "), head.contains("<!-- written by Firebreak (drill stats --svg) -->") { return true }
        // A Markdown report, in any of the languages (its introduction says who wrote it).
        return head.hasPrefix("# ")
            && Language.allCases.contains { language in
                ["report.intro.rest", "report.intro.restExercise"].contains { head.contains(Messages.for(language)($0)) }
            }
    }

    static func folder(of path: String) -> String {
        let folder = (path as NSString).deletingLastPathComponent
        return folder.isEmpty ? "." : folder
    }

    /// The path with its folder resolved (symbolic links, `..`), the last component as given.
    static func canonical(_ path: String) -> String {
        let folder = folder(of: path)
        let name = (path as NSString).lastPathComponent
        var resolved = (folder as NSString).standardizingPath
        if let real = realpath(folder, nil) {
            resolved = String(cString: real)
            free(real)
        } else if !resolved.hasPrefix("/") {
            resolved = (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(resolved)
        }
        return (resolved as NSString).appendingPathComponent(name)
    }

    /// Writes the report: to a temporary file in the same folder (removed on failure and when the
    /// process is interrupted or terminated), flushed to disk, renamed over the path, and the folder
    /// flushed so the rename survives a crash.
    func write(_ body: (@escaping (String) throws -> Void) async throws -> Void) async throws {
        let folder = Self.folder(of: path)
        let temporary = (folder as NSString).appendingPathComponent(".\((path as NSString).lastPathComponent).\(getpid()).tmp")
        let shown = "\(option) '\(Terminal.oneLine(path))'"
        func failure(_ what: String, _ code: Int32 = errno) -> FirebreakError {
            .io("cannot write \(shown): \(what): \(String(cString: strerror(code)))")
        }
        guard temporary.utf8.count < Int(PATH_MAX) else { throw FirebreakError.usage("\(shown) is too long a path") }
        TemporaryFileCleanup.arm(temporary)
        defer { TemporaryFileCleanup.disarm() }
        var fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if fd < 0, errno == EEXIST {  // left by a killed process that had our pid
            unlink(temporary)
            fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        }
        guard fd >= 0 else { throw failure("cannot create a temporary file in '\(Terminal.oneLine(folder))'") }
        var open = true
        do {
            try await body { text in
                var text = text
                try text.withUTF8 { bytes in
                    var done = 0
                    while done < bytes.count {
                        let written = posixWrite(fd, bytes.baseAddress! + done, bytes.count - done)
                        if written < 0 {
                            if errno == EINTR { continue }
                            throw failure("the write failed")
                        }
                        done += written
                    }
                }
            }
            guard fsync(fd) == 0 else { throw failure("cannot flush it to disk") }
            open = false
            guard close(fd) == 0 else { throw failure("the write failed") }
            var info = stat()
            let now: FileID? = lstat(path, &info) == 0 ? FileID(device: UInt64(info.st_dev), inode: UInt64(info.st_ino)) : nil
            guard now == existing else {
                throw FirebreakError.io("\(shown) changed while the report was written; nothing was replaced, run the command again")
            }
            // rename(2) replaces an existing file atomically: readers see the old report or the new one, never half.
            guard rename(temporary, path) == 0 else { throw failure("cannot rename the temporary file") }
        } catch {
            if open { close(fd) }
            unlink(temporary)
            throw error
        }
        let folderFD = posixOpen(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if folderFD >= 0 {
            defer { close(folderFD) }
            guard fsync(folderFD) == 0 else { throw failure("the report was written but its folder could not be flushed to disk") }
        }
    }
}

/// Removes a temporary report file when the process is interrupted (SIGINT), terminated (SIGTERM) or
/// hung up (SIGHUP) while writing it, then dies of the same signal. A signal the process was started
/// with ignored stays ignored.
enum TemporaryFileCleanup {
    /// The path to remove, as a C string, written only while disarmed and read by the signal handler.
    private nonisolated(unsafe) static let path = UnsafeMutablePointer<CChar>.allocate(capacity: Int(PATH_MAX) + 1)
    private static let armed = Atomic<Bool>(false)
    private static let signals: [Int32] = [SIGINT, SIGTERM, SIGHUP]
    private nonisolated(unsafe) static var previous: [sigaction] = []

    static func arm(_ temporary: String) {
        _ = temporary.withCString { strncpy(path, $0, Int(PATH_MAX)) }
        path[Int(PATH_MAX)] = 0
        armed.store(true, ordering: .sequentiallyConsistent)
        previous = signals.map { signal in
            var old = sigaction()
            sigaction(signal, nil, &old)
            #if canImport(Glibc)
            let ignored = unsafeBitCast(old.__sigaction_handler.sa_handler, to: Int.self) == unsafeBitCast(SIG_IGN, to: Int.self)
            #else
            let ignored = unsafeBitCast(old.__sigaction_u.__sa_handler, to: Int.self) == unsafeBitCast(SIG_IGN, to: Int.self)
            #endif
            if ignored { return old }  // `nohup` and the like: an ignored signal stays ignored
            var action = sigaction()
            #if canImport(Glibc)
            action.__sigaction_handler.sa_handler = handle
            #else
            action.__sigaction_u.__sa_handler = handle
            #endif
            sigemptyset(&action.sa_mask)
            sigaction(signal, &action, nil)
            return old
        }
    }

    static func disarm() {
        armed.store(false, ordering: .sequentiallyConsistent)
        for (signal, old) in zip(signals, previous) {
            var old = old
            sigaction(signal, &old, nil)
        }
        previous = []
    }

    private static let handle: @convention(c) (Int32) -> Void = { signal in
        if TemporaryFileCleanup.armed.load(ordering: .sequentiallyConsistent) { unlink(TemporaryFileCleanup.path) }
        resetSignal(signal)
        raise(signal)
    }
}
