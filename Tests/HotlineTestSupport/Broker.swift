import Foundation

/// Helpers for tests that talk to the RabbitMQ broker.
public enum Broker {
    /// A queue or exchange name no other test (or engineer sharing the broker) uses.
    public static func uniqueName(_ prefix: String) -> String {
        "test.\(prefix).\(UUID().uuidString.prefix(8).lowercased())"
    }

    /// Runs `body` on a dedicated thread and waits for it, so that blocking client calls never run
    /// on Swift's cooperative pool (a connection is owned by one thread for its whole life).
    public static func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                do { continuation.resume(returning: try body()) } catch { continuation.resume(throwing: error) }
            }
            thread.name = "broker-test"
            thread.start()
        }
    }
}
