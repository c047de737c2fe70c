package spec

import _ "embed"

// SchemaJSON is the JSON Schema (draft 2020-12) of shipit.yaml, for editors and CI checks.
// A test keeps it in step with the Go types.
//
//go:embed shipit.schema.json
var SchemaJSON []byte
