import HotlineDomain
import HotlineIntake
import Testing

/// Realistic 12345 requests. The measurements quoted in `Fingerprint`'s documentation come from
/// these pairs; the tests below hold the implementation to them.
enum Requests {
    /// The same matter, rephrased by different citizens.
    static let rephrased: [(String, String)] = [
        ("幸福小区从昨天晚上开始停水，到现在还没来水，请尽快处理", "幸福小区停水一天了，什么时候能恢复供水"),
        ("锦绣华庭对面工地晚上十二点还在施工，噪音太大影响休息", "锦绣华庭旁边的工地夜间施工，噪音扰民，晚上睡不着觉"),
        ("滨江一号小区暖气不热，室内温度只有十五度", "滨江一号小区供暖温度不达标，家里暖气不热"),
        ("我在宏达建筑公司工地干了三个月，老板拖欠工资不给", "宏达建筑公司拖欠农民工工资三个月了，请帮忙讨薪"),
        ("人民路与解放路交叉口的路灯坏了好几天，晚上很黑", "人民路解放路路口路灯不亮，晚上出行不安全"),
        ("东方明珠小区突然停电，整栋楼都没电了", "东方明珠小区停电两个小时了，什么时候来电"),
    ]

    /// The same text with small edits (one citizen again, a resend, an agent's retyping).
    static let edited: [(String, String)] = [
        ("阳光花园小区3号楼停水", "阳光花园小区5号楼停水了"),
        ("幸福小区从昨天晚上开始停水，到现在还没来水，请尽快处理", "幸福小区从昨天晚上开始停水,到现在还没来水,请尽快处理!"),
        ("幸福小区从昨天晚上开始停水，到现在还没来水，请尽快处理", "幸福小区从昨天晚上开始停水，到现在还没来水"),
        ("幸福小区从昨天晚上开始停水，到现在还没来水，请尽快处理", "幸福小区从昨天晚上开始停水了，到现在都还没来水，请你们尽快处理一下"),
        ("锦绣华庭对面工地晚上十二点还在施工，噪音太大影响休息", "锦绣华庭对面工地晚上12点还在施工，噪声太大影响休息"),
        ("我在宏达建筑公司工地干了三个月，老板拖欠工资不给", "我在宏达建筑公司工地干了三个月，老板一直拖欠工资不给，请帮忙"),
        ("楼上邻居装修每天早上七点就开始砸墙", "楼上邻居装修，每天早上七点就开始砸墙，周末也不停"),
        ("建设路菜市场附近下水道堵塞，污水漫到路面上", "建设路菜市场旁边下水道堵塞，污水漫到路面上了"),
    ]

    /// Different matters in the same place: what clusters must keep apart.
    static let samePlaceOtherMatter: [(String, String)] = [
        ("幸福小区停水一天了，什么时候能恢复供水", "幸福小区停电一天了，什么时候能恢复供电"),
        ("阳光花园小区3号楼停水", "阳光花园小区3号楼楼下烧烤店油烟扰民"),
        ("幸福小区从昨天晚上开始停水，到现在还没来水，请尽快处理", "幸福小区门口垃圾堆积好几天了，没有人清理，臭味很大"),
    ]

