import FirebreakStore
import Foundation

/// Where a PostgreSQL store is, from `--db`/`FIREBREAK_DB`: libpq's URL form
/// `postgresql://[user[:password]@][host][:port][/database][?param=value&…]` (or `postgres://`),
/// with libpq's defaults and environment (`PGHOST`, `PGPORT`, `PGUSER`, `PGDATABASE`,
/// `PGPASSWORD`, `PGSSLMODE`, `PGPASSFILE`) and `~/.pgpass` for the password. The password is
/// never part of ``description``.
public struct PostgresURL: Sendable, Equatable, CustomStringConvertible {
    public enum SSLMode: String, Sendable {
        case disable, allow, prefer, require, verifyCA = "verify-ca", verifyFull = "verify-full"
    }

    public var user: String
    public var password: String?
    /// A host name or address, or a folder holding the server's Unix socket (an absolute path).
    public var host: String
    public var port: Int
    public var database: String
    public var sslMode: SSLMode
    public var sslRootCert: String?
    public var connectTimeout: Int?

    /// Whether `text` names a PostgreSQL store rather than an SQLite file.
    public static func isURL(_ text: String) -> Bool {
        let lower = text.lowercased()
        return lower.hasPrefix("postgres://") || lower.hasPrefix("postgresql://")
    }

    public var isSocket: Bool { host.hasPrefix("/") }

    /// The Unix socket file of a socket host.
    public var socketPath: String { (host as NSString).appendingPathComponent(".s.PGSQL.\(port)") }

    /// The URL without its password, for messages.
    public var description: String {
        let hostPart = isSocket ? "" : (host.contains(":") ? "[\(host)]" : host)
        var text = "postgresql://\(Self.encode(user))@\(hostPart):\(port)/\(Self.encode(database))"
        var parameters: [String] = []
        if isSocket { parameters.append("host=\(Self.encode(host))") }
        if sslMode != .prefer { parameters.append("sslmode=\(sslMode.rawValue)") }
        if !parameters.isEmpty { text += "?" + parameters.joined(separator: "&") }
        return text
    }

