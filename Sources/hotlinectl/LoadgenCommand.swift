import AMQPClient
import ArgumentParser
import Foundation
import HotlineContracts
import HotlineRuntime

/// `hotlinectl loadgen`: publishes generated submissions to `hotline.intake` through the real
/// contract, paced to a rate, with publisher confirms.
struct Loadgen: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "loadgen",
        abstract: "Publish realistic submissions from the demo county (石桥县) to hotline.intake at a rate.",
        discussion: """
        Submissions vary in matter (water, power, wages, schools, housing, markets, environment, street trading, gas, township matters), category (Chinese names and English codes), channel (mostly phone), urgency, address (a region code or only text) and in how the phone number is written. By default 2% are invalid (missing content, bad phone, unknown category, malformed region code), 3% repeat an earlier citizen's matter in other words, and 14 citizens of 龙口镇龙口村 report the same matter (one cluster, spread through the run; runs of fewer than \(SubmissionGenerator.clusterMinimumCount) have none). --clean turns all three off.

        Each submission id is lg-<run>-<n>; receivedAt is the publish time. Messages are published mandatory, in small batches paced to --rate, each batch waiting for its confirms. A message the broker returns (no queue bound for its key) is an error: start hotline-intake first. The same --seed gives the same submissions.
        """)

    @Option(help: "Submissions per second (0: as fast as the broker confirms).")
    var rate: Double = 50

    @Option(help: "How many submissions.")
    var count = 1000

    @Option(name: .customLong("channel"), help: "Only this channel (repeat for several): phone, wechat, website, app, mayorMailbox, sms, ...")
    var channels: [String] = []

    @Option(help: "The generator's seed (default: a random one, printed in the summary).")
    var seed: UInt64?

    @Option(help: "Fraction of invalid submissions.")
    var invalidFraction = 0.02

    @Option(help: "Fraction of repeats (same phone, same matter, other words).")
    var repeatFraction = 0.03

    @Flag(help: "No cluster.")
    var noCluster = false

    @Flag(help: "No invalid submissions, no repeats, no cluster (benchmarks).")
    var clean = false

    @Option(help: "The run id in submission ids lg-<run>-<n> (default: random).")
    var runId: String?

    @Flag(help: "Generate and summarise the submissions without publishing anything.")
    var dryRun = false

    @Option(help: "With --dry-run: also print the first N submissions, one JSON envelope per line.")
    var show = 0

    @Flag(help: "Print the summary as JSON.")
    var json = false

    @OptionGroup var broker: BrokerOption

    func validate() throws {
        guard rate.isFinite, rate >= 0 else { throw ValidationError("--rate must be 0 (as fast as possible) or a positive number") }
        guard (1...10_000_000).contains(count) else { throw ValidationError("--count must be between 1 and 10000000") }
        for (name, value) in [("--invalid-fraction", invalidFraction), ("--repeat-fraction", repeatFraction)] {
            guard value.isFinite, (0...0.5).contains(value) else { throw ValidationError("\(name) must be between 0 and 0.5") }
        }
        guard invalidFraction + repeatFraction <= 0.5 else { throw ValidationError("--invalid-fraction and --repeat-fraction together must not exceed 0.5") }
        for channel in channels {
            guard Self.isValidChannel(channel) else {
                throw ValidationError("--channel must be a name without spaces, '*' or '#' (e.g. phone, wechat, sms)")
            }
        }
        if let runId, !Self.isValidRunId(runId) {
            throw ValidationError("--run-id must be 1 to 32 letters, digits or '-'")
        }
        guard show >= 0 else { throw ValidationError("--show must not be negative") }
        if show > 0, !dryRun { throw ValidationError("--show only goes with --dry-run") }
    }

    static func isValidChannel(_ channel: String) -> Bool {
        !channel.isEmpty && channel.count <= 64 && !channel.contains { $0.isWhitespace || $0 == "*" || $0 == "#" }
    }

    static func isValidRunId(_ id: String) -> Bool {
        (1...32).contains(id.count) && id.allSatisfy { ($0.isASCII && ($0.isLetter || $0.isNumber)) || $0 == "-" }
    }

    var generatorOptions: SubmissionGenerator.Options {
        let seed = seed ?? UInt64.random(in: 1...UInt64(Int64.max))
        let runId = runId ?? String(UInt64.random(in: 0...UInt64(Int64.max)), radix: 36).suffix(6).lowercased()
        if clean { return .clean(seed: seed, count: count, runId: runId, channels: channels) }
        return SubmissionGenerator.Options(seed: seed, count: count, runId: runId, channels: channels,
                                           invalidFraction: invalidFraction, repeatFraction: repeatFraction, cluster: !noCluster)
    }

    func run() throws {
        let options = generatorOptions
        var generator = SubmissionGenerator(options)
        let pacing = Pacing(rate: rate)
        if dryRun {
            var statistics = GeneratorStatistics()
            let at = GeneratorStatistics.fixedTime
            while let generated = generator.next(receivedAt: at) {
                let message = SubmissionMessage.outgoing(generated.submission, occurredAt: at, id: GeneratorStatistics.fixedId)
                statistics.add(generated, body: message.body)
                if generated.index < show { print(String(decoding: message.body, as: UTF8.self)) }
            }
            let summary = DryRunSummary(runId: options.runId, seed: options.seed, rate: rate, pacing: pacing.summary(count: count),
                                        statistics: statistics)
            if json { print(encodeJSON(summary)) } else { summary.print() }
            return
        }

        let connection = try AMQPConnection(url: try broker.url(), connectionName: "hotlinectl-loadgen")
        defer { connection.close() }
        try TopologyDeclarer.declareExchanges(on: connection)
        let progress: ((String) -> Void)? = json ? nil : { line in FileHandle.standardError.write(Data((line + "\n").utf8)) }
        let result = try LoadPublisher.publish(&generator, pacing: pacing, on: connection, progress: progress)
        let summary = LoadgenSummary(runId: options.runId, seed: options.seed, result: result)
        if json { print(encodeJSON(summary)) } else { summary.print() }
        if result.returned > 0 {
            throw LoadgenFailure("no intake queue bound: start hotline-intake first (the broker returned \(result.returned) "
                + "message\(result.returned == 1 ? "" : "s") published to \(Topology.intakeExchange) with key "
                + "\(result.returnedKeys.sorted().joined(separator: ", ")))")
        }
        if result.failed > 0 {
            throw LoadgenFailure("the broker did not confirm \(result.failed) message\(result.failed == 1 ? "" : "s") after 3 attempts")
        }
    }
}

