package mock

import (
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/presencekit/presencekit/spec"
)

// The request bodies of the hot path are tiny and fixed in shape, so they
// are scanned by hand: names come back as byte slices into the body (or into
// a per-request arena when they hold escapes), and map lookups with
// string(b) do not allocate. The scanner accepts exactly RFC 8259 JSON;
// FuzzParseNames and FuzzParseExt (fuzz_test.go) cross-check it with
// encoding/json.

// errSyntax marks malformed JSON (400 json_parse).
var errSyntax = errors.New("malformed JSON")

// errShape marks well-formed JSON of the wrong shape (400 json_parse too:
// the vendor's Jackson refuses to map it).
var errShape = errors.New("unexpected JSON type")

// maxDepth is the spec's bound, so the proxy refuses what the mock refuses.
const maxDepth = spec.MaxJSONDepth

type scanner struct {
	b     []byte
	i     int
	arena []byte
}

func (s *scanner) syntax(what string) error {
	return fmt.Errorf("%w: %s at offset %d", errSyntax, what, s.i)
}

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// end checks that only whitespace follows the top-level value.
func (s *scanner) end() error {
	s.ws()
	if s.i != len(s.b) {
		return s.syntax("data after the value")
	}
	return nil
}

// str reads a string; s.b[s.i] must be '"'.
func (s *scanner) str() ([]byte, error) {
	s.i++
	start := s.i
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			return s.b[start : s.i-1], nil
		case c == '\\' || c < 0x20 || c >= utf8.RuneSelf:
			return s.strSlow(start)
		}
		s.i++
	}
	return nil, s.syntax("unterminated string")
}

func (s *scanner) strSlow(start int) ([]byte, error) {
	a0 := len(s.arena)
	s.arena = append(s.arena, s.b[start:s.i]...)
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			return s.arena[a0:len(s.arena):len(s.arena)], nil
		case c < 0x20:
			return nil, s.syntax("control character in string")
		case c == '\\':
			if s.i+1 >= len(s.b) {
				return nil, s.syntax("unterminated escape")
			}
			e := s.b[s.i+1]
			s.i += 2
			switch e {
			case '"', '\\', '/':
				s.arena = append(s.arena, e)
			case 'b':
				s.arena = append(s.arena, '\b')
			case 'f':
				s.arena = append(s.arena, '\f')
			case 'n':
				s.arena = append(s.arena, '\n')
			case 'r':
				s.arena = append(s.arena, '\r')
			case 't':
				s.arena = append(s.arena, '\t')
			case 'u':
				r, ok := s.hex4()
				if !ok {
					return nil, s.syntax("bad \\u escape")
				}
				if utf16IsHigh(r) {
					if s.i+1 < len(s.b) && s.b[s.i] == '\\' && s.b[s.i+1] == 'u' {
						save := s.i
						s.i += 2
						r2, ok := s.hex4()
						if !ok {
							return nil, s.syntax("bad \\u escape")
						}
						if utf16IsLow(r2) {
							r = (r-0xD800)<<10 + (r2 - 0xDC00) + 0x10000
						} else {
							r = utf8.RuneError
							s.i = save
						}
					} else {
						r = utf8.RuneError
					}
				} else if utf16IsLow(r) {
					r = utf8.RuneError
				}
				s.arena = utf8.AppendRune(s.arena, r)
			default:
				return nil, s.syntax("bad escape")
			}
		case c < utf8.RuneSelf:
			s.arena = append(s.arena, c)
			s.i++
		default:
			r, n := utf8.DecodeRune(s.b[s.i:])
			if r == utf8.RuneError && n == 1 {
				s.arena = utf8.AppendRune(s.arena, utf8.RuneError)
			} else {
				s.arena = append(s.arena, s.b[s.i:s.i+n]...)
			}
			s.i += n
		}
	}
	return nil, s.syntax("unterminated string")
}

func utf16IsHigh(r rune) bool { return r >= 0xD800 && r < 0xDC00 }
func utf16IsLow(r rune) bool  { return r >= 0xDC00 && r < 0xE000 }

