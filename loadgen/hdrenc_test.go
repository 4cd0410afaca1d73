package loadgen

import (
	"bytes"
	"encoding/binary"
	"math"
	"testing"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// libraryEncoding is the reference: hdrhistogram-go's own V2 encoder.
func libraryEncoding(tb testing.TB, h *hdr.Histogram) []byte {
	tb.Helper()
	b, err := h.Encode(hdr.V2CompressedEncodingCookieBase)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// sameEncoding fails unless enc encodes h exactly as the library does,
// and the encoding decodes back to h.
func sameEncoding(t *testing.T, enc *histEncoder, name string, h *hdr.Histogram) {
	t.Helper()
	got, err := enc.encode(h)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if want := libraryEncoding(t, h); !bytes.Equal(got, want) {
		t.Fatalf("%s: encoding differs from hdrhistogram-go's\n got %s\nwant %s", name, got, want)
	}
	back, err := EncodedHist(got).Decode()
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if !back.Equals(h) {
		t.Fatalf("%s: decodes to another histogram (total %d, want %d)", name, back.TotalCount(), h.TotalCount())
	}
}

// TestHistEncoderMatchesLibrary: one encoder, reused across histograms
// of every shape (empty, only the lowest bucket, zero runs of one and of
// many, counts that take all nine bytes, another geometry), writes what
// the library writes. Reuse is the point: a compressor or buffer that
// kept state from the call before would show here.
func TestHistEncoderMatchesLibrary(t *testing.T) {
	t.Parallel()
	var enc histEncoder
	type shape struct {
		name string
		h    func() *hdr.Histogram
	}
	record := func(h *hdr.Histogram, vs ...int64) *hdr.Histogram {
		for _, v := range vs {
			if err := h.RecordValue(v); err != nil {
				t.Fatal(err)
			}
		}
		return h
	}
	shapes := []shape{
		{"empty", NewHist},
		{"lowest bucket only", func() *hdr.Histogram { return record(NewHist(), 1) }},
		{"zero value", func() *hdr.Histogram { return record(hdr.New(0, 1000, 2), 0, 0) }},
		{"adjacent buckets", func() *hdr.Histogram { return record(NewHist(), 5, 6, 7) }},
		{"single zeros between counts", func() *hdr.Histogram { return record(NewHist(), 5, 7, 9) }},
		{"wide spread", func() *hdr.Histogram {
			h := NewHist()
			for v := int64(1); v < histHighest; v = v*3 + 1 {
				record(h, v, v, v+1)
			}
			return h
		}},
		{"highest trackable", func() *hdr.Histogram { return record(NewHist(), histHighest) }},
		{"corrected", func() *hdr.Histogram {
			h := NewHist()
			if err := h.RecordCorrectedValue(90_000, 1_000); err != nil {
				t.Fatal(err)
			}
			return h
		}},
		{"nine-byte count", func() *hdr.Histogram {
			h := NewHist()
			if err := h.RecordValues(1234, math.MaxInt64/2); err != nil {
				t.Fatal(err)
			}
			return h
		}},
		{"after reset", func() *hdr.Histogram {
			h := record(NewHist(), 10, 20000)
			h.Reset()
			return record(h, 300)
		}},
		{"another geometry", func() *hdr.Histogram { return record(hdr.New(1, 10_000_000, 2), 3, 99, 123_456, 9_999_999) }},
	}
	for _, s := range shapes {
		sameEncoding(t, &enc, s.name, s.h())
	}
	// And again in reverse order, on the same encoder.
	for i := len(shapes) - 1; i >= 0; i-- {
		sameEncoding(t, &enc, shapes[i].name+" (again)", shapes[i].h())
	}
}

// TestAppendZigZag checks every length of the form, the ninth byte's
// eight bits included, against values worked by hand.
func TestAppendZigZag(t *testing.T) {
	t.Parallel()
	cases := []struct {
		v    int64
		want []byte
	}{
		{0, []byte{0}},
		{-1, []byte{1}},
		{1, []byte{2}},
		{63, []byte{0x7e}},
		{64, []byte{0x80, 0x01}},
		{-65, []byte{0x81, 0x01}},
		{1 << 20, []byte{0x80, 0x80, 0x80, 0x01}},
		{math.MaxInt64, []byte{0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
		{math.MinInt64, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
	}
	for _, c := range cases {
		if got := appendZigZag(nil, c.v); !bytes.Equal(got, c.want) {
			t.Errorf("appendZigZag(%d) = % x, want % x", c.v, got, c.want)
		}
	}
}

// FuzzHistEncoderMatchesLibrary records fuzzed values and counts (pairs
// of 8-byte words) into a histogram and demands the library's bytes.
func FuzzHistEncoderMatchesLibrary(f *testing.F) {
	f.Add([]byte{})
	f.Add(binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(nil, 1000), 3))
	f.Add(binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(nil, uint64(histHighest)), 1<<40))
	var enc histEncoder
	f.Fuzz(func(t *testing.T, data []byte) {
		h := NewHist()
		for len(data) >= 16 {
			v := int64(binary.BigEndian.Uint64(data) % uint64(histHighest+1))
			n := int64(binary.BigEndian.Uint64(data[8:]) % (1 << 40))
			data = data[16:]
			if err := h.RecordValues(v, n); err != nil {
				t.Fatal(err)
			}
		}
		sameEncoding(t, &enc, "fuzzed", h)
	})
}

// benchHist is an interval's worth of latencies: spread over four
// decades, as a busy operation's are.
func benchHist(b *testing.B) *hdr.Histogram {
	h := NewHist()
	for i := range 10_000 {
		if err := h.RecordValue(int64(100 + i*i%50_000)); err != nil {
			b.Fatal(err)
		}
	}
	return h
}

// BenchmarkEncodeHist is the encoding of every interval cut; compare
// with BenchmarkEncodeHistLibrary in the same run.
func BenchmarkEncodeHist(b *testing.B) {
	h := benchHist(b)
	var enc histEncoder
	b.ReportAllocs()
	for b.Loop() {
		if _, err := enc.encode(h); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncodeHistLibrary is hdrhistogram-go's own encoder, the
// reference for BenchmarkEncodeHist.
func BenchmarkEncodeHistLibrary(b *testing.B) {
	h := benchHist(b)
	b.ReportAllocs()
	for b.Loop() {
		libraryEncoding(b, h)
	}
}