struct LoadgenFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Batches paced to a rate: message number `n` (from 0) is due `n / rate` seconds after the start.
/// A batch is published when its first message is due and waits for its confirms; a publisher that
/// falls behind publishes at once and never bursts to catch up by more than one batch.
struct Pacing: Equatable, Sendable {
    /// Messages per second; 0: as fast as the broker confirms.
    let rate: Double

    /// About a hundred batches a second at most, and never more than 100 messages in one.
    var batchSize: Int { rate <= 0 ? 100 : min(100, max(1, Int(rate / 100))) }

    /// Seconds after the start at which message `sent` (0-based) is due.
    func due(sent: Int) -> Double { rate <= 0 ? 0 : Double(sent) / rate }

    func batches(count: Int) -> Int { (count + batchSize - 1) / batchSize }

    /// How long `count` messages take at the rate (0 when unpaced).
    func plannedSeconds(count: Int) -> Double { due(sent: count) }

    struct Summary: Codable, Sendable {
        var batchSize: Int
        var batches: Int
        var plannedSeconds: Double
    }

    func summary(count: Int) -> Summary {
        Summary(batchSize: batchSize, batches: batches(count: count), plannedSeconds: plannedSeconds(count: count))
    }
}

/// Publishing a generator's submissions with confirms (shared by `loadgen` and `bench pipeline`).
enum LoadPublisher {
    struct Result: Sendable {
        var count: Int
        var rate: Double
        var published = 0
        var confirmed = 0
        /// Returned by the broker (mandatory, no queue bound): publishing stopped at the first.
        var returned = 0
        var returnedKeys: Set<String> = []
        /// Nacked or unconfirmed after every attempt.
        var failed = 0
        var startedAt = Date()
        var elapsedSeconds = 0.0
        var statistics = GeneratorStatistics()

