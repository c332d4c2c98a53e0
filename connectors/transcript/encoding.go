package transcript

import (
	"bytes"
	"fmt"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
	xunicode "golang.org/x/text/encoding/unicode"
)

var (
	utf16LE = xunicode.UTF16(xunicode.LittleEndian, xunicode.IgnoreBOM)
	utf16BE = xunicode.UTF16(xunicode.BigEndian, xunicode.IgnoreBOM)
)

// legacyEncodings are tried, in this order of preference on a tie, when the
// input is not UTF-8 and carries no byte order mark.
var legacyEncodings = []struct {
	name string
	enc  encoding.Encoding
}{
	{"gb18030", simplifiedchinese.GB18030},
	{"big5", traditionalchinese.Big5},
	{"shift_jis", japanese.ShiftJIS},
	{"euc-kr", korean.EUCKR},
	{"windows-1252", charmap.Windows1252},
}

// legacySample bounds how much of the input each legacy candidate decodes
// while guessing; the winner then decodes everything.
const legacySample = 64 << 10

// decodeText returns data as UTF-8 and the name of the encoding it was in:
// a byte order mark decides first, then an explicit label, then UTF-16
// without BOM, valid (or nearly valid) UTF-8, and last the most plausible
// legacy encoding.
func decodeText(data []byte, label string) (string, string, error) {
	switch {
	case bytes.HasPrefix(data, []byte("\xEF\xBB\xBF")):
		return toValidUTF8(data[3:]), "utf-8", nil
	case bytes.HasPrefix(data, []byte("\xFF\xFE")):
		return decodeWith(utf16LE, data[2:]), "utf-16le", nil
	case bytes.HasPrefix(data, []byte("\xFE\xFF")):
		return decodeWith(utf16BE, data[2:]), "utf-16be", nil
	}
	if label != "" {
		enc, err := htmlindex.Get(label)
		if err != nil {
			return "", "", fmt.Errorf("%w: %q", ErrUnknownEncoding, label)
		}
		name, _ := htmlindex.Name(enc)
		return decodeWith(enc, data), name, nil
	}
	if enc, name := sniffUTF16(data); enc != nil {
		return decodeWith(enc, data), name, nil
	}
	if utf8.Valid(data) {
		return string(data), "utf-8", nil
	}
	if mostlyUTF8(data) {
		return toValidUTF8(data), "utf-8", nil
	}
	return guessLegacy(data)
}

func toValidUTF8(data []byte) string {
	return string(bytes.ToValidUTF8(data, []byte("\uFFFD")))
}

func decodeWith(enc encoding.Encoding, data []byte) string {
	out, err := enc.NewDecoder().Bytes(data)
	if err != nil {
		// x/text decoders replace bad input rather than fail; this is a last resort.
		return toValidUTF8(data)
	}
	return string(out)
}

// sniffUTF16 recognises UTF-16 without a byte order mark by the zero high
// bytes of ASCII text: most odd (LE) or even (BE) bytes are zero, the others never.
func sniffUTF16(data []byte) (encoding.Encoding, string) {
	n := min(len(data), 512) &^ 1
	if n < 8 {
		return nil, ""
	}
	var evenZero, oddZero int
	for i := 0; i < n; i += 2 {
		if data[i] == 0 {
			evenZero++
		}
		if data[i+1] == 0 {
			oddZero++
		}
	}
	pairs := n / 2
	switch {
	case oddZero*10 >= pairs*6 && evenZero == 0:
		return utf16LE, "utf-16le"
	case evenZero*10 >= pairs*6 && oddZero == 0:
		return utf16BE, "utf-16be"
	}
	return nil, ""
}

// mostlyUTF8 reports whether invalid bytes are rare next to valid multi-byte
// sequences: a UTF-8 file with a few damaged bytes, not a legacy encoding,
// whose byte pairs form valid UTF-8 only by accident.
func mostlyUTF8(data []byte) bool {
	var multi, invalid int
	for len(data) > 0 {
		r, size := utf8.DecodeRune(data)
		switch {
		case r == utf8.RuneError && size == 1:
			invalid++
		case size > 1:
			multi++
		}
		data = data[size:]
	}
	return multi > 0 && multi >= 4*invalid
}

// guessLegacy decodes a sample with every legacy candidate and keeps the one
// whose text looks most like real writing.
func guessLegacy(data []byte) (string, string, error) {
	sample := legacySampleOf(data)
	best, bestScore := 0, -1e9
	for i, c := range legacyEncodings {
		if s := plausibility(decodeWith(c.enc, sample)); s > bestScore {
			best, bestScore = i, s
		}
	}
	c := legacyEncodings[best]
	return decodeWith(c.enc, data), c.name, nil
}

