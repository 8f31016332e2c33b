import AMQPClient
import Foundation
import HotlineContracts

/// A small, fast, seedable generator (SplitMix64): the same seed gives the same stream on every
/// machine, so a load run can be repeated exactly.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// 0..<bound (bound > 0). The modulo bias is irrelevant for bounds this small.
    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }

    /// 0 ≤ x < 1.
    mutating func unit() -> Double { Double(next() >> 11) * 0x1p-53 }

    mutating func chance(_ probability: Double) -> Bool { unit() < probability }

    mutating func pick<T>(_ values: [T]) -> T { values[below(values.count)] }

    /// One of `values`, chosen in proportion to the weights.
    mutating func pick<T>(weighted values: [(T, Int)]) -> T {
        var roll = below(values.reduce(0) { $0 + $1.1 })
        for (value, weight) in values {
            if roll < weight { return value }
            roll -= weight
        }
        return values[values.count - 1].0
    }
}

/// Realistic submissions (`SubmissionV1`) from the citizens of the demo county 石桥县: varied
/// matters, categories, channels, addresses and ways of writing a phone number; a fraction invalid,
/// a fraction repeats of an earlier citizen's matter, and one cluster (many citizens of one village
/// reporting the same matter), spread through the run. Deterministic for a seed.
///
/// Everything here is fictional: the names are surnames with 先生/女士, the phone numbers are
/// made from the submission's position (never two citizens with the same number by chance).
struct SubmissionGenerator {
    struct Options: Sendable {
        var seed: UInt64
        var count: Int
        /// Goes into every submission id: `lg-<runId>-<n>`.
        var runId: String
        /// Channels to use; empty: the usual mix (mostly phone).
        var channels: [String] = []
        var invalidFraction = 0.02
        var repeatFraction = 0.03
        var cluster = true

        /// No invalid submissions, no repeats, no cluster (benchmarks).
        static func clean(seed: UInt64, count: Int, runId: String, channels: [String] = []) -> Options {
            Options(seed: seed, count: count, runId: runId, channels: channels, invalidFraction: 0, repeatFraction: 0, cluster: false)
        }
    }

    enum InvalidKind: String, CaseIterable, Sendable {
        case missingContent, badPhone, unknownCategory, malformedRegionCode
    }

    enum Kind: Equatable, Sendable {
        case normal
        case invalid(InvalidKind)
        /// A repeat of the submission at this 0-based position (same citizen, same matter, reworded).
        case repeatOf(Int)
        /// The cluster's k-th citizen.
        case cluster(Int)
    }

    struct Generated: Sendable {
        var index: Int
        var kind: Kind
        var submission: SubmissionV1
    }

    /// The cluster: this many different citizens of 龙口镇龙口村 report 自来水发黄有异味.
    static let clusterSize = 14
    /// Runs shorter than this have no cluster (it would be most of the run).
    static let clusterMinimumCount = 60

    let options: Options
    private var rng: SplitMix64
    private var plan: [Kind]
    /// Positions some repeat refers to: their citizen and matter are kept until generated.
    private var originals: Set<Int> = []
    private var remembered: [Int: Matter] = [:]
    private var position = 0
    /// The phone number's last 8 digits are (position × a + b) mod 10^8: a bijection, so unique.
    private let phoneMultiplier: UInt64
    private let phoneOffset: UInt64

