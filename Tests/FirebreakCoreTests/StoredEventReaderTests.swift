@testable import FirebreakCore
import FirebreakTestSupport
import PropertyBased
import Testing

/// The byte reading of stored events that `verify` folds with reads as decoding the event and
/// then `engineEvent(_:)` do, or leaves the event to them.
@Suite struct StoredEventReaderTests {
    /// The kinds whose text the fold reads (and so the reader gives).
    static let textKinds: Set<Event.Kind> = [.assigned, .deputy, .closed, .drafted]

    /// What decoding the stored event and finding its names gives, as a reading; nil when it does not decode.
    static func decoded(_ playbook: Playbook, _ kind: Event.Kind, _ data: String, at: Int, role: String?, outsideRole: Bool) -> StoredEventReader.Reading? {
        guard let fields = try? Array(data.utf8).withUnsafeBytes({ try FlatJSON.decodeFields(utf8: $0) }), let body = Event.Body(kind: kind, fields: fields)
        else { return nil }
        let event = Event(at: at, actor: "ann", role: role, outsideRole: outsideRole, body)
        guard let (engineEvent, words) = playbook.engineEvent(event) else { return .exercise(kind) }
        return .event(engineEvent, text: textKinds.contains(kind) ? words.text : nil)
    }

    static func read(_ reader: StoredEventReader, _ kind: Event.Kind, _ data: String, at: Int, role: String?, outsideRole: Bool) -> StoredEventReader.Reading? {
        var data = data
        var role = role
        return data.withUTF8 { data in
            if role == nil {
                return reader.read(kind: kind, data: UnsafeRawBufferPointer(data), at: at, role: nil, outsideRole: outsideRole)
            }
            return role!.withUTF8 { role in
                reader.read(kind: kind, data: UnsafeRawBufferPointer(data), at: at, role: UnsafeRawBufferPointer(role), outsideRole: outsideRole)
            }
        }
    }

    @Test func eachKindReadsItsFields() {
        #expect(StoredEventReader.fieldNames(.note).list.map(\.name.description) == ["text", "step"])
        #expect(StoredEventReader.fieldNames(.entered).list.map(\.isText) == [false, false, false, false])
        #expect(StoredEventReader.fieldNames(.inject).list.map(\.isText) == [true, true, true, false])
    }

    /// Every event of generated runs on every shipped playbook but `opened` is read from its bytes, as decoding reads
    /// it, and folding the readings gives the incident.
    @Test func generatedLogsReadFromBytesAsDecoded() async throws {
        let engines = try ReplayPropertyTests.engines()
        let readers = engines.map { StoredEventReader($0.playbook) }
        await propertyCheck(count: 150, input: Gen.int(in: 0...(engines.count - 1)), Move.generator.array(of: 1...60)) { which, moves in
            let engine = engines[which]
            let run = try ReplayPropertyTests.play(moves, on: engine)
            var folded = engine.replay(run.events.prefix(1))
            #expect(folded != nil)
            for event in run.events.dropFirst() {
                let data = FlatJSON.encode(event.body.fields)
                let reading = Self.read(readers[which], event.kind, data, at: event.at, role: event.role, outsideRole: event.outsideRole)
                #expect(reading != nil, "\(event.kind) \(data) was not read from its bytes")
                #expect(reading == Self.decoded(engine.playbook, event.kind, data, at: event.at, role: event.role, outsideRole: event.outsideRole))
                if let reading { engine.fold(reading, into: &folded!) } else { engine.fold(event, into: &folded!) }
            }
            #expect(folded == run.incident)
        }
    }

