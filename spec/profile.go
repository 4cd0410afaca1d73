package spec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"regexp"
	"sort"
	"strings"

	"github.com/speakeasy-api/openapi/overlay"
	"gopkg.in/yaml.v3"

	"github.com/presencekit/presencekit"
)

// DefaultProfile is the profile Load applies: the Easemob document the
// project follows (docs/contract.md#d13).
const DefaultProfile = "easemob"

// EnvProfile names the environment variable every command reads for
// --profile's default.
const EnvProfile = "PRESENCE_PROFILE"

// ProfileExtension is the root extension of a merged document that holds
// the profile's non-schema facts; each profile's overlay writes it.
const ProfileExtension = "x-presencekit-profile"

// ErrUnknownProfile means --profile named neither a built-in profile nor a
// readable overlay file.
var ErrUnknownProfile = errors.New("unknown profile")

// Profile is what a profile states beyond the schema, read from the merged
// document's x-presencekit-profile: documented rate limit, user-name
// charset, operations the vendor does not offer, rules that do not apply,
// vendor error texts, each with the vendor page it comes from.
type Profile struct {
	Name   string `json:"name"`
	Title  string `json:"title"`
	Vendor string `json:"vendor"`
	// RateLimit is the documented request rate; nil when the pages give none.
	RateLimit *RateLimit `json:"rate-limit,omitempty"`
	// UserNames is the documented user-name charset.
	UserNames *UserNames `json:"user-names,omitempty"`
	// OperationsNotOffered are operationIds the vendor does not document;
	// their rules are not applicable and the document lacks their paths.
	OperationsNotOffered []string `json:"operations-not-offered,omitempty"`
	// NotApplicable lists rules that do not apply, with why.
	NotApplicable []NotApplicable `json:"not-applicable,omitempty"`
	// ErrorDescriptions maps an error_description text of the base
	// contract (docs/contract.md#d2) to the vendor's own wording, which the
	// mock then sends; a key the mock never produces (e.g. a condition such
	// as "feature-off") is informational.
	ErrorDescriptions map[string]string `json:"error-descriptions,omitempty"`
	// Sources are the vendor pages the profile rests on.
	Sources []Source `json:"sources,omitempty"`
}

// Source cites a vendor page: title, URL, section. Unconfirmed says the
// project could not check the URL (the overlay says so in the open).
type Source struct {
	Title       string `json:"title"`
	URL         string `json:"url,omitempty"`
	Section     string `json:"section,omitempty"`
	Unconfirmed string `json:"unconfirmed,omitempty"`
}

// RateLimit is a documented request rate.
type RateLimit struct {
	PerSecond float64 `json:"per-second"`
	Scope     string  `json:"scope"`
	Source    Source  `json:"source"`
}

// UserNames is the documented user-name charset.
type UserNames struct {
	Pattern  string `json:"pattern"`
	MaxBytes int    `json:"max-bytes"`
	Source   Source `json:"source"`
}

// NotApplicable is a rule a profile switches off, with the reason.
type NotApplicable struct {
	Rule   string `json:"rule"`
	Why    string `json:"why"`
	Source Source `json:"source"`
}

// Profile returns the profile facts of the document (zero when it has
// none, e.g. a hand-edited file loaded with LoadFile).
func (d *Doc) Profile() Profile { return d.profile }

// readProfile decodes x-presencekit-profile; a malformed one is kept as a
// lint problem rather than failing the load.
func (d *Doc) readProfile() (Profile, error) {
	raw, ok := d.T.Extensions[ProfileExtension]
	if !ok {
		return Profile{}, nil
	}
	b, err := json.Marshal(raw)
	if err != nil {
		return Profile{}, err
	}
	var p Profile
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return Profile{}, fmt.Errorf("%s: %w", ProfileExtension, err)
	}
	return p, nil
}

// NotApplicable says whether a rule does not apply under the document's
// profile, and why: the profile lists it, or its operation is one the
// vendor does not offer.
func (d *Doc) NotApplicable(ruleID RuleID) (why string, ok bool) {
	for _, n := range d.profile.NotApplicable {
		if RuleID(n.Rule) == ruleID {
			return n.Why, true
		}
	}
	r, found := d.Rule(ruleID)
	if found && d.offersNot(r.Operation) {
		return fmt.Sprintf("profile %s: the vendor does not offer %s", d.profile.Name, r.Operation), true
	}
	return "", false
}

// offersNot says whether the profile declares the operation not offered.
func (d *Doc) offersNot(opID string) bool {
	for _, o := range d.profile.OperationsNotOffered {
		if o == opID {
			return true
		}
	}
	return false
}

