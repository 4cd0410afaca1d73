// Package presencekit holds the contract every other package of presencekit
// hangs off: openapi.yaml and the vendor profiles (OpenAPI Overlays over
// it), embedded so the binary and the tests carry the exact spec they were
// built with.
package presencekit

import (
	"embed"
)

// OpenAPI is openapi.yaml as it was when the binary was built: the base
// document every profile applies to.
//
//go:embed openapi.yaml
var OpenAPI []byte

// Profiles holds profiles/*.yaml, the built-in profiles' overlays.
//
//go:embed profiles/*.yaml
var Profiles embed.FS
