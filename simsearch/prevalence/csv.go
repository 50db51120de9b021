package prevalence

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// WriteCSV writes d's sample as a CSV sheet for the user to label, one row per draw in
// d.Sample's (shuffled) order, with the columns
//
//	order    1, 2, …: the row's place in the sample
//	id       the item's index (what ReadAnswers and Estimate key answers by)
//	ref      refs(id): something to find the item by (a file name, a text); only when
//	         refs is not nil
//	stratum  the index of its stratum in d.Strata (0: the highest scores)
//	score    its score; only when scores is not nil (label blind to it, if you can)
//	answer   empty, for the user to fill with yes or no (or y/n, 1/0, true/false)
func WriteCSV(w io.Writer, d *Design, scores []float32, refs func(id int) string) error {
	if err := d.Validate(); err != nil {
		return err
	}
	if scores != nil && len(scores) != d.Items {
		return fmt.Errorf("prevalence: %d scores for a design over %d items", len(scores), d.Items)
	}
	cw := csv.NewWriter(w)
	head := []string{"order", "id"}
	if refs != nil {
		head = append(head, "ref")
	}
	head = append(head, "stratum")
	if scores != nil {
		head = append(head, "score")
	}
	head = append(head, "answer")
	if err := cw.Write(head); err != nil {
		return err
	}
	row := make([]string, 0, len(head))
	for i, s := range d.Sample {
		row = append(row[:0], strconv.Itoa(i+1), strconv.Itoa(s.Item))
		if refs != nil {
			row = append(row, refs(s.Item))
		}
		row = append(row, strconv.Itoa(s.Stratum))
		if scores != nil {
			row = append(row, strconv.FormatFloat(float64(scores[s.Item]), 'g', -1, 32))
		}
		row = append(row, "")
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// ReadAnswers reads a labelled sheet written by WriteCSV: the answers by item id. Columns
// are found by their header names (id and answer; the others are ignored, in any order,
// case and surrounding spaces aside), and the separator may be a comma, a semicolon or
// a tab, as spreadsheets save them. An answer is yes/no, y/n, 1/0 or true/false (any
// case); a row with an empty answer is skipped, for Estimate to report as missing. Bad
// ids or answers and repeated ids are errors that name their line.
func ReadAnswers(r io.Reader) (map[int]bool, error) {
	br := bufio.NewReader(r)
	first, err := br.Peek(4096)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, fmt.Errorf("prevalence: reading answers: %w", err)
	}
	if bytes.HasPrefix(first, []byte("\uFEFF")) { // a byte order mark, as Excel writes
		br.Discard(3)
		first = first[3:]
	}
	if i := bytes.IndexByte(first, '\n'); i >= 0 {
		first = first[:i]
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	cr.ReuseRecord = true
	switch {
	case bytes.IndexByte(first, ',') >= 0:
	case bytes.IndexByte(first, ';') >= 0:
		cr.Comma = ';'
	case bytes.IndexByte(first, '\t') >= 0:
		cr.Comma = '\t'
	}
	head, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, errors.New("prevalence: answers: empty file, want a header with id and answer columns")
	}
	if err != nil {
		return nil, fmt.Errorf("prevalence: answers: %w", err)
	}
	idCol, ansCol := -1, -1
	for i, h := range head {
		switch strings.ToLower(strings.TrimSpace(h)) {
		case "id":
			if idCol < 0 {
				idCol = i
			}
		case "answer":
			if ansCol < 0 {
				ansCol = i
			}
		}
	}
	if idCol < 0 || ansCol < 0 {
		return nil, fmt.Errorf("prevalence: answers: the header %q has no id or no answer column", strings.Join(head, string(cr.Comma)))
	}
	answers := map[int]bool{}
	lineOf := map[int]int{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return answers, nil
		}
		if err != nil {
			return nil, fmt.Errorf("prevalence: answers: %w", err)
		}
		line, _ := cr.FieldPos(0)
		if idCol >= len(rec) {
			return nil, fmt.Errorf("prevalence: answers: line %d has no id", line)
		}
		idText := strings.TrimSpace(rec[idCol])
		id, err := strconv.Atoi(idText)
		if err != nil || id < 0 {
			return nil, fmt.Errorf("prevalence: answers: line %d: id %q is not an item index", line, idText)
		}
		if prev, ok := lineOf[id]; ok {
			return nil, fmt.Errorf("prevalence: answers: line %d: item %d is also on line %d", line, id, prev)
		}
		lineOf[id] = line
		a := ""
		if ansCol < len(rec) {
			a = strings.TrimSpace(rec[ansCol])
		}
		switch strings.ToLower(a) {
		case "":
		case "yes", "y", "1", "true":
			answers[id] = true
		case "no", "n", "0", "false":
			answers[id] = false
		default:
			return nil, fmt.Errorf("prevalence: answers: line %d: answer %q for item %d is not yes/no, y/n, 1/0 or true/false", line, a, id)
		}
	}
}