    init(_ options: Options) {
        self.options = options
        var rng = SplitMix64(seed: options.seed)
        let count = max(options.count, 0)
        var plan = [Kind](repeating: .normal, count: count)
        var multiplier = (rng.next() % 100_000_000) | 1
        if multiplier % 5 == 0 { multiplier += 2 }
        phoneMultiplier = multiplier
        phoneOffset = rng.next() % 100_000_000

        if options.cluster, count >= Self.clusterMinimumCount {
            let slot = count / Self.clusterSize
            for member in 0..<Self.clusterSize {
                plan[member * slot + rng.below(slot)] = .cluster(member)
            }
        }
        let invalidCount = Int((Double(count) * options.invalidFraction).rounded())
        var placed = 0, attempts = 0
        while placed < invalidCount, attempts < count * 20 {
            attempts += 1
            let at = rng.below(count)
            guard plan[at] == .normal else { continue }
            plan[at] = .invalid(InvalidKind.allCases[placed % InvalidKind.allCases.count])
            placed += 1
        }
        let repeatCount = Int((Double(count) * options.repeatFraction).rounded())
        var originals: Set<Int> = []
        placed = 0
        attempts = 0
        while placed < repeatCount, count > 1, attempts < count * 20 {
            attempts += 1
            let at = 1 + rng.below(count - 1)
            guard plan[at] == .normal, !originals.contains(at) else { continue }
            // The original: a normal submission shortly before (citizens call back within days).
            var original = at - 1 - rng.below(min(at, 2_000))
            while original >= 0, plan[original] != .normal { original -= 1 }
            guard original >= 0 else { continue }
            plan[at] = .repeatOf(original)
            originals.insert(original)
            placed += 1
        }
        self.rng = rng
        self.plan = plan
        self.originals = originals
    }

    var count: Int { plan.count }

    /// The next submission, received at `receivedAt`; nil after the last.
    mutating func next(receivedAt: Date) -> Generated? {
        guard position < plan.count else { return nil }
        let index = position
        position += 1
        let kind = plan[index]
        let submission: SubmissionV1
        switch kind {
        case .normal:
            let matter = newMatter(index: index)
            if originals.contains(index) { remembered[index] = matter }
            submission = write(matter, index: index, receivedAt: receivedAt, wording: .first)
        case .invalid(let problem):
            var matter = newMatter(index: index)
            matter.problem = problem
            submission = write(matter, index: index, receivedAt: receivedAt, wording: .first)
        case .repeatOf(let original):
            var matter = remembered[original] ?? newMatter(index: original)
            if rng.chance(0.5) { matter.channel = pickChannel() }
            submission = write(matter, index: index, receivedAt: receivedAt, wording: .again)
        case .cluster(let member):
            submission = write(clusterMatter(index: index, member: member), index: index, receivedAt: receivedAt, wording: .first)
        }
        return Generated(index: index, kind: kind, submission: submission)
    }

    // MARK: - A citizen's matter

    /// Everything that stays the same when a citizen reports the same matter again.
    private struct Matter {
        var surname: String
        var title: String?   // 先生, 女士, ...; nil: anonymous
        var phoneDigits: String
        var topic: Int
        var phrasing: Int
        var place: Place
        var channel: String
        var category: String
        var problem: InvalidKind?
        /// The cluster's wording (cluster members only).
        var clusterMember: Int?
    }

    private struct Place {
        var township: Int
        var village: Int
        /// 0: village code + detail; 1: township code + village and detail; 2: address text only.
        var mode: Int
        var detail: String
    }

    private enum Wording { case first, again }

    private mutating func newMatter(index: Int) -> Matter {
        let topic = rng.below(Self.topics.count)
        return Matter(surname: rng.pick(Self.surnames), title: pickTitle(), phoneDigits: phone(index),
                      topic: topic, phrasing: rng.below(Self.topics[topic].phrasings.count), place: pickPlace(),
                      channel: pickChannel(), category: rng.pick(weighted: Self.topics[topic].categories))
    }

    private mutating func clusterMatter(index: Int, member: Int) -> Matter {
        let township = Self.clusterTownship, village = Self.clusterVillage
        var place = pickPlace()
        place.township = township
        place.village = village
        place.detail = "\(Self.chineseNumbers[rng.below(8)])组"
        // Topic 0 (停水, water) stands for the cluster's area; its wording is the cluster's own.
        return Matter(surname: rng.pick(Self.surnames), title: pickTitle(), phoneDigits: phone(index), topic: 0, phrasing: 0,
                      place: place, channel: pickChannel(), category: rng.pick(weighted: [("投诉", 4), ("求助", 4), ("complaint", 1), ("help", 1)]),
                      clusterMember: member)
    }

    private mutating func pickTitle() -> String? {
        rng.pick(weighted: [("先生", 40), ("女士", 40), ("师傅", 5), ("阿姨", 5), (String?.none, 10)])
    }

