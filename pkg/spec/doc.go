// Package spec holds shipit's neutral app spec (shipit.yaml, version 1): its types, the loader
// (strict parsing, ${VAR} expansion, environment overlay, defaults) and target-aware validation.
package spec