// ProfileNames lists the built-in profiles, the default first.
func ProfileNames() []string {
	entries, err := fs.ReadDir(presencekit.Profiles, "profiles")
	if err != nil {
		return []string{DefaultProfile}
	}
	names := []string{DefaultProfile}
	for _, e := range entries {
		n, ok := strings.CutSuffix(e.Name(), ".yaml")
		if ok && n != DefaultProfile {
			names = append(names, n)
		}
	}
	sort.Strings(names[1:])
	return names
}

// ProfileOverlay returns a profile's overlay document: a built-in name's
// embedded file, or the file at name when it ends in .yaml/.yml or holds a
// path separator. location names it in messages.
func ProfileOverlay(name string) (data []byte, location string, err error) {
	if name == "" {
		name = DefaultProfile
	}
	if strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml") || strings.ContainsRune(name, os.PathSeparator) {
		data, err = os.ReadFile(name)
		if err != nil {
			return nil, name, fmt.Errorf("%w: read overlay: %w", ErrUnknownProfile, err)
		}
		return data, name, nil
	}
	location = path.Join("profiles", name+".yaml")
	data, err = fs.ReadFile(presencekit.Profiles, location)
	if err != nil {
		return nil, location, fmt.Errorf("%w %q: built-in profiles are %s, or give an overlay file (.yaml)",
			ErrUnknownProfile, name, strings.Join(ProfileNames(), ", "))
	}
	return data, location, nil
}

// LoadProfile loads the embedded openapi.yaml with a profile applied: a
// built-in name (see ProfileNames), or an overlay file of the user's. ""
// is DefaultProfile.
func LoadProfile(name string) (*Doc, error) {
	return LoadDataProfile(presencekit.OpenAPI, EmbeddedLocation, name)
}

// LoadDataProfile applies a profile to a base document given as bytes.
func LoadDataProfile(base []byte, baseLocation, name string) (*Doc, error) {
	ov, ovLocation, err := ProfileOverlay(name)
	if err != nil {
		return nil, err
	}
	location := baseLocation + "+" + ovLocation
	merged, err := ApplyOverlay(base, ov)
	if err != nil {
		return nil, &LoadError{Location: location, Err: err}
	}
	return LoadData(merged, location)
}

// ApplyOverlay applies an OpenAPI Overlay document to base and returns the
// merged YAML. It uses the overlay package of speakeasy-api/openapi (1.0.0
// and 1.1.0 documents) in strict mode: an action whose target selects
// nothing is an error, so an overlay that no longer fits the base document
// is caught instead of silently changing nothing.
func ApplyOverlay(base, overlayDoc []byte) ([]byte, error) {
	o, err := overlay.ParseReader(bytes.NewReader(overlayDoc))
	if err != nil {
		return nil, fmt.Errorf("overlay: %w", err)
	}
	if err := o.Validate(); err != nil {
		return nil, fmt.Errorf("overlay: %w", err)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(base, &root); err != nil {
		return nil, fmt.Errorf("base document: %w", err)
	}
	if _, err := o.ApplyToStrict(&root); err != nil {
		return nil, fmt.Errorf("overlay %q: %w", o.Info.Title, err)
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&root); err != nil {
		return nil, fmt.Errorf("merged document: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("merged document: %w", err)
	}
	return buf.Bytes(), nil
}

// profileFacts checks x-presencekit-profile: it decodes, and every fact
// cites a vendor page by title and URL, or says why it cannot.
func (l *linter) profileFacts() {
	at := []string{ProfileExtension}
	if l.d.profileProblem != "" {
		l.add(CheckProfile, at, l.d.profileProblem)
		return
	}
	p := l.d.profile
	cite := func(what string, s Source) {
		if s.Title == "" || (s.URL == "" && s.Unconfirmed == "") {
			l.add(CheckProfile, at, what+" cites no vendor page (title and url, or unconfirmed with why)")
		}
	}
	if p.RateLimit != nil {
		cite("rate-limit", p.RateLimit.Source)
	}
	if p.UserNames != nil {
		cite("user-names", p.UserNames.Source)
		if _, err := regexp.Compile(p.UserNames.Pattern); err != nil {
			l.add(CheckProfile, at, "user-names pattern: "+err.Error())
		}
	}
	for _, n := range p.NotApplicable {
		if _, ok := RuleByID(RuleID(n.Rule)); !ok {
			l.add(CheckProfile, at, "not-applicable names rule "+n.Rule+", which the catalogue does not have")
		}
		cite("not-applicable "+n.Rule, n.Source)
	}
	for _, op := range p.OperationsNotOffered {
		if _, ok := l.d.ops[op]; ok {
			l.add(CheckProfile, at, "operation "+op+" is declared not offered but the document has it")
		}
	}
	for _, s := range p.Sources {
		cite("sources", s)
	}
}
