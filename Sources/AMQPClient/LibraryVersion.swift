import CRabbitMQ

public enum RabbitMQC {
    /// rabbitmq-c's version string (e.g. `0.11.0`).
    public static var version: String { String(cString: amqp_version()) }
}
