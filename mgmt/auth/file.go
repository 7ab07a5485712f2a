// Package auth owns the management API's credential: the token, the
// fosbury.auth file that keeps its hash in the configuration store, and
// the Guard that checks a request's credential and rate-limits failures
// per source. It is plain Go with an injected clock, tested on the host.
//
// # Token
//
// A token is 32 bytes from crypto/rand, written as unpadded base64url (43
// characters). The appliance makes one on its first boot and prints it on
// the console once; POST /auth/token replaces it. A client presents it as
// "Authorization: Bearer TOKEN", or as the password of HTTP basic
// authentication (any user name), which is what curl -u and browsers send.
//
// # fosbury.auth
//
// One statement per line, '#' starts a comment:
//
//	token-sha256 <64 hex digits>
//
// The file holds the SHA-256 of the token, never the token: the card is
// removable, and anyone who copies it (or lists its slots with tar) must
// not get a working credential. SHA-256 without salt or stretching is
// enough because the token is 256 random bits, not a password a person
// chose: there is no dictionary to try, and inverting SHA-256 on a random
// 256-bit input is infeasible. (A person-chosen password would need a
// salted, slow hash; the API therefore never accepts one.)
package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
)

// FileName is the credential file's name in the store and in error positions.
const FileName = "fosbury.auth"

// maxFile bounds what Parse reads: the file is one line.
const maxFile = 4 << 10

// File is the content of fosbury.auth.
type File struct {
	TokenHash [sha256.Size]byte
}

// NewToken returns a fresh random token and the File that accepts it.
func NewToken() (string, File) {
	var b [32]byte
	rand.Read(b[:]) // never fails (crypto/rand, Go 1.24+)
	tok := base64.RawURLEncoding.EncodeToString(b[:])
	return tok, FileFor(tok)
}

// FileFor returns the File that accepts token.
func FileFor(token string) File {
	return File{TokenHash: sha256.Sum256([]byte(token))}
}

// Marshal writes the file as Parse reads it.
func (f File) Marshal() []byte {
	return []byte("# fosbury management API credential (mgmt/auth): the SHA-256 of the token,\n" +
		"# never the token itself. POST /auth/token makes a new one.\n" +
		"token-sha256 " + hex.EncodeToString(f.TokenHash[:]) + "\n")
}

// Error locates a mistake in a credential file.
type Error struct {
	Line, Col int
	Msg       string
}

func (e *Error) Error() string { return fmt.Sprintf("%s:%d:%d: %s", FileName, e.Line, e.Col, e.Msg) }

// Parse reads a credential file; errors name the line and column.
func Parse(src []byte) (File, error) {
	var f File
	if len(src) > maxFile {
		return f, &Error{1, 1, fmt.Sprintf("file is %d bytes, more than the %d allowed", len(src), maxFile)}
	}
	found := 0
	for i, line := range strings.Split(string(src), "\n") {
		if j := strings.IndexByte(line, '#'); j >= 0 {
			line = line[:j]
		}
		line = strings.TrimRight(line, " \t\r")
		body := strings.TrimLeft(line, " \t")
		if body == "" {
			continue
		}
		col := len(line) - len(body) + 1
		key, val, _ := strings.Cut(body, " ")
		val = strings.TrimLeft(val, " \t")
		if key != "token-sha256" {
			return f, &Error{i + 1, col, fmt.Sprintf("unknown statement %q (want token-sha256)", key)}
		}
		valCol := col + len(body) - len(val)
		if found > 0 {
			return f, &Error{i + 1, col, "token-sha256 is given twice: the file holds one token"}
		}
		h, err := hex.DecodeString(val)
		if err != nil || len(h) != sha256.Size {
			return f, &Error{i + 1, valCol, fmt.Sprintf("want %d hex digits (a SHA-256), got %q", 2*sha256.Size, truncate(val))}
		}
		copy(f.TokenHash[:], h)
		found++
	}
	if found == 0 {
		return f, &Error{1, 1, "no token-sha256 line"}
	}
	return f, nil
}

func truncate(s string) string {
	if len(s) > 20 {
		return s[:20] + "..."
	}
	return s
}
