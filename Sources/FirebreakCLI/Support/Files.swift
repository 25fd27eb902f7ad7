import FirebreakCore
import FirebreakLoading
import Foundation

/// Reading playbooks and scenarios from disk, as untrusted input.
enum Files {
    static let maximumSize = 8 << 20

    static func read(_ path: String) throws(FirebreakError) -> String {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw .missing("no such file '\(path)'")
        }
        if isDirectory.boolValue { throw .usage("'\(path)' is a folder; name a file") }
        guard let handle = FileHandle(forReadingAtPath: path) else { throw .missing("cannot open '\(path)': permission denied") }
        defer { try? handle.close() }
        let data: Data
        do {
            data = try handle.read(upToCount: maximumSize + 1) ?? Data()
        } catch {
            throw .io("cannot read '\(path)': \(error.localizedDescription)")
        }
        if data.count > maximumSize { throw .invalidFiles("'\(path)' is larger than 8 MiB; a playbook or scenario is a small text file") }
        if data.contains(0) { throw .invalidFiles("'\(path)' contains a NUL byte; it is not a text file") }
        guard let text = String(validating: data, as: UTF8.self) else {
            throw .invalidFiles("'\(path)' is not UTF-8 text")
        }
        return text
    }

    /// `*.yaml` and `*.yml` files in a folder, sorted by name.
    static func yamlFiles(in folder: String) throws(FirebreakError) -> [String] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: folder)
        } catch {
            throw .missing("cannot list folder '\(folder)'")
        }
        return names.filter { ($0.hasSuffix(".yaml") || $0.hasSuffix(".yml")) && !$0.hasPrefix(".") }.sorted()
            .map { (folder as NSString).appendingPathComponent($0) }
    }

    static func isDirectory(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    static func fileName(_ path: String) -> String { (path as NSString).lastPathComponent }
}

/// Prints diagnostics as `path:line:column: error: message`, the source line and a caret.
enum DiagnosticPrinter {
    static func render(_ diagnostics: [Diagnostic], path: String, text: String) -> String {
        if diagnostics.isEmpty { return "" }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        var out = ""
        for diagnostic in diagnostics {
            let label = diagnostic.severity == .error
                ? Terminal.paint("error", .red, fd: 2) : Terminal.paint("warning", .yellow, fd: 2)
            out += "\(path):\(diagnostic.location.line):\(diagnostic.location.column): \(label): \(Terminal.oneLine(diagnostic.message))\n"
            if diagnostic.location.line >= 1, diagnostic.location.line <= lines.count {
                let line = Terminal.sanitize(String(lines[diagnostic.location.line - 1]).replacingOccurrences(of: "\r", with: ""))
                    .replacingOccurrences(of: "\t", with: " ")
                if line.count <= 300 {
                    out += line + "\n"
                    let column = max(1, min(diagnostic.location.column, line.count + 1))
                    out += String(repeating: " ", count: column - 1) + "^\n"
                }
            }
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
            let text = try Files.read(path)
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
