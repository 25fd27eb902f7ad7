import FirebreakCore
import FirebreakReports
import FirebreakTestSupport
import Foundation
import Testing

@Suite struct HistogramTests {
    @Test func binsAreRoundDurationsAndAtMostTwelve() {
        let h = Histogram(title: "Time to close", times: [1500, 600, 660], runs: 4)
        #expect(h.width == 120 && h.start == 600)
        #expect(h.counts == [2, 0, 0, 0, 0, 0, 0, 1])
        #expect(h.total == 3 && h.runs == 4)
        #expect(h.binLabel(0) == "0:10–0:12" && h.binLabel(7) == "0:24–0:26")
        // A value on a boundary belongs to the bin it starts.
        // 0 to 1h: 5m bins would be 13, so 10m bins, 7 of them; 3600 starts the last.
        #expect(Histogram(title: "", times: [0, 3600], runs: 2).counts == [1, 0, 0, 0, 0, 0, 1])
        #expect(Histogram(title: "", times: [0, 3599], runs: 2).width == 300)
        #expect(Histogram(title: "", times: [0, 3599], runs: 2).counts == [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])
        #expect(Histogram(title: "", times: [7200], runs: 1).counts == [1])
        // Beyond the table of widths: whole days.
        let long = Histogram(title: "", times: [0, 40 * 86_400], runs: 2)
        #expect(long.width == 4 * 86_400 && long.counts.count == 11)
        #expect(Histogram(title: "", times: [], runs: 5).counts.isEmpty)
    }

