// Package realworld holds no code: its test renders the hand-written shipit.yaml of every
// published deployment under testdata/realworld/ with the code `shipit render` uses and
// compares the result field by field with the original task definition, service or
// manifests. Each app's expect.yaml lists the fields the spec cannot reproduce yet (lost:),
// each with the reason; the test fails on a lost field that is not listed (a regression or a
// new gap) and on a listed one that is reproduced now (the list must shrink as the spec grows).
//
//	go test ./pkg/realworld/ -v -run TestRealWorld
//	go test ./pkg/realworld/ -run TestRealWorld -update   # rewrite the lost: lists
//
// See testdata/realworld/README.md.
package realworld
