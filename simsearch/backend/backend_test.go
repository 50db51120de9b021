package backend

import (
	"strings"
	"testing"
)

func TestNewErrors(t *testing.T) {
	if _, err := New("nonsense:x"); err == nil {
		t.Error("unknown backend accepted")
	}
	_, err := New("xla:/nonexistent/pjrt_plugin.so")
	if err == nil {
		t.Fatal("an XLA plugin loaded from a nonexistent path")
	}
	if !strings.Contains(err.Error(), "GOMLX_BACKEND") {
		t.Errorf("missing-XLA error does not name the fix: %v", err)
	}
}
