package text

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The placeholders MaskVariables writes.
const (
	MaskTime = "<ts>"
	MaskIP   = "<ip>"
	MaskUUID = "<uuid>"
	MaskHex  = "<hex>"
	MaskPath = "<path>"
	MaskNum  = "<num>"
)

var placeholders = []string{MaskTime, MaskIP, MaskUUID, MaskHex, MaskPath, MaskNum}

// maskRule replaces the matches of re, or of its group 1 when it has one (group 0 then
// carries context kept as is), by repl, where keep (when set) accepts them.
type maskRule struct {
	re   *regexp.Regexp
	repl string
	keep func(string) bool
}

const (
	month   = `(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)`
	weekday = `(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)`
	clock   = `\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?`
	zone    = `(?:\s?(?:Z|UTC|GMT|[+-]\d{2}:?\d{2})\b)?`
	h16     = `[0-9A-Fa-f]{1,4}`
	ipv6    = `(?:(?:` + h16 + `:){7}` + h16 + // full
		`|(?:` + h16 + `:){1,7}:(?:` + h16 + `(?::` + h16 + `){0,6})?` + // a::b, a::
		`|::` + h16 + `(?::` + h16 + `){0,6})` // ::b
	pathSeg = `(?:[\w.@%+~-]|<(?:ts|ip|uuid)>)+`
)

// maskRules in the order they apply: time stamps before the numbers they hold,
// addresses and paths before the hex ids and numbers in them.
var maskRules = []maskRule{
	// klog: I0115 10:22:01.123456
	{re: regexp.MustCompile(`\b[IWEF](\d{4} ` + clock + `)\b`), repl: MaskTime},
	// ISO 8601 and RFC 3339: 2024-01-15, 2024-01-15T10:22:01.123Z, 2024-01-15 10:22:01,123 +02:00
	{re: regexp.MustCompile(`\b\d{4}-\d{2}-\d{2}(?:[T ]` + clock + zone + `)?\b`), repl: MaskTime},
	// 2024/01/15 10:22:01 (nginx error log, Go's log package)
	{re: regexp.MustCompile(`\b\d{4}/\d{2}/\d{2}(?:[T ]` + clock + `)?\b`), repl: MaskTime},
	// Common Log Format: 10/Oct/2000:13:55:36 -0700
	{re: regexp.MustCompile(`\b\d{2}/` + month + `/\d{4}:\d{2}:\d{2}:\d{2}(?: [+-]\d{4})?`), repl: MaskTime},
	// syslog and ctime: Jan 15 10:22:01, Mon Jan 15 10:22:01 2024, Jan 15 2024 10:22:01
	{re: regexp.MustCompile(`\b(?:` + weekday + `,? )?` + month + ` {1,2}\d{1,2}(?:,? \d{4})? ` + clock + `(?: \d{4}\b)?`), repl: MaskTime},
	// 15 Jan 2024 10:22:01 (RFC 1123 without the weekday)
	{re: regexp.MustCompile(`\b\d{1,2} ` + month + ` \d{4} ` + clock + zone), repl: MaskTime},
	{re: regexp.MustCompile(`\b[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\b`), repl: MaskUUID},
	// IPv4, optionally IPv4-mapped IPv6, optionally with a port
	{re: regexp.MustCompile(`(?:(?i)::ffff:)?\b(?:\d{1,3}\.){3}\d{1,3}\b(?::\d{1,5}\b)?`), repl: MaskIP},
	// [IPv6]:port
	{re: regexp.MustCompile(`\[` + ipv6 + `\](?::\d{1,5}\b)?`), repl: MaskIP},
	// bare IPv6; holding a digit, so C++'s Foo::bar is kept
	{re: regexp.MustCompile(`(?:^|[^\w:.])(` + ipv6 + `)`), repl: MaskIP, keep: hasDigit},
	// a time of day on its own: 10:22:01, 10:22:01.123
	{re: regexp.MustCompile(`\b\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?\b`), repl: MaskTime},
	// paths: /var/log/x.log, ./run.sh, ~/x, src/main.go, a/b/c, //host/x (in URLs)
	{re: regexp.MustCompile(`(?:^|[\s"'=(\[{,:;])((?:~|\.{1,2}|/|` + pathSeg + `)?(?:/` + pathSeg + `)+/?)`), repl: MaskPath, keep: isPath},
	{re: regexp.MustCompile(`\b0[xX][0-9A-Fa-f]+\b`), repl: MaskHex},
	// 6+ hex digits holding both a digit and a letter (all digits is a number, all
	// letters a word such as "deadbeef" or "facade")
	{re: regexp.MustCompile(`\b[0-9A-Fa-f]{6,}\b`), repl: MaskHex, keep: isHexID},
	{re: regexp.MustCompile(`\b\d+(?:\.\d+)*(?:[eE][-+]?\d+)?`), repl: MaskNum},
}

