package prevalence

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// FuzzReadAnswers: ReadAnswers never panics; it fails with an error of this package, or
// returns answers for item indexes ≥ 0 that a plain id,answer sheet gives back as is.
func FuzzReadAnswers(f *testing.F) {
	for _, s := range []string{
		"order,id,ref,stratum,score,answer\n1,368,item-368.jpg,4,0.192,yes\n2,462,item-462.jpg,3,0.578,\n",
		"id,answer\n3,yes\n5,no\n8,\n",
		"ID , Answer\n1,Y\n2,n\n3,1\n4,0\n5,TRUE\n6,false\n",
		"answer,note,id\nyes,\"a, b\",4\n",
		"order;id;score;answer\n1;12;0,5;yes\n",
		"id\tanswer\n7\tno\n",
		"\uFEFFid,answer\r\n9,yes\r\n",
		"id,answer\n1,maybe\n",
		"id,answer\n1,yes\n1,no\n",
		"id,answer\n1,\"yes\n",
		"id,answer\n99999999999999999999,y\n",
		"id,id,answer,answer\n1,2,y,n\n",
		"",
		"\n\n",
		"answer\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := ReadAnswers(strings.NewReader(in))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "prevalence: ") {
				t.Fatalf("error %q is not from this package", err)
			}
			return
		}
		var b strings.Builder
		b.WriteString("id,answer\n")
		ids := slices.Sorted(maps.Keys(got))
		if len(ids) > 0 && ids[0] < 0 {
			t.Fatalf("negative id %d", ids[0])
		}
		for _, id := range ids {
			fmt.Fprintf(&b, "%d,%v\n", id, got[id])
		}
		back, err := ReadAnswers(strings.NewReader(b.String()))
		if err != nil {
			t.Fatalf("reading back %q: %v", b.String(), err)
		}
		if !reflect.DeepEqual(back, got) {
			t.Fatalf("read back %v, want %v", back, got)
		}
	})
}
