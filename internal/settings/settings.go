// Package settings fills a typed settings struct from layers, in order:
// the struct's defaults, a YAML file, environment variables, command-line
// flags. Each field says where it comes from with struct tags:
//
//	yaml:"key"     its key in the YAML file ("-": not in the file)
//	env:"NAME"     its environment variable, after Options.EnvPrefix
//	flag:"name"    its flag
//	help:"text"    the flag's help
//	secret:"true"  never shown as a default, masked by Redacted
//
// conform and load read their settings through it, so both take the same
// file, variables and flags the same way, and neither can print a secret
// in --help (a flag's shown default is the code's default, never the
// environment's value).
package settings

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Mask replaces a secret field's value in Redacted's copy.
const Mask = "REDACTED"

// Options say how a Binder names its environment variables and its file.
type Options struct {
	// EnvPrefix starts every environment variable, e.g. "PRESENCE_".
	EnvPrefix string
	// FileFlag is the flag of the field naming the YAML file (its
	// variable is EnvPrefix + the field's env tag); "" reads no file.
	FileFlag string
}

// Source says which layer set a field.
type Source string

// The layers, lowest first.
const (
	FromFile Source = "file"
	FromEnv  Source = "env"
	FromFlag Source = "flag"
)

// Error is a value a layer gave that does not parse. Where names the
// layer and the setting as a user would look for it: "--timeout",
// "PRESENCE_TIMEOUT", or the file's path.
type Error struct {
	Where string
	Err   error
}

func (e *Error) Error() string { return e.Where + ": " + e.Err.Error() }

// Unwrap returns the parse error.
func (e *Error) Unwrap() error { return e.Err }

// Binder registers one flag per field of a settings struct and, after
// parsing, resolves the layers into a struct of that type.
type Binder struct {
	opts     Options
	defaults reflect.Value
	vals     map[string]*value // by flag name
}

// value is one field's flag: it keeps the raw text for Resolve, checks it
// when set (a bad --timeout is a usage error at once) and names its type
// for --help (pflag reads Type). A list flag given twice keeps both.
type value struct {
	raw   string
	typ   reflect.Type
	given bool
}

func (v *value) String() string { return v.raw }

func (v *value) Set(s string) error {
	if err := setField(reflect.New(v.typ).Elem(), s); err != nil {
		return err
	}
	if v.typ.Kind() == reflect.Slice && v.given && v.raw != "" {
		s = v.raw + "," + s
	}
	v.raw, v.given = s, true
	return nil
}

// IsBoolFlag lets a bool field be given as a bare --flag.
func (v *value) IsBoolFlag() bool { return v.typ.Kind() == reflect.Bool }

// Type is the type word --help shows.
func (v *value) Type() string {
	switch {
	case v.typ == reflect.TypeOf(time.Duration(0)):
		return "duration"
	case v.typ.Kind() == reflect.Slice && v.typ.Elem().Kind() == reflect.String:
		return "strings"
	case v.typ.Kind() == reflect.Slice:
		return v.typ.Elem().Kind().String() + "s" // "ints"
	case v.typ.Kind() == reflect.Float64 || v.typ.Kind() == reflect.Float32:
		return "float"
	}
	return v.typ.Kind().String()
}

// Bind registers one flag per field of defaults (a struct) on fs. The
// flag's shown default is the field's value in defaults, left out for
// secrets and zero values.
func Bind(fs *flag.FlagSet, defaults any, opts Options) *Binder {
	d := reflect.ValueOf(defaults)
	b := &Binder{opts: opts, defaults: d, vals: map[string]*value{}}
	t := d.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name := f.Tag.Get("flag")
		if name == "" {
			continue
		}
		v := &value{typ: f.Type}
		if f.Tag.Get("secret") != "true" && !d.Field(i).IsZero() {
			v.raw = formatField(d.Field(i))
		}
		b.vals[name] = v
		help := f.Tag.Get("help")
		if env := f.Tag.Get("env"); env != "" {
			help += " (env " + opts.EnvPrefix + env + ")"
		}
		fs.Var(v, name, help)
	}
	return b
}

// Resolve fills dst, a pointer to a struct of the defaults' type: the
// defaults, then the YAML file (the FileFlag flag or its variable), then
// the environment (getenv, usually os.Getenv), then the flags changed
// reports as given (cobra's Flags().Changed, or a flag.FlagSet's Visit).
// It returns which layer set each field that a layer set, by flag name.
func (b *Binder) Resolve(dst any, getenv func(string) string, changed func(name string) bool) (map[string]Source, error) {
	out := reflect.ValueOf(dst)
	if out.Kind() != reflect.Pointer || out.Elem().Type() != b.defaults.Type() {
		return nil, fmt.Errorf("settings: Resolve wants a *%s, got %T", b.defaults.Type(), dst)
	}
	v := out.Elem()
	v.Set(b.defaults)
	t := v.Type()
	given := map[string]Source{}
	if err := b.readFile(v, getenv, changed, given); err != nil {
		return given, err
	}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name := f.Tag.Get("flag")
		if env := f.Tag.Get("env"); env != "" {
			if s := getenv(b.opts.EnvPrefix + env); s != "" {
				if err := setField(v.Field(i), s); err != nil {
					return given, &Error{Where: b.opts.EnvPrefix + env, Err: err}
				}
				given[name] = FromEnv
			}
		}
		if val := b.vals[name]; val != nil && changed(name) {
			if err := setField(v.Field(i), val.raw); err != nil {
				return given, &Error{Where: "--" + name, Err: err}
			}
			given[name] = FromFlag
		}
	}
	return given, nil
}