// MaskVariables replaces the variable parts of a log line by placeholders, so that lines
// printed by one statement mask to the same string. In order:
//
//   - time stamps and dates → "<ts>": ISO 8601 / RFC 3339 ("2024-01-15T10:22:01.123Z",
//     "2024-01-15 10:22:01,123"), "2024/01/15 10:22:01", Common Log Format
//     ("10/Oct/2000:13:55:36 -0700"), syslog and ctime ("Jan 15 10:22:01",
//     "Mon Jan 15 10:22:01 2024"), RFC 1123 ("15 Jan 2024 10:22:01 GMT"), klog headers
//     ("I0115 10:22:01.123456" becomes "I<ts>") and times of day ("10:22:01.5");
//   - UUIDs → "<uuid>";
//   - IPv4 addresses, with an optional ":port" and "::ffff:" prefix, and IPv6 addresses
//     (holding a digit; "[addr]:port" too) → "<ip>";
//   - paths → "<path>": absolute ("/var/log/syslog"), explicitly relative ("./run.sh",
//     "../x", "~/x") or relative with an extension or at least two slashes
//     ("src/main.go", "a/b/c"), holding a letter; so "HTTP/1.1", "and/or" and "3/4" are
//     not paths. A URL keeps its scheme: "http://host/x" becomes "http:<path>";
//   - hex ids → "<hex>": "0x"-prefixed, or 6 or more hex digits mixing digits and
//     letters ("66b6c48dd5", but not "deadbeef" or "123456");
//   - numbers → "<num>": integers, decimals, dotted versions and exponents that start a
//     word ("12ms" becomes "<num>ms"; "utf8" and "x86" are kept).
//
// Everything else is kept as is.
func MaskVariables(s string) string {
	for _, r := range maskRules {
		s = r.apply(s)
	}
	return s
}

func (r maskRule) apply(s string) string {
	if r.re.NumSubexp() == 0 && r.keep == nil {
		return r.re.ReplaceAllLiteralString(s, r.repl)
	}
	var b strings.Builder
	last := 0
	for _, m := range r.re.FindAllStringSubmatchIndex(s, -1) {
		start, end := m[0], m[1]
		if len(m) > 2 && m[2] >= 0 {
			start, end = m[2], m[3]
		}
		if start < last || (r.keep != nil && !r.keep(s[start:end])) {
			continue
		}
		b.WriteString(s[last:start])
		b.WriteString(r.repl)
		last = end
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

func hasDigit(s string) bool { return strings.ContainsAny(s, "0123456789") }

func isHexID(s string) bool {
	return hasDigit(s) && strings.ContainsAny(s, "abcdefABCDEF")
}

// isPath accepts a path match holding a letter outside placeholders that is absolute,
// explicitly relative, or relative with an extension or two slashes.
func isPath(p string) bool {
	bare := p
	for _, ph := range placeholders {
		bare = strings.ReplaceAll(bare, ph, "")
	}
	if !strings.ContainsFunc(bare, func(r rune) bool { return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' }) {
		return false
	}
	if strings.HasPrefix(p, "/") || strings.HasPrefix(p, "./") || strings.HasPrefix(p, "../") || strings.HasPrefix(p, "~/") {
		return true
	}
	if strings.Count(p, "/") >= 2 {
		return true
	}
	base := p[strings.LastIndexByte(p, '/')+1:]
	dot := strings.LastIndexByte(base, '.')
	if dot <= 0 || dot == len(base)-1 {
		return false
	}
	ext := base[dot+1:]
	return len(ext) <= 8 && ('a' <= ext[0] && ext[0] <= 'z' || 'A' <= ext[0] && ext[0] <= 'Z')
}

// Tokenize splits text into tokens for text encoders. The text is lower-cased
// (strings.ToLower), then read left to right:
//
//   - a maximal run of Unicode letters, digits and combining marks is one token
//     ("user42", "naïve", "日本語");
//   - a placeholder of MaskVariables ("<ts>", "<ip>", "<uuid>", "<hex>", "<path>",
//     "<num>", in any case) is one token;
//   - each ".", ",", "!" and "?" is a token of its own ("..." gives three);
//   - anything else (white space, other punctuation and symbols such as "_", "-", "'",
//     "/", a "<" that starts no placeholder, invalid UTF-8) separates tokens and is
//     dropped.
//
// So "Don't PANIC: 42 errors at <ts>!" gives don t panic 42 errors at <ts> !. The tokens
// are substrings of the lower-cased text; the result is nil for a text without tokens.
func Tokenize(s string) []string {
	s = strings.ToLower(s)
	var toks []string
	start := -1 // start of the current word run
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r != utf8.RuneError && (unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)) {
			if start < 0 {
				start = i
			}
			i += size
			continue
		}
		if start >= 0 {
			toks = append(toks, s[start:i])
			start = -1
		}
		switch r {
		case '.', ',', '!', '?':
			toks = append(toks, s[i:i+1])
		case '<':
			for _, ph := range placeholders {
				if strings.HasPrefix(s[i:], ph) {
					toks = append(toks, s[i:i+len(ph)])
					size = len(ph)
					break
				}
			}
		}
		i += size
	}
	if start >= 0 {
		toks = append(toks, s[start:])
	}
	return toks
}
