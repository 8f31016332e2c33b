import HotlineIntake
import Testing

@Suite struct TextNormalisationTests {
    @Test func fullWidthLettersDigitsAndSymbolsBecomeASCII() {
        #expect(TextNormalisation.normalise("ＡＢＣ１２３ａｂｃ") == "ABC123abc")
        #expect(TextNormalisation.normalise("＋８６－（０７３４）＃１２＠ｘ．ｃｎ") == "+86-(0734)#12@x.cn")
        #expect(TextNormalisation.normalise("幸福小区\u{3000}３号楼") == "幸福小区 3号楼")
    }

    @Test func chinesePunctuationIsKept() {
        let text = "停水了，怎么办？请尽快处理！地址：幸福小区；“急”、谢谢。"
        #expect(TextNormalisation.normalise(text) == text)
        // Full-width punctuation outside the converted set stays as written.
        #expect(TextNormalisation.normalise("１２％，ｏｋ！") == "12％，ok！")
    }

    @Test func controlAndFormatCharactersAreRemoved() {
        #expect(TextNormalisation.normalise("幸福\u{0}小区\u{7}停水") == "幸福小区停水")
        #expect(TextNormalisation.normalise("\u{FEFF}幸福\u{200B}小区") == "幸福小区")
        #expect(TextNormalisation.normalise("a\u{1B}[31mb") == "a[31mb")
    }

    @Test func whitespaceRunsCollapseAndEndsAreTrimmed() {
        #expect(TextNormalisation.normalise("  幸福小区 \t\n\r\n 停水\u{3000}\u{3000}") == "幸福小区 停水")
        #expect(TextNormalisation.normalise("a\u{A0}\u{A0}b") == "a b")
        #expect(TextNormalisation.normalise("\u{3000}\n\t ") == "")
        #expect(TextNormalisation.normalise("a \u{7} b") == "a b")
    }

    @Test func names() {
        #expect(TextNormalisation.normaliseName("  张 三 ") == "张三")
        #expect(TextNormalisation.normaliseName("欧阳\u{3000}娜娜") == "欧阳娜娜")
        #expect(TextNormalisation.normaliseName("John  Smith") == "John Smith")
        #expect(TextNormalisation.normaliseName("阿卜杜．热合曼") == "阿卜杜·热合曼")
        #expect(TextNormalisation.normaliseName("阿卜杜 • 热合曼") == "阿卜杜·热合曼")
        #expect(TextNormalisation.normaliseName("张先生 Mr. Zhang") == "张先生 Mr. Zhang")
    }
}