func (s *scanner) hex4() (rune, bool) {
	if s.i+4 > len(s.b) {
		return 0, false
	}
	var r rune
	for _, c := range s.b[s.i : s.i+4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	s.i += 4
	return r, true
}

func (s *scanner) lit(word string) error {
	if len(s.b)-s.i < len(word) || string(s.b[s.i:s.i+len(word)]) != word {
		return s.syntax("bad literal")
	}
	s.i += len(word)
	return nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func (s *scanner) num() error {
	if s.i < len(s.b) && s.b[s.i] == '-' {
		s.i++
	}
	switch {
	case s.i < len(s.b) && s.b[s.i] == '0':
		s.i++
	case s.i < len(s.b) && s.b[s.i] >= '1' && s.b[s.i] <= '9':
		for s.i < len(s.b) && isDigit(s.b[s.i]) {
			s.i++
		}
	default:
		return s.syntax("bad number")
	}
	if s.i < len(s.b) && s.b[s.i] == '.' {
		s.i++
		if s.i >= len(s.b) || !isDigit(s.b[s.i]) {
			return s.syntax("bad fraction")
		}
		for s.i < len(s.b) && isDigit(s.b[s.i]) {
			s.i++
		}
	}
	if s.i < len(s.b) && (s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		s.i++
		if s.i < len(s.b) && (s.b[s.i] == '+' || s.b[s.i] == '-') {
			s.i++
		}
		if s.i >= len(s.b) || !isDigit(s.b[s.i]) {
			return s.syntax("bad exponent")
		}
		for s.i < len(s.b) && isDigit(s.b[s.i]) {
			s.i++
		}
	}
	return nil
}

// skip reads and discards any value.
func (s *scanner) skip(depth int) error {
	if depth > maxDepth {
		return s.syntax("nested too deep")
	}
	s.ws()
	if s.i >= len(s.b) {
		return s.syntax("value expected")
	}
	switch c := s.b[s.i]; {
	case c == '"':
		_, err := s.str()
		return err
	case c == '{':
		return s.object(depth, func(key []byte) error { return s.skip(depth + 1) })
	case c == '[':
		return s.array(depth, func() error { return s.skip(depth + 1) })
	case c == 't':
		return s.lit("true")
	case c == 'f':
		return s.lit("false")
	case c == 'n':
		return s.lit("null")
	case c == '-' || isDigit(c):
		return s.num()
	default:
		return s.syntax("value expected")
	}
}

// object reads an object; s.b[s.i] must be '{'. member reads each value.
func (s *scanner) object(depth int, member func(key []byte) error) error {
	s.i++
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == '}' {
		s.i++
		return nil
	}
	for {
		s.ws()
		if s.i >= len(s.b) || s.b[s.i] != '"' {
			return s.syntax("object key expected")
		}
		key, err := s.str()
		if err != nil {
			return err
		}
		s.ws()
		if s.i >= len(s.b) || s.b[s.i] != ':' {
			return s.syntax("colon expected")
		}
		s.i++
		s.ws()
		if err := member(key); err != nil {
			return err
		}
		s.ws()
		if s.i >= len(s.b) {
			return s.syntax("unterminated object")
		}
		switch s.b[s.i] {
		case ',':
			s.i++
		case '}':
			s.i++
			return nil
		default:
			return s.syntax("comma or } expected")
		}
	}
}

// array reads an array; s.b[s.i] must be '['. elem reads each element.
func (s *scanner) array(depth int, elem func() error) error {
	_ = depth
	s.i++
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == ']' {
		s.i++
		return nil
	}
	for {
		s.ws()
		if err := elem(); err != nil {
			return err
		}
		s.ws()
		if s.i >= len(s.b) {
			return s.syntax("unterminated array")
		}
		switch s.b[s.i] {
		case ',':
			s.i++
		case ']':
			s.i++
			return nil
		default:
			return s.syntax("comma or ] expected")
		}
	}
}

// strings reads an array of strings (or null) at the current position,
// appending to out. null yields ok=false.
func (s *scanner) strings(out [][]byte) ([][]byte, bool, error) {
	s.ws()
	if s.i >= len(s.b) {
		return out, false, s.syntax("value expected")
	}
	switch s.b[s.i] {
	case 'n':
		return out, false, s.lit("null")
	case '[':
	default:
		if err := s.skip(1); err != nil {
			return out, false, err
		}
		return out, false, fmt.Errorf("%w: array of strings expected", errShape)
	}
	var shapeErr error
	err := s.array(1, func() error {
		if s.i < len(s.b) && s.b[s.i] == '"' {
			v, err := s.str()
			out = append(out, v)
			return err
		}
		if shapeErr == nil {
			shapeErr = fmt.Errorf("%w: array element is not a string", errShape)
		}
		return s.skip(2)
	})
	if err != nil {
		return out, false, err
	}
	return out, true, shapeErr
}

// parseNames reads {"<key>":[…]} — or, when bare is true, a bare array —
// and returns the names. Missing body, missing key and null all yield no
// names and no error: the handler answers "… is empty".
func parseNames(body []byte, key string, bare bool, arena []byte, out [][]byte) (names [][]byte, isBare bool, a []byte, err error) {
	s := scanner{b: body, arena: arena}
	s.ws()
	if s.i == len(s.b) {
		return out, false, s.arena, nil
	}
	switch s.b[s.i] {
	case '[':
		if !bare {
			if err := s.skip(0); err != nil {
				return out, false, s.arena, err
			}
			if err := s.end(); err != nil {
				return out, false, s.arena, err
			}
			return out, true, s.arena, fmt.Errorf("%w: object expected", errShape)
		}
		out, _, err = s.strings(out)
		if err == nil || errors.Is(err, errShape) {
			if e := s.end(); e != nil {
				return out, true, s.arena, e
			}
		}
		return out, true, s.arena, err
	case '{':
		base := len(out)
		var shapeErr error
		err = s.object(0, func(k []byte) error {
			if string(k) != key {
				return s.skip(1)
			}
			out = out[:base] // a repeated key: the last one wins
			var e error
			out, _, e = s.strings(out)
			if errors.Is(e, errShape) {
				shapeErr = e
				return nil
			}
			return e
		})
		if err == nil {
			err = s.end()
		}
		if err == nil {
			err = shapeErr
		}
		return out, false, s.arena, err
	default:
		if err := s.skip(0); err != nil {
			return out, false, s.arena, err
		}
		if err := s.end(); err != nil {
			return out, false, s.arena, err
		}
		return out, false, s.arena, fmt.Errorf("%w: object expected", errShape)
	}
}

// parseExt reads {"ext":"…"}; null and a missing key give present=false.
func parseExt(body []byte, arena []byte) (ext []byte, present bool, a []byte, err error) {
	s := scanner{b: body, arena: arena}
	s.ws()
	if s.i == len(s.b) {
		return nil, false, s.arena, nil
	}
	if s.b[s.i] != '{' {
		if err := s.skip(0); err != nil {
			return nil, false, s.arena, err
		}
		if err := s.end(); err != nil {
			return nil, false, s.arena, err
		}
		return nil, false, s.arena, fmt.Errorf("%w: object expected", errShape)
	}
	var shapeErr error
	err = s.object(0, func(k []byte) error {
		if string(k) != "ext" {
			return s.skip(1)
		}
		switch {
		case s.i < len(s.b) && s.b[s.i] == '"':
			v, e := s.str()
			ext, present, shapeErr = v, true, nil
			return e
		case s.i < len(s.b) && s.b[s.i] == 'n':
			ext, present, shapeErr = nil, false, nil
			return s.lit("null")
		default:
			ext, present = nil, false
			shapeErr = fmt.Errorf("%w: ext is not a string", errShape)
			return s.skip(1)
		}
	})
	if err == nil {
		err = s.end()
	}
	if err == nil {
		err = shapeErr
	}
	return ext, present, s.arena, err
}