    private func phone(_ index: Int) -> String {
        let digits = (UInt64(index) &* phoneMultiplier &+ phoneOffset) % 100_000_000
        let prefix = Self.mobilePrefixes[Int(digits % UInt64(Self.mobilePrefixes.count))]
        let body = String(digits)
        return prefix + String(repeating: "0", count: 8 - body.count) + body
    }

    private mutating func pickPlace() -> Place {
        let township = rng.pick(weighted: Self.townships.indices.map { ($0, Self.townships[$0].weight) })
        let village = rng.below(3)
        let detail: String
        if Self.townships[township].isStreet {
            detail = "\(rng.pick(Self.roads))\(1 + rng.below(200))号\(rng.pick(Self.estates))\(1 + rng.below(12))号楼\(1 + rng.below(4))单元"
        } else {
            detail = rng.chance(0.7) ? "\(rng.pick(Self.chineseNumbers))组" : "\(1 + rng.below(12))组\(1 + rng.below(60))号"
        }
        return Place(township: township, village: village, mode: rng.pick(weighted: [(0, 40), (1, 10), (2, 50)]), detail: detail)
    }

    private mutating func pickChannel() -> String {
        if options.channels.isEmpty { return rng.pick(weighted: Self.channelMix) }
        return rng.pick(options.channels)
    }

    // MARK: - Writing it down

    private mutating func write(_ matter: Matter, index: Int, receivedAt: Date, wording: Wording) -> SubmissionV1 {
        let township = Self.townships[matter.place.township]
        let village = township.villages[matter.place.village]
        let topic = Self.topics[matter.topic]

        // Where: a code, a code and some text, or text alone (as a citizen says it).
        var regionCode: String?
        var address: String
        switch matter.place.mode {
        case 0:
            regionCode = township.code + String(format: "%03d", matter.place.village + 1)
            address = matter.place.detail
        case 1:
            regionCode = township.code
            address = village + matter.place.detail
        default:
            address = (rng.chance(0.6) ? "石桥县" : "") + township.name + village + matter.place.detail
        }
        let placeInText = rng.pick(weighted: [(township.name + village, 3), (village, 3),
                                              (township.isStreet ? "我们小区" : "我们村", 2)])

        // What: the matter in one of its phrasings, with an opening and a closing.
        var body: String
        var title: String
        if let member = matter.clusterMember {
            body = Self.clusterPhrasings[member % Self.clusterPhrasings.count]
                .replacingOccurrences(of: "{place}", with: rng.pick(["龙口村", "龙口镇龙口村", "我们龙口村", "石桥县龙口镇龙口村"]))
            title = rng.pick(["自来水发黄有异味", "龙口村自来水发黄", "自来水有异味", "饮用水水质问题"])
        } else {
            var phrasing = matter.phrasing
            if wording == .again, topic.phrasings.count > 1 {
                phrasing = (phrasing + 1 + rng.below(topic.phrasings.count - 1)) % topic.phrasings.count
            }
            body = topic.phrasings[phrasing].replacingOccurrences(of: "{place}", with: placeInText)
            title = rng.pick(topic.titles)
        }
        if wording == .again {
            body = rng.pick(Self.againOpenings) + body + rng.pick(["到现在还没有解决。", "一直没人处理。", "问题依旧。"])
            title = rng.pick(["再次反映：", "", "重复反映："]) + title
        } else {
            body = rng.pick(Self.openings) + body
        }
        body += rng.pick(Self.closings)

        var category = matter.category
        if wording == .again, rng.chance(0.5) { category = rng.pick(["投诉", "complaint"]) }
        var urgency: String? = rng.pick(weighted: [(String?.none, 60), ("general", 25), ("一般", 15)])
        if topic.urgentPossible, rng.chance(0.08) { urgency = rng.pick(["紧急", "emergency"]) }

        var phone = writePhone(matter.phoneDigits)
        var content: String? = body

        switch matter.problem {
        case .missingContent?:
            content = rng.pick([nil, "", "   "])
        case .badPhone?:
            phone = rng.pick(["139\(1000 + rng.below(9000))", "12345", "139-abcd-\(1000 + rng.below(9000))", "电话打不通"])
        case .unknownCategory?:
            category = rng.pick(["闲聊", "misc", "表扬信"])
        case .malformedRegionCode?:
            regionCode = rng.pick(["43999910", "4399991O1001", "439999-101", "石桥县"])
        case nil:
            break
        }

        var submission = SubmissionV1(
            submissionId: "lg-\(options.runId)-\(index + 1)",
            channel: matter.channel,
            receivedAt: receivedAt,
            citizen: SubmissionV1.Citizen(name: matter.title.map { matter.surname + $0 }, phone: phone),
            category: category,
            urgency: urgency,
            title: title,
            content: content,
            address: address,
            regionCode: regionCode)
        if rng.chance(0.04) { submission.confidential = true }
        if matter.channel == "phone" { submission.agentId = String(format: "agent-%03d", 1 + rng.below(40)) }
        return submission
    }

