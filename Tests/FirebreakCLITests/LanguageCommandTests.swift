import FirebreakTestSupport
import Foundation
import Testing

/// Dutch playbooks and `--lang`: reports, exercise output and the Dutch scenarios against their English twins.
@Suite struct LanguageCommandTests {
    static let dutchScenarios: [String] = {
        let folder = Fixtures.packageRoot.appendingPathComponent("Scenarios/nl")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { $0.hasSuffix(".yaml") }.map { String($0.dropLast(5)) }.sorted()
    }()

    /// A night with the Dutch offensive-post playbook, up to the distancing statement.
    func dutchIncident(_ box: Sandbox) throws {
        func at(_ time: String) -> String { time.hasPrefix("00:") ? "2026-05-17T\(time):00+02:00" : "2026-05-16T\(time):00+02:00" }
        let nl = ["--playbooks", "Playbooks/nl"]
        func run(_ arguments: [String], as person: String = "anna", _ time: String) throws {
            let result = try Firebreak.run(nl + arguments, environment: box.env(person, now: at(time)))
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
        }
        try run(["open", "offensive-post", "--title", "Presentator beledigt deelnemer", "--assign", "social=sem", "--assign", "editor=ruben",
                 "--began", at("23:05")], "23:10")
        try run(["done", "INC-1", "capture-post"], as: "sem", "23:14")
        try run(["done", "INC-1", "holding-line", "--note", "Reactie onder de post van de omroep"], as: "sem", "23:20")
        try run(["done", "INC-1", "assess-post", "--choice", "escalate", "--note", "Bereik groeit"], "23:25")
        try run(["done", "INC-1", "request-deletion"], as: "ruben", "23:40")
        try run(["note", "INC-1", "Deelnemer gebeld via haar manager, voicemail ingesproken"], "23:50")
        try run(["skip", "INC-1", "reach-insulted-person", "--reason", "Niet bereikt; manager gemaild"], as: "ruben", "00:05")
    }

