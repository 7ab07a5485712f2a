// Errors of the rule language: a position (file:line:column) and a message
// a person understands. Parse and Compile return these.

package filter

import (
	"fmt"
	"strings"
)

// Pos is a position in a rules file. Line and Col count from 1; Col counts
// bytes, so a tab is one column.
type Pos struct {
	File string
	Line int
	Col  int
}

// IsZero reports whether p is unset.
func (p Pos) IsZero() bool { return p.Line == 0 }

func (p Pos) String() string {
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// Error is one problem found in a rules file.
type Error struct {
	Pos Pos
	Msg string
}

func (e *Error) Error() string { return e.Pos.String() + ": " + e.Msg }

// ErrorList is every problem found in one file, in file order. Parse keeps
// going after an error (it skips to the next line) so an admin sees them all
// at once; at most maxErrors are kept.
type ErrorList []*Error

const maxErrors = 10

func (l ErrorList) Error() string {
	var b strings.Builder
	for i, e := range l {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

func errorf(pos Pos, format string, args ...any) *Error {
	return &Error{Pos: pos, Msg: fmt.Sprintf(format, args...)}
}
