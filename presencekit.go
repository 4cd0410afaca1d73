// Package presencekit holds the contract every other package of presencekit
// hangs off: openapi.yaml, embedded so the binary and the tests carry the
// exact spec they were built with.
package presencekit

import _ "embed"

// OpenAPI is openapi.yaml as it was when the binary was built.
//
//go:embed openapi.yaml
var OpenAPI []byte