        var achievedRate: Double { elapsedSeconds > 0 ? Double(confirmed) / elapsedSeconds : 0 }
    }

    static let attempts = 3

    /// Publishes every submission of `generator`; stops early when the broker returns a message.
    /// Call from a thread that may block (the connection's owner).
    static func publish(_ generator: inout SubmissionGenerator, pacing: Pacing, on connection: AMQPConnection,
                        progress: ((String) -> Void)? = nil) throws -> Result {
        var result = Result(count: generator.count, rate: pacing.rate)
        let clock = ContinuousClock()
        let start = clock.now
        result.startedAt = Date()
        var lastProgress = start
        var batch: [OutgoingMessage] = []
        batch.reserveCapacity(pacing.batchSize)
        var sent = 0
        while sent < generator.count {
            let due = start + .milliseconds(Int64((pacing.due(sent: sent) * 1000).rounded()))
            let now = clock.now
            if now < due { Thread.sleep(forTimeInterval: (due - now).inSeconds) }
            // receivedAt: the moment the channel hands the submission over, i.e. now.
            let publishedAt = Date()
            batch.removeAll(keepingCapacity: true)
            while batch.count < pacing.batchSize, let generated = generator.next(receivedAt: publishedAt) {
                let message = SubmissionMessage.outgoing(generated.submission, occurredAt: publishedAt)
                result.statistics.add(generated, body: message.body)
                batch.append(message)
            }
            sent += batch.count
            result.published += batch.count
            var pending = batch
            for attempt in 1...attempts {
                let outcomes = try connection.publish(pending, timeout: .seconds(30))
                var retry: [OutgoingMessage] = []
                for (message, outcome) in zip(pending, outcomes) {
                    switch outcome {
                    case .confirmed: result.confirmed += 1
                    case .returned:
                        result.returned += 1
                        result.returnedKeys.insert(message.routingKey)
                    case .nacked, .unconfirmed: retry.append(message)
                    }
                }
                pending = retry
                if pending.isEmpty || result.returned > 0 { break }
                if attempt == attempts { result.failed += pending.count }
            }
            result.elapsedSeconds = (clock.now - start).inSeconds
            if result.returned > 0 { break }
            if let progress, clock.now - lastProgress >= .seconds(10) {
                lastProgress = clock.now
                progress(String(format: "… %d of %d confirmed (%.0f/s)", result.confirmed, result.count, result.achievedRate))
            }
        }
        return result
    }
}

