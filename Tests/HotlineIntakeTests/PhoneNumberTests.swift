import HotlineIntake
import Testing

@Suite struct PhoneNumberTests {
    func parsed(_ raw: String) -> PhoneNumber? {
        try? PhoneNumber.parse(raw).get()
    }

    @Test(arguments: [
        "13800138000", "138 0013 8000", "138-0013-8000", "138.0013.8000", "+86 138 0013 8000", "+8613800138000",
        "0086 13800138000", "86 13800138000", "8613800138000", "１３８００１３８０００", "＋８６ １３８ ００１３ ８０００",
        " 138\u{3000}0013\t8000 ",
    ])
    func mobileForms(raw: String) throws {
        let number = try PhoneNumber.parse(raw).get()
        #expect(number.kind == .mobile)
        #expect(number.digits == "13800138000")
        #expect(number.display == "13800138000")
        #expect(number.masked == "138****8000")
    }

    @Test(arguments: [
        "0734-8123456", "0734 8123456", "(0734)8123456", "（0734）8123456", "(0734) 812-3456", "07348123456",
        "+86 734 8123456", "+86 0734 8123456", "0086-734-8123456", "０７３４－８１２３４５６",
        "0734-8123456转123", "0734-8123456 转 8001", "0734-8123456分机12", "0734-8123456 ext. 12", "0734-8123456-123",
    ])
    func landlineForms(raw: String) throws {
        let number = try PhoneNumber.parse(raw).get()
        #expect(number.kind == .landline)
        #expect(number.digits == "07348123456")
        #expect(number.display == "0734-8123456")
        #expect(number.masked == "0734****456")
    }

    @Test func threeDigitAreaCodes() throws {
        let beijing = try PhoneNumber.parse("010-62345678").get()
        #expect(beijing.digits == "01062345678")
        #expect(beijing.display == "010-62345678")
        #expect(beijing.masked == "010****678")
        #expect(parsed("(010)6234 5678")?.digits == "01062345678")
        #expect(parsed("+86 10 6234 5678")?.digits == "01062345678")
        #expect(parsed("020-87654321")?.display == "020-87654321")
        // An 8-digit local number after a 4-digit code.
        #expect(parsed("0513-83456789")?.display == "0513-83456789")
    }

    @Test(arguments: [
        ("", PhoneProblem.empty),
        ("   ", .empty),
        ("138001", .tooFewDigits),
        ("1380013800", .tooFewDigits),
        ("138001380001", .tooManyDigits),
        ("12800138000", .notMainlandNumber),
        ("1380013800a", .containsLetters),
        ("电话13800138000", .containsLetters),
        ("138#0013#8000", .invalidCharacters),
        ("+1 415 555 0100", .foreignCountryCode),
        ("0044 20 7946 0958", .foreignCountryCode),
        ("2345678", .missingAreaCode),
        ("1234567", .notMainlandNumber),
        ("82345678", .missingAreaCode),
        ("0734-123456", .tooFewDigits),
        ("0734-123456789", .tooManyDigits),
        ("0734-0123456", .notMainlandNumber),
        ("010-12345678", .notMainlandNumber),
        ("0123-4567890", .notMainlandNumber),
        ("400-123-4567", .notMainlandNumber),
    ])
    func rejected(raw: String, problem: PhoneProblem) {
        #expect(PhoneNumber.parse(raw) == .failure(problem))
    }

    @Test func problemDescriptionsNeverContainTheDigits() {
        let inputs = ["138001", "1380013800a", "+1 415 555 0100", "2345678", "0734-123456789", "400-123-4567", "138#0013#8000"]
        for raw in inputs {
            guard case .failure(let problem) = PhoneNumber.parse(raw) else {
                Issue.record("accepted an invalid number")
                continue
            }
            let digits = raw.filter(\.isNumber)
            #expect(!problem.description.contains(digits))
            // Not even a run of four of its digits.
            for start in 0...(digits.count - 4) {
                let run = String(Array(digits)[start..<(start + 4)])
                #expect(!problem.description.contains(run), "\(problem) contains part of the number")
            }
        }
    }

    @Test func interpolationShowsTheMaskedForm() {
        let number = parsed("13800138000")!
        #expect("\(number)" == "138****8000")
    }

    @Test func theSameNumberIsEqualWhateverTheForm() {
        #expect(parsed("+86 138 0013 8000") == parsed("１３８００１３８０００"))
        #expect(parsed("(0734)8123456") == parsed("0734-8123456转99"))
        #expect(parsed("13800138000") != parsed("13800138001"))
    }
}
