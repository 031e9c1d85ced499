// Package vectorcheck proves a Go implementation against eventwire's golden
// vectors (test/vectors): each .bin decodes as an EventEnvelope, its payload
// as the message its event_type names, with no field left unknown; both
// encode back to exactly the bytes of the file in the canonical encoding
// (Canonical, over Go's protobuf reflection); and Go's own deterministic
// Marshal of the payload decodes to the same message.
package vectorcheck

import (
	"bytes"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	envelopev1 "github.com/eventwire/eventwire/go/gen/eventwire/envelope/v1"
)

// Dir is the folder of the golden vectors: $EVENTWIRE_VECTORS, else
// test/vectors of the repository, found from the test's own folder (`up`
// levels below the repository's root).
func Dir(up int) string {
	if dir := os.Getenv("EVENTWIRE_VECTORS"); dir != "" {
		return dir
	}
	parts := []string{}
	for i := 0; i < up; i++ {
		parts = append(parts, "..")
	}
	return filepath.Join(append(parts, "test", "vectors")...)
}

// Files lists the .bin vectors of a folder, sorted; it fails the test when there are none.
func Files(t testing.TB, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.bin"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no .bin vectors in %s (%v)", dir, err)
	}
	sort.Strings(files)
	return files
}

var deterministic = proto.MarshalOptions{Deterministic: true}

// Check decodes one vector and encodes it back, failing the test on any
// difference. Payload types are looked up in the registry of linked Go
// types as `payloadPackage + "." + event_type`; it returns the decoded
// envelope and payload.
func Check(t testing.TB, path string, payloadPackage string) (*envelopev1.EventEnvelope, proto.Message) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	envelope := &envelopev1.EventEnvelope{}
	if err := proto.Unmarshal(data, envelope); err != nil {
		t.Fatalf("%s: not an EventEnvelope: %v", path, err)
	}
	name := protoreflect.FullName(payloadPackage + "." + envelope.GetEventType())
	messageType, err := protoregistry.GlobalTypes.FindMessageByName(name)
	if err != nil {
		t.Fatalf("%s: no Go type for %s: %v", path, name, err)
	}
	payload := messageType.New().Interface()
	if err := proto.Unmarshal(envelope.GetPayload(), payload); err != nil {
		t.Fatalf("%s: the payload is not a %s: %v", path, name, err)
	}
	if n := len(payload.ProtoReflect().GetUnknown()); n != 0 {
		t.Errorf("%s: %d bytes of the payload are fields Go's %s does not know", path, n, name)
	}
	again := Canonical(payload.ProtoReflect())
	if !bytes.Equal(again, envelope.GetPayload()) {
		t.Errorf("%s: the payload re-encodes to other bytes:\n  file %x\n  Go   %x", path, envelope.GetPayload(), again)
	}
	native, err := deterministic.Marshal(payload)
	if err != nil {
		t.Fatal(err)
	}
	back := messageType.New().Interface()
	if err := proto.Unmarshal(native, back); err != nil || !proto.Equal(back, payload) {
		t.Errorf("%s: Go's own Marshal of the payload does not decode to the same message (%v)", path, err)
	}
	rebuilt := &envelopev1.EventEnvelope{
		EventId:   envelope.GetEventId(),
		Timestamp: envelope.GetTimestamp(),
		EventType: envelope.GetEventType(),
		Payload:   again,
		Headers:   envelope.GetHeaders(),
	}
	out := Canonical(rebuilt.ProtoReflect())
	if !bytes.Equal(out, data) {
		t.Errorf("%s: the envelope re-encodes to other bytes:\n  file %x\n  Go   %x", path, data, out)
	}
	if native, err := deterministic.Marshal(rebuilt); err != nil || !bytes.Equal(native, data) {
		t.Errorf("%s: Go's own deterministic Marshal of the envelope differs from the file (%v)", path, err)
	}
	return envelope, payload
}