/// Counts of what a generator produced (the summary of `loadgen`, and `--dry-run --json`).
struct GeneratorStatistics: Encodable, Sendable {
    /// The instant and envelope id a dry run uses, so its digest depends on the seed alone.
    static let fixedTime = Date(timeIntervalSince1970: 1_767_225_600) // 2026-01-01T00:00:00Z
    static let fixedId = UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))

    var total = 0
    var normal = 0
    var invalid: [String: Int] = [:]
    var repeats = 0
    var cluster = 0
    var categories: [String: Int] = [:]
    var channels: [String: Int] = [:]
    var urgencies: [String: Int] = [:]
    var withRegionCode = 0
    var addressOnly = 0
    var confidential = 0
    /// Phones written with spaces or dashes, with +86, or in full-width digits.
    var phoneForms: [String: Int] = [:]
    var distinctPhones = 0
    var distinctSubmissionIds = 0
    /// Repeats whose phone (normalised) is their original's.
    var repeatsWithOriginalPhone = 0
    var clusterCitizens = 0
    var clusterRegionCode = SubmissionGenerator.clusterRegionCode
    var clusterPlace = SubmissionGenerator.clusterPlace
    var totalBodyBytes = 0
    /// FNV-1a of every message body (a dry run's bodies depend only on the options and seed).
    var digest = ""

    private var phones: [String] = []
    private var phoneSet: Set<String> = []
    private var ids: Set<String> = []
    private var clusterPhones: Set<String> = []
    private var hash: UInt64 = 0xCBF2_9CE4_8422_2325

    enum CodingKeys: String, CodingKey {
        case total, normal, invalid, repeats, cluster, categories, channels, urgencies, withRegionCode, addressOnly
        case confidential, phoneForms, distinctPhones, distinctSubmissionIds, repeatsWithOriginalPhone
        case clusterCitizens, clusterRegionCode, clusterPlace, meanBodyBytes, digest
    }

    init() {}

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(total, forKey: .total)
        try c.encode(normal, forKey: .normal)
        try c.encode(invalid, forKey: .invalid)
        try c.encode(repeats, forKey: .repeats)
        try c.encode(cluster, forKey: .cluster)
        try c.encode(categories, forKey: .categories)
        try c.encode(channels, forKey: .channels)
        try c.encode(urgencies, forKey: .urgencies)
        try c.encode(withRegionCode, forKey: .withRegionCode)
        try c.encode(addressOnly, forKey: .addressOnly)
        try c.encode(confidential, forKey: .confidential)
        try c.encode(phoneForms, forKey: .phoneForms)
        try c.encode(distinctPhones, forKey: .distinctPhones)
        try c.encode(distinctSubmissionIds, forKey: .distinctSubmissionIds)
        try c.encode(repeatsWithOriginalPhone, forKey: .repeatsWithOriginalPhone)
        try c.encode(clusterCitizens, forKey: .clusterCitizens)
        try c.encode(clusterRegionCode, forKey: .clusterRegionCode)
        try c.encode(clusterPlace, forKey: .clusterPlace)
        try c.encode(meanBodyBytes, forKey: .meanBodyBytes)
        try c.encode(digest, forKey: .digest)
    }

    var meanBodyBytes: Int { total > 0 ? (totalBodyBytes + total / 2) / total : 0 }

    mutating func add(_ generated: SubmissionGenerator.Generated, body: [UInt8]) {
        let s = generated.submission
        total += 1
        let phone = Self.normalisedPhone(s.citizen?.phone ?? "")
        switch generated.kind {
        case .normal: normal += 1
        case .invalid(let problem): invalid[problem.rawValue, default: 0] += 1
        case .repeatOf(let original):
            repeats += 1
            if original < phones.count, phones[original] == phone { repeatsWithOriginalPhone += 1 }
        case .cluster:
            cluster += 1
            clusterPhones.insert(phone)
            clusterCitizens = clusterPhones.count
        }
        phones.append(phone)
        phoneSet.insert(phone)
        distinctPhones = phoneSet.count
        if let id = s.submissionId { ids.insert(id) }
        distinctSubmissionIds = ids.count
        categories[s.category ?? "(none)", default: 0] += 1
        channels[s.channel ?? "(none)", default: 0] += 1
        urgencies[s.urgency ?? "(none)", default: 0] += 1
        if s.regionCode != nil { withRegionCode += 1 } else if s.address != nil { addressOnly += 1 }
        if s.confidential == true { confidential += 1 }
        if let raw = s.citizen?.phone {
            if raw.unicodeScalars.contains(where: { (0xFF10...0xFF19).contains($0.value) }) { phoneForms["fullWidth", default: 0] += 1 }
            if raw.hasPrefix("+86") { phoneForms["+86", default: 0] += 1 }
            if raw.contains(" ") || raw.contains("-") { phoneForms["separated", default: 0] += 1 }
        }
        totalBodyBytes += body.count
        for byte in body {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01B3
        }
        digest = String(hash, radix: 16)
    }

    /// Digits only (full-width digits read as digits), without a leading 86 country code.
    static func normalisedPhone(_ raw: String) -> String {
        var digits = ""
        for scalar in raw.unicodeScalars {
            if (0x30...0x39).contains(scalar.value) { digits.unicodeScalars.append(scalar) }
            else if (0xFF10...0xFF19).contains(scalar.value) { digits.unicodeScalars.append(Unicode.Scalar(scalar.value - 0xFEE0)!) }
        }
        if digits.count == 13, digits.hasPrefix("86") { digits.removeFirst(2) }
        return digits
    }

    /// "950 normal, 20 invalid (...), 30 repeats, 14 in the cluster (...)"
    var kindsLine: String {
        var parts = ["\(normal) normal"]
        let invalidTotal = invalid.values.reduce(0, +)
        parts.append(invalidTotal == 0 ? "0 invalid"
                     : "\(invalidTotal) invalid (" + invalid.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ") + ")")
        parts.append("\(repeats) repeat\(repeats == 1 ? "" : "s")")
        parts.append(cluster == 0 ? "no cluster" : "\(cluster) in the cluster (\(clusterPlace) \(clusterRegionCode), \(clusterCitizens) citizens)")
        return parts.joined(separator: ", ")
    }
}