// readFile decodes the YAML file, if one is named, over v. Unknown keys
// are refused: a misspelt setting must not be silently ignored.
func (b *Binder) readFile(v reflect.Value, getenv func(string) string, changed func(string) bool, given map[string]Source) error {
	if b.opts.FileFlag == "" {
		return nil
	}
	var file string
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		if f := t.Field(i); f.Tag.Get("flag") == b.opts.FileFlag {
			file = getenv(b.opts.EnvPrefix + f.Tag.Get("env"))
		}
	}
	if val := b.vals[b.opts.FileFlag]; val != nil && changed(b.opts.FileFlag) {
		file = val.raw
	}
	if file == "" {
		return nil
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return &Error{Where: "--" + b.opts.FileFlag, Err: err}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(v.Addr().Interface()); err != nil && !errors.Is(err, io.EOF) { // EOF: an empty file
		return &Error{Where: file, Err: err}
	}
	var keys map[string]any
	_ = yaml.Unmarshal(data, &keys) // it decoded above; only the key names are wanted
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if _, ok := keys[strings.Split(f.Tag.Get("yaml"), ",")[0]]; ok {
			given[f.Tag.Get("flag")] = FromFile
		}
	}
	return nil
}

// Secrets returns the values of v's secret fields that are set, for a
// redactor that must mask them wherever they appear.
func Secrets(v any) []string {
	rv := reflect.ValueOf(v)
	var out []string
	for i := 0; i < rv.NumField(); i++ {
		if rv.Type().Field(i).Tag.Get("secret") == "true" && rv.Field(i).Kind() == reflect.String && rv.Field(i).String() != "" {
			out = append(out, rv.Field(i).String())
		}
	}
	return out
}

// Redacted returns a copy of v (a settings struct) with every set secret
// field replaced by Mask, for reports and logs.
func Redacted[T any](v T) T {
	rv := reflect.ValueOf(&v).Elem()
	for i := 0; i < rv.NumField(); i++ {
		if rv.Type().Field(i).Tag.Get("secret") == "true" && rv.Field(i).Kind() == reflect.String && rv.Field(i).String() != "" {
			rv.Field(i).SetString(Mask)
		}
	}
	return v
}

func formatField(v reflect.Value) string {
	if v.Kind() == reflect.Slice {
		parts := make([]string, v.Len())
		for i := range parts {
			parts[i] = fmt.Sprint(v.Index(i).Interface())
		}
		return strings.Join(parts, ",")
	}
	return fmt.Sprint(v.Interface()) // a time.Duration prints as "10s"
}

// setField parses s into v by its kind, so a field of any string, integer,
// float, bool, duration, string-list or number-list type (named types
// included) works.
func setField(v reflect.Value, s string) error {
	t := strings.TrimSpace(s)
	switch {
	case v.Type() == reflect.TypeOf(time.Duration(0)):
		d, err := time.ParseDuration(t)
		if err != nil {
			return err
		}
		v.SetInt(int64(d))
		return nil
	case v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.String:
		list := reflect.MakeSlice(v.Type(), 0, 4)
		for _, p := range strings.Split(s, ",") {
			if p = strings.TrimSpace(p); p != "" {
				list = reflect.Append(list, reflect.ValueOf(p).Convert(v.Type().Elem()))
			}
		}
		if list.Len() == 0 {
			list = reflect.Zero(v.Type())
		}
		v.Set(list)
		return nil
	case v.Kind() == reflect.Slice: // of numbers: each item parsed as the element kind
		list := reflect.MakeSlice(v.Type(), 0, 4)
		for _, p := range strings.Split(s, ",") {
			if strings.TrimSpace(p) == "" {
				continue
			}
			item := reflect.New(v.Type().Elem()).Elem()
			if err := setField(item, p); err != nil {
				return err
			}
			list = reflect.Append(list, item)
		}
		if list.Len() == 0 {
			list = reflect.Zero(v.Type())
		}
		v.Set(list)
		return nil
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(t, 10, v.Type().Bits())
		if err != nil {
			return fmt.Errorf("%q: want a whole number", s)
		}
		v.SetInt(n)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, err := strconv.ParseUint(t, 10, v.Type().Bits())
		if err != nil {
			return fmt.Errorf("%q: want a whole number ≥ 0", s)
		}
		v.SetUint(n)
	case reflect.Float32, reflect.Float64:
		f, err := strconv.ParseFloat(t, v.Type().Bits())
		if err != nil {
			return fmt.Errorf("%q: want a number", s)
		}
		v.SetFloat(f)
	case reflect.Bool:
		x, err := strconv.ParseBool(t)
		if err != nil {
			return fmt.Errorf("%q: want true or false", s)
		}
		v.SetBool(x)
	default:
		return fmt.Errorf("unsupported field type %s", v.Type())
	}
	return nil
}