    /// The same number written the ways people and systems write it.
    private mutating func writePhone(_ digits: String) -> String {
        let d = Array(digits)
        let a = String(d[0..<3]), b = String(d[3..<7]), c = String(d[7..<11])
        switch rng.pick(weighted: [(0, 55), (1, 10), (2, 10), (3, 8), (4, 7), (5, 10)]) {
        case 1: return "\(a) \(b) \(c)"
        case 2: return "\(a)-\(b)-\(c)"
        case 3: return "+86 \(digits)"
        case 4: return "+86-\(a)-\(b)-\(c)"
        case 5: return String(String.UnicodeScalarView(digits.unicodeScalars.map { Unicode.Scalar($0.value + 0xFEE0)! }))
        default: return digits
        }
    }

    // MARK: - The county and its matters

    struct Township: Sendable {
        let code: String
        let name: String
        let isStreet: Bool
        let weight: Int
        /// Villages (communities for streets): code = township code + 001, 002, 003.
        let villages: [String]
    }

    static let townships: [Township] = [
        Township(code: "439999001", name: "城关街道", isStreet: true, weight: 25, villages: ["城关社区", "人民路社区", "北关社区"]),
        Township(code: "439999002", name: "东城街道", isStreet: true, weight: 20, villages: ["东城社区", "新华社区", "滨河社区"]),
        Township(code: "439999101", name: "石桥镇", isStreet: false, weight: 15, villages: ["石桥村", "桥东村", "柳树村"]),
        Township(code: "439999102", name: "白沙镇", isStreet: false, weight: 10, villages: ["白沙村", "沙岗村", "王庄村"]),
        Township(code: "439999103", name: "龙口镇", isStreet: false, weight: 10, villages: ["龙口村", "河湾村", "高家村"]),
        Township(code: "439999104", name: "青山乡", isStreet: false, weight: 6, villages: ["青山村", "松林村", "石门村"]),
        Township(code: "439999105", name: "河西乡", isStreet: false, weight: 6, villages: ["河西村", "李家村", "马庄村"]),
        Township(code: "439999106", name: "双井镇", isStreet: false, weight: 8, villages: ["双井村", "东井村", "杨柳村"]),
    ]
    static let clusterTownship = 4   // 龙口镇
    static let clusterVillage = 0    // 龙口村, 439999103001
    static var clusterPlace: String { townships[clusterTownship].name + townships[clusterTownship].villages[clusterVillage] }
    static var clusterRegionCode: String { townships[clusterTownship].code + "001" }

    static let channelMix: [(String, Int)] = [("phone", 50), ("wechat", 15), ("website", 10), ("app", 10), ("mayorMailbox", 5), ("sms", 10)]

