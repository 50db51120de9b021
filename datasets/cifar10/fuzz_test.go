package cifar10

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// FuzzBinary opens a folder holding a fuzzed data_batch_1.bin and batches.meta.txt and
// streams its train split, with SkipBad false and true. Errors match ErrBadData and name
// the file; what streams agrees with the bytes of the file (label byte, R/G/B planes to
// HWC), with Record and with ClassCounts; SkipBad skips exactly the bad records.
// whole pads or cuts the fuzzed bytes to whole records, so that the records themselves,
// not only the size check, are exercised.
func FuzzBinary(f *testing.F) {
	good := bytes.Join([][]byte{record(3, 10, 20, 30), record(7, 1, 2, 3), record(0, 255, 0, 0)}, nil)
	badLabel := bytes.Join([][]byte{record(1, 0, 0, 0), record(12, 0, 0, 0), record(2, 0, 0, 0)}, nil)
	f.Add(good, classNames, false, uint8(2))
	f.Add(good, strings.ReplaceAll(classNames, "\n", "\r\n"), false, uint8(0))
	f.Add(badLabel, classNames, false, uint8(1))
	f.Add(badLabel[:RecordSize+100], classNames, false, uint8(3))
	f.Add([]byte{}, classNames, false, uint8(0))
	f.Add(good, "cat\ndog\n", false, uint8(0))
	f.Add(good, "a\n\n b \nc\nd\ne\nf\ng\nh\ni\nj\nk\n", false, uint8(0))
	f.Add([]byte{9, 1, 2, 3}, classNames, true, uint8(0))
	f.Add([]byte{10, 1, 2, 3}, classNames, true, uint8(4))
	f.Fuzz(func(t *testing.T, data []byte, meta string, whole bool, batch uint8) {
		if whole {
			n := min(max(1, (len(data)+RecordSize-1)/RecordSize), 4)
			b := make([]byte, n*RecordSize)
			copy(b, data)
			data = b
		}
		dir := t.TempDir()
		p := filepath.Join(dir, "data_batch_1.bin")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "batches.meta.txt"), []byte(meta), 0o644); err != nil {
			t.Fatal(err)
		}
		for _, skipBad := range []bool{false, true} {
			checkBinary(t, dir, p, data, skipBad, int(batch%5)+1)
		}
	})
}

func checkBinary(t *testing.T, dir, p string, data []byte, skipBad bool, batchSize int) {
	ds, err := Open(dir, Options{SkipBad: skipBad})
	if err != nil {
		var fe *FormatError
		if !errors.Is(err, ErrBadData) || !errors.As(err, &fe) || filepath.Dir(fe.File) != dir {
			t.Fatalf("Open: %v; want a *FormatError (ErrBadData) naming a file in %s", err, dir)
		}
		return
	}
	if len(ds.Classes) != NumClasses {
		t.Fatalf("%d classes", len(ds.Classes))
	}
	for _, c := range ds.Classes {
		if c == "" || strings.TrimSpace(c) != c {
			t.Fatalf("class name %q", c)
		}
	}
	s, err := ds.Split(Train)
	if err != nil {
		t.Fatal(err)
	}
	if len(data)%RecordSize != 0 || s.Len() != len(data)/RecordSize || s.Len() == 0 {
		t.Fatalf("Len %d for %d bytes", s.Len(), len(data))
	}
	firstBad, bad := -1, 0
	for r := range s.Len() {
		if data[r*RecordSize] >= NumClasses {
			bad++
			if firstBad < 0 {
				firstBad = r
			}
		}
	}
	streamed, lastRec := 0, -1
	var streamErr error
	for b, err := range s.Batches(batchSize) {
		if err != nil {
			streamErr = err
			break
		}
		if len(b) == 0 || len(b) > batchSize {
			t.Fatalf("batch of %d, batch size %d", len(b), batchSize)
		}
		for _, rec := range b {
			r := rec.Ref.Record
			if rec.Ref.File != p || r <= lastRec || r >= s.Len() || rec.Index != r {
				t.Fatalf("record %d: ref %v after record %d", rec.Index, rec.Ref, lastRec)
			}
			lastRec = r
			raw := data[r*RecordSize : (r+1)*RecordSize]
			if rec.Label != int(raw[0]) || rec.Label >= NumClasses || len(rec.Pixels) != PixelBytes {
				t.Fatalf("record %d: label %d, label byte %d, %d pixel bytes", r, rec.Label, raw[0], len(rec.Pixels))
			}
			const plane = Height * Width
			for _, px := range []int{0, 517, plane - 1} {
				want := []byte{raw[1+px], raw[1+plane+px], raw[1+2*plane+px]}
				if !bytes.Equal(rec.Pixels[3*px:3*px+3], want) {
					t.Fatalf("record %d pixel %d: %v, want %v (planes → HWC)", r, px, rec.Pixels[3*px:3*px+3], want)
				}
			}
			if r < 2 {
				one, err := s.Record(r)
				if err != nil || one.Label != rec.Label || !bytes.Equal(one.Pixels, rec.Pixels) || one.Ref != rec.Ref {
					t.Fatalf("Record(%d) = %v, %v; Batches gave label %d ref %v", r, one.Label, err, rec.Label, rec.Ref)
				}
			}
			streamed++
		}
	}
	counts, countErr := s.ClassCounts()
	switch {
	case skipBad:
		if streamErr != nil || countErr != nil || streamed+s.Skipped() != s.Len() || s.Skipped() != bad {
			t.Fatalf("SkipBad: %d streamed, %d skipped of %d (%d bad), errors %v, %v", streamed, s.Skipped(), s.Len(), bad, streamErr, countErr)
		}
	case firstBad < 0:
		if streamErr != nil || countErr != nil || streamed != s.Len() {
			t.Fatalf("%d of %d streamed, errors %v, %v", streamed, s.Len(), streamErr, countErr)
		}
	default:
		var fe *FormatError
		if !errors.As(streamErr, &fe) || !errors.Is(streamErr, ErrBadData) || fe.File != p || fe.Record != firstBad || streamed > firstBad ||
			!errors.Is(countErr, ErrBadData) {
			t.Fatalf("first bad record %d: %d streamed, errors %v, %v", firstBad, streamed, streamErr, countErr)
		}
	}
	if countErr == nil {
		sum := 0
		for _, c := range counts {
			sum += c
		}
		if sum != s.Len()-bad {
			t.Fatalf("class counts %v sum to %d, want %d", counts, sum, s.Len()-bad)
		}
	}
}

