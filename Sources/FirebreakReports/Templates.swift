/// The built-in report layouts, as Mustache templates. Every value they receive is already
/// escaped for Markdown, so they use `{{{triple}}}` braces. A user's `--template` gets the same data.
public enum ReportTemplates {
    /// Where the streamed timeline rows go in the built-in layout.
    public static let timelineMarker = "{{{timelineRows}}}"

    public static let postMortem = """
        # {{{reference}}}: {{{title}}}

        {{#exercise}}*After-action report of a tabletop exercise (scenario {{{exercise.scenario}}}).*{{/exercise}}{{^exercise}}*Post-mortem of a {{{kind}}}.*{{/exercise}} The factual part is written by Firebreak from the incident's log; the sections at the end are for people to complete.

        | Fact | Value |
        |---|---|
        {{#facts}}
        | {{{name}}} | {{{value}}} |
        {{/facts}}

        ## Key metrics

        | Metric | Value |
        |---|---|
        {{#metrics}}
        | {{{name}}} | {{{value}}} |
        {{/metrics}}

        ## Timeline

        Times are {{{zone}}}; offsets are from {{{offsetBase}}}. *Logged* marks an event recorded later than it happened; *outside role* an actor who does not hold the step's owner role.

        | Time | Offset | Who | What |
        |---|---|---|---|
        {{{timelineRows}}}

        ## Steps

        | State | Round | Step | Owner | Person | Deadline | Done | Result |
        |---|---|---|---|---|---|---|---|
        {{#steps}}
        | {{{state}}} | {{{round}}} | {{{step}}} | {{{owner}}} | {{{person}}} | {{{deadline}}} | {{{doneAt}}} | {{{result}}} |
        {{/steps}}

        ## Decisions

        {{#hasDecisions}}
        | Time | Step | Choice | Who |
        |---|---|---|---|
        {{#decisions}}
        | {{{time}}} | {{{step}}} | {{{choice}}} | {{{who}}} |
        {{/decisions}}
        {{/hasDecisions}}
        {{^hasDecisions}}
        No decision was recorded.
        {{/hasDecisions}}

        ## States over time

        ```mermaid
        {{{gantt}}}
        ```
        {{#exercise}}

        ## Exercise

        ### Objectives

        | Inject | Objective | Deadline | Result | When |
        |---|---|---|---|---|
        {{#objectives}}
        | {{{inject}}} | {{{objective}}} | {{{deadline}}} | {{{result}}} | {{{when}}} |
        {{/objectives}}

        ### Strengths

        {{#strengths}}
        - {{{.}}}
        {{/strengths}}
        {{^strengths}}
        - *None recorded: no objective was met.*
        {{/strengths}}

        ### Areas for improvement

        {{#improvements}}
        - {{{.}}}
        {{/improvements}}
        {{^improvements}}
        - *None found: every objective was met, every step on time.*
        {{/improvements}}

        ### Improvement plan

        | Area for improvement | Corrective action | Owner | Due |
        |---|---|---|---|
        |   |   |   |   |
        |   |   |   |   |
        {{/exercise}}

        ## Summary

        *In three or four sentences: what happened, what it cost, how it ended.*

        ## What went well

        *What helped: people, preparation, tools, decisions worth repeating.*

        ## What went wrong

        *What slowed or hurt the response. Describe the system, not the blame.*

        ## Where we got lucky

        *What went right by chance and would not next time.*

        ## Why we were surprised

        *What did we believe that turned out not to be true?*

        ## Action items

        | Action | Owner | Due |
        |---|---|---|
        |   |   |   |
        |   |   |   |

        """
}