    @Test func listsSayTheirHeadingsInDutch() throws {
        let box = try Sandbox()
        defer { box.cleanup() }
        try dutchIncident(box)
        let now = "2026-05-17T00:30:00+02:00"
        let open = try box.run("list", "--lang", "nl", now: now)
        #expect(open.status == 0, "\(open.stderr)")
        #expect(open.stdout == """
            ID     FASE      ERNST  DRAAIBOEK       GEOPEND           TITEL
            INC-1  distance  hoog   offensive-post  2026-05-16 21:10  Presentator beledigt deelnemer

            """)
        let drill = try Firebreak.run(["--playbooks", "Playbooks/nl", "drill", "run", "song-contest-tweet", "--record"], environment: box.env("anna", now: now))
        #expect(drill.status == 0, "\(drill.stderr)")
        let withExercises = try box.run("list", "--lang", "nl", "--exercises", now: now).stdout.split(separator: "\n")
        #expect(withExercises.count == 3)
        #expect(withExercises.last?.hasPrefix("EX-1   gesloten (oefening)  hoog   offensive-post  2026-05-16 ") == true, "\(withExercises)")
        #expect(try box.run("close", "INC-1", "--reason", "Afgehandeld", now: now).status == 0)
        #expect(try box.run("list", "--lang", "nl", now: now).stdout == "geen open incidenten\n")
        let closed = try box.run("list", "--lang", "nl", "--all", now: now).stdout
        #expect(closed == """
            ID     FASE                             ERNST  DRAAIBOEK       GEOPEND           TITEL
            INC-1  geforceerd gesloten in distance  hoog   offensive-post  2026-05-16 21:10  Presentator beledigt deelnemer

            """)
        // Without --lang, English: the incidents' playbooks may be in different languages.
        let closedEnglish = try box.run("list", "--all", now: now).stdout
        #expect(closedEnglish == """
            ID     STATE                     SEVERITY  PLAYBOOK        OPENED            TITLE
            INC-1  force-closed in distance  high      offensive-post  2026-05-16 21:10  Presentator beledigt deelnemer

            """)
        // `playbook list` speaks the playbooks' language when they all have one; --lang overrides.
        let playbooks = try Firebreak.run(["--playbooks", "Playbooks/nl", "playbook", "list"], environment: box.env("anna")).stdout.split(separator: "\n")
        #expect(playbooks.first?.split(separator: " ", omittingEmptySubsequences: true) == ["ID", "TITEL", "ERNST", "FASEN"])
        #expect(playbooks.contains { $0.hasPrefix("offensive-post   ") && $0.hasSuffix("  hoog     6") })
        let english = try Firebreak.run(["--playbooks", "Playbooks/nl", "playbook", "list", "--lang", "en"], environment: box.env("anna")).stdout.split(separator: "\n")
        #expect(english.first?.split(separator: " ", omittingEmptySubsequences: true) == ["ID", "TITLE", "SEVERITY", "STATES"])
        #expect(english.contains { $0.hasPrefix("offensive-post   ") && $0.hasSuffix("  high      6") })
    }

    @Test func statementsAreListedAndShownInDutch() throws {
        let box = try Sandbox()
        defer { box.cleanup() }
        try dutchIncident(box)
        let env = box.env("anna", now: "2026-05-17T00:30:00+02:00")
        let nl = ["--playbooks", "Playbooks/nl"]
        let none = try Firebreak.run(nl + ["statement", "list", "INC-1"], environment: env)
        #expect(none.stdout == "nog geen statements; schrijf er een met 'firebreak statement draft INC-1 PUBLIEK --text TEKST'\n")
        let draft = try Firebreak.run(nl + ["statement", "draft", "INC-1", "press", "--text", "Wij hebben [naam] gesproken. Het was waarschijnlijk een grap."], environment: env)
        #expect(draft.status == 0, "\(draft.stderr)")
        let list = try Firebreak.run(nl + ["statement", "list", "INC-1"], environment: env)
        #expect(list.stdout == "ID  PUBLIEK  VERSIE  STAND    WACHT OP                    WAARSCHUWINGEN\nS1  press    1       concept  director (niet toegewezen)  2\n")
        let show = try Firebreak.run(nl + ["statement", "show", "INC-1", "S1"], environment: env)
        #expect(show.stdout == """
            S1 aan press — Pers en media
            stand: concept, versie 1
            wacht op: director (niet toegewezen)

            controles:
              blokkeert publicatie: S1 bevat de plaatshouder '[naam]' (regel 1): vul die in voordat je publiceert
              waarschuwing: S1 zegt 'waarschijnlijk' (regel 1): speculatie, zeg alleen wat vaststaat

            tekst:
              Wij hebben [naam] gesproken. Het was waarschijnlijk een grap.

            geschiedenis:
              22:30  versie 1 geschreven door anna

            """)
        let english = try Firebreak.run(nl + ["statement", "show", "INC-1", "S1", "--lang", "en"], environment: env)
        #expect(english.stdout == """
            S1 to press — Pers en media
            state: draft, version 1
            waiting for: director (unassigned)

            checks:
              blocks publication: S1 has placeholder '[naam]' (line 1): fill it in before publishing
              warning: S1 says 'waarschijnlijk' (line 1): a guess presented as fact

            text:
              Wij hebben [naam] gesproken. Het was waarschijnlijk een grap.

            history:
              22:30  version 1 drafted by anna

            """)
        // JSON is the same in both.
        let json = try Firebreak.run(nl + ["statement", "list", "INC-1", "--json"], environment: env).stdout
        #expect(json == (try Firebreak.run(nl + ["statement", "list", "INC-1", "--json", "--lang", "en"], environment: env).stdout))
    }

    @Test func aDutchReportIsKnownAsFirebreaksAndReplacedWithoutForce() throws {
        let box = try Sandbox()
        defer { box.cleanup() }
        try dutchIncident(box)
        let path = box.folder.path("INC-1.html")
        let env = box.env("anna", now: "2026-05-17T00:30:00+02:00")
        // A Dutch Markdown report under an .html name (as `--format markdown` writes it), then the HTML over it.
        #expect(try Firebreak.run(["export", "INC-1", "--format", "markdown", "--output", path], environment: env).status == 0)
        #expect(try String(contentsOfFile: path, encoding: .utf8).hasPrefix("# INC-1: Presentator beledigt deelnemer\n"))
        let html = try Firebreak.run(["export", "INC-1", "--output", path], environment: env)
        #expect(html.status == 0, "\(html.stderr)")
        #expect(try String(contentsOfFile: path, encoding: .utf8).hasPrefix("<!DOCTYPE html>\n<html lang=\"nl\">\n"))
        // Anything else is still kept unless --force.
        try "my notes".write(toFile: path, atomically: true, encoding: .utf8)
        let refused = try Firebreak.run(["export", "INC-1", "--output", path], environment: env)
        #expect(refused.status == 64)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "my notes")
    }

    @Test func aDutchIncidentIsExportedInDutch() throws {
        let box = try Sandbox()
        defer { box.cleanup() }
        try dutchIncident(box)
        let result = try box.run("export", "INC-1", now: "2026-05-17T00:30:00+02:00")
        #expect(result.status == 0, "\(result.stderr)")
        try expectGolden(result.stdout, "incident.nl.md")
        for heading in ["## Kerncijfers", "## Tijdlijn", "## Stappen", "## Besluiten", "## Actiepunten"] {
            #expect(result.stdout.contains("\n\(heading)\n"), "\(heading)")
        }
        // --lang en: the same incident with English headings and dates; the playbook's own texts stay Dutch.
        let english = try box.run("export", "INC-1", "--lang", "en", now: "2026-05-17T00:30:00+02:00")
        #expect(english.stdout.contains("\n## Key metrics\n"))
        #expect(english.stdout.contains("| Began | 2026-05-16 21:05:00 UTC |"))
        #expect(english.stdout.contains("Kerncijfers") == false)
        // JSON is for scripts: the same whatever the language.
        let json = try box.run("export", "INC-1", "--format", "json", now: "2026-05-17T00:30:00+02:00")
        let jsonEnglish = try box.run("export", "INC-1", "--format", "json", "--lang", "en", now: "2026-05-17T00:30:00+02:00")
        #expect(json.stdout == jsonEnglish.stdout)
        #expect(json.stdout.contains("\"name\":\"Time to detect\""))
    }

    @Test func anEnglishIncidentCanBeExportedInDutch() throws {
        let box = try Sandbox()
        defer { box.cleanup() }
        #expect(try box.run("open", "offensive-post", "--title", "T", "--began", "2026-05-16T23:05:00+02:00", now: "2026-05-16T23:10:00+02:00").status == 0)
        let result = try box.run("export", "INC-1", "--lang", "nl", now: "2026-05-16T23:20:00+02:00")
        #expect(result.stdout.contains("\n## Tijdlijn\n"))
        #expect(result.stdout.contains("| Begonnen | 16-05-2026 21:05:00 UTC |"))
        #expect(result.stdout.contains("*Evaluatie van een echt incident.*"))
        let bad = try box.run("export", "INC-1", "--lang", "de")
        #expect(bad.status == 64)
        #expect(bad.stderr.hasPrefix("firebreak: error: The value 'de' is invalid for '--lang <lang>'"))
    }

    @Test func aDutchExerciseHasADutchAfterActionReport() throws {
        let box = try Sandbox()
        defer { box.cleanup() }
        let report = box.folder.path("evaluatie.md")
        let result = try Firebreak.run(["--playbooks", "Playbooks/nl", "drill", "run", "song-contest-tweet", "--report", report], environment: box.env("anna"))
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.hasPrefix("Oefening song-contest-tweet: Een presentator beledigt op X een deelnemer op de avond van het songfestival\n"))
        #expect(result.stdout.contains("\nVerwachtingen: 7 van 8 gehaald\n"))
        #expect(result.stdout.contains("\n  GEMIST   press-call: 'distancing-statement' gedaan binnen 30 min, uiterlijk T+1:15 — nooit (vervolginject gegeven)\n"))
        try expectGolden(try String(contentsOfFile: report, encoding: .utf8), "exercise.nl.md")
        let english = try Firebreak.run(["--playbooks", "Playbooks/nl", "drill", "run", "song-contest-tweet", "--lang", "en"], environment: box.env("anna"))
        #expect(english.stdout.contains("\nExpectations: 7 of 8 met\n"))
    }

    /// Each Dutch scenario plays exactly as its English twin: only the words differ.
    @Test(arguments: dutchScenarios)
    func aDutchScenarioHasTheOutcomeOfItsEnglishTwin(_ scenario: String) throws {
        let dutch = try Firebreak.run(["--playbooks", "Playbooks/nl", "drill", "run", scenario, "--json"])
        let english = try Firebreak.run(["drill", "run", scenario, "--json"])
        #expect(dutch.status == 0 && english.status == 0, "\(dutch.stderr)\(english.stderr)")
        let a = try Self.outcome(dutch.stdout), b = try Self.outcome(english.stdout)
        #expect(a == b)
        #expect(a.count > 20)
    }

    @Test func everyShippedScenarioHasADutchTwin() throws {
        let english = try FileManager.default.contentsOfDirectory(atPath: Fixtures.packageRoot.appendingPathComponent("Scenarios").path)
            .filter { $0.hasSuffix(".yaml") }.map { String($0.dropLast(5)) }.sorted()
        #expect(Self.dutchScenarios == english)
    }

    /// What was scored and when, without any text: expectations, steps, the close, and the timeline's kinds, times and ids.
    static func outcome(_ json: String) throws -> [String] {
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let score = object["score"] as? [String: Int] ?? [:]
        var lines: [String] = ["\(object["finalState"] ?? "-") \(object["closedAtSeconds"] ?? "-") \(score["expectationsMet"] ?? -1) \(score["expectationsTotal"] ?? -1)"]
        for e in object["expectations"] as? [[String: Any]] ?? [] {
            lines.append(["inject", "kind", "target", "deadlineSeconds", "met", "happenedAtSeconds", "contingencyDelivered"].map { "\(e[$0] ?? "-")" }.joined(separator: " "))
        }
        for s in object["steps"] as? [[String: Any]] ?? [] {
            lines.append(["id", "state", "round", "owner", "status", "dueSeconds", "doneAtSeconds", "skippedAtSeconds"].map { "\(s[$0] ?? "-")" }.joined(separator: " "))
        }
        for p in object["pending"] as? [[String: Any]] ?? [] { lines.append("pending \(p["atSeconds"] ?? "-") \(p["by"] ?? "-")") }
        for event in object["timeline"] as? [[String: Any]] ?? [] {
            lines.append(["atSeconds", "kind", "role", "step", "state", "event", "choice", "from", "to"].filter { $0 != "from" || event["kind"] as? String != "inject" }
                .map { "\(event[$0] ?? "-")" }.joined(separator: " "))
        }
        return lines
    }
}