    static let surnames = ["张", "王", "李", "赵", "刘", "陈", "杨", "黄", "周", "吴", "徐", "孙", "马", "朱", "胡", "郭", "何", "林", "罗", "高"]
    static let mobilePrefixes = ["139", "138", "137", "136", "135", "150", "151", "158", "186", "187", "188", "177"]
    static let chineseNumbers = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十"]
    static let roads = ["人民路", "解放路", "建设路", "文化路", "新华街", "滨河路", "石桥大道"]
    static let estates = ["幸福小区", "阳光花园", "金桥家园", "翠苑小区", "教师新村", "电力小区"]
    static let openings = ["", "", "您好，", "你好，", "我想反映一个情况，", "打扰一下，", "我是附近的居民，"]
    static let againOpenings = ["我上周已经反映过，", "之前打过电话说过这个事，", "再次反映：", "这个问题我前几天反映过了，", "又来反映，"]
    static let closings = ["", "希望有关部门尽快处理。", "请尽快帮忙解决，谢谢。", "麻烦尽快安排人来看看。", "希望能给个答复。", "谢谢！"]

    /// Every one says 自来水, 发黄 and 异味; the words around them vary.
    static let clusterPhrasings = [
        "{place}的自来水发黄有异味，不敢喝。",
        "{place}这两天自来水发黄，还有异味，烧开了也有味道。",
        "家住{place}，自来水发黄、有异味，邻居家也一样。",
        "{place}自来水发黄有异味，已经好几天了，孩子喝了肚子不舒服。",
        "反映{place}自来水水质问题：自来水发黄，有异味，希望检测一下。",
        "{place}一开水龙头自来水就发黄，有股铁锈异味。",
        "{place}的自来水最近发黄发浑，还有异味，全村都是这样。",
    ]

    struct Topic: Sendable {
        let area: String
        /// Short titles, each fitting every phrasing.
        let titles: [String]
        /// `{place}` is replaced by where it happens.
        let phrasings: [String]
        let categories: [(String, Int)]
        let urgentPossible: Bool
    }

