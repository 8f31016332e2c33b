import Foundation
@testable import HotlineRuntime
import HotlineStore
import Logging
import PostgresClient
import Testing

/// Personal data is masked by the log handler, in one place, whatever the call site wrote.
@Suite struct LogMaskingTests {
    @Test func phonesInFreeTextAreMaskedAndOrderNumbersAreNot() {
        #expect(Masking.scrub("citizen 13812345678 called") == "citizen 138****5678 called")
        #expect(Masking.scrub("+8613812345678") == "+138****5678")
        #expect(Masking.scrub("１３８１２３４５６７８") == "138****5678")
        #expect(Masking.scrub("landline 0755-12345678.") == "landline 075****5678.")
        #expect(Masking.scrub("order 12345-20261130-000123 v3") == "order 12345-20261130-000123 v3")
        #expect(Masking.scrub("port 55432, pid 2748") == "port 55432, pid 2748")
        #expect(Masking.scrub("") == "")
    }

    /// The quick check that lets most values skip the full reading never lets a phone through:
    /// over texts with and without numbers of every length, separators and full-width digits,
    /// whenever the full reading masks something the quick check said "may hold a phone".
    @Test func theQuickCheckNeverLetsAPhoneThrough() {
        var texts = ["citizen 13812345678 called", "0755-12345678", "0755 1234567", "075-123456789", "010-12345678",
                     "8613812345678", "008613812345678", "１３８１２３４５６７８", "１3８12345678",
                     "order 12345-20261130-000123 v3", "8c1f4a2e-1234-4321-9876-123456789012", "port 55432", ""]
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("0123456789-  x０１")
        for _ in 0..<5_000 {
            texts.append(String((0..<Int.random(in: 1...24, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! }))
        }
        for text in texts where Masking.scrubbedFully(text) != text {
            #expect(Masking.mayHoldPhone(text), "\(text)")
        }
        #expect(!Masking.mayHoldPhone("order 12345-20261130-000123 v3"))
        #expect(!Masking.mayHoldPhone("8c1f4a2e-1234-4321-9876-abcdef123456"))
        #expect(Masking.mayHoldPhone("0755-12345678"))
        #expect(Masking.scrub("0755-12345678") == "075****5678")
    }

    @Test func personalMetadataIsMaskedByItsKeyAndEveryValueIsScrubbed() {
        let fields: [String: Logger.Metadata.Value] = [
            "hotline.citizen.phone": "13812345678",
            "hotline.citizen.name": "张三丰",
            "hotline.sms.text": "楼上装修噪音扰民",
            "hotline.error": "failed for 13912345678",
            "hotline.work_order.number": "12345-20261130-000123",
        ]
        let masked = fields.mapValues { $0 }.reduce(into: [String: String]()) { out, field in
            if case .string(let text) = JSONLogHandler.masked(field.value, key: field.key) { out[field.key] = text }
        }
        #expect(masked["hotline.citizen.phone"] == "138****5678")
        #expect(masked["hotline.citizen.name"] == "张**")
        #expect(masked["hotline.sms.text"] == "<8 chars>")
        #expect(masked["hotline.error"] == "failed for 139****5678")
        #expect(masked["hotline.work_order.number"] == "12345-20261130-000123")
    }

    @Test func anErrorOfUnknownTypeIsDescribedByItsTypeNameOnly() {
        struct CitizenQuotingError: Error, CustomStringConvertible {
            var description: String { "no unit for 13812345678: 楼上装修噪音扰民" }
        }
        let said = SafeErrors.describe(CitizenQuotingError())
        #expect(said.contains("CitizenQuotingError"))
        #expect(!said.contains("13812345678") && !said.contains("噪音"))
        #expect(SafeErrors.describe(InvalidMessage(reason: "data.phone: missing")) == "invalid-message: data.phone: missing")
    }
}

@Suite struct SafeErrorCodeTests {
    @Test func codesNameTheKindAndTheCase() {
        #expect(SafeErrors.describe(WorkOrderStoreError.unknownUnit("WATER")) == "store-unknownUnit: no unit WATER")
        #expect(SafeErrors.describe(PostgresError(code: .sqlState("23505"), sqlState: "23505", message: "Key (phone)=(13812345678) already exists",
                                                  statement: "INSERT INTO t VALUES ($1)")).hasPrefix("postgres: "))
        #expect(!SafeErrors.describe(PostgresError(code: .sqlState("23505"), sqlState: "23505", message: "Key (phone)=(13812345678) already exists"))
            .contains("13812345678"))
    }
}
