import HotlineDomain

/// Near-duplicate detection for Chinese requests: repeats (one citizen, the same matter again) and
/// clusters (many citizens, one matter, one area).
///
/// Every measure works on character shingles of the *cleaned* text: normalised
/// (`TextNormalisation`), then only letters kept (Chinese characters included; punctuation,
/// whitespace and digits removed, so "阳光花园小区3号楼停水" and "阳光花园小区5号楼停水了" come out
/// the same), ASCII lower-cased, and the sentence particles 的 了 吗 呢 啊 吧 呀 哦 嘛 dropped.
///
/// ## What to use for what (measured; the numbers are asserted in `FingerprintTests`)
///
/// **`simHash` (stored in `work_orders.fingerprint`) is a prefilter, not a decision.** It is a
/// 64-bit SimHash over character bigrams. A 12345 request is 15–60 characters, so 15–60 features:
/// too few for SimHash to be steady. Measured on the requests in `FingerprintTests`:
/// - the same text with small edits (a clause added or dropped, 十二 → 12, 噪音 → 噪声, 3号楼 →
///   5号楼; bigram Jaccard 0.70–1): 0–19 bits apart;
/// - the same matter rephrased by different citizens (Jaccard 0.11–0.33): 19–29 bits;
/// - 30 unrelated requests, 435 pairs: 18–46 bits, 32.1 on average; 2 pairs at 20 or less.
///
/// No threshold separates rephrasings from unrelated text, and one of 3–10 bits would miss most
/// near-verbatim resubmissions. `nearDuplicateDistance` is 20: every edited text above is within
/// it and about 0.5% of unrelated pairs are, so `bit_count((fingerprint # $1)::bit(64)) <= 20`
/// cheaply narrows a large set (a phone's history, an area's month) to near-verbatim candidates.
/// Confirm every candidate with `isSameMatter`.
///
/// **`isSameMatter` decides, for repeats and clusters alike**, on candidates the store narrowed by other
/// keys: for repeats, the same phone number's open (and recently closed) orders; for clusters, the
/// same locality within the clustering window (and the same category). Those sets are small, so
/// comparing texts in Swift is cheap, and the place is already matched by the key, so the text only
/// has to say the matter is the same. It combines:
/// - `similarity`: Jaccard over bigram sets. Rephrasings by different citizens measured 0.11–0.33;
///   unrelated requests at most 0.08 (mean 0.003); near-verbatim texts 0.70–1.
/// - `topics`: a small lexicon of the matters 12345 clusters are made of (停水, 停电, 停气, 供暖,
///   噪音, 欠薪, 路灯, 垃圾, 油烟, 下水道, 电梯, ...). Lexical similarity alone cannot tell
///   "幸福小区停水一天了，什么时候能恢复供水" from "幸福小区停电一天了，什么时候能恢复供电"
///   (Jaccard 0.68) or "阳光花园小区3号楼停水" from "阳光花园小区3号楼楼下烧烤店油烟扰民" (0.39):
///   in one area the place words are shared by everything. Two texts that both name a matter from
///   the lexicon are the same matter only if they share one.
///
/// The rule: texts naming disjoint lexicon matters are different; texts sharing one are the same at
/// `sameTopicSimilarity` (0.1) and above; otherwise the same at `sameMatterSimilarity` (0.3) and above.
///
/// The hash is FNV-1a 64 over the shingle's UTF-8, then MurmurHash3's `fmix64` finaliser (FNV-1a
/// alone diffuses poorly into the high bits for 6-byte inputs: unrelated texts averaged 30.9 bits
/// apart without it, 32.1 with it). Never Swift's `Hasher`: it is seeded per process, and the value
/// is stored in PostgreSQL as a bigint with exactly this bit pattern.
public enum Fingerprint {
    /// SimHash distance at or below which two texts are near-verbatim duplicate candidates.
    public static let nearDuplicateDistance = 20
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

    /// 64-bit SimHash over bigram shingles (each occurrence weighs 1). 0 for a text with no letters.
    public static func simHash(_ text: String) -> Int64 {
        var weights = [Int](repeating: 0, count: 64)
        for shingle in shingles(text) {
            let hash = stableHash(shingle)
            for bit in 0..<64 {
                weights[bit] += (hash >> UInt64(bit)) & 1 == 1 ? 1 : -1
            }
        }
        var result: UInt64 = 0
        for bit in 0..<64 where weights[bit] > 0 { result |= 1 << UInt64(bit) }
        return Int64(bitPattern: result)
    }

    /// Hamming distance between two fingerprints; in SQL, `bit_count((a # b)::bit(64))`.
    public static func distance(_ a: Int64, _ b: Int64) -> Int {
        (a ^ b).nonzeroBitCount
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

    /// `lexicon` with its words as UTF-8, for `SearchableText`.
    static let lexiconUTF8: [(topic: String, words: [[UInt8]])] = lexicon.map { ($0.topic, $0.words.map { Array($0.utf8) }) }

    /// Matters that make up most 12345 clusters, with the words citizens use for them.
    static let lexicon: [(topic: String, words: [String])] = [
        ("waterOutage", ["停水", "断水", "没水", "没有水", "来水", "供水", "水压", "自来水", "水管"]),
        ("powerOutage", ["停电", "断电", "没电", "没有电", "供电", "跳闸", "电压"]),
        ("gas", ["停气", "燃气", "煤气", "天然气"]),
        ("heating", ["暖气", "供暖", "供热", "取暖"]),
        ("noise", ["噪音", "噪声", "吵闹", "太吵", "很吵"]),
        ("unpaidWages", ["欠薪", "讨薪", "工资", "工钱", "薪水", "劳务费"]),
        ("streetLight", ["路灯"]),
        ("refuse", ["垃圾"]),
        ("cookingFumes", ["油烟"]),
        ("drainage", ["下水道", "污水", "积水", "排水", "化粪池", "管道堵"]),
        ("lift", ["电梯"]),
        ("illegalBuilding", ["违建", "违章建筑", "私搭乱建"]),
        ("propertyFees", ["物业费", "停车费"]),
        ("housingDelivery", ["交房", "房产证", "不动产证"]),
        ("publicTransport", ["公交", "出租车", "网约车"]),
    ]

    static let particles: Set<Character> = ["的", "了", "吗", "呢", "啊", "吧", "呀", "哦", "嘛"]

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
