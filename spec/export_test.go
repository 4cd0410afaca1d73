package spec

// TokCheck exposes the scanner's verdict on a whole body (floats mode, as
// for answers) to the external tests: "" when well-formed.
func TokCheck(b []byte) string {
	if e, _ := wellFormed(b, true, nil); e != tokOK {
		return e.String()
	}
	return ""
}

// TokString decodes the JSON string at the start of b as the scanner does.
func TokString(b []byte) string {
	t := tok{b: b}
	s, _ := t.str()
	return string(s)
}
