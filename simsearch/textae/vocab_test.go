package textae

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestVocab(t *testing.T) {
	v := BuildVocab([][]string{{"b", "a", "b"}, {"c", "b", "a", "<unk>"}}, 2)
	if v.Len() != 7 || v.Word(5) != "b" || v.Word(6) != "a" {
		t.Fatalf("vocab %v", v.words)
	}
	if ids := v.Encode([]string{"a", "zzz", "c"}); !reflect.DeepEqual(ids, []int32{6, UnkID, UnkID}) {
		t.Errorf("Encode = %v", ids)
	}
	p := filepath.Join(t.TempDir(), "vocab.txt")
	if err := v.Save(p); err != nil {
		t.Fatal(err)
	}
	w, err := LoadVocab(p)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(w.words, v.words) {
		t.Errorf("round trip %v vs %v", w.words, v.words)
	}
	os.WriteFile(p, []byte("<pad>\n<go>\nword\n"), 0o644)
	if _, err := LoadVocab(p); !errors.Is(err, ErrBadVocab) {
		t.Errorf("bad vocab err = %v", err)
	}
}