    /// Thirty unrelated requests.
    static let unrelated = [
        "幸福小区从昨天晚上开始停水，到现在还没来水，请尽快处理",
        "锦绣华庭对面工地晚上十二点还在施工，噪音太大影响休息",
        "我在宏达建筑公司工地干了三个月，老板拖欠工资不给",
        "滨江一号小区暖气不热，室内温度只有十五度",
        "人民路与解放路交叉口的路灯坏了好几天，晚上很黑",
        "东方明珠小区突然停电，整栋楼都没电了",
        "请问灵活就业人员怎么缴纳养老保险",
        "出租车司机拒载，还骂人，态度非常恶劣",
        "幸福小区门口垃圾堆积好几天了，没有人清理，臭味很大",
        "阳光花园小区3号楼楼下烧烤店油烟扰民",
        "建设路菜市场附近下水道堵塞，污水漫到路面上",
        "孩子上小学的学区划分不合理，希望教育局重新考虑",
        "在网上买的电视机坏了，商家拒绝退货",
        "小区物业乱收停车费，每个月涨价",
        "医保报销比例是多少，异地就医怎么备案",
        "公交车12路改线以后，老年人出行很不方便",
        "楼上邻居装修每天早上七点就开始砸墙",
        "农村危房改造补贴一直没有发下来",
        "举报某餐馆使用地沟油，后厨卫生很差",
        "建议在滨河公园增加一些健身器材和座椅",
        "燃气公司上门安检收费是否合理",
        "工商银行信用卡被盗刷了五千元，银行不处理",
        "学校食堂饭菜质量差，价格贵，学生吃不饱",
        "高速公路出口拥堵严重，建议增加收费通道",
        "小区电梯经常坏，困人好几次了，物业不管",
        "新买的房子开发商延期交房一年多了",
        "社区卫生服务中心医生态度不好",
        "申请公租房需要什么条件，去哪里办理",
        "马路边的行道树倒了，压在电线上很危险",
        "夜市摊贩占道经营，晚上车辆无法通行",
    ]

    static var unrelatedPairs: [(String, String)] {
        var pairs: [(String, String)] = []
        for i in unrelated.indices { for j in unrelated.indices where j > i { pairs.append((unrelated[i], unrelated[j])) } }
        return pairs
    }
}

@Suite struct FingerprintTests {
    @Test func shinglesIgnorePunctuationDigitsWhitespaceAndParticles() {
        #expect(Fingerprint.shingles("XX小区3号楼 停水", size: 2) == ["xx", "x小", "小区", "区号", "号楼", "楼停", "停水"])
        #expect(Fingerprint.shingles("XX小区3号楼停水", size: 2) == Fingerprint.shingles("ＸＸ小区5号楼，停水了！", size: 2))
        #expect(Fingerprint.shingles("停水", size: 3) == ["停水"])
        #expect(Fingerprint.shingles("123，。！", size: 2).isEmpty)
        #expect(Fingerprint.shingles("幸福小区", size: 3) == ["幸福小", "福小区"])
    }

    /// The bigram hashes are stored in PostgreSQL (`work_orders.shingles`): they must not change
    /// between processes, builds or releases.
    @Test func theBigramHashesAreStableAcrossProcesses() {
        #expect(Fingerprint.Matter("停水").shingles == [-6_422_287_143_735_985_130])
        #expect(Fingerprint.Matter("小区停水").shingles == [-6_422_287_143_735_985_130, 2_843_289_044_710_287_602, 5_861_021_228_527_404_163])
        #expect(Fingerprint.Matter("！？123").shingles.isEmpty)
    }

    @Test func nearVerbatimTextsAreTheSameMatter() {
        for pair in Requests.edited {
            #expect(Fingerprint.similarity(pair.0, pair.1) >= 0.7)
            #expect(Fingerprint.isSameMatter(pair.0, pair.1))
        }
    }

    @Test func unrelatedRequestsAreNeverTheSameMatter() {
        for pair in Requests.unrelatedPairs {
            #expect(Fingerprint.similarity(pair.0, pair.1) <= 0.08, "\(pair.0) / \(pair.1)")
            #expect(!Fingerprint.isSameMatter(pair.0, pair.1), "\(pair.0) / \(pair.1)")
        }
    }

    @Test func theSameMatterRephrasedIsTheSameMatter() {
        for pair in Requests.rephrased {
            let similarity = Fingerprint.similarity(pair.0, pair.1)
            #expect((0.1...0.4).contains(similarity), "\(pair.0) / \(pair.1): \(similarity)")
            #expect(Fingerprint.isSameMatter(pair.0, pair.1), "\(pair.0) / \(pair.1)")
        }
        // The brief's own example, and the noise vs. wages pair the other way round.
        #expect(Fingerprint.isSameMatter("幸福小区从昨天晚上开始停水，到现在还没来水，请尽快处理", "幸福小区停水一天了，什么时候能恢复供水"))
        #expect(!Fingerprint.isSameMatter("锦绣华庭对面工地晚上十二点还在施工，噪音太大影响休息", "我在宏达建筑公司工地干了三个月，老板拖欠工资不给"))
    }

