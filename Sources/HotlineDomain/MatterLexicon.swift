import Foundation

/// The matters most 12345 clusters are made of (停水, 停电, 噪音, 欠薪, ...), with the words
/// citizens use for them, and the sentence particles dropped before texts are compared. Intake's
/// `Fingerprint` reads it: two requests that both name a matter are the same matter only if they
/// name the same one.
///
/// Data, not code: `Resources/matter-lexicon.json`,
/// `{"basis": "...", "particles": ["的", ...], "matters": [{"topic": "waterOutage", "words": ["停水", ...]}, ...]}`.
/// Words are matched against the cleaned text (letters only, ASCII lower-cased, particles
/// dropped), so a word must be letters only, lower-case, and free of particles, or it could never match.
public struct MatterLexicon: Hashable, Sendable, Decodable, ValidatedDataFileWithProblems {
    public struct Matter: Hashable, Sendable, Decodable {
        /// A stable code (stored with orders in `work_orders.topics`), e.g. `waterOutage`.
        public var topic: String
        public var words: [String]

        enum CodingKeys: String, CodingKey, CaseIterable { case topic, words }

        public init(topic: String, words: [String]) {
            self.topic = topic
            self.words = words
        }

        public init(from decoder: any Decoder) throws {
            try decoder.rejectUnknownKeys(CodingKeys.allCases.map(\.rawValue))
            let c = try decoder.container(keyedBy: CodingKeys.self)
            topic = try c.decode(String.self, forKey: .topic)
            words = try c.decode([String].self, forKey: .words)
        }
    }

    /// Where the lexicon comes from (ours: the documents list no matters).
    public var basis: String
    /// Sentence particles (one character each) dropped from texts before they are compared.
    public var particles: [String]
    public var matters: [Matter]

    enum CodingKeys: String, CodingKey, CaseIterable { case basis, particles, matters }

    public init(basis: String, particles: [String], matters: [Matter]) {
        self.basis = basis
        self.particles = particles
        self.matters = matters
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.allCases.map(\.rawValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        basis = try c.decode(String.self, forKey: .basis)
        particles = try c.decode([String].self, forKey: .particles)
        matters = try c.decode([Matter].self, forKey: .matters)
    }

    /// Empty or duplicate topics and words, a word listed under two matters, a word that could
    /// never match the cleaned text, a particle that is not one letter.
    public func problems(file: String) -> [DataFileError] {
        var problems: [DataFileError] = []
        func problem(_ path: String, _ text: String) { problems.append(DataFileError(file: file, keyPath: path, problem: text)) }
        if basis.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { problem("basis", "is empty") }
        var particleSet: Set<Character> = []
        for (index, particle) in particles.enumerated() {
            if particle.count != 1 || !particle.allSatisfy(\.isLetter) {
                problem("particles[\(index)]", "\"\(particle)\" is not a single letter")
            } else if !particleSet.insert(particle.first!).inserted {
                problem("particles[\(index)]", "\"\(particle)\" is listed twice")
            }
        }
        if matters.isEmpty { problem("matters", "lists no matter") }
        var topicAt: [String: Int] = [:]
        var wordTopic: [String: String] = [:]
        for (m, matter) in matters.enumerated() {
            let path = "matters[\(m)]"
            if matter.topic.isEmpty || !matter.topic.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) {
                problem("\(path).topic", "must be a non-empty ASCII code (letters and digits), e.g. waterOutage")
            } else if let earlier = topicAt[matter.topic] {
                problem("\(path).topic", "\(matter.topic) is also matters[\(earlier)]")
            } else {
                topicAt[matter.topic] = m
            }
            if matter.words.isEmpty { problem("\(path).words", "lists no word") }
            for (w, word) in matter.words.enumerated() {
                let wordPath = "\(path).words[\(w)]"
                if word.isEmpty {
                    problem(wordPath, "is empty")
                } else if !word.allSatisfy(\.isLetter) {
                    problem(wordPath, "\"\(word)\" has characters other than letters (texts are compared letters only, so it could never match)")
                } else if word.contains(where: { $0.isASCII && $0.isUppercase }) {
                    problem(wordPath, "\"\(word)\" has upper-case letters (texts are compared lower-cased, so it could never match)")
                } else if let particle = word.first(where: { particleSet.contains($0) }) {
                    problem(wordPath, "\"\(word)\" contains the particle \(particle), which is dropped from texts, so it could never match")
                } else if let other = wordTopic[word] {
                    problem(wordPath, other == matter.topic ? "\"\(word)\" is listed twice" : "\"\(word)\" is also a word of \(other)")
                } else {
                    wordTopic[word] = matter.topic
                }
            }
        }
        return problems
    }

    /// The bundled lexicon, read once.
    public static let bundled: MatterLexicon = bundledOrStop("matter-lexicon")
}