    @Test func textBarsAreScaledToTheFullestBin() {
        let h = Histogram(title: "Time to close", times: [1500, 600, 660], runs: 4)
        #expect(h.text(barWidth: 10, heading: "Time to close", none: "none") == """
            Time to close
              0:10–0:12  ██████████  2
              0:12–0:14              0
              0:14–0:16              0
              0:16–0:18              0
              0:18–0:20              0
              0:20–0:22              0
              0:22–0:24              0
              0:24–0:26  █████       1
            """)
        let thin = Histogram(title: "", times: [0] + [Int](repeating: 60, count: 100), runs: 101)
        #expect(thin.text(barWidth: 4, heading: "T", none: "none") == "T\n  0:00–0:01  ▏       1\n  0:01–0:02  ████  100")
        #expect(Histogram(title: "", times: [], runs: 3).text(heading: "T", none: "no run has one") == "T\n  no run has one")
    }

    @Test func theSVGIsSelfContainedAndEscaped() {
        let h = Histogram(title: "Time to close", times: [1500, 600, 660], runs: 4)
        let svg = Histogram.svg([h, Histogram(title: "", times: [], runs: 4)], headings: ["Close <&> \"runs\"", "Publication"], none: "no run has one")
        #expect(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"720\" height=\"480\""))
        #expect(svg.contains("\n<!-- written by Firebreak (drill stats --svg) -->\n"))
        #expect(svg.contains(">Close &lt;&amp;&gt; &quot;runs&quot;</text>"))
        #expect(svg.components(separatedBy: "fill=\"#c0392b\"").count - 1 == 8)
        #expect(svg.contains("<title>0:10–0:12: 2</title>") && svg.contains("<title>0:24–0:26: 1</title>"))
        #expect(svg.contains(">no run has one</text>"))
        #expect(!svg.contains("<script") && !svg.contains("href"))
        #expect(svg.hasSuffix("</svg>\n"))
        #expect(svg == Histogram.svg([h, Histogram(title: "", times: [], runs: 4)], headings: ["Close <&> \"runs\"", "Publication"], none: "no run has one"))
    }
}

@Suite struct DebriefTests {
    static let scenario = """
        firebreak: 1
        id: debrief
        title: Debrief
        playbook: leaked-photo
        injects:
          - id: leak
            at: 0m
            text: Leaked.
            expect:
              - { published: press, within: 30m }
              - { informed: client, within: 30m }
        actions:
          - { at: 5m, by: comms-lead, draft: press, text: A photo from a shoot was shared. We will update by 23:00. }
          - { at: 20m, by: legal, reject: press, reason: Do not confirm the shoot }
          - { at: 40m, by: comms-lead, revise: press, text: A photo was shared. We will update by 23:00. }
          - { at: 50m, by: legal, approve: press }
          - { at: 55m, by: director, approve: press }
          - { at: 1h, by: comms-lead, publish: press }
          - { at: 1h5m, by: comms-lead, draft: client, text: A note for you. }
          - { at: 1h10m, by: comms-lead, fire: contained }
        end: 4h
        """

    @Test func questionsComeFromWhatHappened() throws {
        let (scenario, playbook) = try loadScenario(Self.scenario, playbook: try loadPlaybook(Fixtures.leakedPhoto))
        let outcome = Simulator(scenario: scenario, playbook: playbook).run()
        let debrief = Debrief(scenario: scenario, playbook: playbook, outcome: outcome)
        #expect(debrief.questions == [
            "Inject leak expected: published to 'press' within 30m. It was due by T+0:30 and came at T+1:00. What stood in the way, and what would have made it in time?",
            "Inject leak expected: informed client within 30m. It was due by T+0:30 and never came. What stood in the way, and what would have made it in time?",
            "'tell-client' (account) fell overdue at T+0:30. What held it up?",
            "'client-note' (account) fell overdue at T+2:00. What held it up?",
            "'follow-up' (comms-lead) fell overdue at T+3:00. What held it up?",
            "'legal' rejected version 1 of S1: \"Do not confirm the shoot\". What changed in the next version, and could it have been right the first time?",
            "S1 to 'press' was published at T+1:00, 55m after its first draft (2 version(s)). What took the time?",
            "S2 to 'client' was drafted at T+1:05 but never published. What stopped it?",
            "The update to 'press' due at T+2:00 did not come. Who kept the cadence, and what got in the way?",
            "What will you do differently next time, and what should change in the playbook?",
        ])
        let dutch = Debrief(scenario: scenario, playbook: playbook, outcome: outcome, t: .dutch)
        #expect(dutch.text().hasPrefix("Nabespreking: vragen voor het team\n  1. "))
        #expect(dutch.questions.last == "Wat doe je de volgende keer anders, en wat moet er in het draaiboek veranderen?")
        #expect(debrief.text().split(separator: "\n").count == 11)
    }

    /// A missed `before`: the other step came first, or (scored at the end) neither was done; each is asked as it was.
    @Test func aMissedOrderSaysWhichStepCameOrThatNeitherDid() throws {
        let text = """
            firebreak: 1
            id: order
            title: Order
            playbook: leaked-photo
            injects:
              - id: leak
                at: 0m
                text: Leaked.
                expect:
                  - { done: holding-statement, before: tell-client }
                  - { done: follow-up, before: client-note }
            actions:
              - { at: 5m, by: account, done: tell-client }
            end: 1h
            """
        let (scenario, playbook) = try loadScenario(text, playbook: try loadPlaybook(Fixtures.leakedPhoto))
        let outcome = Simulator(scenario: scenario, playbook: playbook).run()
        let questions = Debrief(scenario: scenario, playbook: playbook, outcome: outcome).questions
        #expect(Array(questions.prefix(2)) == [
            "'tell-client' was done before 'holding-statement'. Who should have heard first, and what decided the order?",
            "'follow-up' was to be done before 'client-note', and neither was done. Who owned them, and what held them up?",
        ])
        let dutch = Debrief(scenario: scenario, playbook: playbook, outcome: outcome, t: .dutch).questions
        #expect(dutch[1] == "'follow-up' moest vóór 'client-note' gebeuren, en geen van beide is gedaan. Wie waren ervoor verantwoordelijk, en wat hield ze op?")
    }
}
