// Lexer of the rule language: splits a rules file into words, punctuation
// and line ends, each with its position. It never fails; odd bytes become
// tokens the parser reports.

package filter

type tokKind uint8

const (
	tEOF     tokKind = iota
	tNewline         // end of a statement (newlines inside { } are skipped)
	tWord            // keyword, name, number, address, range: [A-Za-z0-9_.:/*-]+
	tString          // "text" (quotes removed)
	tPunct           // one of { } < > , !
	tBad             // any other byte, or an unterminated string
)

type token struct {
	kind tokKind
	text string
	pos  Pos
}

func (t token) String() string {
	switch t.kind {
	case tEOF:
		return "end of file"
	case tNewline:
		return "end of line"
	case tString:
		return `"` + t.text + `"`
	}
	return `"` + t.text + `"`
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '_' || c == '.' || c == ':' || c == '/' || c == '-' || c == '*'
}

// lex returns every token of src. Comments (# to end of line) are dropped;
// a backslash before a line end joins two lines; a line end inside braces
// is dropped, so lists may span lines.
func lex(file string, src []byte) []token {
	var toks []token
	line, col := 1, 1
	depth := 0
	i := 0
	adv := func(n int) {
		i += n
		col += n
	}
	for i < len(src) {
		c := src[i]
		pos := Pos{File: file, Line: line, Col: col}
		switch {
		case c == '\n':
			if depth == 0 {
				toks = append(toks, token{kind: tNewline, text: "\n", pos: pos})
			}
			i++
			line++
			col = 1
		case c == ' ' || c == '\t' || c == '\r':
			adv(1)
		case c == '#':
			for i < len(src) && src[i] != '\n' {
				adv(1)
			}
		case c == '\\' && i+1 < len(src) && src[i+1] == '\n':
			i += 2
			line++
			col = 1
		case c == '\\' && i+2 < len(src) && src[i+1] == '\r' && src[i+2] == '\n':
			i += 3
			line++
			col = 1
		case c == '"':
			j := i + 1
			for j < len(src) && src[j] != '"' && src[j] != '\n' {
				j++
			}
			if j >= len(src) || src[j] != '"' {
				toks = append(toks, token{kind: tBad, text: string(src[i:j]), pos: pos})
				adv(j - i)
				continue
			}
			toks = append(toks, token{kind: tString, text: string(src[i+1 : j]), pos: pos})
			adv(j + 1 - i)
		case c == '{' || c == '}' || c == '<' || c == '>' || c == ',' || c == '!':
			if c == '{' {
				depth++
			} else if c == '}' && depth > 0 {
				depth--
			}
			toks = append(toks, token{kind: tPunct, text: string(c), pos: pos})
			adv(1)
		case isWordByte(c):
			j := i
			for j < len(src) && isWordByte(src[j]) {
				j++
			}
			toks = append(toks, token{kind: tWord, text: string(src[i:j]), pos: pos})
			adv(j - i)
		default:
			j := i + 1
			// Keep a multi-byte UTF-8 sequence whole so the message shows it.
			for j < len(src) && src[j]&0xC0 == 0x80 {
				j++
			}
			toks = append(toks, token{kind: tBad, text: string(src[i:j]), pos: pos})
			adv(j - i)
		}
	}
	toks = append(toks, token{kind: tNewline, text: "\n", pos: Pos{File: file, Line: line, Col: col}})
	toks = append(toks, token{kind: tEOF, pos: Pos{File: file, Line: line, Col: col}})
	return toks
}