// legacySampleOf returns up to legacySample bytes starting at the first
// non-ASCII byte (the only part the candidates disagree on), ending before a
// trailing partial character where possible.
func legacySampleOf(data []byte) []byte {
	start := 0
	for start < len(data) && data[start] < utf8.RuneSelf {
		start++
	}
	end := min(len(data), start+legacySample)
	if end < len(data) {
		if i := lastASCII(data[start:end]); i > 0 {
			end = start + i + 1
		}
	}
	return data[start:end]
}

func lastASCII(b []byte) int {
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < utf8.RuneSelf {
			return i
		}
	}
	return -1
}

// plausibility scores decoded text per non-ASCII character: characters that
// are frequent in real CJK writing count for, replacement, control and
// private-use characters count against, and Latin-1 letters and punctuation
// count for only in the short runs real Western text has (mis-decoded CJK
// turns into long runs of them).
func plausibility(s string) float64 {
	var score, n, run, runLatin int
	endRun := func() {
		if run <= 3 {
			score += runLatin
		} else {
			score -= runLatin
		}
		run, runLatin = 0, 0
	}
	for _, r := range s {
		if r < utf8.RuneSelf {
			if run > 0 {
				endRun()
			}
			continue
		}
		n++
		run++
		switch {
		case implausibleRune(r):
			score -= 3
		case r >= 0x2010 && commonCJK[r]:
			score++
		case r <= 0x24F || (r >= 0x2010 && r <= 0x20CF) || r == '™':
			runLatin++
		}
	}
	endRun()
	if n == 0 {
		return 0
	}
	return float64(score) / float64(n)
}

func implausibleRune(r rune) bool {
	return r == utf8.RuneError || unicode.IsControl(r) || unicode.Is(unicode.Co, r) ||
		(!unicode.IsPrint(r) && !unicode.IsSpace(r) && !unicode.Is(unicode.Cf, r))
}

// commonCJK holds the most frequent characters of Chinese (simplified and
// traditional), Japanese and Korean writing, and their punctuation. Text in
// the right encoding is full of them; the same bytes read in a wrong CJK
// encoding land on them only by chance.
var commonCJK = runeSet(
	// Chinese, simplified
	"的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年得就那要下以生会自着去之过家学对可她里后小么心多天而能好都然没日于起还发成事只作当想看文无开手十用主行方又如前所本见经头面公同三已老从动两长知民样现分将外但身些与高意进把法此实回二理美点月明其种声全工己话儿者向情部正名定女问力机给等几很业最间新什打便位因重被走电四第门相次东政海口使教西再平真听世气信北少关并内加化由却代军产入先山五太水万市眼体别处总才场师书比住员九笑性通目华报立马命张活难神数件安表原车白应路期叫死常提感金何更反合放做系计或司利受光王果亲界及今京务制解各任至清物台象记边共风战干接它许八特觉望直服毛林题建南度统色字请交爱让认算论百吃义科怎元社术结六功指思非流每青管夫连远资队跟带花快条院变联言权往展该领传近留红治决周保达办运武半候七必城父强步完革深区即求品士转量空甚众技轻程告江语英基派满式李息写呢识极令黄德收脸钱党倒未持取设始版双历越史商千片容研像找友孩站广改议形委早房音火际则首单据导影失拿网香似斯专石若兵弟谁校读志飞观争究包组造落视济喜离虽坏兴切叶围拉吗啊吧呀哦嗯您" +
		// Chinese, traditional forms of the above
		"這來國個說們為時會著過學對裡後麼發當無開見經頭動兩長樣現將與實點種聲話兒問機給幾業間電門東聽氣關並內卻軍產萬體別處總場師書員報馬張難數車應親務記邊風戰許覺題統請愛讓認論義術結連遠資隊帶條變聯權該領傳紅決達辦運強區轉眾輕語滿寫識極黃臉錢黨設雙歷專網導單據際廣議視濟離雖壞興葉圍嗎" +
		// Japanese kana and kanji not above
		"のにはをたがでてとしれさあいうえおかきくけこすせそちつなねほまみむめもやよらりるろわんっょゃゅーンストルクリイラシアカタレドプコテマ私込様円気読駅" +
		// Korean
		"이다는의에을하고가를지한로기서사도으시어대나리자인수게아정해것라적있일전주보부상만그여들제우과요장니계국동원내성면거소화오했구위조되며세학방습문신공비회스생미경물분관치연실발운무저안식개중선말등때진와용던터금까모드많교데할않없좋같간음은입년합겠알르러번께씨네님뭐너우리희래" +
		// CJK punctuation
		"，。、！？：；（）《》「」『』【】“”‘’…—～・　")

func runeSet(s string) map[rune]bool {
	m := make(map[rune]bool, len(s)/3)
	for _, r := range s {
		m[r] = true
	}
	return m
}
