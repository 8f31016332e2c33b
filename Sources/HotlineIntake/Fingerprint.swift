import HotlineDomain

/// Near-duplicate detection for Chinese requests: repeats (one citizen, the same matter again) and
/// clusters (many citizens, one matter, one area).
///
/// Every measure works on character shingles of the *cleaned* text: normalised
/// (`TextNormalisation`), then only letters kept (Chinese characters included; punctuation,
/// whitespace and digits removed, so "阳光花园小区3号楼停水" and "阳光花园小区5号楼停水了" come out
/// the same), ASCII lower-cased, and the lexicon's sentence particles (的 了 吗 呢 啊 吧 呀 哦 嘛) dropped.
///
/// ## Deciding (measured; the numbers are asserted in `FingerprintTests`)
///
/// **`isSameMatter` decides, for repeats and clusters alike**, on candidates the store narrowed by other
/// keys: for repeats, the same phone number's open (and recently closed) orders; for clusters, the
/// same locality within the clustering window (and the same category). Those sets are small, so
/// comparing texts in Swift is cheap, and the place is already matched by the key, so the text only
/// has to say the matter is the same. It combines:
/// - `similarity`: Jaccard over bigram sets. Rephrasings by different citizens measured 0.11–0.33;
///   unrelated requests at most 0.08 (mean 0.003); near-verbatim texts 0.70–1.
/// - `topics`: a small lexicon of the matters 12345 clusters are made of (停水, 停电, 停气, 供暖,
///   噪音, 欠薪, 路灯, 垃圾, 油烟, 下水道, 电梯, ...), the data file `matter-lexicon.json` of
///   `HotlineDomain` (`MatterLexicon`). Lexical similarity alone cannot tell
///   "幸福小区停水一天了，什么时候能恢复供水" from "幸福小区停电一天了，什么时候能恢复供电"
///   (Jaccard 0.68) or "阳光花园小区3号楼停水" from "阳光花园小区3号楼楼下烧烤店油烟扰民" (0.39):
///   in one area the place words are shared by everything. Two texts that both name a matter from
///   the lexicon are the same matter only if they share one.
///
/// The rule: texts naming disjoint lexicon matters are different; texts sharing one are the same at
/// `sameTopicSimilarity` (0.1) and above; otherwise the same at `sameMatterSimilarity` (0.3) and above.
///
/// A bigram is stored as a 64-bit hash (`work_orders.shingles`): FNV-1a 64 over the shingle's
/// UTF-8, then MurmurHash3's `fmix64` finaliser. Never Swift's `Hasher`: it is seeded per process,
/// and the value is stored in PostgreSQL as a bigint with exactly this bit pattern.
public enum Fingerprint {
    /// Bigram Jaccard at or above which two texts are the same matter (no lexicon matter in common).
    public static let sameMatterSimilarity = 0.3
    /// Bigram Jaccard at or above which two texts naming the same lexicon matter are the same matter.
    public static let sameTopicSimilarity = 0.1

    /// The shingle size every measure here uses.
    public static let shingleSize = 2

    /// The text as the measures see it: letters only, lower-cased, particles dropped.
    public static func cleaned(_ text: String) -> String {
        var out = ""
        for character in TextNormalisation.normalise(text) where character.isLetter && !particles.contains(character) {
            if character.isASCII { out.append(character.lowercased()) } else { out.append(character) }
        }
        return out
    }

    /// Character shingles of the cleaned text, in order, repeats kept. A cleaned text shorter than
    /// `size` is one shingle (none when empty).
    public static func shingles(_ text: String, size: Int = shingleSize) -> [String] {
        precondition(size >= 1, "shingle size must be at least 1")
        let characters = Array(cleaned(text))
        guard !characters.isEmpty else { return [] }
        guard characters.count > size else { return [String(characters)] }
        return (0...(characters.count - size)).map { String(characters[$0..<($0 + size)]) }
    }

