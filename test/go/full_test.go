// The all-types golden vectors (test/vectors/full), decoded and re-encoded
// byte for byte by Go code protoc-gen-go generates from the fixture's .proto
// files (test/go/vectors.test.ts generates it, under the import path
// eventwire.test/fixtures, before it runs this).
package full_test

import (
	"path/filepath"
	"testing"

	_ "eventwire.test/fixtures/full/v1"
	"github.com/eventwire/eventwire/go/vectorcheck"
)

func TestAllTypesVectors(t *testing.T) {
	files := vectorcheck.Files(t, filepath.Join(vectorcheck.Dir(2), "full"))
	if len(files) < 4 {
		t.Fatalf("expected the all-types vectors, found %v", files)
	}
	for _, path := range files {
		vectorcheck.Check(t, path, "fixtures.full.v1")
	}
}
