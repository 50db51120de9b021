package corpus

import "context"

// Batcher gathers records n at a time for a Corpus's Batches method: Add hands each full
// batch to fn and Flush the last, shorter one, each time only while ctx is not
// cancelled. The batch slice is reused (and cleared) once fn returns, as Batches allows.
type Batcher struct {
	ctx   context.Context
	n     int
	fn    func(batch []Record) error
	batch []Record
}

// NewBatcher returns a Batcher of batches of n (at least 1) records for fn. total, the
// number of records expected, only bounds the memory set aside.
func NewBatcher(ctx context.Context, n, total int, fn func(batch []Record) error) *Batcher {
	return &Batcher{ctx: ctx, n: n, fn: fn, batch: make([]Record, 0, max(0, min(n, total)))}
}

// Len is the number of records gathered since the last batch was handed over.
func (b *Batcher) Len() int { return len(b.batch) }

// Add appends r and, when that makes n records, hands the batch to fn. It returns
// ctx.Err() when ctx is cancelled then, else fn's error.
func (b *Batcher) Add(r Record) error {
	b.batch = append(b.batch, r)
	if len(b.batch) < b.n {
		return nil
	}
	return b.emit()
}

// Flush hands the records gathered, if any, to fn, as Add does.
func (b *Batcher) Flush() error {
	if len(b.batch) == 0 {
		return nil
	}
	return b.emit()
}

func (b *Batcher) emit() error {
	if err := b.ctx.Err(); err != nil {
		return err
	}
	if err := b.fn(b.batch); err != nil {
		return err
	}
	clear(b.batch)
	b.batch = b.batch[:0]
	return nil
}
