import FirebreakCore
import FirebreakReports
import FirebreakTestSupport
import Foundation
import Testing

/// The message catalogues: complete in both languages, the same places to fill, compiled in as written.
@Suite struct MessagesTests {
    static let folder = Fixtures.packageRoot.appendingPathComponent("Sources/FirebreakReports/Resources")

    static func file(_ language: Language) throws -> [String: String] {
        let data = try Data(contentsOf: folder.appendingPathComponent("messages.\(language.rawValue).json"))
        return try JSONDecoder().decode([String: String].self, from: data)
    }

    /// The `{name}` places of a text.
    static func places(_ text: String) -> Set<String> {
        var found: Set<String> = []
        var rest = Substring(text)
        while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
            found.insert(String(rest[rest.index(after: open)..<close]))
            rest = rest[rest.index(after: close)...]
        }
        return found
    }

    @Test func everyKeyExistsInBothLanguagesWithTheSamePlaces() throws {
        let english = try Self.file(.en), dutch = try Self.file(.nl)
        #expect(english.count > 100)
        #expect(Set(english.keys).subtracting(dutch.keys).sorted() == [], "missing in messages.nl.json")
        #expect(Set(dutch.keys).subtracting(english.keys).sorted() == [], "missing in messages.en.json")
        for (key, text) in english {
            // The one text that may be empty: English writes a duration's parts with nothing between (`1h30m`).
            if key != "unit.join" { #expect(!text.isEmpty && !(dutch[key] ?? "").isEmpty, "\(key) is empty") }
            #expect(Self.places(text) == Self.places(dutch[key] ?? ""), "\(key): the places to fill differ")
        }
    }

    @Test(arguments: Language.allCases)
    func theCompiledCatalogueIsTheFile(_ language: Language) throws {
        #expect(Messages.catalogue(language) == (try Self.file(language)))
        #expect(Messages.for(language).language == language)
    }

    @Test func placesAreFilledOnceAndUnknownKeysFallBack() {
        let t = Messages.dutch
        #expect(t("metric.countOf", ["count": "3", "total": "5"]) == "3 van 5")
        // A value that itself holds braces is not filled again; a place without a value stays as written.
        #expect(t("event.note", ["text": "{text} and {total}"]) == "notitie: {text} and {total}")
        #expect(t("metric.countOf", ["count": "3"]) == "3 van {total}")
        #expect(t("no.such.key") == "no.such.key")
    }

    @Test func durationsFollowTheLanguage() {
        #expect(Messages.english.duration(5_400) == "1h30m")
        #expect(Messages.dutch.duration(5_400) == "1 u 30 min")
        #expect(Messages.dutch.duration(2 * 86_400 + 3_600 + 5) == "2 d 1 u 5 s")
        #expect(Messages.dutch.duration(0) == "0 min")
        #expect(Messages.dutch.duration(-600) == "-10 min")
        // English is the playbook notation, for every duration.
        for seconds in [0, 1, 59, 60, 3_599, 3_600, 3_661, 86_400, 90_061, -90_061] {
            #expect(Messages.english.duration(seconds) == DurationText.format(seconds), "\(seconds)")
        }
    }

    @Test func datesFollowTheLanguage() {
        // 2026-05-16T21:05:00Z, shown at UTC+02:00.
        let moment = 1_778_965_500
        #expect(Messages.english.dateTime(moment, offset: 7200) == "2026-05-16 23:05:00")
        #expect(Messages.dutch.dateTime(moment, offset: 7200) == "16-05-2026 23:05:00")
    }

    @Test func theTemplateContextNestsTheKeys() {
        let context = Messages.dutch.templateContext
        let heading = context["heading"] as? [String: Any]
        #expect(heading?["timeline"] as? String == "Tijdlijn")
        #expect(heading?["keyMetrics"] as? String == "Kerncijfers")
        #expect(heading?["decisions"] as? String == "Besluiten")
        #expect(heading?["areasForImprovement"] as? String == "Verbeterpunten")
    }
}
