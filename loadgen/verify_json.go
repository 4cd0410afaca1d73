package loadgen

import (
	"github.com/presencekit/presencekit/client"
	"github.com/presencekit/presencekit/spec"
)

// The verifier decodes each checked answer once, in place, into a flat
// reusable form (vanswer): the few fields the model checks, as slices of
// the body (or of the reader's scratch buffer when a string holds escapes
// or bytes beyond ASCII), every other member skipped. It reads with
// spec.JSONReader, the compiled validator's scanner, so it accepts RFC
// 8259 JSON only, decodes strings as encoding/json does and stops at
// spec.MaxJSONDepth; anything else is reported as SCHEMA-RESPONSE. No
// tree, no map, no closure, no allocation once the buffers have grown. A
// field of the wrong type reads as absent, as the checks expect (a uid
// that is not a string matches no user).

// ventry is one entry of a batch get or subscribe answer, or of a sublist.
type ventry struct {
	uid, ext []byte
	exp      int64
	expOK    bool
	// status members are pairs[p0:p1].
	p0, p1 int
}

// vpair is one member of an entry's status object.
type vpair struct{ key, val []byte }

// vanswer is one decoded answer.
type vanswer struct {
	entries []ventry
	pairs   []vpair
	// Sublists: totalnum and whether the sublist member is there.
	total   int64
	totalOK bool
	listed  bool
}

// int64OrSkip reads an integer sent as a number or a decimal string
// (docs/contract.md#d5); ok is false for anything else.
func int64OrSkip(r *spec.JSONReader) (n int64, ok bool) {
	var text []byte
	switch r.Kind() {
	case '"':
		text, ok = r.Str()
	case '0':
		text, ok = r.Num()
	default:
		r.Skip()
		return 0, false
	}
	if !ok {
		return 0, false
	}
	return client.ParseDecimal(text)
}

// whole finishes a body: it reports whether the body was one JSON value
// with nothing after it but whitespace.
func whole(r *spec.JSONReader) bool { return r.Err() == "" && r.End() }

// decodeEntries decodes {"result":[entry…]} (batch get, subscribe); other
// members are skipped. It reports false when the body is not JSON.
func (a *vanswer) decodeEntries(r *spec.JSONReader, body []byte) bool {
	a.entries, a.pairs = a.entries[:0], a.pairs[:0]
	return eachResult(r, body, '[', func() { a.entryList(r) })
}

// eachResult reads body as an object and calls read at the value of each
// "result" member that starts with kind ('[' or '{'); read must read that
// value whole. Anything else is skipped. It reports whether the body was
// one JSON value.
func eachResult(r *spec.JSONReader, body []byte, kind byte, read func()) bool {
	r.Reset(body)
	if r.Kind() != '{' {
		r.Skip()
		return whole(r)
	}
	r.Enter('{')
	for r.More('}') {
		if k, _ := r.Key(); string(k) != "result" || r.Kind() != kind {
			r.Skip()
			continue
		}
		read()
	}
	return whole(r)
}

// entryList decodes an array of entries.
func (a *vanswer) entryList(r *spec.JSONReader) {
	r.Enter('[')
	for r.More(']') {
		a.entry(r)
	}
}

// entry decodes one entry object (anything else is an entry with no
// fields).
func (a *vanswer) entry(r *spec.JSONReader) {
	e := ventry{p0: len(a.pairs), p1: len(a.pairs)}
	if r.Kind() != '{' {
		r.Skip()
		a.entries = append(a.entries, e)
		return
	}
	r.Enter('{')
	for {
		k, ok := r.Member()
		if !ok {
			break
		}
		switch string(k) {
		case "uid":
			e.uid = r.StrOrSkip()
		case "ext":
			e.ext = r.StrOrSkip()
		case "expiry":
			e.exp, e.expOK = int64OrSkip(r)
		case "status":
			if r.Kind() != '{' {
				r.Skip()
				continue
			}
			r.Enter('{')
			e.p0 = len(a.pairs)
			for {
				k, ok := r.Member()
				if !ok {
					break
				}
				a.pairs = append(a.pairs, vpair{key: k, val: r.StrOrSkip()})
			}
			e.p1 = len(a.pairs)
		default:
			r.Skip()
		}
	}
	a.entries = append(a.entries, e)
}

// decodeSublist decodes {"result":{"totalnum":N,"sublist":[entry…]}}.
func (a *vanswer) decodeSublist(r *spec.JSONReader, body []byte) bool {
	a.entries, a.pairs = a.entries[:0], a.pairs[:0]
	a.total, a.totalOK, a.listed = 0, false, false
	return eachResult(r, body, '{', func() {
		r.Enter('{')
		for r.More('}') {
			k, _ := r.Key()
			switch string(k) {
			case "totalnum":
				a.total, a.totalOK = int64OrSkip(r)
			case "sublist":
				a.listed = true
				if r.Kind() != '[' {
					r.Skip()
					continue
				}
				a.entryList(r)
			default:
				r.Skip()
			}
		}
	})
}
