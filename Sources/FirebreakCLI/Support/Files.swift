import FirebreakApp
import FirebreakCore
import FirebreakLoading
import FirebreakReports
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

private func posixRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int { read(fd, buffer, count) }

/// Reading playbooks and scenarios from disk, as untrusted input.
///
/// Only regular files are read (a FIFO would block, a device never ends), opened without blocking and
/// checked again once open; at most ``maximumSize`` bytes. In a folder, whatever else is named
/// `*.yaml` or `*.yml` is skipped with a warning on standard error.
enum Files {
    static let maximumSize = 4 << 20
    static let maximumSizeText = "4 MiB"

    static func read(_ path: String, limit: Int = maximumSize, limitText: String = maximumSizeText, kind: String = "a playbook or scenario") throws(FirebreakError) -> String {
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            let code = errno
            if code == ENOENT, let target = danglingLink(path) {
                throw .missing("'\(path)' is a symbolic link to '\(target)', which does not exist")
            }
            switch code {
            case ENOENT, ENOTDIR: throw .missing("no such file '\(path)'")
            case EACCES, EPERM: throw .missing("cannot open '\(path)': permission denied")
            default: throw .io("cannot open '\(path)': \(String(cString: strerror(code)))")
            }
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .io("cannot read '\(path)': \(String(cString: strerror(errno)))") }
        if info.st_mode & S_IFMT == S_IFDIR { throw .usage("'\(path)' is a folder; name a file") }
        if let kind = notRegular(info) { throw .invalidFiles("'\(path)' is \(kind), not a regular file") }
        let tooLarge = "'\(path)' is larger than \(limitText); \(kind) is a small text file"
        if Int(info.st_size) > limit { throw .invalidFiles(tooLarge) }
        // Read up to one byte past the limit (a file may grow after fstat); the buffer starts at the
        // size fstat gave and grows only for such a file.
        var bytes = [UInt8](repeating: 0, count: min(limit + 1, max(Int(info.st_size) + 1, 4096)))
        var count = 0
        while count <= limit {
            if count == bytes.count { bytes.append(contentsOf: repeatElement(0, count: min(limit + 1, bytes.count * 2) - bytes.count)) }
            let read = bytes.withUnsafeMutableBytes { posixRead(fd, $0.baseAddress! + count, $0.count - count) }
            if read < 0 {
                if errno == EINTR { continue }
                throw .io("cannot read '\(path)': \(String(cString: strerror(errno)))")
            }
            if read == 0 { break }
            count += read
        }
        if count > limit { throw .invalidFiles(tooLarge) }
        let text: String? = try bytes.withUnsafeBufferPointer { (buffer) throws(FirebreakError) -> String? in
            var content = UnsafeBufferPointer(rebasing: buffer[..<count])
            if content.contains(0) {
                throw .invalidFiles("'\(path)' contains a NUL byte; it is not a text file")
            }
            // A UTF-8 byte-order mark (some Windows editors write one) is not part of the text.
            if content.starts(with: [0xEF, 0xBB, 0xBF]) { content = UnsafeBufferPointer(rebasing: content[3...]) }
            return String(validating: content, as: UTF8.self)
        }
        guard let text else { throw .invalidFiles("'\(path)' is not UTF-8 text") }
        return text
    }

    /// A `--template` file: at most ``TemplateLimits/maximumSize`` bytes.
    /// A report template, read and checked before anything is written: a template that cannot be parsed
    /// is named with its line, column and what is wrong, in words (exit 65).
    static func readTemplate(_ path: String) throws(FirebreakError) -> String {
        let text = try read(path, limit: TemplateLimits.maximumSize, limitText: TemplateLimits.maximumSizeText, kind: "a report template")
        if let problem = PostMortem.templateProblem(text) { throw .invalidFiles("the template '\(Terminal.oneLine(path))' cannot be used: \(problem)") }
        return text
    }

    /// `a FIFO`, `a character device`…; `nil` for a regular file.
    static func notRegular(_ info: stat) -> String? {
        switch info.st_mode & S_IFMT {
        case S_IFREG: nil
        case S_IFDIR: "a folder"
        case S_IFIFO: "a FIFO"
        case S_IFCHR: "a character device"
        case S_IFBLK: "a block device"
        case S_IFSOCK: "a socket"
        default: "not a regular file"
        }
    }

    /// The target of a symbolic link that points nowhere; `nil` otherwise.
    static func danglingLink(_ path: String) -> String? {
        var info = stat()
        guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFLNK, stat(path, &info) != 0 else { return nil }
        return (try? FileManager.default.destinationOfSymbolicLink(atPath: path)) ?? "?"
    }

    /// `*.yaml` and `*.yml` files in a folder, sorted by name, and the entries skipped with their reason.
    static func scan(_ folder: String) throws(FirebreakError) -> (files: [String], skipped: [(path: String, reason: String)]) {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: folder)
        } catch {
            throw .missing("cannot list folder '\(folder)'")
        }
        var files: [String] = []
        var skipped: [(path: String, reason: String)] = []
        for name in names.filter({ ($0.hasSuffix(".yaml") || $0.hasSuffix(".yml")) && !$0.hasPrefix(".") }).sorted() {
            let path = (folder as NSString).appendingPathComponent(name)
            var info = stat()
            if stat(path, &info) != 0 {
                if let target = danglingLink(path) {
                    skipped.append((path, "it is a symbolic link to '\(target)', which does not exist"))
                } else {
                    skipped.append((path, "it cannot be read: \(String(cString: strerror(errno)))"))
                }
            } else if let kind = notRegular(info) {
                skipped.append((path, kind == "a folder" ? "it is a folder" : "it is \(kind), not a regular file"))
            } else if Int(info.st_size) > maximumSize {
                skipped.append((path, "it is larger than \(maximumSizeText)"))
            } else {
                files.append(path)
            }
        }
        return (files, skipped)
    }

    /// Paths already warned about as skipped, so each is said once per command.
    private static let warned = Mutex<Set<String>>([])

    /// How many entries were skipped so far.
    static var skippedCount: Int { warned.withLock { $0.count } }

    /// The files of ``scan(_:)``; each skipped entry is reported once as a warning on standard error.
    static func yamlFiles(in folder: String) throws(FirebreakError) -> [String] {
        let (files, skipped) = try scan(folder)
        for (path, reason) in skipped where warned.withLock({ $0.insert(path).inserted }) {
            Terminal.error("firebreak: warning: skipped '\(Terminal.oneLine(path))': \(reason)")
        }
        return files
    }

    static func isDirectory(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    static func fileName(_ path: String) -> String { (path as NSString).lastPathComponent }
}

