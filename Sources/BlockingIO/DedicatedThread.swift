import Foundation

/// One OS thread that runs submitted closures serially, in order, for its whole life.
///
/// For blocking C libraries (libpq, rabbitmq-c) whose connections must be owned by one thread and
/// must never block Swift's cooperative pool: create the connection in a closure run here, keep it
/// in state only touched from here, and `await run { ... }` from async code.
public final class DedicatedThread: Sendable {
    private let queue: JobQueue
    public let name: String

    /// `name` names the OS thread (its first 15 bytes, on Linux). Lanes and relays run deep
    /// handler code and ask for more stack than the 1 MiB a connection in a pool needs.
    public init(name: String, stackSize: Int = 1 << 20) {
        self.name = name
        let queue = JobQueue()
        self.queue = queue
        // Linux names a thread from inside it, in at most 15 bytes (else it keeps the creator's).
        let shortName = String(decoding: name.utf8.prefix(15), as: UTF8.self)
        let thread = Thread {
            Thread.current.name = shortName
            Thread.current.threadDictionary[DedicatedThread.nameKey] = name
            queue.loop()
        }
        thread.stackSize = stackSize
        thread.start()
    }

    deinit {
        queue.stop()
    }

    private static let nameKey = "hotline.DedicatedThread.name"

    /// The name of the `DedicatedThread` running the calling code, nil on any other thread (the
    /// cooperative pool, the main thread).
    public static var currentName: String? {
        Thread.current.threadDictionary[nameKey] as? String
    }

    /// Queues `job` to run on the thread. Jobs run one at a time, in submission order.
    /// Returns false (and drops the job) after `shutdown()`.
    @discardableResult
    public func submit(_ job: @escaping @Sendable () -> Void) -> Bool {
        queue.push(job)
    }

    /// Runs `body` on the thread and resumes the caller with its result.
    public func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        // The box lets go of `body` before the caller resumes, so a caller may pass a closure
        // made escapable with `withoutActuallyEscaping`.
        let box = OnceBox(body)
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let accepted = queue.push {
                continuation.resume(with: box.run())
            }
            if !accepted { continuation.resume(throwing: DedicatedThreadStopped(name: name)) }
        }
    }

    /// Runs `body` on the thread and blocks the calling thread until it returns. Never call this
    /// from the thread itself (it would wait for itself) or from the cooperative pool.
    public func runBlocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) throws -> T {
        let done = DispatchSemaphore(value: 0)
        let box = ResultBox<T>()
        let accepted = queue.push {
            box.value = Result { try body() }
            done.signal()
        }
        guard accepted else { throw DedicatedThreadStopped(name: name) }
        done.wait()
        return try box.value!.get()
    }

    /// Runs `body` once on a new thread of its own, which ends with it: a loop that owns its
    /// connections for life (a lane, a relay), or one blocking job (migrations, a benchmark).
    public static func run<T: Sendable>(name: String, stackSize: Int = 1 << 20,
                                        _ body: @escaping @Sendable () throws -> T) async throws -> T {
        let thread = DedicatedThread(name: name, stackSize: stackSize)
        defer { thread.shutdown() }
        return try await thread.run(body)
    }

    /// Like `run(name:stackSize:_:)`, blocking the calling thread (not for the cooperative pool).
    public static func runBlocking<T: Sendable>(name: String, stackSize: Int = 1 << 20,
                                                _ body: @escaping @Sendable () throws -> T) throws -> T {
        let thread = DedicatedThread(name: name, stackSize: stackSize)
        defer { thread.shutdown() }
        return try thread.runBlocking(body)
    }

    /// Lets the thread finish the jobs already queued, then end. Later submissions are refused.
    public func shutdown() {
        queue.stop()
    }
}

/// Thrown for a job submitted after `shutdown()`.
public struct DedicatedThreadStopped: Error, CustomStringConvertible {
    public let name: String
    public var description: String { "thread \(name) was shut down" }
}

/// Holds a job's body until it runs once, then drops it.
///
/// `@unchecked Sendable`: `body` is set in `init` and only read and cleared by `run`, which the
/// dedicated thread calls once.
private final class OnceBox<T>: @unchecked Sendable {
    private var body: (() throws -> T)?

    init(_ body: @escaping () throws -> T) { self.body = body }

    func run() -> Result<T, any Error> {
        guard let body else { return .failure(DedicatedThreadStopped(name: "job already ran")) }
        self.body = nil
        return Result { try body() }
    }
}

/// `@unchecked Sendable`: written by the job on the dedicated thread before `signal()`, read by the
/// waiting thread after `wait()`; the semaphore orders the two.
private final class ResultBox<T>: @unchecked Sendable {
    var value: Result<T, any Error>?
}

/// `@unchecked Sendable`: every field is read and written only with `condition` locked.
private final class JobQueue: @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [(@Sendable () -> Void)?] = []
    private var head = 0
    private var stopping = false

    func push(_ job: @escaping @Sendable () -> Void) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        if stopping { return false }
        jobs.append(job)
        condition.signal()
        return true
    }

    func stop() {
        condition.lock()
        stopping = true
        condition.signal()
        condition.unlock()
    }

    func loop() {
        while true {
            condition.lock()
            while head == jobs.count && !stopping { condition.wait() }
            if head == jobs.count {
                condition.unlock()
                return
            }
            let job = jobs[head]!
            jobs[head] = nil
            head += 1
            if head > 64 && head * 2 > jobs.count {
                jobs.removeFirst(head)
                head = 0
            }
            condition.unlock()
            job()
        }
    }
}
