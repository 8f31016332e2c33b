import HotlineRuntime
import Testing

@Suite struct ConfigurationTests {
    @Test func flagsWinOverEnvironmentAndDefaultsApply() throws {
        // parse() validates against the process environment, so the URLs come as flags here.
        let options = try WorkerOptions.parse(["--lanes", "3", "--database-url", "postgres://f:f@127.0.0.1:1/f",
                                               "--amqp-url", "amqp://f:f@127.0.0.1:2/"])
        let configuration = try options.resolve(environment: [
            "HOTLINE_DATABASE_URL": "postgres://u:p@127.0.0.1:5/db",
            "HOTLINE_LANES": "7",
            "HOTLINE_PROFILE": "zezhou",
        ])
        #expect(configuration.databaseURL == "postgres://f:f@127.0.0.1:1/f")
        #expect(configuration.lanes == 3)
        #expect(configuration.prefetch == 100)
        #expect(configuration.profile == "zezhou")
        #expect(configuration.httpPort == 0)
    }

    @Test func wrongSchemesAreReported() throws {
        #expect(throws: (any Error).self) {
            try WorkerOptions.parse(["--database-url", "mysql://x", "--amqp-url", "amqp://x"])
        }
        #expect(throws: (any Error).self) {
            try WorkerOptions.parse(["--database-url", "postgres://x", "--amqp-url", "http://x"])
        }
    }
}

@Suite struct MaskingTests {
    @Test func phoneNumbersKeepPrefixAndLastFour() {
        #expect(Masking.phone("13812341234") == "138****1234")
        #expect(Masking.phone("+86 138 1234 1234") == "138****1234")
        #expect(Masking.phone("0086-13812341234") == "138****1234")
        #expect(!Masking.phone("0734-5551234").contains("555"))
    }

    @Test func namesKeepTheFirstCharacter() {
        #expect(Masking.name("张三丰") == "张**")
        #expect(Masking.name("李") == "李*")
    }

    @Test func urlsLoseTheirPassword() {
        #expect(Masking.url("amqp://hotline:pw@127.0.0.1:5672/") == "amqp://hotline:***@127.0.0.1:5672/")
        #expect(Masking.url("postgres://127.0.0.1/db") == "postgres://127.0.0.1/db")
    }

    @Test func textIsReducedToItsLength() {
        #expect(Masking.text("3 还是没人管") == "<7 chars>")
    }
}
