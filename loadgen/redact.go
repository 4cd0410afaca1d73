package loadgen

import (
	"reflect"

	"github.com/presencekit/presencekit/client"
)

// Redact masks, in place, every text of r that could carry a secret: the
// recorded configuration, validation examples (they quote answers), error
// kinds (they quote the server's error codes). The histograms are left
// alone: they are numbers, and masking their base64 by value could corrupt
// them on a chance match of a short secret. Writers of results.json, the
// HDR log and the HTML report call it before they write.
func (r *Results) Redact(red *client.Redactor) {
	maskStrings(reflect.ValueOf(r).Elem(), red)
}

var encodedHistType = reflect.TypeOf(EncodedHist(nil))

func maskStrings(v reflect.Value, red *client.Redactor) {
	switch v.Kind() {
	case reflect.String:
		if v.CanSet() {
			v.SetString(red.String(v.String()))
		}
	case reflect.Pointer:
		if !v.IsNil() {
			maskStrings(v.Elem(), red)
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				maskStrings(v.Field(i), red)
			}
		}
	case reflect.Slice:
		if v.Type() == encodedHistType {
			return
		}
		for i := 0; i < v.Len(); i++ {
			maskStrings(v.Index(i), red)
		}
	case reflect.Map:
		if v.IsNil() {
			return
		}
		out := reflect.MakeMapWithSize(v.Type(), v.Len())
		for it := v.MapRange(); it.Next(); {
			k, val := it.Key(), it.Value()
			if k.Kind() == reflect.String {
				k = reflect.ValueOf(red.String(k.String())).Convert(k.Type())
			}
			if val.Kind() == reflect.Pointer || val.Kind() == reflect.Slice {
				maskStrings(val, red) // shared: masked where it points
			} else if val.Kind() == reflect.String || val.Kind() == reflect.Struct || val.Kind() == reflect.Map {
				// A map in a map (Verification.Violations) is replaced
				// like a string: a map value is not addressable.
				cp := reflect.New(val.Type()).Elem()
				cp.Set(val)
				maskStrings(cp, red)
				val = cp
			}
			out.SetMapIndex(k, val)
		}
		v.Set(out)
	}
}
