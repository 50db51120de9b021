package checkpoint

import (
	"os"
	"path/filepath"
	"testing"
)

func TestTruncateHistory(t *testing.T) {
	p := filepath.Join(t.TempDir(), "history.jsonl")
	os.WriteFile(p, []byte(`{"step":1,"train_loss":0.5}
{"step":2,"train_loss":0.4}
{"step":3,"train_loss":0.3}
{"step":2,"trai`), 0o644)
	if err := TruncateHistory(p, 2); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(p)
	if string(b) != "{\"step\":1,\"train_loss\":0.5}\n{\"step\":2,\"train_loss\":0.4}\n" {
		t.Errorf("history after truncation to step 2:\n%s", b)
	}
	if err := TruncateHistory(filepath.Join(t.TempDir(), "none.jsonl"), 5); err != nil {
		t.Errorf("a missing history: %v", err)
	}
}
