import Foundation

/// Chosen crash points for the fault suite, from `HOTLINE_FAULT` (never set in production):
///
/// - `kill-after-commit:N`: a lane SIGKILLs its process after committing its Nth batch, before
///   acknowledging it (the redelivered batch must change nothing).
/// - `kill-after-publish:N`: the relay SIGKILLs its process after its Nth batch was published and
///   confirmed, before marking the rows published (the rows are published again).
/// - `kill-mid-batch:N`: the deadline watch's claimer SIGKILLs its process after applying its Nth
///   timer, before the batch's commit (the batch's timers are claimed and fired again).
public struct FaultInjection: Sendable, Equatable {
    public var killAfterCommit: Int?
    public var killAfterPublish: Int?
    public var killMidBatch: Int?

    public init(killAfterCommit: Int? = nil, killAfterPublish: Int? = nil, killMidBatch: Int? = nil) {
        self.killAfterCommit = killAfterCommit
        self.killAfterPublish = killAfterPublish
        self.killMidBatch = killMidBatch
    }

    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> FaultInjection {
        var fault = FaultInjection()
        for part in (environment["HOTLINE_FAULT"] ?? "").split(separator: ",") {
            let pieces = part.split(separator: ":")
            guard pieces.count == 2, let count = Int(pieces[1]) else { continue }
            switch pieces[0] {
            case "kill-after-commit": fault.killAfterCommit = count
            case "kill-after-publish": fault.killAfterPublish = count
            case "kill-mid-batch": fault.killMidBatch = count
            default: continue
            }
        }
        return fault
    }
}

/// Counts events and kills the process at the chosen one. Shared by a process's lanes/relay (and
/// public for a worker's own loops: the deadline watch's claimer).
public final class FaultTrigger: @unchecked Sendable {
    // @unchecked Sendable: `count` is only touched under `lock`.
    private let lock = NSLock()
    private var count = 0
    private let at: Int?
    private let point: String

    public init(at: Int?, point: String) {
        self.at = at
        self.point = point
    }

    public func tick() {
        guard let at else { return }
        let reached = lock.withLock { count += 1; return count == at }
        if reached {
            FileHandle.standardError.write(Data("{\"level\":\"critical\",\"msg\":\"fault injection: SIGKILL \(point)\"}\n".utf8))
            kill(getpid(), SIGKILL)
        }
    }
}