// FuzzParsePNGName: a name parsePNGName accepts has a label among the classes, and the
// canonical name of that id and class parses back to them.
func FuzzParsePNGName(f *testing.F) {
	f.Add("00005_cat.png", "")
	f.Add("12_3.png", "")
	f.Add("7_truck.png.png", "")
	f.Add("_cat.png", "")
	f.Add("x_cat.png", "")
	f.Add("1_kangaroo.png", "")
	f.Add("1_10.png", "")
	f.Add("-1_cat.png", "")
	f.Add("99999999999999999999_cat.png", "")
	f.Add("4_two words.png", "a\nb\nc\nd\ne\nf\ng\nh\ni\ntwo words\n")
	f.Add("4_3.png", "0\n1\n2\n3\n4\n5\n6\n7\n8\n9\n")
	f.Fuzz(func(t *testing.T, name, classText string) {
		classes := strings.Split(strings.TrimSuffix(classNames, "\n"), "\n")
		var custom []string
		for _, l := range strings.Split(classText, "\n") {
			if l = strings.TrimSpace(l); l != "" {
				custom = append(custom, l)
			}
		}
		if len(custom) == NumClasses { // what readClassNames would accept
			classes = custom
		}
		id, label, err := parsePNGName(name, classes)
		if err != nil {
			if !strings.Contains(err.Error(), "file name") {
				t.Fatalf("error %v does not say which file name", err)
			}
			return
		}
		if label < 0 || label >= len(classes) {
			t.Fatalf("%q: label %d of %d classes", name, label, len(classes))
		}
		canon := strconv.Itoa(id) + "_" + classes[label] + ".png"
		id2, label2, err := parsePNGName(canon, classes)
		if err != nil || id2 != id || classes[label2] != classes[label] {
			t.Fatalf("%q → (%d, %d); canonical %q → (%d, %d), %v", name, id, label, canon, id2, label2, err)
		}
	})
}

// FuzzParseRef: a reference ParseRef accepts prints (Ref.String) as a reference that
// parses back to it.
func FuzzParseRef(f *testing.F) {
	for _, s := range []string{
		"data_batch_1.bin#5", "/data/cifar-10-batches-bin/test_batch.bin#9999", "train/00005_cat.png",
		"a#b#3", "#5", "x#", "x#-1", "x#+7", "x#007", "x#99999999999999999999", "", "#",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRef(s)
		if err != nil {
			return
		}
		if r.File == "" || r.Record < -1 {
			t.Fatalf("ParseRef(%q) = %+v", s, r)
		}
		if r.Record < 0 && r.File != s {
			t.Fatalf("ParseRef(%q) = %+v: a path reference must be the whole string", s, r)
		}
		again, err := ParseRef(r.String())
		if err != nil || again != r {
			t.Fatalf("ParseRef(%q) = %+v; its String %q parses as %+v, %v", s, r, r.String(), again, err)
		}
	})
}
