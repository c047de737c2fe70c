package lint

import "os"

func readTestFile() (string, error) {
	b, err := os.ReadFile("lint_test.go")
	return string(b), err
}
