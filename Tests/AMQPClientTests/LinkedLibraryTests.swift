import AMQPClient
import Testing

@Suite struct LinkedLibraryTests {
    /// The package links Debian 12's rabbitmq-c 0.11, the version whose pitfalls ARCHITECTURE.md lists.
    @Test func linksRabbitMQC011() {
        #expect(RabbitMQC.version.hasPrefix("0.11."))
    }
}