    /// Stored bytes written by hand: each is read as decoding reads it, or (`false`) left to decoding.
    @Test(arguments: [
        (Event.Kind.note, #"{"text":"n"}"#, "comms-lead", true),
        (.note, #"{"text":"n","step":"capture-photo"}"#, nil, true),
        (.note, #"{"text":"n","step":"no-such-step"}"#, "no-such-role", true),
        (.note, #"{"text":"n","step":5}"#, "comms-lead", true),
        (.note, #"{"text":"say \"no\"\n","step":"assess"}"#, "comms-lead", true),
        (.note, #"{"step":"assess"}"#, "comms-lead", false),
        (.note, #"{"text":"n"}"#, "caf\u{E9}", false),
        (.note, #"{"text":"n","step":"capture-ph\u006fto"}"#, "comms-lead", false),
        (.note, #"{"te\u0078t":"n"}"#, "comms-lead", false),
        (.note, #"{"text":"n","step":"caf\#u{E9}"}"#, "comms-lead", false),
        (.note, #"{"text":"n""#, "comms-lead", false),
        (.note, #" { "text" : "n" , "step" : null } "#, "comms-lead", true),
        (.done, #"{"step":"assess","choice":"respond","note":null}"#, "comms-lead", true),
        (.done, #"{"step":"assess","choice":"respond","note":"x","step":"capture-photo"}"#, "comms-lead", true),
        (.done, #"{"step":"assess","choice":"no-such-choice"}"#, "comms-lead", true),
        (.done, #"{"step":"assess","choice":7}"#, "comms-lead", true),
        (.done, #"{"step":"tell-person","choice":null,"note":null,"via":"inform"}"#, "account-manager", true),
        (.done, #"{"step":"tell-person","via":"S2"}"#, "account-manager", true),
        (.done, #"{"step":"tell-person","via":"s12"}"#, "account-manager", true),
        (.done, #"{"step":"tell-person","via":"S0"}"#, "account-manager", true),
        (.done, #"{"step":"tell-person","via":"S02"}"#, "account-manager", true),
        (.done, #"{"step":"tell-person","via":"S+2"}"#, "account-manager", true),
        (.done, #"{"step":"tell-person","via":"S99999999999999999999999"}"#, "account-manager", true),
        (.done, #"{"step":1}"#, "comms-lead", false),
        (.entered, #"{"state":"respond","from":"triage","event":"respond","round":2}"#, nil, true),
        (.entered, #"{"state":"respond","from":null,"event":null,"round":1}"#, nil, true),
        (.entered, #"{"state":"respond","round":"1"}"#, nil, false),
        (.entered, #"{"state":"respond","round":99999999999}"#, nil, true),
        (.assigned, #"{"assignedRole":"legal","person":"Jos \"JdV\" de Vries"}"#, "comms-lead", true),
        (.deputy, #"{"deputyRole":"no-such-role","person":"pim"}"#, "comms-lead", true),
        (.closed, #"{"reason":"done","forced":true}"#, "comms-lead", true),
        (.closed, #"{"reason":7}"#, "comms-lead", true),
        (.escalated, #"{"step":"assess","to":"director"}"#, nil, true),
        (.escalated, #"{"audience":"press","to":"director"}"#, nil, true),
        (.escalated, #"{"to":"director"}"#, nil, false),
        (.drafted, #"{"statement":"S1","audience":"press","version":1,"text":"We [know]."}"#, "comms-lead", true),
        (.approved, #"{"statement":"S1","version":1,"approver":"legal"}"#, "legal", true),
        (.rejected, #"{"statement":"S1","version":1,"approver":"legal","reason":"no"}"#, "legal", true),
        (.published, #"{"statement":"S1","version":1,"audience":"press","channel":null}"#, "comms-lead", true),
        (.updateOverdue, #"{"audience":"press","due":1700003600}"#, nil, true),
        (.informed, #"{"who":"client","via":"phone","note":null}"#, "account-manager", true),
        (.informed, #"{"who":"cli\u0065nt"}"#, "account-manager", false),
        (.retracted, #"{"retractedSeq":7,"reason":"typo","step":"assess","reopened":true}"#, "comms-lead", true),
        (.retracted, #"{"retractedSeq":7,"reason":"typo","reopened":1}"#, "comms-lead", true),
        (.reopened, #"{"reason":"back"}"#, "comms-lead", true),
        (.skipped, #"{"step":"assess","reason":"n/a"}"#, "comms-lead", true),
        (.overdue, #"{"step":"assess","due":1700001800}"#, nil, true),
        (.timer, #"{"state":"respond","after":3600,"to":"respond"}"#, nil, true),
        (.fired, #"{"event":"respond"}"#, "comms-lead", true),
        (.inject, #"{"inject":"i1","from":"Reporter \"X\"","text":"Any comment?"}"#, nil, true),
        (.refused, #"{"action":"done assess","reason":"not now"}"#, "comms-lead", true),
        (.opened, #"{"playbook":"photo-shoot-leak","title":"t","severity":"high","began":null}"#, "comms-lead", false),
    ] as [(Event.Kind, String, String?, Bool)])
    func handWrittenBytesReadAsDecodedOrNotAtAll(kind: Event.Kind, data: String, role: String?, fromBytes: Bool) throws {
        let playbook = try loadPlaybook(try Fixtures.shippedPlaybookText("photo-shoot-leak.yaml"), fileName: "photo-shoot-leak.yaml")
        let reading = Self.read(StoredEventReader(playbook), kind, data, at: 1_700_000_000, role: role, outsideRole: true)
        if fromBytes {
            #expect(reading != nil)
            #expect(reading == Self.decoded(playbook, kind, data, at: 1_700_000_000, role: role, outsideRole: true))
        } else {
            #expect(reading == nil)
        }
    }

    /// Names are found by their bytes only where every name and the bytes looked for are ASCII (as strings,
    /// canonically equivalent spellings are the same name; a checked playbook's ids are ASCII anyway).
    @Test func namesAreFoundByBytesOnlyWhereBytesDecide() {
        func find(_ names: ByteNames, _ name: String) -> Int32? {
            var name = name
            return name.withUTF8 { names.find(UnsafeRawBufferPointer($0)) }
        }
        let ascii = ByteNames([("assess", 4), ("capture-photo", 9), ("", 2)])
        #expect(find(ascii, "assess") == 4)
        #expect(find(ascii, "capture-photo") == 9)
        #expect(find(ascii, "") == 2)
        #expect(find(ascii, "asses") == -1)
        #expect(find(ascii, "caf\u{E9}") == nil)
        let beyond = ByteNames([("assess", 4), ("\u{212A}elvin", 5)])
        #expect(find(beyond, "assess") == nil)
        #expect(find(beyond, "Kelvin") == nil)
        let many = ByteNames((0..<300).map { ("name-\($0)", Int32($0)) })
        #expect((0..<300).allSatisfy { find(many, "name-\($0)") == Int32($0) })
        #expect(find(many, "name-300") == -1)
        let first = ByteNames(firstOf: ["a", "b", "a", "c"])
        #expect([find(first, "a"), find(first, "b"), find(first, "c"), find(first, "d")] == [0, 1, 3, -1])
    }
}