    /// Matters with the keywords the routing rules recognise. None of them is the cluster's matter
    /// (自来水发黄有异味), so the cluster is the only one the generator means to make.
    static let topics: [Topic] = [
        Topic(area: "water", titles: ["停水", "小区停水", "长时间停水"],
              phrasings: ["{place}从昨天下午开始停水，到现在还没有来水，家里老人孩子生活不便。",
                          "{place}一直停水，也没有提前通知，请问什么时候恢复供水？",
                          "{place}又停水了，这个月已经第三次了。"],
              categories: [("求助", 4), ("投诉", 3), ("咨询", 1), ("help", 1), ("complaint", 1)], urgentPossible: true),
        Topic(area: "water", titles: ["水压低", "自来水水压不足"],
              phrasings: ["{place}自来水水压低，楼上根本用不上水。",
                          "{place}水压低得厉害，热水器都打不着火。"],
              categories: [("投诉", 3), ("求助", 3), ("complaint", 1)], urgentPossible: false),
        Topic(area: "water", titles: ["自来水管漏水", "供水管道破裂"],
              phrasings: ["{place}的自来水管道老化漏水，路面一直在冒水。",
                          "{place}路边自来水管破了，水流了一整天没人管。"],
              categories: [("求助", 3), ("举报", 1), ("help", 1)], urgentPossible: true),
        Topic(area: "power", titles: ["停电", "停电问题"],
              phrasings: ["{place}突然停电，已经好几个小时了，冰箱里的东西都要坏了。",
                          "{place}频繁停电，一周停了三次，也没有通知。"],
              categories: [("求助", 4), ("投诉", 3), ("help", 1)], urgentPossible: true),
        Topic(area: "power", titles: ["电压不稳", "电压低"],
              phrasings: ["{place}电压不稳，灯一闪一闪的，家里电器烧坏了一台。",
                          "{place}晚上用电高峰电压不稳，空调启动不了。"],
              categories: [("投诉", 3), ("求助", 2), ("complaint", 1)], urgentPossible: false),
        Topic(area: "labour", titles: ["拖欠工资", "农民工工资被拖欠"],
              phrasings: ["我在{place}附近的工地干活，老板拖欠工资三个月不给。",
                          "{place}一家装修公司拖欠工资，二十多个工人没拿到钱。"],
              categories: [("投诉", 3), ("求助", 3), ("举报", 1), ("complaint", 1)], urgentPossible: false),
        Topic(area: "labour", titles: ["欠薪", "讨要欠薪"],
              phrasings: ["我在县城一家饭店打工，被欠薪两个月，老板一直推脱。",
                          "在{place}的厂里上班，欠薪半年了，找谁都不管。"],
              categories: [("求助", 3), ("投诉", 2), ("help", 1)], urgentPossible: false),
        Topic(area: "labour", titles: ["社保缴纳", "社保咨询"],
              phrasings: ["公司没有给我缴纳社保，想咨询怎么维权。",
                          "想咨询一下灵活就业人员社保怎么缴费，在哪里办理。"],
              categories: [("咨询", 4), ("投诉", 1), ("consult", 1)], urgentPossible: false),
        Topic(area: "education", titles: ["学校周边安全", "学校安全隐患"],
              phrasings: ["{place}附近学校门口上下学时段交通拥堵，存在安全隐患。",
                          "{place}的学校围墙开裂，担心孩子安全。"],
              categories: [("建议", 3), ("投诉", 2), ("suggestion", 1)], urgentPossible: false),
        Topic(area: "education", titles: ["学费收费", "学费上涨"],
              phrasings: ["孩子所在学校今年学费上涨，想咨询收费标准是否合规。",
                          "{place}的幼儿园学费一学期涨了一千多，想问问有没有依据。"],
              categories: [("咨询", 3), ("举报", 1), ("consult", 1)], urgentPossible: false),
        Topic(area: "education", titles: ["校车安全", "校车安全隐患"],
              phrasings: ["{place}的校车超载，一辆车挤了二十多个孩子。",
                          "{place}接送孩子的校车车况很差，司机还开快车。"],
              categories: [("举报", 3), ("投诉", 2), ("report", 1)], urgentPossible: true),
        Topic(area: "housing", titles: ["物业问题", "物业服务"],
              phrasings: ["{place}物业不作为，楼道垃圾一个星期没人清理。",
                          "{place}物业乱收费，停车费一下涨了一倍。"],
              categories: [("投诉", 4), ("批评", 1), ("criticism", 1)], urgentPossible: false),
        Topic(area: "housing", titles: ["房屋漏水"],
              phrasings: ["{place}楼上房屋漏水，我家天花板都泡坏了，协商不成。",
                          "{place}顶楼房屋漏水，下雨就滴水，找开发商没人管。"],
              categories: [("求助", 3), ("投诉", 2), ("help", 1)], urgentPossible: false),
        Topic(area: "housing", titles: ["维修基金使用", "维修基金申请"],
              phrasings: ["想咨询一下{place}电梯坏了能不能申请使用维修基金。",
                          "{place}外墙脱落，维修基金怎么申请？"],
              categories: [("咨询", 4), ("consult", 1)], urgentPossible: false),
        Topic(area: "market", titles: ["食品过期", "销售过期食品"],
              phrasings: ["在{place}一家超市买到食品过期的牛奶，商家拒绝退换。",
                          "{place}的小卖部卖食品过期的零食，孩子吃了拉肚子。"],
              categories: [("投诉", 3), ("举报", 3), ("report", 1)], urgentPossible: false),
        Topic(area: "market", titles: ["价格欺诈"],
              phrasings: ["{place}一家药店存在价格欺诈，标价和结账价格不一致。",
                          "{place}的菜市场有摊位缺斤短两，还有价格欺诈。"],
              categories: [("举报", 3), ("投诉", 2), ("report", 1)], urgentPossible: false),
        Topic(area: "market", titles: ["假冒商品", "销售假冒产品"],
              phrasings: ["在{place}集市上买到假冒化肥，庄稼都受影响了。",
                          "{place}有店铺卖假冒名牌的烟酒。"],
              categories: [("举报", 4), ("投诉", 1), ("report", 1)], urgentPossible: false),
        Topic(area: "environment", titles: ["噪音扰民", "夜间噪音扰民"],
              phrasings: ["{place}附近工地夜间施工噪音太大，晚上十一点还在干活。",
                          "{place}楼下KTV噪音扰民，半夜都不停。"],
              categories: [("投诉", 5), ("complaint", 1)], urgentPossible: false),
        Topic(area: "environment", titles: ["油烟扰民"],
              phrasings: ["{place}楼下饭店油烟直排，熏得家里窗户都不能开。",
                          "{place}的烧烤摊油烟很大，晚上呛得睡不着。"],
              categories: [("投诉", 4), ("建议", 1), ("complaint", 1)], urgentPossible: false),
        Topic(area: "environment", titles: ["违法排污", "排污问题"],
              phrasings: ["{place}附近有厂子往河里偷偷排污，河水发黑发臭。",
                          "{place}的养殖场排污不处理，臭味很大。"],
              categories: [("举报", 4), ("投诉", 2), ("report", 1)], urgentPossible: false),
        Topic(area: "urban", titles: ["占道经营", "摊贩占道"],
              phrasings: ["{place}路边占道经营的摊贩太多，车辆行人都过不去。",
                          "{place}门口的商户占道经营，把人行道全占了。"],
              categories: [("投诉", 3), ("建议", 2), ("suggestion", 1)], urgentPossible: false),
        Topic(area: "urban", titles: ["垃圾清运不及时", "垃圾堆积"],
              phrasings: ["{place}的垃圾清运不及时，垃圾堆了好几天，臭味很大。",
                          "{place}垃圾桶满了没人清运，苍蝇到处飞。"],
              categories: [("投诉", 3), ("求助", 2), ("complaint", 1)], urgentPossible: false),
        Topic(area: "gas", titles: ["燃气泄漏", "闻到燃气味"],
              phrasings: ["{place}楼道里闻到很大的燃气味，怀疑燃气管道泄漏。",
                          "{place}燃气表附近有燃气味，请派人来检查。"],
              categories: [("求助", 5), ("help", 1)], urgentPossible: true),
        Topic(area: "gas", titles: ["燃气业务", "燃气问题"],
              phrasings: ["{place}燃气公司上门安装拖了一个月还没装好。",
                          "想咨询一下{place}燃气开户收费标准是多少。"],
              categories: [("投诉", 2), ("咨询", 2), ("consult", 1)], urgentPossible: false),
        Topic(area: "township", titles: ["路灯不亮", "路灯损坏"],
              phrasings: ["{place}路灯不亮已经半个多月了，晚上出行很不安全。",
                          "{place}主路上好几盏路灯不亮，建议尽快维修。"],
              categories: [("求助", 2), ("建议", 3), ("suggestion", 1)], urgentPossible: false),
        Topic(area: "township", titles: ["村道破损", "道路坑洼"],
              phrasings: ["{place}的村道破损严重，坑坑洼洼，下雨天根本没法走。",
                          "{place}村道破损好几年了，希望能修一修。"],
              categories: [("求助", 2), ("建议", 3), ("suggestion", 1)], urgentPossible: false),
        Topic(area: "township", titles: ["邻里纠纷"],
              phrasings: ["在{place}和邻居因为宅基地边界发生邻里纠纷，希望村里或镇里出面调解。",
                          "{place}邻居家的排水沟冲到我家院子，邻里纠纷一直解决不了。"],
              categories: [("求助", 4), ("help", 1)], urgentPossible: false),
    ]
}

/// What a channel publishes: the submission inside the usual envelope, as an AMQP message.
enum SubmissionMessage {
    /// Exchange `hotline.intake`, key `submission.<channel>`, message id = envelope id, type
    /// "submission", JSON, persistent, mandatory (an unroutable message comes back, see loadgen).
    static func outgoing(_ submission: SubmissionV1, occurredAt: Date, id: UUID = UUID()) -> OutgoingMessage {
        let envelope = Contracts.envelope(submission, id: id, occurredAt: occurredAt)
        return OutgoingMessage(
            exchange: Topology.intakeExchange,
            routingKey: SubmissionV1.routingKey(channel: submission.channel ?? "unknown"),
            body: Contracts.encode(envelope),
            properties: MessageProperties(messageId: envelope.id.uuidString, type: SubmissionV1.type,
                                          contentType: "application/json", timestamp: occurredAt, persistent: true),
            mandatory: true)
    }
}