struct DryRunSummary: Encodable {
    var runId: String
    var seed: UInt64
    var rate: Double
    var pacing: Pacing.Summary
    var statistics: GeneratorStatistics

    func print() {
        func counts(_ values: [String: Int]) -> String {
            values.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        }
        Swift.print("dry run \(runId) (seed \(seed)): \(statistics.total) submissions, nothing published")
        Swift.print("kinds: \(statistics.kindsLine)")
        Swift.print("categories: \(counts(statistics.categories))")
        Swift.print("channels: \(counts(statistics.channels))")
        Swift.print("urgencies: \(counts(statistics.urgencies))")
        Swift.print("where: \(statistics.withRegionCode) with a region code, \(statistics.addressOnly) with only an address")
        Swift.print("phones: \(statistics.distinctPhones) distinct; forms: \(counts(statistics.phoneForms))")
        Swift.print("mean message size: \(statistics.meanBodyBytes) bytes")
        Swift.print(rate > 0
                    ? String(format: "pacing at %.0f/s: batches of %d, %d batches, %.1f s", rate, pacing.batchSize, pacing.batches, pacing.plannedSeconds)
                    : "pacing: as fast as the broker confirms, batches of \(pacing.batchSize)")
    }
}

struct LoadgenSummary: Encodable {
    var runId: String
    var seed: UInt64
    var count: Int
    var rate: Double
    var published: Int
    var confirmed: Int
    var returned: Int
    var failed: Int
    var elapsedSeconds: Double
    var achievedRate: Double
    var normal: Int
    var invalid: [String: Int]
    var repeats: Int
    var cluster: Int
    var clusterCitizens: Int
    var meanBodyBytes: Int

    init(runId: String, seed: UInt64, result: LoadPublisher.Result) {
        self.runId = runId
        self.seed = seed
        count = result.count
        rate = result.rate
        published = result.published
        confirmed = result.confirmed
        returned = result.returned
        failed = result.failed
        elapsedSeconds = result.elapsedSeconds
        achievedRate = result.achievedRate
        normal = result.statistics.normal
        invalid = result.statistics.invalid
        repeats = result.statistics.repeats
        cluster = result.statistics.cluster
        clusterCitizens = result.statistics.clusterCitizens
        meanBodyBytes = result.statistics.meanBodyBytes
        statistics = result.statistics
    }

    private var statistics: GeneratorStatistics

    enum CodingKeys: String, CodingKey {
        case runId, seed, count, rate, published, confirmed, returned, failed, elapsedSeconds, achievedRate
        case normal, invalid, repeats, cluster, clusterCitizens, meanBodyBytes
    }

    func print() {
        let offered = rate > 0 ? String(format: "%.0f/s", rate) : "as fast as possible"
        Swift.print("loadgen run \(runId) (seed \(seed)): \(count) submissions to \(Topology.intakeExchange), offered \(offered)")
        Swift.print(String(format: "published %d, confirmed %d, returned %d, failed %d in %.2f s: %.1f/s confirmed",
                           published, confirmed, returned, failed, elapsedSeconds, achievedRate))
        Swift.print("kinds: \(statistics.kindsLine)")
    }
}

/// Sorted-keys JSON of an Encodable value.
func encodeJSON(_ value: some Encodable) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    encoder.dateEncodingStrategy = .iso8601
    // Encoding these plain values cannot fail.
    return String(decoding: (try? encoder.encode(value)) ?? Data("{}".utf8), as: UTF8.self)
}
