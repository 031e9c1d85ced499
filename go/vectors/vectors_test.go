// The golden vectors of the shop's events, decoded and re-encoded byte for
// byte by the Go code generated from proto/ (go/gen, `npm run generate`).
package vectors_test

import (
	"path/filepath"
	"testing"

	shopv1 "github.com/eventwire/eventwire/go/gen/eventwire/shop/v1"
	"github.com/eventwire/eventwire/go/vectorcheck"
)

func TestShopVectors(t *testing.T) {
	files := vectorcheck.Files(t, vectorcheck.Dir(2))
	if len(files) != 3 {
		t.Fatalf("expected the three shop vectors, found %v", files)
	}
	for _, path := range files {
		envelope, payload := vectorcheck.Check(t, path, "eventwire.shop.v1")
		if want := filepath.Base(path); envelope.GetEventType()+".bin" != want {
			t.Errorf("%s holds a %s", want, envelope.GetEventType())
		}
		if len(envelope.GetHeaders()) < 2 {
			t.Errorf("%s: expected headers, got %v", path, envelope.GetHeaders())
		}
		if order, ok := payload.(*shopv1.OrderCreatedEvent); ok {
			if order.GetUserId() != "user-Zoë" || len(order.GetItems()) != 3 || order.GetItems()[0].GetName() != "Café crème ☕" {
				t.Errorf("the order vector decodes to other values: %v", order)
			}
		}
	}
}
