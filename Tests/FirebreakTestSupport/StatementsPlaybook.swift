extension Fixtures {
    /// A playbook with audiences: a leaked photo. The press needs legal and the director, with an
    /// update every hour; the client is told by phone (an `informs` step). Cast in tests: ann is
    /// comms-lead (the commander), noor legal, marieke director, ben account.
    ///
    /// `follow-up` needs `holding-statement`, so the first publication to the press completes only the latter.
    /// At 3h `follow-up` falls overdue and the timer leaves `respond` for `escalated`.
    public static let leakedPhoto = """
        firebreak: 1
        id: leaked-photo
        title: A photo leaked from a client shoot
        severity: high
        roles:
          comms-lead: { title: Communications lead, escalates-to: director }
          legal: { title: Legal counsel }
          director: { title: Managing director }
          account: { title: Account manager, escalates-to: comms-lead }
        commander: comms-lead
        start: respond
        audiences:
          press:
            title: Press and media
            approvers: [legal, director]
            cadence: 1h
            avoid: [fired, suspended]
          client: { title: The client, approvers: [account] }
        states:
          respond:
            steps:
              - id: holding-statement
                title: Publish a holding statement
                owner: comms-lead
                due: 1h
                statement: press
                template: |-
                  We know a photo of [name] was shared on [platform].
                  We are looking into it and will say more by [time].
              - { id: tell-client, title: Tell the client by phone, owner: account, due: 30m, informs: client }
              - { id: follow-up, title: Follow-up to the press, owner: comms-lead, due: 3h, statement: press, needs: [holding-statement] }
              - { id: client-note, title: Written note to the client, owner: account, due: 2h, statement: client, optional: true }
            on:
              contained: { to: closed, when: all-done }
            after:
              3h: escalated
          escalated:
            steps:
              - { id: brief-director, title: Brief the director, owner: comms-lead, due: 30m }
            on:
              contained: closed
          closed:
            final: true
        """
}