/// Prints diagnostics as `path:line:column: error: message`, the source line and a caret.
enum DiagnosticPrinter {
    /// At most this many diagnostics are printed per file; one line then says how many more there were.
    static let limit = 100

    static func count(_ n: Int, _ noun: String) -> String { "\(n) \(noun)\(n == 1 ? "" : "s")" }

    static func render(_ diagnostics: [Diagnostic], path: String, text: String) -> String {
        if diagnostics.isEmpty { return "" }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        // Each source line is made printable once, however many diagnostics point into it (a long line may hold many).
        var printable: [Int: String] = [:]
        var out = ""
        for diagnostic in diagnostics.prefix(limit) {
            let label = diagnostic.severity == .error
                ? Terminal.paint("error", .red, fd: 2) : Terminal.paint("warning", .yellow, fd: 2)
            out += "\(path):\(diagnostic.location.line):\(diagnostic.location.column): \(label): \(Terminal.oneLine(diagnostic.message))\n"
            let number = diagnostic.location.line
            if number >= 1, number <= lines.count {
                let line = printable[number] ?? {
                    let made = Terminal.sanitize(String(lines[number - 1]).replacingOccurrences(of: "\r", with: ""))
                        .replacingOccurrences(of: "\t", with: " ")
                    printable[number] = made
                    return made
                }()
                if line.count <= 300 {
                    out += line + "\n"
                    let column = max(1, min(diagnostic.location.column, line.count + 1))
                    out += String(repeating: " ", count: column - 1) + "^\n"
                }
            }
        }
        if diagnostics.count > limit {
            let rest = diagnostics.dropFirst(limit)
            let errors = rest.filter { $0.severity == .error }.count
            let warnings = rest.count - errors
            out += "\(path): \(rest.count) more not shown (\(count(errors, "error")), \(count(warnings, "warning"))); the first \(limit) are above\n"
        }
        return out
    }
}

/// The playbook folder: loads playbooks by id.
struct PlaybookLibrary {
    let folder: String

    /// Loads the playbook with `id` from `<folder>/<id>.yaml`, or by scanning the folder.
    func load(_ id: String) throws(FirebreakError) -> (playbook: Playbook, text: String, path: String) {
        guard Identifier.isValid(id) else {
            throw .missing("no playbook '\(Terminal.oneLine(id))' in '\(folder)'; playbook ids are lower-case letters, digits and '-'")
        }
        var candidates: [String] = []
        for ext in ["yaml", "yml"] {
            let path = (folder as NSString).appendingPathComponent("\(id).\(ext)")
            if FileManager.default.fileExists(atPath: path) { candidates.append(path) }
        }
        if candidates.isEmpty, Files.isDirectory(folder) {
            candidates = (try? Files.yamlFiles(in: folder)) ?? []
        }
        for path in candidates {
            let text: String
            do {
                text = try Files.read(path)
            } catch {
                // The file named after the id must load; another file of the folder that cannot be read is skipped.
                if Files.fileName(path).hasPrefix(id + ".") { throw error }
                Terminal.error("firebreak: warning: skipped '\(Terminal.oneLine(path))': \(error.errorDescription ?? "it cannot be read")")
                continue
            }
            let result = PlaybookLoader.load(text, fileName: Files.fileName(path))
            if let playbook = result.playbook, playbook.id == id { return (playbook, text, path) }
            if result.playbook == nil, Files.fileName(path).hasPrefix(id + ".") {
                Terminal.error(DiagnosticPrinter.render(result.diagnostics.filter { $0.severity == .error }, path: path, text: text))
                throw .invalidFiles("playbook '\(id)' in '\(path)' has errors; run 'firebreak playbook check \(path)'")
            }
        }
        if !Files.isDirectory(folder) {
            throw .missing("playbook folder '\(folder)' does not exist; give --playbooks DIR or set FIREBREAK_PLAYBOOKS")
        }
        let known = all().map(\.playbook.id)
        throw .missing("no playbook '\(id)' in '\(folder)'; playbooks there are \(quotedList(known))")
    }

    /// Every valid playbook in the folder, sorted by id.
    func all() -> [(playbook: Playbook, text: String, path: String)] {
        guard let paths = try? Files.yamlFiles(in: folder) else { return [] }
        return paths.compactMap { path in
            guard let text = try? Files.read(path), let playbook = PlaybookLoader.load(text, fileName: Files.fileName(path)).playbook else { return nil }
            return (playbook, text, path)
        }.sorted { $0.playbook.id < $1.playbook.id }
    }
}
