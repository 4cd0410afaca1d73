package loadgen

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"math"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// The cookies of HdrHistogram's V2 encoding: the compressed envelope and
// the payload inside it (the version base ORed with the word size, 0x10).
const (
	v2PayloadCookie    = hdr.V2EncodingCookieBase | 0x10
	v2CompressedCookie = hdr.V2CompressedEncodingCookieBase | 0x10
)

// histEncoder writes HdrHistogram's V2 compressed base64 encoding, byte
// for byte what hdr's Encode(hdr.V2CompressedEncodingCookieBase) returns
// (TestHistEncoderMatchesLibrary and FuzzHistEncoderMatchesLibrary hold
// the two together), but keeps its zlib compressor from one call to the
// next. The library allocates a fresh BestCompression compressor per call
// (~850 KiB of hash chains and window): most of an encoding's time, and
// under the race detector, where each fresh compressor's shadow pages are
// faulted in, the costliest step of a whole load run
// (BenchmarkEncodeHist against BenchmarkEncodeHistLibrary). Decoding stays
// the library's. A histEncoder is not safe for concurrent use: each cutter
// of intervals, each merge holds its own.
type histEncoder struct {
	zw      *zlib.Writer
	payload []byte
	packed  bytes.Buffer
	out     []byte
}

// encode returns h's encoding in a new slice.
func (e *histEncoder) encode(h *hdr.Histogram) (EncodedHist, error) {
	s := h.Export()
	// The payload's counts end at the bucket of the largest value, with
	// at least one entry: an empty histogram encodes one zero count.
	limit := 1
	for i := len(s.Counts) - 1; i > 0; i-- {
		if s.Counts[i] != 0 {
			limit = i + 1
			break
		}
	}
	p := e.payload[:0]
	p = binary.BigEndian.AppendUint32(p, uint32(v2PayloadCookie))
	p = binary.BigEndian.AppendUint32(p, 0) // payload length, set below
	p = binary.BigEndian.AppendUint32(p, 0) // normalizing index offset: counts are stored unrotated
	p = binary.BigEndian.AppendUint32(p, uint32(s.SignificantFigures))
	p = binary.BigEndian.AppendUint64(p, uint64(s.LowestTrackableValue))
	p = binary.BigEndian.AppendUint64(p, uint64(s.HighestTrackableValue))
	ratio := s.IntegerToDoubleConversionRatio
	if ratio == 0 {
		ratio = 1
	}
	p = binary.BigEndian.AppendUint64(p, math.Float64bits(ratio))
	header := len(p)
	// Counts as ZigZag LEB128 (at most 9 bytes, the ninth holding 8
	// bits); a run of two or more zeros is one negative run length.
	for i := 0; i < limit; {
		c := s.Counts[i]
		i++
		if c == 0 {
			run := int64(1)
			for i < limit && s.Counts[i] == 0 {
				run++
				i++
			}
			if run > 1 {
				c = -run
			}
		}
		p = appendZigZag(p, c)
	}
	binary.BigEndian.PutUint32(p[4:], uint32(len(p)-header))
	e.payload = p

	e.packed.Reset()
	if e.zw == nil {
		zw, err := zlib.NewWriterLevel(&e.packed, zlib.BestCompression)
		if err != nil {
			return nil, fmt.Errorf("encode histogram: %w", err)
		}
		e.zw = zw
	} else {
		e.zw.Reset(&e.packed)
	}
	if _, err := e.zw.Write(p); err != nil {
		return nil, fmt.Errorf("encode histogram: %w", err)
	}
	if err := e.zw.Close(); err != nil {
		return nil, fmt.Errorf("encode histogram: %w", err)
	}
	raw := e.out[:0]
	raw = binary.BigEndian.AppendUint32(raw, uint32(v2CompressedCookie))
	raw = binary.BigEndian.AppendUint32(raw, uint32(e.packed.Len()))
	raw = append(raw, e.packed.Bytes()...)
	e.out = raw
	return base64.StdEncoding.AppendEncode(nil, raw), nil
}

// appendZigZag appends v in the ZigZag LEB128 form of HdrHistogram's V2
// payload: seven bits a byte, low first, except that a ninth byte carries
// the last eight.
func appendZigZag(b []byte, v int64) []byte {
	u := uint64(v<<1) ^ uint64(v>>63)
	for range 8 {
		if u < 0x80 {
			return append(b, byte(u))
		}
		b = append(b, byte(u)|0x80)
		u >>= 7
	}
	return append(b, byte(u))
}