    /// Jaccard similarity of the two texts' bigram sets: 1 for identical cleaned texts, 0 for
    /// nothing shared (and for two texts without letters).
    public static func similarity(_ a: String, _ b: String) -> Double {
        let x = Set(shingles(a)), y = Set(shingles(b))
        let union = x.union(y).count
        guard union > 0 else { return 0 }
        return Double(x.intersection(y).count) / Double(union)
    }

    /// Whether two requests are about the same matter (see the type's documentation for the rule
    /// and its calibration). Place is not judged here: compare only candidates from one area (or
    /// one citizen).
    public static func isSameMatter(_ a: String, _ b: String) -> Bool {
        Matter(a).isSame(as: Matter(b))
    }

    /// A text read once for comparing with many others (intake compares a new request with the
    /// recent ones of its place): its distinct bigrams, as stable 64-bit hashes in ascending
    /// order, and its lexicon matters. Intake stores both with the order (`work_orders.shingles`,
    /// `work_orders.topics`), so comparing with a stored order reads two arrays and does no text
    /// work: a sorted merge instead of normalising, shingling and hashing the candidate's text
    /// again (which was most of intake's CPU per message with 20 candidates).
    public struct Matter: Sendable, Equatable {
        /// `stableHash` of each distinct bigram, ascending (as `Int64` bit patterns, as stored).
        public let shingles: [Int64]
        public let topics: Set<String>

        public init(_ text: String) {
            shingles = Set(Fingerprint.shingles(text).map { Int64(bitPattern: Fingerprint.stableHash($0)) }).sorted()
            topics = Fingerprint.topics(text)
        }

        /// A matter as stored with an order.
        public init(shingles: [Int64], topics: [String]) {
            let ascending = zip(shingles, shingles.dropFirst()).allSatisfy { $0 < $1 }
            self.shingles = ascending ? shingles : Set(shingles).sorted()
            self.topics = Set(topics)
        }

        /// Jaccard similarity of the two bigram sets (`Fingerprint.similarity`, on stored hashes).
        public func similarity(to other: Matter) -> Double {
            var shared = 0
            var i = shingles.startIndex, j = other.shingles.startIndex
            while i < shingles.endIndex, j < other.shingles.endIndex {
                if shingles[i] == other.shingles[j] {
                    shared += 1
                    i += 1
                    j += 1
                } else if shingles[i] < other.shingles[j] {
                    i += 1
                } else {
                    j += 1
                }
            }
            let union = shingles.count + other.shingles.count - shared
            return union == 0 ? 0 : Double(shared) / Double(union)
        }

        /// `isSameMatter`, on texts already read.
        public func isSame(as other: Matter) -> Bool {
            let score = similarity(to: other)
            if !topics.isEmpty, !other.topics.isEmpty {
                return !topics.isDisjoint(with: other.topics) && score >= sameTopicSimilarity
            }
            return score >= sameMatterSimilarity
        }
    }

    /// The lexicon matters a text names (codes such as `waterOutage`, `noise`, `unpaidWages`).
    public static func topics(_ text: String) -> Set<String> {
        let cleanedText = SearchableText(cleaned(text))
        var found: Set<String> = []
        for (topic, words) in lexiconUTF8 where words.contains(where: { cleanedText.contains($0) }) {
            found.insert(topic)
        }
        return found
    }

    /// The bundled lexicon's words as UTF-8, for `SearchableText`.
    static let lexiconUTF8: [(topic: String, words: [[UInt8]])] = MatterLexicon.bundled.matters.map {
        ($0.topic, $0.words.map { Array($0.utf8) })
    }

    /// The bundled lexicon's sentence particles, dropped before texts are compared.
    static let particles: Set<Character> = Set(MatterLexicon.bundled.particles.compactMap(\.first))

    /// FNV-1a 64 over UTF-8, then `fmix64` (MurmurHash3's finaliser).
    static func stableHash(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        hash ^= hash >> 33
        hash &*= 0xff51_afd7_ed55_8ccd
        hash ^= hash >> 33
        hash &*= 0xc4ce_b9fe_1a85_ec53
        hash ^= hash >> 33
        return hash
    }
}
