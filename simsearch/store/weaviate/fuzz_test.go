package weaviate_test

import (
	"testing"

	"github.com/corpushunt/corpushunt/simsearch/store/weaviate"
)

// FuzzParseURL: any address is parsed or refused, never a panic, and what is accepted
// survives a round trip through Options.URL.
func FuzzParseURL(f *testing.F) {
	for _, s := range []string{"weaviate://127.0.0.1:8080/Docs?grpc=127.0.0.1:50051", "weaviate://h:1/A?shards=3&replicas=2&write=ONE&read=all",
		"weaviate://h/lower", "weaviate:///A", "http://h:1/A", "weaviate://h:1/A?ef=0", "weaviate://h:1/A?x=1", "weaviate://[::1]:8080/A_b9"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		o, err := weaviate.ParseURL(s)
		if err != nil {
			return
		}
		o2, err := weaviate.ParseURL(o.URL())
		if err != nil {
			t.Fatalf("%q parsed, but its URL %q does not: %v", s, o.URL(), err)
		}
		if o2.Host != o.Host || o2.GRPC != o.GRPC || o2.Collection != o.Collection || o2.Write != o.Write || o2.Read != o.Read {
			t.Fatalf("%q → %+v → %q → %+v", s, o, o.URL(), o2)
		}
	})
}