    @Test func otherMattersInTheSamePlaceAreKeptApartByTheLexicon() {
        for pair in Requests.samePlaceOtherMatter {
            #expect(!Fingerprint.isSameMatter(pair.0, pair.1), "\(pair.0) / \(pair.1)")
        }
        // Without the lexicon, words alone would have joined the first two.
        #expect(Fingerprint.similarity(Requests.samePlaceOtherMatter[0].0, Requests.samePlaceOtherMatter[0].1) > Fingerprint.sameMatterSimilarity)
        #expect(Fingerprint.similarity(Requests.samePlaceOtherMatter[1].0, Requests.samePlaceOtherMatter[1].1) > Fingerprint.sameMatterSimilarity)
    }

    @Test func topicsNameTheMatter() {
        #expect(Fingerprint.topics("幸福小区停水一天了") == ["waterOutage"])
        #expect(Fingerprint.topics("工地夜间施工噪音扰民，还拖欠工人工资") == ["noise", "unpaidWages"])
        #expect(Fingerprint.topics("请问灵活就业人员怎么缴纳养老保险").isEmpty)
    }

    /// A matter read back from the stored arrays (hashes, topics) is the matter of its text, and
    /// the merge over hashes gives exactly the bigram Jaccard of the texts, on every pair these
    /// tests use.
    @Test func storedMattersCompareAsTheirTexts() {
        let pairs = Requests.rephrased + Requests.edited + Requests.samePlaceOtherMatter + Requests.unrelatedPairs
        for (a, b) in pairs {
            let x = Fingerprint.Matter(a), y = Fingerprint.Matter(b)
            let stored = Fingerprint.Matter(shingles: x.shingles.reversed(), topics: Array(x.topics))
            #expect(stored == x)
            #expect(x.shingles.count == Set(Fingerprint.shingles(a)).count)
            #expect(abs(stored.similarity(to: y) - Fingerprint.similarity(a, b)) < 1e-12, "\(a) / \(b)")
        }
    }

    /// The lexicon is data (`HotlineDomain`'s `matter-lexicon.json`): each of its words, inside a
    /// request, names its matter, and the particles it lists are dropped.
    @Test func everyLexiconWordNamesItsMatter() {
        for matter in MatterLexicon.bundled.matters {
            for word in matter.words {
                #expect(Fingerprint.topics("小区\(word)三天了") == [matter.topic], "\(word)")
            }
        }
        for particle in MatterLexicon.bundled.particles {
            #expect(Fingerprint.cleaned("停水\(particle)") == "停水", "\(particle)")
        }
    }

    @Test func similarityBounds() {
        #expect(Fingerprint.similarity("幸福小区停水", "幸福小区，停水！") == 1)
        #expect(Fingerprint.similarity("幸福小区停水", "请问养老保险") == 0)
        #expect(Fingerprint.similarity("", "") == 0)
    }

    /// The numbers `Fingerprint`'s documentation quotes.
    @Test func theDocumentedMeasurementsHold() {
        func similarities(_ pairs: [(String, String)]) -> [Double] { pairs.map { Fingerprint.similarity($0.0, $0.1) } }
        #expect(similarities(Requests.edited).min()! > 0.70)
        #expect(similarities(Requests.rephrased).min()! > 0.11 && similarities(Requests.rephrased).max()! < 0.34)
        #expect(Requests.unrelatedPairs.count == 435)
        #expect(similarities(Requests.unrelatedPairs).max()! < 0.08)
        let unrelatedMean = similarities(Requests.unrelatedPairs).reduce(0, +) / 435
        #expect(unrelatedMean < 0.005, "mean \(unrelatedMean)")
    }
}
