package nacos

import "testing"

func TestPoolKeepsOneClientPerAddressAndAuth(t *testing.T) {
	p := NewPool(Options{})
	a := p.For("10.0.0.1:8848", Auth{IdentityKey: "k", IdentityValue: "v"})
	if p.For("10.0.0.1:8848", Auth{IdentityKey: "k", IdentityValue: "v"}) != a {
		t.Fatal("same address and auth gave a new client")
	}
	if p.For("10.0.0.1:8848", Auth{IdentityKey: "k", IdentityValue: "other"}) == a {
		t.Fatal("another identity shared a client")
	}
	if got := a.Address(); got != "10.0.0.1:8848" {
		t.Fatalf("address %q", got)
	}
	p.Forget("10.0.0.1:8848")
	if p.For("10.0.0.1:8848", Auth{IdentityKey: "k", IdentityValue: "v"}) == a {
		t.Fatal("Forget kept the client")
	}
}
