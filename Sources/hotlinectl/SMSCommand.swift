import ArgumentParser
import Foundation
import HotlineDomain
import HotlineRuntime
import HotlineSMS
import HotlineStore
import PostgresClient

/// `hotlinectl sms`: the fake phone for development, and what went out and came in.
struct SMSCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sms",
        abstract: "Answer as a citizen through the fake SMS centre, and look at the SMS that went out and came in (masked).",
        subcommands: [ReplyAs.self, Log.self, PhoneRevisitsList.self])

    struct ReplyAs: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "reply-as",
            abstract: "The citizen at --phone sends --text to the hotline through Kannel's fake SMS centre (ops/services).",
            discussion: "Reads HOTLINE_KANNEL_DIR (`eval \"$(ops/services env)\"`). hotline-sms-reply reads the answer as it arrives.")
        @Option(help: "The citizen's mobile number.") var phone: String
        @Option(help: "What they type, e.g. 1, ３, 满意, 退订.") var text: String
        @Option(help: "The hotline's number they answer.") var to = "12345"

        func run() throws {
            guard let fake = FakePhone.fromEnvironment() else {
                throw UsageError("HOTLINE_KANNEL_DIR is not set: `eval \"$(ops/services env)\"` after `ops/services up`")
            }
            guard MobileNumber.canonical(phone) != nil else { throw UsageError("--phone: not a mainland mobile number") }
            try fake.send(from: phone, to: to, text: text)
            print("sent from \(Masking.phone(phone)) to \(to): \(Masking.text(text))")
        }
    }

    struct Log: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The latest SMS both ways, newest first: phones masked, texts as their length unless --unmasked.",
            discussion: """
            --to-look-at lists only the citizens' answers the revisit staff must read (unclear ones, and replies from phones \
            with no pending revisit). --fake-phone shows what the fake SMS centre's phones received instead.
            """)
        @OptionGroup var database: DatabaseOption
        @Option(help: "At most this many messages.") var limit = 30
        @Flag(help: "Only the answers the revisit staff must read.") var toLookAt = false
        @Flag(help: "What the fake SMS centre's phones received (HOTLINE_KANNEL_DIR).") var fakePhone = false
        @Flag(help: "Print texts as they are (they are personal data).") var unmasked = false

        func run() throws {
            func show(_ text: String) -> String { unmasked ? text : Masking.text(text) }
            if fakePhone {
                guard let fake = FakePhone.fromEnvironment() else { throw UsageError("HOTLINE_KANNEL_DIR is not set") }
                let received = try fake.received().suffix(limit)
                if received.isEmpty { print("the fake phones received nothing yet") }
                for message in received.reversed() { print("\(message.from) → \(Masking.phone(message.to))\t\(show(message.text))") }
                return
            }
            let connection = try database.connect(name: "hotlinectl-sms")
            defer { connection.close() }
            let lines = toLookAt ? try SMSMessages.toLookAt(limit: limit, on: connection) : try SMSMessages.log(limit: limit, on: connection)
            if lines.isEmpty { print(toLookAt ? "no answers to look at" : "no SMS yet"); return }
            print("id\tat (China time)\tway\tphone\torder\tstatus\tread as\tattempts\ttext")
            for line in lines {
                print([String(line.id), ChinaTime.format(line.at), line.direction == "outbound" ? "out" : "in", Masking.phone(line.phone),
                       line.number ?? "-", line.status, line.interpretation ?? "-", String(line.attempts), show(line.body)]
                    .joined(separator: "\t"))
            }
        }
    }

    struct PhoneRevisitsList: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "phone-revisits",
            abstract: "The office's phone-revisit queue: orders whose citizen must be phoned, oldest first, with why.")
        @OptionGroup var database: DatabaseOption
        @Option(help: "At most this many.") var limit = 50

        func run() throws {
            let connection = try database.connect(name: "hotlinectl-sms")
            defer { connection.close() }
            let open = try PhoneRevisits.open(limit: limit, on: connection)
            if open.isEmpty { print("no open phone revisits"); return }
            for entry in open { print("\(entry.number)\t\(entry.reason)\t\(ChinaTime.format(entry.queuedAt))") }
        }
    }
}
