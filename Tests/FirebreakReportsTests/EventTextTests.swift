import FirebreakCore
import FirebreakReports
import FirebreakTestSupport
import Testing

/// Event texts come from the catalogues, statement events included, and name steps and states
/// by their titles beside their ids when asked.
@Suite struct EventTextTests {
    static let statementEvents: [(Event.Body, english: String, dutch: String)] = [
        (.drafted(statement: "S1", audience: "press", version: 1, text: "x"), "drafted S1 for 'press'", "S1 opgesteld voor 'press'"),
        (.drafted(statement: "S1", audience: "press", version: 2, text: "x"), "revised S1 for 'press': version 2", "S1 herzien voor 'press': versie 2"),
        (.approved(statement: "S1", version: 2, approver: "legal"), "'legal' approved S1 version 2", "'legal' keurde S1 versie 2 goed"),
        (.rejected(statement: "S1", version: 1, approver: "director", reason: "Too long"),
         "'director' rejected S1 version 1: Too long", "'director' keurde S1 versie 1 af: Too long"),
        (.published(statement: "S1", version: 2, audience: "press", channel: "website"),
         "published S1 version 2 to 'press' via website", "S1 versie 2 gepubliceerd voor 'press' via website"),
        (.published(statement: "S2", version: 1, audience: "staff", channel: nil), "published S2 version 1 to 'staff'", "S2 versie 1 gepubliceerd voor 'staff'"),
        (.updateOverdue(audience: "press", due: 0), "update to 'press' overdue (due 21:00)", "update aan 'press' te laat (deadline 21:00)"),
        (.escalatedUpdate(audience: "press", to: "director"), "update to 'press' escalated to 'director'", "update aan 'press' geëscaleerd naar 'director'"),
        (.informed(who: "client", via: "phone", note: "Told the account manager"),
         "informed client via phone: Told the account manager", "client geïnformeerd via phone: Told the account manager"),
        (.informed(who: "staff", via: nil, note: nil), "informed staff", "staff geïnformeerd"),
        (.done(step: "press-statement", choice: nil, note: nil, via: "S1"), "done 'press-statement' by publishing S1", "'press-statement' gedaan door S1 te publiceren"),
        (.done(step: "tell-client", choice: nil, note: nil, via: "inform"), "done 'tell-client' by the inform", "'tell-client' gedaan door het informeren"),
    ]

    @Test(arguments: statementEvents.indices)
    func statementEventsAreInTheCatalogues(_ index: Int) {
        let (body, english, dutch) = Self.statementEvents[index]
        let event = Event(at: 0, body)
        #expect(EventText.describe(event, clock: { _ in "21:00" }) == english)
        #expect(EventText.describe(event, clock: { _ in "21:00" }, .dutch) == dutch)
    }

    @Test func stepsAndStatesAreNamedByTitleBesideTheirIds() throws {
        let playbook = try loadPlaybook(Fixtures.specExample)
        let names = EventText.Names.titles(playbook)
        let state = try #require(playbook.states.first { $0.title != $0.id })
        let step = try #require(state.steps.first)
        let entered = Event(at: 0, .entered(state: state.id, from: nil, event: nil, round: 2))
        #expect(EventText.describe(entered, clock: { _ in "" }, names: names) == "entered \(state.title) (\(state.id)) (round 2)")
        #expect(EventText.describe(entered, clock: { _ in "" }) == "entered '\(state.id)' (round 2)")
        let done = Event(at: 0, .done(step: step.id, choice: nil, note: "ok"))
        #expect(EventText.describe(done, clock: { _ in "" }, .dutch, names: names) == "\(step.title) (\(step.id)) gedaan: ok")
        // A name the playbook does not know (a log older than an edit) stays its quoted id.
        #expect(EventText.describe(Event(at: 0, .skipped(step: "gone", reason: "r")), clock: { _ in "" }, names: names) == "skipped 'gone': r")
    }

}

/// Text findings in words, from the catalogues.
@Suite struct TextFindingMessageTests {
    @Test func findingsAreSaidInTheReportLanguage() {
        let text = "We will update you at [time].\nIt was Probably an accident;\nthe employee must\nhave been FIRED. Het lijkt erop dat het vast klopt."
        let findings = TextCheck.findings(text, avoid: ["fired", "suspended"])
        #expect(findings.map { $0.message(statement: "S1", audience: "press") } == [
            "S1 has placeholder '[time]' (line 1): fill it in before publishing",
            "S1 says 'Probably' (line 2): a guess presented as fact",
            "S1 says 'must\nhave' (line 3): a guess presented as fact",
            "S1 says 'FIRED' (line 4): a word to avoid for audience 'press'",
            "S1 says 'lijkt erop' (line 4): a guess presented as fact",
            "S1 says 'vast' (line 4): a guess presented as fact",
        ])
        #expect(findings.map { $0.message(statement: "S2", audience: "pers", .dutch) }.prefix(2) == [
            "S2 bevat de plaatshouder '[time]' (regel 1): vul die in voordat je publiceert",
            "S2 zegt 'Probably' (regel 2): speculatie, zeg alleen wat vaststaat",
        ])
        #expect(findings[3].message(statement: "S2", audience: "pers", .dutch) == "S2 zegt 'FIRED' (regel 4): een woord dat je niet gebruikt richting 'pers'")
    }
}