    /// Parses `text`; `environment` supplies libpq's variables and `HOME`.
    public init(_ text: String, environment: [String: String]) throws(StoreError) {
        func bad(_ reason: String) -> StoreError { .cannotOpen(path: Self.redact(text), reason: reason) }
        guard let schemeEnd = text.range(of: "://") else { throw bad("it is not a postgresql:// URL") }
        var rest = String(text[schemeEnd.upperBound...])
        var query = ""
        if let mark = rest.firstIndex(of: "?") {
            query = String(rest[rest.index(after: mark)...])
            rest = String(rest[..<mark])
        }
        var path = ""
        if let slash = rest.firstIndex(of: "/") {
            path = String(rest[rest.index(after: slash)...])
            rest = String(rest[..<slash])
        }
        var userPart: String?
        if let at = rest.lastIndex(of: "@") {
            userPart = String(rest[..<at])
            rest = String(rest[rest.index(after: at)...])
        }
        var urlUser: String?, urlPassword: String?
        if let userPart {
            if let colon = userPart.firstIndex(of: ":") {
                urlUser = try Self.decode(String(userPart[..<colon]), text)
                urlPassword = try Self.decode(String(userPart[userPart.index(after: colon)...]), text)
            } else {
                urlUser = try Self.decode(userPart, text)
            }
        }
        var urlHost: String?, urlPort: String?
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { throw bad("its host has an unclosed '['") }
            urlHost = String(rest[rest.index(after: rest.startIndex)..<close])
            let after = rest[rest.index(after: close)...]
            if after.hasPrefix(":") { urlPort = String(after.dropFirst()) }
        } else if let colon = rest.lastIndex(of: ":") {
            urlHost = String(rest[..<colon])
            urlPort = String(rest[rest.index(after: colon)...])
        } else if !rest.isEmpty {
            urlHost = rest
        }
        if let host = urlHost { urlHost = try Self.decode(host, text) }
        if urlHost?.isEmpty == true { urlHost = nil }
        var parameters: [String: String] = [:]
        for pair in query.split(separator: "&") where !pair.isEmpty {
            let parts = pair.split(separator: "=", maxSplits: 1)
            parameters[try Self.decode(String(parts[0]), text)] = parts.count > 1 ? try Self.decode(String(parts[1]), text) : ""
        }
        for key in parameters.keys where !["sslmode", "host", "port", "user", "password", "dbname", "sslrootcert", "connect_timeout", "application_name"].contains(key) {
            throw bad("the parameter '\(key)' is not supported; supported are sslmode, sslrootcert, host, port, user, password, dbname, connect_timeout")
        }
        func env(_ key: String) -> String? { environment[key].flatMap { $0.isEmpty ? nil : $0 } }
        user = parameters["user"] ?? urlUser ?? env("PGUSER") ?? env("USER") ?? env("LOGNAME") ?? NSUserName()
        let hostText = parameters["host"] ?? urlHost ?? env("PGHOST")
        host = hostText ?? (FileManager.default.fileExists(atPath: "/var/run/postgresql") ? "/var/run/postgresql" : "localhost")
        let portText = parameters["port"] ?? urlPort.flatMap { $0.isEmpty ? nil : $0 } ?? env("PGPORT") ?? "5432"
        guard let port = Int(portText), (1...65535).contains(port) else { throw bad("the port '\(portText)' is not a number from 1 to 65535") }
        self.port = port
        let pathDatabase = path.isEmpty ? nil : try Self.decode(path, text)
        database = parameters["dbname"] ?? pathDatabase ?? env("PGDATABASE") ?? user
        let modeText = parameters["sslmode"] ?? env("PGSSLMODE") ?? "prefer"
        guard let mode = SSLMode(rawValue: modeText) else {
            throw bad("sslmode '\(modeText)' is not one of disable, allow, prefer, require, verify-ca, verify-full")
        }
        sslMode = mode
        sslRootCert = parameters["sslrootcert"] ?? env("PGSSLROOTCERT")
        connectTimeout = (parameters["connect_timeout"] ?? env("PGCONNECT_TIMEOUT")).flatMap { Int($0) }
        password = parameters["password"] ?? urlPassword ?? env("PGPASSWORD")
        if password == nil {
            let home = env("HOME") ?? NSHomeDirectory()
            let file = env("PGPASSFILE") ?? (home as NSString).appendingPathComponent(".pgpass")
            password = Self.passwordFile(file, host: isSocket ? "localhost" : host, port: port, database: database, user: user)
        }
    }

    /// libpq's `.pgpass`: `hostname:port:database:username:password` lines, `*` matching
    /// anything, `\:` and `\\` escaped; the first matching line wins. Like libpq, a file that
    /// others can read is ignored.
    static func passwordFile(_ path: String, host: String, port: Int, database: String, user: String) -> String? {
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & 0o077 == 0, let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        for line in text.split(whereSeparator: \.isNewline) where !line.hasPrefix("#") {
            var fields: [String] = [""]
            var escaped = false
            for character in line {
                if escaped {
                    fields[fields.count - 1].append(character)
                    escaped = false
                } else if character == "\\" {
                    escaped = true
                } else if character == ":" && fields.count < 5 {
                    fields.append("")
                } else {
                    fields[fields.count - 1].append(character)
                }
            }
            guard fields.count == 5 else { continue }
            let wanted = [host, String(port), database, user]
            if zip(fields.prefix(4), wanted).allSatisfy({ $0 == "*" || $0 == $1 }) { return fields[4] }
        }
        return nil
    }

    static func decode(_ text: String, _ url: String) throws(StoreError) -> String {
        guard let decoded = text.removingPercentEncoding else {
            throw .cannotOpen(path: redact(url), reason: "it has a broken %-escape")
        }
        return decoded
    }

    static func encode(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? text
    }

    /// The URL as given, with any password replaced by `***`: for messages about a URL that does not parse.
    public static func redact(_ text: String) -> String {
        var text = text
        if let schemeEnd = text.range(of: "://") {
            let authorityEnd = text[schemeEnd.upperBound...].firstIndex(where: { $0 == "/" || $0 == "?" }) ?? text.endIndex
            if let at = text[schemeEnd.upperBound..<authorityEnd].lastIndex(of: "@"),
                let colon = text[schemeEnd.upperBound..<at].firstIndex(of: ":")
            {
                text.replaceSubrange(text.index(after: colon)..<at, with: "***")
            }
        }
        if let range = text.range(of: "password=") {
            let end = text[range.upperBound...].firstIndex(of: "&") ?? text.endIndex
            text.replaceSubrange(range.upperBound..<end, with: "***")
        }
        return text
    }
}
